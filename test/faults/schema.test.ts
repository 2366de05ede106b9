// Schema state: many pods may run `batchctl migrate` as an init container at
// once, and a trigger may reach a database nobody migrated. Neither may leave
// a half-made schema or create tables behind the user's back.
import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../support/cli";
import { createPgDatabase, tempDir, writeConfig } from "../support/databases";
import type { PgDatabase } from "../support/databases";
import { configYaml, TASK } from "./support";

const MIGRATORS = 10;
const MIGRATIONS = fs
  .readdirSync(path.resolve(__dirname, "../../migrations"))
  .filter((file) => file.endsWith(".js"));
const TABLES = [
  "batchctl_migrations",
  "batchctl_migrations_lock",
  "batchctl_object_counts",
  "batchctl_periods",
  "batchctl_runs",
];

let dir: string;
let config: string;
const databases: PgDatabase[] = [];
beforeAll(() => {
  dir = tempDir("faults-schema");
  config = writeConfig(dir, configYaml());
});
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

async function emptyPg(): Promise<PgDatabase> {
  const db = await createPgDatabase("faults_schema");
  databases.push(db);
  return db;
}

const cli = (args: string[], database: string) =>
  runCli(args, {
    cwd: dir,
    env: { DATABASE_URL: database, BATCHCTL_CONFIG: config },
  });

async function pgTables(db: PgDatabase): Promise<string[]> {
  const { rows } = await db.query(
    `select table_name from information_schema.tables
     where table_schema = 'public' order by table_name`,
  );
  return rows.map((row) => row.table_name);
}

describe("concurrent migrate", () => {
  it(`applies the schema once when ${MIGRATORS} processes migrate an empty PostgreSQL database at once`, async () => {
    const db = await emptyPg();
    const results = await Promise.all(
      Array.from({ length: MIGRATORS }, () => cli(["migrate"], db.url)),
    );

    expect(results.map((result) => result.stderr)).toEqual(
      Array(MIGRATORS).fill(""),
    );
    expect(results.map((result) => result.code)).toEqual(
      Array(MIGRATORS).fill(0),
    );
    const applied = results.filter((result) =>
      result.stdout.startsWith("Applied"),
    );
    expect(applied).toHaveLength(1);
    expect(await pgTables(db)).toEqual(TABLES);
    const { rows } = await db.query(
      "select name from batchctl_migrations order by name",
    );
    expect(rows.map((row) => row.name)).toEqual(MIGRATIONS);

    const history = await cli(["history"], db.url);
    expect(history.code).toBe(0);
  });

  it(`applies the schema once when ${MIGRATORS} processes migrate a new SQLite file at once`, async () => {
    const file = path.join(tempDir("faults-schema-sqlite"), "batchctl.sqlite");
    const results = await Promise.all(
      Array.from({ length: MIGRATORS }, () => cli(["migrate"], file)),
    );

    expect(results.map((result) => result.stderr)).toEqual(
      Array(MIGRATORS).fill(""),
    );
    expect(results.map((result) => result.code)).toEqual(
      Array(MIGRATORS).fill(0),
    );
    const sqlite = new Database(file, { readonly: true });
    try {
      const tables = sqlite
        .prepare(
          "select name from sqlite_master where type = 'table' and name like 'batchctl%' order by name",
        )
        .all()
        .map((row) => (row as { name: string }).name);
      expect(tables).toEqual(TABLES);
      const names = sqlite
        .prepare("select name from batchctl_migrations order by name")
        .all()
        .map((row) => (row as { name: string }).name);
      expect(names).toEqual(MIGRATIONS);
      // knex's lock: one row. Two, from racing inserts, lock it for good.
      const locks = sqlite
        .prepare("select count(*) as n from batchctl_migrations_lock")
        .get() as { n: number };
      expect(locks.n).toBe(1);
    } finally {
      sqlite.close();
    }
  });
});

describe("a database that was never migrated", () => {
  for (const command of [["run", TASK], ["history"]]) {
    it(`${command[0]} on PostgreSQL says to run batchctl migrate, exits 2 and creates nothing`, async () => {
      const db = await emptyPg();
      const result = await cli(command, db.url);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/batchctl migrate/);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(await pgTables(db)).toEqual([]);
    });

    it(`${command[0]} on SQLite says to run batchctl migrate, exits 2 and creates no file`, async () => {
      const folder = tempDir("faults-schema-none");
      const file = path.join(folder, "batchctl.sqlite");
      const result = await cli(command, file);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/batchctl migrate/);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(fs.readdirSync(folder)).toEqual([]);
    });
  }
});
