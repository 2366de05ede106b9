// `batchctl run` against a real PostgreSQL database, the CLI spawned as a
// process for every trigger.
import type { ChildProcess } from "node:child_process";

import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  test,
} from "vitest";

import { runCli } from "./support/cli";
import type { CliOptions, CliResult } from "./support/cli";
import {
  APP_CONFIG,
  APP_TABLES_SQL,
  createPgDatabase,
  tempDir,
  writeConfig,
} from "./support/databases";
import type { PgDatabase } from "./support/databases";

let db: PgDatabase;
let dir: string;
let env: Record<string, string>;

const NOW = "2026-12-03T09:00:00Z";

beforeAll(async () => {
  db = await createPgDatabase("run_pg");
  dir = tempDir("run-pg");
  writeConfig(dir, APP_CONFIG);
  env = { DATABASE_URL: db.url, BATCHCTL_NOW: NOW };
  await db.query(APP_TABLES_SQL);
  const migrate = await runCli(["migrate"], { cwd: dir, env });
  expect(migrate.code, migrate.stderr).toBe(0);
});

afterAll(async () => {
  await db?.drop();
});

beforeEach(async () => {
  await db.query(
    "delete from batchctl_object_counts; delete from batchctl_periods; delete from batchctl_runs",
  );
});

const trigger = (extra: Record<string, string> = {}, args: string[] = []) =>
  runCli(["run", "collect-object-counts", "--json", ...args], {
    cwd: dir,
    env: { ...env, ...extra },
  });

const json = (result: CliResult) => JSON.parse(result.stdout);

async function rows(sql: string) {
  return (await db.query(sql)).rows;
}

describe("run on PostgreSQL", () => {
  test("the first trigger executes the task and records the run", async () => {
    const result = await trigger({ BATCHCTL_HOST: "pod-a" });

    expect(result.code, result.stderr).toBe(0);
    const outcome = json(result);
    expect(outcome).toMatchObject({
      task: "collect-object-counts",
      period: "2026-12-03",
      status: "succeeded",
      host: "pod-a",
      result: {
        counts: {
          notebook: 3,
          model_serving: 2,
          hyperparameter: 1,
          pipeline: 2,
        },
      },
    });

    const [run] = await rows("select * from batchctl_runs");
    expect(run).toMatchObject({
      task: "collect-object-counts",
      period: "2026-12-03",
      status: "succeeded",
      host: "pod-a",
      error: null,
    });
    expect(run.started_at).toBeInstanceOf(Date);
    expect(run.finished_at.getTime()).toBeGreaterThanOrEqual(
      run.started_at.getTime(),
    );
    expect(run.duration_ms).toBeGreaterThanOrEqual(0);

    const snapshot = await rows(
      "select object, count from batchctl_object_counts order by object",
    );
    expect(snapshot).toEqual([
      { object: "hyperparameter", count: "1" },
      { object: "model_serving", count: "2" },
      { object: "notebook", count: "3" },
      { object: "pipeline", count: "2" },
    ]);
  });

  test("a later trigger for the period exits 0 and names when and where it was done", async () => {
    await trigger({ BATCHCTL_HOST: "pod-a" });
    const human = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env: { ...env, BATCHCTL_HOST: "pod-b" },
    });

    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /^collect-object-counts 2026-12-03: already done \(succeeded 2026-12-03 09:00:\d\d UTC on pod-a, run \d+\); this trigger did nothing/,
    );

    const again = json(await trigger({ BATCHCTL_HOST: "pod-c" }));
    expect(again).toMatchObject({
      status: "skipped",
      reason: "done",
      host: "pod-c",
      by: { status: "succeeded", host: "pod-a" },
    });
    const statuses = await rows(
      "select status, host from batchctl_runs order by id",
    );
    expect(statuses).toEqual([
      { status: "succeeded", host: "pod-a" },
      { status: "skipped", host: "pod-b" },
      { status: "skipped", host: "pod-c" },
    ]);
    expect(await rows("select * from batchctl_object_counts")).toHaveLength(4);
  });

  test("the next period runs again", async () => {
    await trigger();
    const tomorrow = json(
      await trigger({ BATCHCTL_NOW: "2026-12-04T00:00:00Z" }),
    );
    expect(tomorrow).toMatchObject({
      period: "2026-12-04",
      status: "succeeded",
    });
  });

  test("20 simultaneous triggers execute the task exactly once", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        trigger({ BATCHCTL_HOST: `pod-${i}` }),
      ),
    );

    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const statuses = results.map((result) => json(result).status).sort();
    expect(statuses.filter((status) => status === "succeeded")).toHaveLength(1);
    expect(statuses.filter((status) => status === "skipped")).toHaveLength(19);
    for (const result of results.filter((r) => json(r).status === "skipped")) {
      expect(["done", "running"]).toContain(json(result).reason);
    }
    expect(await rows("select * from batchctl_object_counts")).toHaveLength(4);
    expect(await rows("select * from batchctl_periods")).toHaveLength(1);
  });

  test("triggers that find the period running exit 0 without waiting for it", async () => {
    // The first trigger counts a view that sleeps for a minute; it is
    // stopped with SIGTERM once the others have all answered.
    await db.query(
      "create or replace view slow_notebooks as select n.* from notebook_notebook n, pg_sleep(60)",
    );
    const slowDir = tempDir("run-pg-slow");
    writeConfig(
      slowDir,
      APP_CONFIG.replace(
        "notebook: notebook_notebook",
        "notebook: slow_notebooks",
      ),
    );
    const slowTrigger = (host: string, onSpawn?: CliOptions["onSpawn"]) =>
      runCli(["run", "collect-object-counts", "--json"], {
        cwd: slowDir,
        env: { ...env, BATCHCTL_HOST: host },
        ...(onSpawn ? { onSpawn } : {}),
      });

    let firstProcess: ChildProcess | undefined;
    const first = slowTrigger("pod-first", (child) => (firstProcess = child));
    await waitForSlowQuery();
    const others = await Promise.all(
      Array.from({ length: 20 }, (_, i) => slowTrigger(`pod-${i}`)),
    );
    expect(firstProcess?.exitCode).toBeNull();
    firstProcess?.kill("SIGTERM");
    const stopped = await first;

    for (const result of others) {
      expect(result.code, result.stderr).toBe(0);
      expect(json(result)).toMatchObject({
        status: "skipped",
        reason: "running",
        by: { host: "pod-first" },
      });
    }
    expect(stopped.code).toBe(4);
    expect(json(stopped)).toMatchObject({ status: "interrupted" });
    expect(await rows("select * from batchctl_periods")).toHaveLength(0);
    await db.query("drop view slow_notebooks");
  });

  test("a failed task leaves no writes, records the error, exits 1, and is retried by the next trigger", async () => {
    await db.query("alter table pipeline_pipeline rename to pipeline_gone");
    const failed = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env,
    });
    await db.query("alter table pipeline_gone rename to pipeline_pipeline");

    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("failed after");
    expect(failed.stderr).toContain(
      'table "pipeline_pipeline" does not exist (tasks.collect-object-counts.objects.pipeline)',
    );
    expect(await rows("select * from batchctl_object_counts")).toHaveLength(0);
    expect(await rows("select * from batchctl_periods")).toHaveLength(0);
    const [run] = await rows("select status, error from batchctl_runs");
    expect(run.status).toBe("failed");
    expect(run.error).toContain('table "pipeline_pipeline" does not exist');

    const retried = json(await trigger());
    expect(retried.status).toBe("succeeded");
    expect(await rows("select * from batchctl_object_counts")).toHaveLength(4);
  });

  test("a trigger killed with SIGKILL mid-run leaves no snapshot and does not block the next one", async () => {
    await db.query(
      "create or replace view slow_notebooks as select n.* from notebook_notebook n, pg_sleep(30)",
    );
    const slowDir = tempDir("run-pg-kill");
    writeConfig(
      slowDir,
      APP_CONFIG.replace(
        "pipeline: { table: pipeline_pipeline, where: { is_template: false } }",
        "pipeline: { table: pipeline_pipeline, where: { is_template: false } }\n      slow: slow_notebooks",
      ),
    );
    const killed = runCli(["run", "collect-object-counts"], {
      cwd: slowDir,
      env,
      onSpawn: (child) => {
        void waitForSlowQuery().then(() => child.kill("SIGKILL"));
      },
    });
    expect((await killed).signal).toBe("SIGKILL");
    expect(await rows("select * from batchctl_object_counts")).toHaveLength(0);
    expect(await rows("select * from batchctl_periods")).toHaveLength(0);

    const started = Date.now();
    const next = json(await trigger());
    expect(next.status).toBe("succeeded");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await rows("select * from batchctl_object_counts")).toHaveLength(4);
    const statuses = await rows("select status from batchctl_runs order by id");
    expect(statuses.map((row) => row.status)).toEqual([
      "abandoned",
      "succeeded",
    ]);
    await db.query("drop view slow_notebooks");
  });

  test("an unknown task exits 2 and lists the known tasks", async () => {
    const result = await runCli(["run", "collect-objects"], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'batchctl: unknown task "collect-objects" (hint: known tasks: collect-object-counts)\n',
    );
    expect(await rows("select * from batchctl_runs")).toHaveLength(0);
  });
});

/** Waits until a trigger is counting the slow view, its claim held. */
function waitForSlowQuery() {
  return waitFor(async () => {
    const active = await rows(
      "select 1 from pg_stat_activity where query like '%slow_notebooks%' and state = 'active' and pid <> pg_backend_pid()",
    );
    return active.length > 0;
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
