// estimate: true reads PostgreSQL's planner statistics instead of counting.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "./support/cli";
import { createPgDatabase, tempDir, writeConfig } from "./support/databases";
import type { PgDatabase } from "./support/databases";

const CONFIG = `
tasks:
  collect-object-counts:
    objects:
      events: { table: events, estimate: true }
      fresh: { table: fresh, estimate: true }
      users: users
      everyone: { table: users_view, estimate: true }
`;

describe("collect-object-counts with estimate: true on PostgreSQL", () => {
  let db: PgDatabase;
  let config: string;

  beforeAll(async () => {
    db = await createPgDatabase("estimate");
    // Autovacuum off, so the statistics stay as ANALYZE left them and the
    // estimate is told apart from a count by the rows added since.
    await db.query(`
      create table events (id integer) with (autovacuum_enabled = false);
      insert into events select g from generate_series(1, 1000) g;
      analyze events;
      insert into events select g from generate_series(1, 500) g;
      create table fresh (id integer) with (autovacuum_enabled = false);
      insert into fresh select g from generate_series(1, 7) g;
      create table users (id integer);
      insert into users select g from generate_series(1, 3) g;
      create view users_view as select * from users;
    `);
    config = writeConfig(tempDir("estimate"), CONFIG);
    const migrated = await runCli(["migrate", "-c", config], {
      env: { DATABASE_URL: db.url },
    });
    expect(migrated.code).toBe(0);
  });

  afterAll(() => db?.drop());

  it("reports the analyzed row count, counts a never-analyzed table or a view, and says which is which", async () => {
    const result = await runCli(
      ["run", "collect-object-counts", "-c", config, "--json"],
      { env: { DATABASE_URL: db.url } },
    );

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { result: counts } = JSON.parse(result.stdout);
    expect(counts).toEqual({
      counts: { events: 1000, fresh: 7, users: 3, everyone: 3 },
      estimated: ["events"],
    });
    const snapshot = await db.query(
      'select object, count from batchctl_object_counts order by object collate "C"',
    );
    expect(snapshot.rows).toEqual([
      { object: "events", count: "1000" },
      { object: "everyone", count: "3" },
      { object: "fresh", count: "7" },
      { object: "users", count: "3" },
    ]);
  });

  it("marks estimated counts in the run report", async () => {
    const result = await runCli(
      ["run", "collect-object-counts", "-c", config],
      {
        env: { DATABASE_URL: db.url, BATCHCTL_NOW: "2026-01-02T00:00:00Z" },
      },
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}events +1000 {2}\(estimate\)$/m);
    expect(result.stdout).toMatch(/^ {2}fresh +7$/m);
  });

  it("fails the run naming the object when an estimated table is missing", async () => {
    const missing = writeConfig(
      tempDir("estimate-missing"),
      "tasks:\n  collect-object-counts:\n    objects:\n" +
        "      gone: { table: no_such_table, estimate: true }\n",
    );
    const result = await runCli(
      ["run", "collect-object-counts", "-c", missing],
      {
        env: { DATABASE_URL: db.url, BATCHCTL_NOW: "2026-01-03T00:00:00Z" },
      },
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'table "no_such_table" does not exist (tasks.collect-object-counts.objects.gone)',
    );
  });
});

describe("estimate: true in the config", () => {
  it("is a config error together with where", async () => {
    const config = writeConfig(
      tempDir("estimate-where"),
      "database: postgres://nobody@127.0.0.1:1/none\n" +
        "tasks:\n  collect-object-counts:\n    objects:\n" +
        "      live: { table: t, where: { archived: false }, estimate: true }\n",
    );
    const result = await runCli(["run", "collect-object-counts", "-c", config]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "tasks.collect-object-counts.objects.live.estimate cannot be combined with where",
    );
  });

  it("is a config error on SQLite, before the database is opened", async () => {
    const dir = tempDir("estimate-sqlite");
    const config = writeConfig(
      dir,
      "database: batchctl.sqlite\n" +
        "tasks:\n  collect-object-counts:\n    objects:\n" +
        "      big: { table: t, estimate: true }\n",
    );
    const result = await runCli(["run", "collect-object-counts", "-c", config]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "tasks.collect-object-counts.objects.big.estimate needs PostgreSQL",
    );
    expect(result.stderr).toContain("hint: remove estimate");
  });

  it("must be true or false", async () => {
    const config = writeConfig(
      tempDir("estimate-type"),
      "tasks:\n  collect-object-counts:\n    objects:\n" +
        '      big: { table: t, estimate: "yes" }\n',
    );
    const result = await runCli(["run", "collect-object-counts", "-c", config]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'tasks.collect-object-counts.objects.big.estimate must be true or false, not "yes"',
    );
  });
});
