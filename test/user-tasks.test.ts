// Each kind of task a user writes (SQL, a JavaScript module, a TypeScript
// module, a function in a JavaScript config) run by the CLI on PostgreSQL
// and SQLite: its writes commit with its run or not at all, and however many
// triggers arrive, it executes once per period.
import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ROOT, runCli } from "./support/cli";
import type { CliResult } from "./support/cli";
import { createPgDatabase, tempDir } from "./support/databases";
import type { PgDatabase } from "./support/databases";

type Dialect = "postgres" | "sqlite";
type Kind = "sql" | "module-js" | "module-ts" | "inline";

const KINDS: Kind[] = ["sql", "module-js", "module-ts", "inline"];
const CONCURRENT_TRIGGERS = 20;
/** Twenty processes start at once on a small machine: give them time. */
const CONCURRENT_TIMEOUT_MS = 240_000;

/** Statements that take seconds, to run past a timeout of half a second. */
const SLOW_SQL: Record<Dialect, string> = {
  postgres: "select pg_sleep(5)",
  sqlite:
    "with recursive c(x) as (select 1 union all select x + 1 from c where x < 8000000) select count(*) from c",
};

const APP_SQL = "create table effects (period text not null, source text)";

/** Shared by the module and inline tasks: write, then do what TASK_MODE says. */
const taskBody = (dialect: Dialect) => `
    fs.appendFileSync(process.env.EXECUTIONS_FILE, period.key + "\\n");
    await db("effects").insert({ period: period.key, source: task });
    log.info("wrote one effect", { period: period.key });
    if (process.env.TASK_MODE === "throw") throw new Error("the task broke");
    if (process.env.TASK_MODE === "slow") await db.raw(${JSON.stringify(SLOW_SQL[dialect])});
    return { wrote: 1 };`;

function writeFixtures(dir: string, dialect: Dialect): void {
  const slow = JSON.stringify(SLOW_SQL[dialect]);
  fs.writeFileSync(
    path.join(dir, "batchctl.config.yaml"),
    `timezone: UTC
tasks:
  sql:
    sql: "insert into effects (period, source) values (:key, 'sql')"
  sql-throws:
    sql:
      - "insert into effects (period, source) values (:key, 'sql')"
      - "insert into effects (period, source) values (null, 'sql')"
  sql-question:
    sql: "insert into effects (period, source) values (:key, 'why?')"
  sql-slow:
    timeout: 0.5
    sql:
      - "insert into effects (period, source) values (:key, 'sql')"
      - ${slow}
  module-js: { module: ./task.js }
  module-js-slow: { module: ./task.js, timeout: 0.5 }
  module-ts: { module: ./task.ts }
  module-ts-slow: { module: ./task.ts, timeout: 0.5 }
`,
  );
  fs.writeFileSync(
    path.join(dir, "task.js"),
    `const fs = require("node:fs");
module.exports = async ({ db, period, task, log }) => {${taskBody(dialect)}
};
`,
  );
  fs.writeFileSync(
    path.join(dir, "task.ts"),
    `import fs from "node:fs";
import { defineTask } from "batchctl";
import type { TaskContext } from "batchctl";

export default defineTask({
  async run({ db, period, task, log }: TaskContext) {${taskBody(dialect)}
  },
});
`,
  );
  fs.writeFileSync(
    path.join(dir, "inline.config.mjs"),
    `import fs from "node:fs";
import { defineConfig, defineTask } from "batchctl";

const inline = defineTask({
  async run({ db, period, task, log }) {${taskBody(dialect)}
  },
});

export default defineConfig({
  tasks: {
    inline,
    "inline-slow": { ...inline, timeout: 0.5 },
  },
});
`,
  );
  // The modules import batchctl as an application that installed it would.
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(ROOT, path.join(dir, "node_modules", "batchctl"));
}

interface Setup {
  dir: string;
  url: string;
  count(sql: string, ...values: string[]): Promise<number>;
  close(): Promise<void>;
}

async function setUp(dialect: Dialect): Promise<Setup> {
  const dir = tempDir(`user-tasks-${dialect}`);
  writeFixtures(dir, dialect);

  if (dialect === "sqlite") {
    const file = path.join(dir, "app.sqlite");
    new Database(file).exec(APP_SQL).close();
    return {
      dir,
      url: file,
      count: async (sql, ...values) => {
        const db = new Database(file, { readonly: true });
        try {
          const row = db.prepare(sql).get(...values) as { n: number };
          return Number(row.n);
        } finally {
          db.close();
        }
      },
      close: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }

  const pg: PgDatabase = await createPgDatabase("user_tasks");
  await pg.query(APP_SQL);
  return {
    dir,
    url: pg.url,
    count: async (sql, ...values) => {
      let n = 0;
      const text = sql.replace(/\?/g, () => `'${values[n++]}'`);
      const result = await pg.query(text);
      return Number(result.rows[0].n);
    },
    close: async () => {
      await pg.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.each<Dialect>(["postgres", "sqlite"])(
  "user tasks on %s",
  (dialect) => {
    let setup: Setup;
    let day = 0;

    beforeAll(async () => {
      setup = await setUp(dialect);
      const migrated = await runCli(["migrate"], {
        cwd: setup.dir,
        env: { DATABASE_URL: setup.url },
      });
      expect(migrated.code, migrated.stderr).toBe(0);
    });
    afterAll(() => setup?.close());

    /** A fresh period for each test, so tests do not see each other's runs. */
    const nextPeriod = () => {
      day += 1;
      const key = `2026-11-${String(day).padStart(2, "0")}`;
      return { key, now: `${key}T12:00:00Z` };
    };

    const trigger = (
      kind: Kind,
      task: string,
      now: string,
      mode = "ok",
    ): Promise<CliResult> =>
      runCli(
        [
          ...(kind === "inline" ? ["--config", "inline.config.mjs"] : []),
          "run",
          task,
        ],
        {
          cwd: setup.dir,
          env: {
            DATABASE_URL: setup.url,
            BATCHCTL_NOW: now,
            TASK_MODE: mode,
            EXECUTIONS_FILE: path.join(setup.dir, `executions-${task}-${now}`),
          },
        },
      );

    const effects = (period: string, source: string) =>
      setup.count(
        "select count(*) as n from effects where period = ? and source = ?",
        period,
        source,
      );
    const runs = (task: string, period: string, status: string) =>
      setup.count(
        "select count(*) as n from batchctl_runs where task = ? and period = ? and status = ?",
        task,
        period,
        status,
      );
    const claims = (task: string, period: string) =>
      setup.count(
        "select count(*) as n from batchctl_periods where task = ? and period = ?",
        task,
        period,
      );
    const executions = (task: string, now: string) => {
      const file = path.join(setup.dir, `executions-${task}-${now}`);
      return fs.existsSync(file)
        ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length
        : 0;
    };

    describe.each(KINDS)("a %s task", (kind) => {
      it("commits its writes with a succeeded run, and a second trigger of the period does nothing", async () => {
        const { key, now } = nextPeriod();

        const first = await trigger(kind, kind, now);
        expect(first.code, first.stderr).toBe(0);
        expect(first.stdout).toContain(`${kind} ${key}: succeeded`);
        const second = await trigger(kind, kind, now);
        expect(second.code, second.stderr).toBe(0);
        expect(second.stdout).toContain("already done");

        expect(await effects(key, kind)).toBe(1);
        expect(await runs(kind, key, "succeeded")).toBe(1);
        expect(await runs(kind, key, "skipped")).toBe(1);
        if (kind !== "sql") expect(executions(kind, now)).toBe(1);
      });

      it("rolls back its writes when it throws, and the next trigger runs it again", async () => {
        const { key, now } = nextPeriod();
        const task = kind === "sql" ? "sql-throws" : kind;

        const failed = await trigger(kind, task, now, "throw");
        expect(failed.code).toBe(1);
        expect(failed.stderr).toContain(`${task} ${key}: failed`);
        expect(await effects(key, task)).toBe(0);
        expect(await claims(task, key)).toBe(0);
        expect(await runs(task, key, "failed")).toBe(1);

        if (kind === "sql") return;
        const retried = await trigger(kind, task, now);
        expect(retried.code, retried.stderr).toBe(0);
        expect(await effects(key, task)).toBe(1);
        expect(await claims(task, key)).toBe(1);
      });

      it("rolls back its writes and exits 5 when it runs past its timeout", async () => {
        const { key, now } = nextPeriod();
        const task = `${kind}-slow`;

        const result = await trigger(kind, task, now, "slow");
        expect(result.code, result.stderr).toBe(5);
        expect(result.stderr).toContain(`${task} ${key}: timed out`);
        expect(await effects(key, task === "sql-slow" ? "sql" : task)).toBe(0);
        expect(await claims(task, key)).toBe(0);
        expect(await runs(task, key, "timed_out")).toBe(1);
      });

      it(`executes once for ${CONCURRENT_TRIGGERS} concurrent triggers of one period`, async () => {
        const { key, now } = nextPeriod();

        const results = await Promise.all(
          Array.from({ length: CONCURRENT_TRIGGERS }, () =>
            trigger(kind, kind, now),
          ),
        );
        for (const result of results)
          expect(result.code, result.stderr).toBe(0);

        expect(await effects(key, kind)).toBe(1);
        expect(await runs(kind, key, "succeeded")).toBe(1);
        expect(await runs(kind, key, "skipped")).toBe(CONCURRENT_TRIGGERS - 1);
        if (kind !== "sql") expect(executions(kind, now)).toBe(1);
      });
    });

    it("keeps a ? in a SQL statement as written, beside its parameters", async () => {
      const { key, now } = nextPeriod();
      const result = await trigger("sql", "sql-question", now);
      expect(result.code, result.stderr).toBe(0);
      expect(await effects(key, "why?")).toBe(1);
    });
  },
);
