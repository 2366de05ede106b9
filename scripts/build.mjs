// Bundles the CLI so that a trigger loads a few files instead of resolving
// hundreds of modules: start-up is paid on every cron trigger, and on every
// duplicate one. ESM output is split by command, so `--help` loads commander
// alone and `run` does not parse the migrator's or history's code.
import { readFile, rm } from "node:fs/promises";

import { build } from "esbuild";

// knex requires every driver it knows by name; only pg and better-sqlite3 are
// installed. better-sqlite3 is a native addon and cannot be bundled.
const external = [
  "better-sqlite3",
  "mariadb",
  "mariadb/callback",
  "mysql",
  "mysql2",
  "oracledb",
  "pg-native",
  "pg-query-stream",
  "sqlite3",
  "tedious",
  "typescript",
];

/**
 * knex ships a dialect for every database it supports, about 220 kB that
 * each trigger would parse. batchctl opens PostgreSQL and SQLite only
 * (better-sqlite3 builds on the sqlite3 dialect); the others are left out.
 */
const unusedDialects =
  /^\.\/(cockroachdb|mssql|mysql|mysql2|mariadb|oracle|oracledb|pgnative|redshift)$/;

/**
 * pg asks, when it loads, whether it runs on Cloudflare Workers by building a
 * fetch `Response`; on Node that loads undici, which costs a trigger more
 * than connecting does. batchctl only runs on Node.
 */
const cloudflareProbe = "function isCloudflareRuntime() {";

const lean = {
  name: "lean",
  setup(build) {
    build.onResolve({ filter: unusedDialects }, (args) =>
      args.importer.includes("knex/lib/dialects")
        ? { path: args.path, namespace: "unused-dialect" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "unused-dialect" }, (args) => ({
      contents: `throw new Error("knex dialect ${args.path} is not part of batchctl");`,
      loader: "js",
    }));
    build.onLoad(
      { filter: /node_modules[/\\]pg[/\\]lib[/\\]stream\.js$/ },
      async (args) => {
        const source = await readFile(args.path, "utf8");
        if (!source.includes(cloudflareProbe)) {
          throw new Error(
            `pg changed: ${args.path} has no isCloudflareRuntime`,
          );
        }
        return {
          contents: source.replace(
            cloudflareProbe,
            `${cloudflareProbe} return false;`,
          ),
          loader: "js",
        };
      },
    );
  },
};

// Bundled CommonJS packages call require() for Node's modules and for the
// external drivers, and migrate.ts finds migrations/ from __dirname: ESM has
// neither, so each output file defines them first.
const cjsShims = [
  'import { createRequire as __batchctlRequire } from "node:module";',
  'import { fileURLToPath as __batchctlPath } from "node:url";',
  "const require = __batchctlRequire(import.meta.url);",
  'const __dirname = __batchctlPath(new URL(".", import.meta.url));',
].join("\n");

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  external,
  // Less to parse on every start; names are kept, error classes rely on them.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: "linked",
  logLevel: "warning",
};

// Chunk names carry hashes: clear the old ones rather than ship them.
await rm("dist", { recursive: true, force: true });

await Promise.all([
  build({
    ...common,
    entryPoints: { cli: "src/cli.ts" },
    outdir: "dist",
    format: "esm",
    splitting: true,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    banner: { js: cjsShims },
    plugins: [lean],
  }),
  build({
    ...common,
    entryPoints: { index: "src/index.ts" },
    outdir: "dist",
    format: "cjs",
  }),
]);
