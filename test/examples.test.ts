// The two tasks that "Writing your own task" in the README prints, run from
// examples/tasks exactly as they are there, on PostgreSQL and SQLite.
import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";

import { ROOT, runCli } from "./support/cli";
import { createPgDatabase, tempDir } from "./support/databases";

const EXAMPLES = path.join(ROOT, "examples/tasks");
const SCHEMA = fs.readFileSync(path.join(EXAMPLES, "schema.sql"), "utf8");

/** 09:30 in New York on 2026-12-03: the hour 09, the day 2026-12-03. */
const NOW = "2026-12-03T14:30:00Z";
const ms = (iso: string) => Date.parse(iso);

interface AppDatabase {
  url: string;
  rows(sql: string): Promise<Record<string, unknown>[]>;
}

async function postgres(
  cleanup: (() => Promise<void>)[],
): Promise<AppDatabase> {
  const pg = await createPgDatabase("examples");
  cleanup.push(pg.drop);
  await pg.query(SCHEMA);
  await pg.query(`
    insert into accounts values
      (1, 'trial', '2026-12-01T00:00:00Z'),
      (2, 'trial', '2026-12-09T00:00:00Z'),
      (3, 'pro', null);
    insert into sessions values
      (1, '2026-12-03T13:00:00Z'),
      (2, '2026-12-03T14:10:00Z'),
      (3, '2026-12-03T18:00:00Z');
  `);
  return {
    url: pg.url,
    rows: async (sql) => (await pg.query(sql)).rows,
  };
}

async function sqlite(cleanup: (() => Promise<void>)[]): Promise<AppDatabase> {
  const dir = tempDir("examples");
  cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "app.sqlite");
  const db = new Database(file);
  db.exec(SCHEMA);
  // knex stores a Date in SQLite as milliseconds since the epoch, and binds
  // :start and :end the same way.
  const account = db.prepare("insert into accounts values (?, ?, ?)");
  account.run(1, "trial", ms("2026-12-01T00:00:00Z"));
  account.run(2, "trial", ms("2026-12-09T00:00:00Z"));
  account.run(3, "pro", null);
  const session = db.prepare("insert into sessions values (?, ?)");
  session.run(1, ms("2026-12-03T13:00:00Z"));
  session.run(2, ms("2026-12-03T14:10:00Z"));
  session.run(3, ms("2026-12-03T18:00:00Z"));
  db.close();
  return {
    url: file,
    rows: async (sql) => {
      const reader = new Database(file, { readonly: true });
      try {
        return reader.prepare(sql).all() as Record<string, unknown>[];
      } finally {
        reader.close();
      }
    },
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup) await step();
});

describe.each([
  ["PostgreSQL", postgres],
  ["SQLite", sqlite],
] as const)("the README's example tasks on %s", (_, open) => {
  it("close trials and count plans once a day, and purge sessions once an hour", async () => {
    const app = await open(cleanup);
    const cli = (args: string[]) =>
      runCli(args, {
        cwd: EXAMPLES,
        env: { DATABASE_URL: app.url, BATCHCTL_NOW: NOW },
      });

    expect((await cli(["migrate"])).code).toBe(0);

    const trials = await cli(["run", "close-trials"]);
    expect(trials.code, trials.stderr).toBe(0);
    expect(trials.stdout).toContain("close-trials 2026-12-03: succeeded");
    expect(await app.rows("select id, plan from accounts order by id")).toEqual(
      [
        { id: 1, plan: "free" },
        { id: 2, plan: "trial" },
        { id: 3, plan: "pro" },
      ],
    );
    expect(
      await app.rows(
        "select day, plan, accounts from plan_counts order by plan",
      ),
    ).toEqual([
      { day: "2026-12-03", plan: "free", accounts: 1 },
      { day: "2026-12-03", plan: "pro", accounts: 1 },
      { day: "2026-12-03", plan: "trial", accounts: 1 },
    ]);

    const purge = await cli(["run", "purge-sessions"]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toContain("purge-sessions 2026-12-03T09: succeeded");
    expect(purge.stderr).toMatch(
      /^purge-sessions 2026-12-03T09 \(run \d+\) purged expired sessions deleted=1$/m,
    );
    // Session 2 expired at 09:10, after the hour began: the next hour's run
    // takes it.
    expect(await app.rows("select id from sessions order by id")).toEqual([
      { id: 2 },
      { id: 3 },
    ]);
    expect(await app.rows("select * from session_purges")).toEqual([
      { hour: "2026-12-03T09", deleted: 1 },
    ]);

    const again = await Promise.all([
      cli(["run", "close-trials"]),
      cli(["run", "purge-sessions"]),
    ]);
    for (const result of again) {
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("already done");
    }
    expect(
      Number((await app.rows("select count(*) as n from plan_counts"))[0]?.n),
    ).toBe(3);

    const tasks = await cli(["tasks"]);
    expect(tasks.code, tasks.stderr).toBe(0);
    expect(tasks.stdout).toMatch(
      /^close-trials\s+sql\s+day \(America\/New_York\)\s+2026-12-03\s+yes/m,
    );
    expect(tasks.stdout).toMatch(
      /^purge-sessions\s+module\s+hour \(America\/New_York\)\s+2026-12-03T09\s+yes/m,
    );
  });
});

describe("the README's inline task", () => {
  it("closes the invoices of the months before once, from a TypeScript config", async () => {
    const dir = tempDir("inline");
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "app.sqlite");
    const db = new Database(file);
    db.exec(
      "create table invoices (id integer primary key, issued_at integer, closed_in text)",
    );
    const invoice = db.prepare("insert into invoices values (?, ?, null)");
    invoice.run(1, ms("2026-11-20T10:00:00Z"));
    invoice.run(2, ms("2026-12-02T10:00:00Z"));
    db.close();

    const cli = (args: string[]) =>
      runCli(args, {
        cwd: path.join(ROOT, "examples/inline"),
        env: { DATABASE_URL: file, BATCHCTL_NOW: "2026-12-03T12:00:00Z" },
      });
    expect((await cli(["migrate"])).code).toBe(0);
    const first = await cli(["run", "close-month"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("closed invoices closed=1");
    const second = await cli(["run", "close-month"]);
    expect(second.stdout).toContain("close-month 2026-12: already done");

    const reader = new Database(file, { readonly: true });
    expect(reader.prepare("select id, closed_in from invoices").all()).toEqual([
      { id: 1, closed_in: "2026-12" },
      { id: 2, closed_in: null },
    ]);
    reader.close();
  });
});
