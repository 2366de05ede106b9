// How user tasks are declared and chosen: config errors with their key path,
// --period for tasks that allow it, time zones per task, log lines tied to
// the run, and `batchctl tasks`. SQLite files; the guarantees themselves are
// tested on both databases in user-tasks.test.ts.
import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";

import { ROOT, runCli } from "./support/cli";
import { sqliteRows, tempDir, writeConfig } from "./support/databases";

let dir: string;
let file: string;

beforeEach(async () => {
  dir = tempDir("task-config");
  file = path.join(dir, "app.sqlite");
  new Database(file)
    .exec(
      "create table windows (period text primary key, starts integer, ends integer, zone text)",
    )
    .close();
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(ROOT, path.join(dir, "node_modules", "batchctl"));
  writeConfig(dir, "tasks: {}\n");
  const migrated = await cli(["migrate"]);
  expect(migrated.code, migrated.stderr).toBe(0);
});

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(args, {
    cwd: dir,
    env: { DATABASE_URL: file, BATCHCTL_NOW: "2026-12-03T14:30:00Z", ...env },
  });
}

const rows = (sql: string) => sqliteRows(file, sql);

const WINDOW_SQL =
  "insert into windows (period, starts, ends, zone) values (:key, :start, :end, :timezone)";

describe("config errors for tasks", () => {
  const cases: [string, string, RegExp, RegExp][] = [
    [
      "a module that does not exist",
      "tasks:\n  purge: { module: ./missing.js }\n",
      /batchctl\.config\.yaml: tasks\.purge\.module names .*missing\.js, which does not exist \(the path is relative to the config file\)/,
      /hint: see Configuration/,
    ],
    [
      "an unknown period",
      "tasks:\n  purge: { sql: 'select 1', period: fortnight }\n",
      /tasks\.purge\.period must be one of hour, day, week, month, not "fortnight"/,
      /hint: /,
    ],
    [
      "a SQL task with no statement",
      "tasks:\n  purge: { sql: [] }\n",
      /tasks\.purge\.sql has no statement: give one, or a list of them/,
      /hint: /,
    ],
    [
      "a SQL statement that is empty",
      "tasks:\n  purge: { sql: ['select 1', '  '] }\n",
      /tasks\.purge\.sql\[1\] has no statement: it is empty/,
      /hint: /,
    ],
    [
      "a task that says nothing to run",
      "tasks:\n  purge: { period: day }\n",
      /tasks\.purge says nothing to run: give sql \(statements\), module \(a file\), run/,
      /hint: /,
    ],
    [
      "a task of two kinds",
      "tasks:\n  purge: { sql: 'select 1', module: ./x.js }\n",
      /tasks\.purge has both sql and module/,
      /hint: /,
    ],
    [
      "a function in a YAML config",
      "tasks:\n  purge: { run: purge }\n",
      /tasks\.purge\.run must be a function, not "purge"; write it in batchctl\.config\.ts or \.js/,
      /hint: /,
    ],
    [
      "a timezone that is not a zone",
      "tasks:\n  purge: { sql: 'select 1', timezone: Mars/Olympus }\n",
      /tasks\.purge\.timezone must be an IANA time zone/,
      /hint: /,
    ],
    [
      "backfill on the object counts",
      "tasks:\n  collect-object-counts: { objects: { a: a }, backfill: true }\n",
      /tasks\.collect-object-counts\.backfill does not apply: object counts describe the present/,
      /hint: /,
    ],
  ];

  it.each(cases)(
    "names %s with its key path and exits 2",
    async (_, yaml, message, hint) => {
      writeConfig(dir, yaml);
      const result = await cli(["run", "purge"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(hint);
    },
  );

  it("names a module that exports no task, with a hint on what to export", async () => {
    fs.writeFileSync(
      path.join(dir, "purge.mjs"),
      "export const purge = () => 1;\n",
    );
    writeConfig(dir, "tasks:\n  purge: { module: ./purge.mjs }\n");
    const result = await cli(["run", "purge"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "batchctl.config.yaml: tasks.purge.module (./purge.mjs) exports no task: it has no default export (hint: export default defineTask({ run }) from batchctl, or a function that takes the task context)",
    );
  });

  it("names a CommonJS module whose exports hold no run", async () => {
    fs.writeFileSync(path.join(dir, "purge.js"), "exports.purge = () => 1;\n");
    writeConfig(dir, "tasks:\n  purge: { module: ./purge.js }\n");
    const result = await cli(["run", "purge"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "tasks.purge.module (./purge.js) exports no task: its default export is an object",
    );
  });

  it("runs a CommonJS module that exports { run }", async () => {
    fs.writeFileSync(
      path.join(dir, "purge.js"),
      "module.exports = { run: async () => ({ purged: 3 }) };\n",
    );
    writeConfig(dir, "tasks:\n  purge: { module: ./purge.js }\n");
    const result = await cli(["run", "purge", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: "succeeded",
      result: { purged: 3 },
    });
  });

  it("names a module that throws while loading", async () => {
    fs.writeFileSync(path.join(dir, "purge.ts"), "throw new Error('no');\n");
    writeConfig(dir, "tasks:\n  purge: { module: ./purge.ts }\n");
    const result = await cli(["tasks"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "tasks.purge.module (./purge.ts) could not be loaded: no",
    );
  });

  it("checks the settings a module exports with defineTask", async () => {
    fs.writeFileSync(
      path.join(dir, "purge.mjs"),
      "export default { period: 'fortnight', run() {} };\n",
    );
    writeConfig(dir, "tasks:\n  purge: { module: ./purge.mjs }\n");
    const result = await cli(["run", "purge"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'tasks.purge.module (./purge.mjs) export.period must be one of hour, day, week, month, not "fortnight"',
    );
  });
});

describe("--period", () => {
  beforeEach(() => {
    writeConfig(
      dir,
      `timezone: America/New_York
tasks:
  windows: { sql: "${WINDOW_SQL}", backfill: true }
  current-only: { sql: "${WINDOW_SQL}" }
  collect-object-counts: { objects: { windows: windows } }
`,
    );
  });

  it("runs a backfill task for exactly the period named, with its bounds bound", async () => {
    const result = await cli(["run", "windows", "--period", "2026-11-01"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("windows 2026-11-01: succeeded");
    expect(rows("select * from windows")).toEqual([
      {
        period: "2026-11-01",
        starts: Date.parse("2026-11-01T04:00:00Z"),
        ends: Date.parse("2026-11-02T05:00:00Z"),
        zone: "America/New_York",
      },
    ]);

    const again = await cli(["run", "windows", "--period", "2026-11-01"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("windows 2026-11-01: already done");
    expect(rows("select * from windows")).toHaveLength(1);
  });

  it("refuses a key of the wrong shape for the task's period", async () => {
    const result = await cli(["run", "windows", "--period", "2026-11"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'batchctl: --period: "2026-11" is not a day period key, as tasks.windows.period asks (hint: give one like 2026-12-03)',
    );
  });

  it("refuses a period that has not begun", async () => {
    const result = await cli(["run", "windows", "--period", "2026-12-04"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--period 2026-12-04 has not begun yet in America/New_York (hint: give the current period, 2026-12-03, or an earlier one)",
    );
    expect(rows("select * from windows")).toHaveLength(0);
  });

  it("refuses a task that does not declare backfill", async () => {
    const result = await cli(["run", "current-only", "--period", "2026-11-01"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "task current-only cannot be run for a chosen period: tasks.current-only.backfill is not true",
    );
  });

  it("is refused by collect-object-counts, which counts the present", async () => {
    const result = await cli([
      "run",
      "collect-object-counts",
      "--period",
      "2026-11-01",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "task collect-object-counts cannot be run for a chosen period: it records the present (hint: drop --period",
    );
  });
});

describe("time zones and module settings", () => {
  it("computes a task's period in its own time zone when it sets one", async () => {
    writeConfig(
      dir,
      `timezone: America/New_York
tasks:
  seoul: { sql: "${WINDOW_SQL}", timezone: Asia/Seoul }
`,
    );
    // 16:30 UTC on December 3 is already December 4 in Seoul.
    const result = await cli(["run", "seoul"], {
      BATCHCTL_NOW: "2026-12-03T16:30:00Z",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(rows("select period, zone from windows")).toEqual([
      { period: "2026-12-04", zone: "Asia/Seoul" },
    ]);
  });

  it("takes a module's own settings, and lets the config override them", async () => {
    fs.writeFileSync(
      path.join(dir, "hourly.ts"),
      `import { defineTask } from "batchctl";
export default defineTask({
  period: "hour",
  timezone: "Asia/Seoul",
  async run({ db, period }) {
    await db("windows").insert({ period: period.key, zone: period.timezone });
  },
});
`,
    );
    writeConfig(
      dir,
      "tasks:\n  hourly: { module: ./hourly.ts }\n  daily: { module: ./hourly.ts, period: day, timezone: UTC }\n",
    );
    expect((await cli(["run", "hourly"])).code).toBe(0);
    expect((await cli(["run", "daily"])).code).toBe(0);
    expect(rows("select period, zone from windows order by period")).toEqual([
      { period: "2026-12-03", zone: "UTC" },
      { period: "2026-12-03T23", zone: "Asia/Seoul" },
    ]);
  });

  it("runs a task written inline in a TypeScript config", async () => {
    fs.rmSync(path.join(dir, "batchctl.config.yaml"));
    fs.writeFileSync(
      path.join(dir, "batchctl.config.ts"),
      `import { defineConfig, defineTask } from "batchctl";
import type { TaskContext } from "batchctl";

async function note({ db, period }: TaskContext): Promise<{ key: string }> {
  await db("windows").insert({ period: period.key, zone: period.timezone });
  return { key: period.key };
}

export default defineConfig({
  timezone: "America/New_York",
  tasks: { note: defineTask({ period: "week", run: note }) },
});
`,
    );
    const result = await cli(["run", "note", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      task: "note",
      period: "2026-W49",
      status: "succeeded",
      result: { key: "2026-W49" },
    });
  });
});

describe("log lines", () => {
  beforeEach(() => {
    fs.writeFileSync(
      path.join(dir, "talk.js"),
      `module.exports = async ({ log }) => {
  log.info("purged expired sessions", { deleted: 3 });
  log.warn("slow disk");
};
`,
    );
    writeConfig(dir, "tasks:\n  talk: { module: ./talk.js }\n");
  });

  it("go to stderr as text naming the task, the period and the run", async () => {
    const result = await cli(["run", "talk"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(
      "talk 2026-12-03 (run 1) purged expired sessions deleted=3\ntalk 2026-12-03 (run 1) warn: slow disk\n",
    );
    expect(result.stdout).toContain("talk 2026-12-03: succeeded");
  });

  it("go to stderr as JSON lines with --json, and stdout keeps one object", async () => {
    const result = await cli(["run", "talk", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      expect.objectContaining({
        level: "info",
        task: "talk",
        period: "2026-12-03",
        runId: 1,
        message: "purged expired sessions",
        deleted: 3,
      }),
      expect.objectContaining({ level: "warn", message: "slow disk" }),
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: "succeeded" });
  });
});

describe("batchctl tasks", () => {
  beforeEach(() => {
    fs.writeFileSync(path.join(dir, "noop.js"), "module.exports = () => {};\n");
    writeConfig(
      dir,
      `tasks:
  windows: { sql: "${WINDOW_SQL}", period: month, timeout: 30, backfill: true }
  noop: { module: ./noop.js, period: hour, timezone: Asia/Seoul }
`,
    );
  });

  it("lists each task with its kind, period, last run and whether the current period is done", async () => {
    expect((await cli(["run", "windows"])).code).toBe(0);
    const result = await cli(["tasks"]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toBe("2 tasks, 1 done for the current period");
    expect(lines[1]).toMatch(
      /^TASK\s+KIND\s+PERIOD\s+CURRENT\s+DONE\s+LAST RUN$/,
    );
    expect(lines[2]).toMatch(
      /^windows\s+sql\s+month \(UTC\)\s+2026-12\s+yes\s+succeeded 2026-12-03 14:30:\d\d UTC \(2026-12, run 1\)$/,
    );
    expect(lines[3]).toMatch(
      /^noop\s+module\s+hour \(Asia\/Seoul\)\s+2026-12-03T23\s+no\s+never run$/,
    );
  });

  it("still lists the others when one module does not load, and exits 2", async () => {
    fs.writeFileSync(path.join(dir, "broken.js"), "module.exports = (;\n");
    writeConfig(
      dir,
      `tasks:
  broken: { module: ./broken.js }
  noop: { module: ./noop.js, period: hour, timezone: Asia/Seoul }
`,
    );
    const result = await cli(["tasks"]);
    expect(result.code).toBe(2);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toBe(
      "2 tasks, 0 done for the current period, 1 that cannot be loaded",
    );
    expect(lines[2]).toMatch(/^noop\s+module\s+hour/);
    expect(lines).toHaveLength(3);
    expect(result.stderr).toMatch(
      /^batchctl: batchctl\.config\.yaml: tasks\.broken\.module \(\.\/broken\.js\) could not be loaded: .* \(hint: /,
    );
    expect(result.stderr.trim().split("\n")).toHaveLength(1);

    const json = await cli(["tasks", "--json"]);
    expect(json.code).toBe(2);
    expect(
      JSON.parse(json.stdout).map((task: { task: string }) => task.task),
    ).toEqual(["noop", "broken"]);
  });

  it("prints the same as JSON with --json", async () => {
    expect((await cli(["run", "noop"])).code).toBe(0);
    const result = await cli(["tasks", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const tasks = JSON.parse(result.stdout);
    expect(tasks).toEqual([
      {
        task: "windows",
        kind: "sql",
        period: "month",
        timezone: "UTC",
        timeout: 30,
        backfill: true,
        currentPeriod: {
          key: "2026-12",
          start: "2026-12-01T00:00:00.000Z",
          end: "2027-01-01T00:00:00.000Z",
        },
        currentPeriodDone: false,
        lastRun: null,
      },
      expect.objectContaining({
        task: "noop",
        kind: "module",
        period: "hour",
        timezone: "Asia/Seoul",
        currentPeriod: expect.objectContaining({ key: "2026-12-03T23" }),
        currentPeriodDone: true,
        lastRun: expect.objectContaining({ status: "succeeded", id: 1 }),
      }),
    ]);
  });
});

describe("the abort signal", () => {
  it("reaches a module task on SIGTERM, which exits 4 with its writes rolled back", async () => {
    fs.writeFileSync(
      path.join(dir, "wait.mjs"),
      `import { setTimeout } from "node:timers/promises";
export default async ({ db, period, signal, log }) => {
  await db("windows").insert({ period: period.key });
  log.info("waiting");
  await setTimeout(30_000, undefined, { signal });
};
`,
    );
    writeConfig(dir, "tasks:\n  wait: { module: ./wait.mjs }\n");

    const result = await runCli(["run", "wait"], {
      cwd: dir,
      env: { DATABASE_URL: file },
      onSpawn: (child) => {
        child.stderr?.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("waiting")) child.kill("SIGTERM");
        });
      },
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/wait \S+: interrupted/);
    expect(rows("select * from windows")).toEqual([]);
    expect(rows("select status from batchctl_runs")).toEqual([
      { status: "interrupted" },
    ]);
  });

  it("stops a task that ignores its timeout 4 s later, exit 5, its writes rolled back", async () => {
    fs.writeFileSync(
      path.join(dir, "deaf.mjs"),
      `import { setTimeout } from "node:timers/promises";
export default async ({ db, period }) => {
  await db("windows").insert({ period: period.key });
  if (process.env.DEAF) await setTimeout(30_000);
};
`,
    );
    writeConfig(dir, "tasks:\n  deaf: { module: ./deaf.mjs, timeout: 0.5 }\n");

    const started = Date.now();
    const result = await cli(["run", "deaf"], { DEAF: "1" });
    expect(result.code).toBe(5);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(rows("select * from windows")).toEqual([]);

    // It had no chance to record itself; the next trigger runs the period
    // and marks it abandoned.
    const next = await cli(["run", "deaf"]);
    expect(next.code, next.stderr).toBe(0);
    expect(rows("select status from batchctl_runs order by id")).toEqual([
      { status: "abandoned" },
      { status: "succeeded" },
    ]);
  });
});
