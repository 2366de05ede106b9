// `batchctl run` on the embedded SQLite default: a real file, the CLI
// spawned for every trigger.
import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { beforeEach, describe, expect, test } from "vitest";

import { runCli } from "./support/cli";
import type { CliResult } from "./support/cli";
import {
  APP_CONFIG,
  APP_TABLES_SQL,
  sqliteRows,
  tempDir,
  writeConfig,
} from "./support/databases";

let dir: string;
let file: string;
const env = { BATCHCTL_NOW: "2026-12-03T09:00:00Z" };

beforeEach(async () => {
  dir = tempDir("run-sqlite");
  // No `database` key: the embedded default, batchctl.sqlite in the cwd.
  writeConfig(dir, APP_CONFIG);
  file = path.join(dir, "batchctl.sqlite");
  const app = new Database(file);
  app.exec(APP_TABLES_SQL);
  app.close();
  const migrate = await runCli(["migrate"], { cwd: dir, env });
  expect(migrate.code, migrate.stderr).toBe(0);
});

const trigger = (extra: Record<string, string> = {}) =>
  runCli(["run", "collect-object-counts", "--json"], {
    cwd: dir,
    env: { ...env, ...extra },
  });

const json = (result: CliResult) => JSON.parse(result.stdout);

const rows = (sql: string) => sqliteRows(file, sql);

describe("run on SQLite", () => {
  test("uses batchctl.sqlite in the working directory when no database is set", async () => {
    const result = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^collect-object-counts 2026-12-03: succeeded in \d+ ms/,
    );
    expect(result.stdout).toMatch(/notebook\s+3\n/);
    expect(result.stdout).toMatch(/pipeline\s+2\n/);
    expect(fs.existsSync(file)).toBe(true);
  });

  test("a later trigger for the period exits 0 and says it was already done", async () => {
    await trigger({ BATCHCTL_HOST: "host-a" });
    const again = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env: { ...env, BATCHCTL_HOST: "host-b" },
    });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      /already done \(succeeded .* on host-a, run 1\)/,
    );
    expect(rows("select * from batchctl_object_counts")).toHaveLength(4);
  });

  test("20 simultaneous triggers execute the task exactly once", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        trigger({ BATCHCTL_HOST: `host-${i}` }),
      ),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const statuses = results.map((result) => json(result).status);
    expect(statuses.filter((status) => status === "succeeded")).toHaveLength(1);
    expect(statuses.filter((status) => status === "skipped")).toHaveLength(19);
    expect(rows("select * from batchctl_object_counts")).toHaveLength(4);
    expect(rows("select * from batchctl_periods")).toHaveLength(1);
  });

  test("a failed task leaves no writes, exits 1, and the next trigger runs it", async () => {
    const app = new Database(file);
    app.exec("alter table inference_inference rename to inference_gone");
    app.close();

    const failed = await trigger();
    expect(failed.code).toBe(1);
    expect(json(failed)).toMatchObject({
      status: "failed",
      error:
        'table "inference_inference" does not exist (tasks.collect-object-counts.objects.model_serving)',
    });
    expect(rows("select * from batchctl_object_counts")).toHaveLength(0);
    expect(rows("select * from batchctl_periods")).toHaveLength(0);
    expect(rows("select status from batchctl_runs")).toEqual([
      { status: "failed" },
    ]);

    const restore = new Database(file);
    restore.exec("alter table inference_gone rename to inference_inference");
    restore.close();
    expect(json(await trigger()).status).toBe("succeeded");
    expect(rows("select * from batchctl_object_counts")).toHaveLength(4);
  });

  test("run on a database that was never migrated says to migrate and creates nothing", async () => {
    const empty = tempDir("run-sqlite-empty");
    writeConfig(empty, APP_CONFIG);
    const result = await runCli(["run", "collect-object-counts"], {
      cwd: empty,
      env,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^batchctl: no batchctl database at sqlite:.*batchctl\.sqlite \(hint: run `batchctl migrate`/,
    );
    expect(fs.existsSync(path.join(empty, "batchctl.sqlite"))).toBe(false);
  });
});

describe("a SQLite path that cannot hold batchctl's database", () => {
  const hint =
    "(hint: point DATABASE_URL or `database` at a SQLite file, or at a new one in a folder you may write to)";

  test.each([
    ["a folder", (at: string) => at, "cannot open the SQLite file sqlite:"],
    [
      "a file that is not a database",
      (at: string) => {
        fs.writeFileSync(path.join(at, "notes.txt"), "not a database\n");
        return path.join(at, "notes.txt");
      },
      "is not a SQLite database",
    ],
    [
      "a path under a file",
      (at: string) => {
        fs.writeFileSync(path.join(at, "plain"), "");
        return path.join(at, "plain/batchctl.sqlite");
      },
      "cannot create the folder of sqlite:",
    ],
  ])("%s is a config error, exit 2", async (_, make, message) => {
    const at = tempDir("run-sqlite-bad-path");
    const database = make(at);
    const before = fs.readdirSync(at);
    const result = await runCli(["migrate"], {
      cwd: at,
      env: { DATABASE_URL: database },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    if (!message.startsWith("cannot create")) {
      expect(result.stderr).toContain(hint);
    }
    expect(fs.readdirSync(at)).toEqual(before);
  });
});

test("a trigger that cannot get SQLite's write lock past the busy timeout exits 0, unrecorded", async () => {
  const dir = tempDir("run-sqlite-busy");
  // A task that holds the write lock (its claim) for 8 s, past the 5 s
  // busy timeout of a second trigger.
  fs.writeFileSync(
    path.join(dir, "hold.cjs"),
    "module.exports = async () => { await new Promise((r) => setTimeout(r, 8000)); };\n",
  );
  writeConfig(dir, "tasks:\n  hold-lock:\n    module: ./hold.cjs\n");
  expect((await runCli(["migrate"], { cwd: dir, env })).code).toBe(0);

  const holder = runCli(["run", "hold-lock", "--json"], { cwd: dir, env });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const turnedAway = await runCli(["run", "hold-lock", "--json"], {
    cwd: dir,
    env,
  });

  expect(turnedAway.code, turnedAway.stderr).toBe(0);
  expect(json(turnedAway)).toMatchObject({
    status: "skipped",
    reason: "running",
    runId: 0,
    message: "the database is locked by another trigger; not recorded",
  });
  const held = await holder;
  expect(held.code, held.stderr).toBe(0);
  expect(json(held).status).toBe("succeeded");
});

test("triggers that recorded themselves before a long run took SQLite's write lock still exit 0", async () => {
  const dir = tempDir("run-sqlite-busy-late");
  fs.writeFileSync(
    path.join(dir, "hold.cjs"),
    "module.exports = async () => { await new Promise((r) => setTimeout(r, 12000)); };\n",
  );
  writeConfig(
    dir,
    "tasks:\n  hold-lock:\n    module: ./hold.cjs\n  done-already:\n    sql: select 1\n",
  );
  expect((await runCli(["migrate"], { cwd: dir, env })).code).toBe(0);
  const first = await runCli(["run", "done-already"], { cwd: dir, env });
  expect(first.code, first.stderr).toBe(0);

  // Started with the long run: some record themselves before it claims the
  // lock, then find the lock held both for their claim and their record.
  const holder = runCli(["run", "hold-lock"], { cwd: dir, env });
  const duplicates = await Promise.all(
    Array.from({ length: 10 }, () =>
      runCli(["run", "done-already"], { cwd: dir, env }),
    ),
  );
  for (const result of duplicates) {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/already (done|running)/);
  }
  expect((await holder).code).toBe(0);

  // The next duplicate leaves no row of the done period running.
  const after = await runCli(["run", "done-already"], { cwd: dir, env });
  expect(after.code, after.stderr).toBe(0);
  expect(
    sqliteRows(
      path.join(dir, "batchctl.sqlite"),
      "select count(*) as n from batchctl_runs where task = 'done-already' and status = 'running'",
    ),
  ).toEqual([{ n: 0 }]);
}, 90_000);
