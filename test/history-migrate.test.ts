// `batchctl migrate` and `batchctl history` against real PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { runCli } from "./support/cli";
import {
  APP_CONFIG,
  APP_TABLES_SQL,
  createPgDatabase,
  MIGRATIONS,
  tempDir,
  writeConfig,
} from "./support/databases";
import type { PgDatabase } from "./support/databases";

let db: PgDatabase;
let dir: string;
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { cwd: dir, env: { DATABASE_URL: db.url, ...env } });

beforeAll(async () => {
  db = await createPgDatabase("history");
  dir = tempDir("history");
  writeConfig(dir, APP_CONFIG);
  await db.query(APP_TABLES_SQL);
});

afterAll(async () => {
  await db?.drop();
});

describe("migrate", () => {
  test("--status on a new database lists the migration as pending and creates nothing", async () => {
    const status = await cli(["migrate", "--status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      `0 migrations applied, ${MIGRATIONS.length} pending`,
    );
    for (const name of MIGRATIONS) {
      expect(status.stdout).toContain(`pending  ${name}`);
    }
    const tables = await db.query(
      "select table_name from information_schema.tables where table_name like 'batchctl%'",
    );
    expect(tables.rows).toEqual([]);
  });

  test("history before migrate says to run batchctl migrate", async () => {
    const result = await cli(["history"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "batchctl: batchctl's tables are missing in this database (hint: run `batchctl migrate` first)\n",
    );
  });

  test("applies the migrations, then says it is up to date", async () => {
    const first = await cli(["migrate"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      `Applied ${MIGRATIONS.length} migrations to ${db.url}:\n${MIGRATIONS.map((name) => `  ${name}\n`).join("")}`,
    );
    const second = await cli(["migrate"]);
    expect(second.stdout).toBe(`Already up to date: ${db.url}\n`);
    const status = await cli(["migrate", "--status", "--json"]);
    expect(JSON.parse(status.stdout)).toEqual({
      database: db.url,
      applied: MIGRATIONS,
      pending: [],
    });
  });

  test("keeps its bookkeeping apart from the application's knex tables", async () => {
    await db.query(
      "create table if not exists knex_migrations (id serial primary key, name text, batch int, migration_time timestamptz)",
    );
    await db.query(
      "insert into knex_migrations (name, batch) values ('20200101_app.js', 1)",
    );
    const result = await cli(["migrate"]);
    expect(result.code).toBe(0);
    const own = await db.query("select name from batchctl_migrations");
    expect(own.rows.map((row) => row.name)).toEqual(MIGRATIONS);
    const app = await db.query("select name from knex_migrations");
    expect(app.rows.map((row) => row.name)).toEqual(["20200101_app.js"]);
  });

  test("ten processes migrating at once all exit 0 and leave one schema", async () => {
    const fresh = await createPgDatabase("migrate_race");
    try {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          runCli(["migrate"], { cwd: dir, env: { DATABASE_URL: fresh.url } }),
        ),
      );
      for (const result of results) expect(result.code, result.stderr).toBe(0);
      const applied = results.filter((r) => r.stdout.startsWith("Applied"));
      expect(applied).toHaveLength(1);
      const rows = await fresh.query("select name from batchctl_migrations");
      expect(rows.rows).toHaveLength(MIGRATIONS.length);
    } finally {
      await fresh.drop();
    }
  });
});

describe("history", () => {
  beforeAll(async () => {
    // Three days of triggers: done, turned away, failed and retried.
    const days = ["2026-11-20", "2026-11-30", "2026-12-02"];
    for (const day of days) {
      const env = {
        BATCHCTL_NOW: `${day}T09:00:00Z`,
        BATCHCTL_HOST: `pod-${day}`,
      };
      expect((await cli(["run", "collect-object-counts"], env)).code).toBe(0);
      expect((await cli(["run", "collect-object-counts"], env)).code).toBe(0);
    }
    await db.query("alter table notebook_notebook rename to notebook_gone");
    const failed = await cli(["run", "collect-object-counts"], {
      BATCHCTL_NOW: "2026-12-03T09:00:00Z",
    });
    expect(failed.code).toBe(1);
    await db.query("alter table notebook_gone rename to notebook_notebook");
  });

  const now = { BATCHCTL_NOW: "2026-12-03T12:00:00Z" };

  test("lists runs newest first as a table, hiding skipped triggers", async () => {
    const result = await cli(["history"], now);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("4 runs, newest first; --all adds skipped triggers");
    expect(lines[1]).toMatch(
      /^RUN +TASK +PERIOD +STATUS +STARTED +TOOK +WHERE +JOB +SCHEDULED +DETAIL$/,
    );
    expect(lines.slice(2).map((line) => line.split(/\s+/)[3])).toEqual([
      "failed",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
    expect(lines[2]).toContain('table "notebook_notebook" does not exist');
    // Columns line up: every status starts where the header's STATUS does.
    const column = (lines[1] ?? "").indexOf("STATUS");
    for (const line of lines.slice(2))
      expect(line.slice(column)).toMatch(/^(failed|succeeded)/);
  });

  test("--all includes the triggers that were turned away", async () => {
    const result = await cli(["history", "--all", "--json"], now);
    const runs = JSON.parse(result.stdout);
    expect(runs).toHaveLength(7);
    expect(
      runs.filter((run: { status: string }) => run.status === "skipped"),
    ).toHaveLength(3);
    const started = runs.map((run: { startedAt: string }) => run.startedAt);
    expect(started).toEqual([...started].sort().reverse());
  });

  test.each([
    ["7d", 3],
    ["2w", 4],
    ["24h", 1],
    ["30m", 0],
    ["2026-12-01", 2],
    ["2026-11-30T00:00:00Z", 3],
    ["2026-11-30T09:00:00+09:00", 3],
    ["999999w", 4],
  ])("--since %s", async (since, count) => {
    const result = await cli(["history", "--since", since, "--json"], now);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveLength(count);
  });

  test("--task, --status and --limit narrow the list", async () => {
    const failed = await cli(["history", "--status", "failed", "--json"], now);
    expect(
      JSON.parse(failed.stdout).map((run: { status: string }) => run.status),
    ).toEqual(["failed"]);
    const limited = await cli(["history", "--limit", "2", "--json"], now);
    expect(JSON.parse(limited.stdout)).toHaveLength(2);
    const none = await cli(["history", "--task", "other-task"], now);
    expect(none.stdout).toBe(
      "0 runs, newest first; --all adds skipped triggers\n",
    );
  });

  test.each(["0", "-1", "99999999999999999999", "ten"])(
    "--limit %s is refused",
    async (limit) => {
      const result = await cli(["history", "--limit", limit], now);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /--limit ".*" is not a whole number from 1 to 100000/,
      );
    },
  );

  test("--status with an unknown status lists the statuses", async () => {
    const result = await cli(["history", "--status", "done"], now);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /use one or more of running, succeeded, failed/,
    );
  });
});
