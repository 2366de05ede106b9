// The Kubernetes deployment: k8s-cronjob.yaml checked against the Kubernetes
// schema, the Dockerfile checked as text (no image is built here), and the
// CronJob's containers run by their exact command lines against PostgreSQL.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { CronJob } from "kubernetes-models/batch/v1";
import { ConfigMap, Secret } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { scheduledTimeOfJob } from "../src/runner/identity";
import { BIN, ROOT, runCli } from "./support/cli";
import type { PgDatabase } from "./support/databases";
import {
  APP_TABLES_SQL,
  createPgDatabase,
  MIGRATIONS,
  tempDir,
} from "./support/databases";
import {
  batchctlArgs,
  commandLine,
  containerEnv,
  entrypoint,
  find,
  imageRoot,
  instructions,
  podSpec,
  readDockerfile,
  readManifests,
  typeErrors,
} from "./support/manifests";
import type { Container, Manifest, PodContext } from "./support/manifests";

const models: Record<string, new (data: never) => { validate(): void }> = {
  "v1 Secret": Secret,
  "v1 ConfigMap": ConfigMap,
  "batch/v1 CronJob": CronJob,
};

function validate(doc: Manifest): void {
  const Model = models[`${doc.apiVersion} ${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc as never).validate();
}

const manifests = readManifests();
const cronJob = find(manifests, "CronJob");
const pod = podSpec(cronJob);
const containers: Container[] = [
  ...(pod.initContainers ?? []),
  ...pod.containers,
];
const stages = readDockerfile();
const workdir = imageRoot(stages);

describe("Dockerfile", () => {
  const build = stages[0];
  const image = stages.at(-1);

  it("builds dist/ in a build stage and runs the built CLI from the image", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runs = instructions(build!, "RUN").join("\n");
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/\bnpm run build\b/);

    // exec form, so batchctl itself receives SIGTERM
    const argv = entrypoint(stages);
    expect(argv).toEqual(["node", `${workdir}/bin/batchctl`]);
    expect(batchctlArgs(argv, workdir)).toEqual([]);
    expect(fs.existsSync(BIN)).toBe(true);
    expect(fs.existsSync(path.join(ROOT, "dist/cli.js"))).toBe(true);
  });

  it("copies the built CLI and production dependencies only into the image", () => {
    const copies = instructions(image!, "COPY");
    for (const part of ["node_modules", "dist", "bin", "migrations"]) {
      // The image's working directory holds the repository's layout.
      expect(copies).toContain(
        `--from=${build!.name} ${workdir}/${part} ./${part}`,
      );
    }
    expect(instructions(build!, "WORKDIR")).toEqual([workdir]);

    // Pruned after the build, which needed the devDependencies.
    const runs = instructions(build!, "RUN");
    const built = runs.findIndex((run) => run.includes("npm run build"));
    const pruned = runs.findIndex((run) => /npm prune .*--omit=dev/.test(run));
    expect(pruned).toBeGreaterThan(built);
    expect(instructions(image!, "RUN")).toEqual([]);
  });

  // What the build stage copies from the build context.
  const sources = instructions(build!, "COPY").flatMap((args) =>
    args.split(/\s+/).slice(0, -1),
  );

  it("copies only paths that exist and that .dockerignore lets in", () => {
    const ignore = fs
      .readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((line) => line.trim());
    expect(ignore).toContain("*");

    expect(sources).toContain("src");
    for (const source of sources) {
      expect(fs.existsSync(path.join(ROOT, source)), source).toBe(true);
      const isDir = fs.statSync(path.join(ROOT, source)).isDirectory();
      expect(ignore, source).toContain(`!${source}${isDir ? "/" : ""}`);
    }
  });

  it("builds dist/ from only the files the build stage copies", () => {
    const context = tempDir("image-build");
    for (const source of sources) {
      fs.cpSync(path.join(ROOT, source), path.join(context, source), {
        recursive: true,
      });
    }
    // What the stage's `npm ci` installs.
    fs.symlinkSync(
      path.join(ROOT, "node_modules"),
      path.join(context, "node_modules"),
    );

    const result = spawnSync("npm", ["run", "build"], {
      cwd: context,
      encoding: "utf8",
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(fs.existsSync(path.join(context, "dist/cli.js"))).toBe(true);
    expect(fs.existsSync(path.join(context, "dist/index.d.ts"))).toBe(true);
  });

  it("runs as a numeric non-root user, the one the pods run as", () => {
    const [user, group] = (instructions(image!, "USER").at(-1) ?? "").split(
      ":",
    );
    expect(user).toMatch(/^[1-9]\d*$/);
    expect(pod.securityContext?.runAsUser).toBe(Number(user));
    expect(group).toMatch(/^\d+$/);
  });
});

describe("k8s-cronjob.yaml", () => {
  it("holds a Secret, a ConfigMap and a CronJob, each valid against the Kubernetes schema", () => {
    expect(manifests.map((doc) => doc.kind).sort()).toEqual([
      "ConfigMap",
      "CronJob",
      "Secret",
    ]);
    for (const doc of manifests) expect(() => validate(doc)).not.toThrow();
    expect(typeErrors(manifests)).toEqual([]);
  });

  it("fails validation for a wrong type or an unknown field", () => {
    const wrongType = structuredClone(cronJob) as Manifest & {
      spec: { startingDeadlineSeconds: unknown };
    };
    wrongType.spec.startingDeadlineSeconds = "600";
    expect(() => validate(wrongType)).toThrow(
      /startingDeadlineSeconds must be integer/,
    );

    const misspelt = structuredClone(cronJob);
    const context = podSpec(misspelt).containers[0]!.securityContext!;
    context.readOnlyRootFileSystem = context.readOnlyRootFilesystem;
    delete context.readOnlyRootFilesystem;
    expect(typeErrors([misspelt]).join("\n")).toMatch(
      /"readOnlyRootFileSystem"' does not exist in type 'ISecurityContext'/,
    );
  });

  it("sets only environment variables that the built CLI reads", () => {
    const bundle = fs.readFileSync(path.join(ROOT, "dist/cli.js"), "utf8");
    // `env.NAME`, where esbuild may have renamed `env` to `env2`
    const reads = (name: string) =>
      new RegExp(`\\benv\\d*\\.${name}\\b`).test(bundle);

    const names = containers.flatMap((c) => (c.env ?? []).map((e) => e.name));
    expect(names).toEqual(
      expect.arrayContaining([
        "DATABASE_URL",
        "BATCHCTL_CONFIG",
        "BATCHCTL_POD_NAME",
        "BATCHCTL_JOB_NAME",
      ]),
    );
    for (const name of names) expect(reads(name), name).toBe(true);
    expect(reads("BATCHCTL_POD")).toBe(false);
  });

  it("refers only to the Secret key and ConfigMap file it defines", () => {
    const secret = find(manifests, "Secret");
    const configMap = find(manifests, "ConfigMap");
    for (const container of containers) {
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (!ref) continue;
        expect(ref.name).toBe(secret.metadata.name);
        expect(Object.keys(secret.stringData ?? {})).toContain(ref.key);
      }
      const configPath = container.env?.find(
        (variable) => variable.name === "BATCHCTL_CONFIG",
      )?.value;
      const mount = container.volumeMounts?.find(
        (m) => configPath && path.dirname(configPath) === m.mountPath,
      );
      const volume = pod.volumes?.find((v) => v.name === mount?.name);
      expect(volume?.configMap?.name, container.name).toBe(
        configMap.metadata.name,
      );
      expect(Object.keys(configMap.data ?? {})).toContain(
        path.basename(configPath ?? ""),
      );
    }
  });

  it("mounts a writable /tmp and keeps the root filesystem read-only", () => {
    for (const container of containers) {
      expect(container.securityContext, container.name).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
      expect(container.volumeMounts?.map((m) => m.mountPath)).toContain("/tmp");
    }
  });
});

describe("a CronJob trigger, run by the manifest's command lines", () => {
  // 29418240 minutes since the epoch: 2025-12-07 08:00 UTC.
  const jobName = "collect-object-counts-29418240";
  const scheduledAt = "2025-12-07T08:00:00.000Z";
  const migrate = pod.initContainers?.find((c) => c.name === "migrate");
  const batchctl = pod.containers[0]!;
  let db: PgDatabase;
  let context: PodContext;

  beforeAll(async () => {
    db = await createPgDatabase("k8s");
    await db.query(APP_TABLES_SQL);
    context = {
      podName: `${jobName}-x7k2p`,
      jobName,
      secrets: { "batchctl-database/DATABASE_URL": db.url },
      configMaps: { "batchctl-config": find(manifests, "ConfigMap") },
      root: tempDir("k8s"),
    };
  });
  afterAll(async () => {
    await db?.drop();
  });

  /**
   * Runs a container of the pod. The clock is set a few seconds after the
   * scheduled time, as a pod starts, so the run's day is the Job's day.
   */
  function runContainer(
    container: Container,
    trigger: PodContext,
    now: string,
  ) {
    const args = batchctlArgs(commandLine(container, stages), workdir);
    const env = containerEnv(container, pod, trigger);
    return runCli(args, { env: { ...env, BATCHCTL_NOW: now } });
  }

  it("migrates with the init container's command line", async () => {
    expect(migrate).toBeDefined();
    const result = await runContainer(
      migrate!,
      context,
      "2025-12-07T08:00:03Z",
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      applied: MIGRATIONS,
    });
  });

  it("records the run with the pod name, the Job name and the scheduled time from the Job name", async () => {
    expect(commandLine(batchctl, stages)).toEqual([
      "node",
      `${workdir}/bin/batchctl`,
      "run",
      "collect-object-counts",
      "--json",
    ]);
    const result = await runContainer(
      batchctl,
      context,
      "2025-12-07T08:00:05Z",
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);

    // --json: one JSON object on one line, for the cluster's log collector
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      task: "collect-object-counts",
      period: "2025-12-07",
      status: "succeeded",
      pod: "collect-object-counts-29418240-x7k2p",
      job: jobName,
      scheduledAt,
      result: {
        counts: {
          notebook: 3,
          model_serving: 2,
          hyperparameter: 1,
          pipeline: 2,
        },
      },
    });

    const { rows } = await db.query(
      "select status, pod, job, scheduled_at from batchctl_runs",
    );
    expect(rows).toEqual([
      {
        status: "succeeded",
        pod: "collect-object-counts-29418240-x7k2p",
        job: jobName,
        scheduled_at: new Date(29418240 * 60_000),
      },
    ]);
  });

  it("records the next hour's trigger from another pod as skipped under its own pod name", async () => {
    const nextHour = {
      ...context,
      podName: "collect-object-counts-29418300-q4zmd",
      jobName: "collect-object-counts-29418300",
    };
    const result = await runContainer(
      batchctl,
      nextHour,
      "2025-12-07T09:00:04Z",
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      period: "2025-12-07",
      status: "skipped",
      reason: "done",
      pod: "collect-object-counts-29418300-q4zmd",
      scheduledAt: "2025-12-07T09:00:00.000Z",
      by: { pod: "collect-object-counts-29418240-x7k2p" },
    });

    const { rows } = await db.query(
      "select status, pod from batchctl_runs order by id",
    );
    expect(rows).toEqual([
      { status: "succeeded", pod: "collect-object-counts-29418240-x7k2p" },
      { status: "skipped", pod: "collect-object-counts-29418300-q4zmd" },
    ]);
  });

  it("shows the runs in history with the same DATABASE_URL and config", async () => {
    const env = containerEnv(batchctl, pod, context);
    const history = await runCli(["history", "--json"], { env });
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout)).toMatchObject([
      {
        status: "succeeded",
        pod: "collect-object-counts-29418240-x7k2p",
        job: jobName,
        scheduledAt,
      },
    ]);

    const all = await runCli(["history", "--all"], { env });
    expect(all.code).toBe(0);
    const [header, skipped, succeeded] = all.stdout.split("\n").slice(1);
    expect(header).toMatch(/WHERE\s+JOB\s+SCHEDULED\s+DETAIL/);
    expect(skipped).toMatch(
      /skipped .*collect-object-counts-29418300-q4zmd\s+collect-object-counts-29418300\s+2025-12-07 09:00:00 UTC/,
    );
    expect(succeeded).toMatch(
      /succeeded .*collect-object-counts-29418240-x7k2p\s+collect-object-counts-29418240\s+2025-12-07 08:00:00 UTC/,
    );
  });

  it("rejects a ConfigMap whose config has a key batchctl does not know", async () => {
    const configMap = structuredClone(find(manifests, "ConfigMap"));
    const [file] = Object.keys(configMap.data ?? {});
    configMap.data![file!] = configMap.data![file!]!.replace(
      "timeout:",
      "timeOut:",
    );
    const result = await runContainer(
      batchctl,
      {
        ...context,
        configMaps: { "batchctl-config": configMap },
        root: tempDir("k8s-bad"),
      },
      "2025-12-07T10:00:02Z",
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/tasks\.collect-object-counts\.timeOut/);
  });
});

describe("the scheduled time of a Job", () => {
  const now = new Date("2026-12-03T09:00:30Z");

  it("is read from the suffix of a Job name a CronJob made", () => {
    expect(scheduledTimeOfJob("collect-object-counts-29418240", now)).toEqual(
      new Date("2025-12-07T08:00:00Z"),
    );
  });

  it("is not read from a Job made by hand", () => {
    expect(scheduledTimeOfJob("collect-object-counts-manual", now)).toBe(null);
    // `kubectl create job ... manual-$(date +%s)`: seconds, not minutes
    expect(scheduledTimeOfJob("manual-1796288400", now)).toBe(null);
  });
});
