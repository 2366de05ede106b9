# batchctl as a container image: the built CLI, its production dependencies
# and its migrations, run as an unprivileged user. k8s-cronjob.yaml runs it.
#
#   docker build -t registry.example.com/batchctl:0.1.0 .
#
# Both stages use the same base image, so the better-sqlite3 addon compiled
# in the first is built for the Node.js and C library of the second.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app

# better-sqlite3 downloads a prebuilt addon when one matches the platform and
# compiles itself when none does; these are what compiling needs.
RUN apt-get update \
  && apt-get install -y --no-install-recommends g++ make python3 \
  && rm -rf /var/lib/apt/lists/*

# The lock file alone decides the dependencies, in a layer of their own that
# is reused until package-lock.json changes. --ignore-scripts because the
# package's own `prepare` script builds dist/ and the sources are not here
# yet; the one dependency with an install step that matters, the native
# better-sqlite3, is then built by name.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3

COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bin ./bin
COPY migrations ./migrations
RUN npm run build

# Production dependencies only, pruned here rather than installed afresh in
# the runtime stage: `npm ci --omit=dev` would run `prepare`, which needs
# esbuild (a devDependency), and would need a compiler for better-sqlite3.
# Pruning keeps the addon compiled above and runs no script. --omit=optional
# drops TypeScript, kept otherwise as cosmiconfig's optional peer for
# batchctl.config.ts files; the image reads the mounted YAML config.
RUN npm prune --omit=dev --omit=optional --ignore-scripts

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app

# Owned by root and read-only to the user below: batchctl writes nothing to
# its own files, so the root filesystem can be mounted read-only. Node.js's
# temp dir is /tmp, a volume in k8s-cronjob.yaml.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/migrations ./migrations

# The `node` user of the base image, by number: Kubernetes can only check
# runAsNonRoot against a numeric user.
USER 1000:1000

# As PID 1 a process gets only the signals it handles. `batchctl run` handles
# SIGTERM (its writes roll back, the run is recorded as interrupted), so no
# init process is needed; migrate runs in a transaction and may be killed.
ENTRYPOINT ["node", "/app/bin/batchctl"]
CMD ["--help"]
