/**
 * Applies batchctl's own migrations. Any number of processes may migrate at
 * once: on PostgreSQL they queue on an advisory lock; on SQLite they retry
 * while another holds knex's migration lock.
 */
import fs from "node:fs";
import path from "node:path";

import type { Knex } from "knex";

import type { Database } from "./connect";
import { isClaimBusy } from "./errors";

export const MIGRATIONS_TABLE = "batchctl_migrations";

/** pg_advisory_lock key for migrations: "batchctl" read as ASCII digits. */
const MIGRATE_LOCK_KEY = "6298116104";

const SQLITE_RETRY_MS = 50;
const SQLITE_GIVE_UP_MS = 60_000;

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

function migrationsDirectory(): string {
  // dist/cli.js in the package and src/db/*.ts under test: walk up to it.
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, "migrations");
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error("batchctl's migrations/ folder is missing");
    dir = parent;
  }
}

function migratorConfig(): Knex.MigratorConfig {
  return {
    directory: migrationsDirectory(),
    tableName: MIGRATIONS_TABLE,
    loadExtensions: [".js"],
  };
}

const nameOf = (entry: unknown) =>
  typeof entry === "string"
    ? entry
    : String(
        (entry as { name?: string; file?: string }).name ??
          (entry as { file?: string }).file,
      );

/** Applies pending migrations; returns the names applied now. */
export async function migrateLatest(db: Database): Promise<string[]> {
  if (db.dialect === "postgres") {
    return withAdvisoryLock(db.knex, async () => latest(db.knex));
  }
  await db.knex.raw("pragma journal_mode = wal");
  return retryWhileLocked(async () => {
    await prepareLockTable(db.knex);
    return latest(db.knex);
  });
}

/**
 * knex makes its lock table, then inserts its one row if a read finds none:
 * two processes migrating a new SQLite file at once can both insert, and
 * with two rows knex finds its lock taken for good. Here it is one
 * transaction, which SQLite runs one at a time; a loser is retried.
 */
async function prepareLockTable(instance: Knex): Promise<void> {
  const table = `${MIGRATIONS_TABLE}_lock`;
  await instance.transaction(async (trx) => {
    // A write first, so the transaction holds the write lock before it reads.
    await trx.schema.createTableIfNotExists(table, (columns) => {
      columns.increments("index").primary();
      columns.integer("is_locked");
    });
    const [row] = await trx(table).count({ rows: "*" });
    if (Number(row?.rows) === 0) await trx(table).insert({ is_locked: 0 });
  });
}

async function latest(instance: Knex): Promise<string[]> {
  const [, applied] = (await instance.migrate.latest(migratorConfig())) as [
    number,
    string[],
  ];
  return applied.map(nameOf);
}

/**
 * Reads the bookkeeping table itself: knex's migrate.list() would create it
 * when it looks missing, and a status check writes nothing.
 */
export async function migrationStatus(db: Database): Promise<MigrationStatus> {
  const files = fs
    .readdirSync(migrationsDirectory())
    .filter((file) => file.endsWith(".js"))
    .sort();
  if (!(await hasMigrationsTable(db))) return { applied: [], pending: files };

  const rows: { name: string }[] = await db
    .knex(MIGRATIONS_TABLE)
    .select("name")
    .orderBy("id");
  const applied = rows.map((row) => row.name);
  return { applied, pending: files.filter((file) => !applied.includes(file)) };
}

/**
 * On PostgreSQL, knex's hasTable reads information_schema, which leaves out
 * tables the user has no grant on: a user who may not read the bookkeeping
 * would be told every migration is pending. to_regclass sees the table
 * whatever the grants, and the read that follows says what is missing.
 */
async function hasMigrationsTable(db: Database): Promise<boolean> {
  if (db.dialect !== "postgres") {
    return db.knex.schema.hasTable(MIGRATIONS_TABLE);
  }
  const { rows } = await db.knex.raw<{ rows: { found: boolean }[] }>(
    "select to_regclass(?) is not null as found",
    [MIGRATIONS_TABLE],
  );
  return rows[0]?.found === true;
}

async function withAdvisoryLock<T>(
  instance: Knex,
  work: () => Promise<T>,
): Promise<T> {
  // A session lock on a connection of its own; knex migrates on the other.
  const connection = await instance.client.acquireConnection();
  try {
    await instance
      .raw(`select pg_advisory_lock(${MIGRATE_LOCK_KEY})`)
      .connection(connection);
    try {
      return await work();
    } finally {
      await instance
        .raw(`select pg_advisory_unlock(${MIGRATE_LOCK_KEY})`)
        .connection(connection);
    }
  } finally {
    await instance.client.releaseConnection(connection);
  }
}

function isMigrationRace(error: unknown): boolean {
  const message = String((error as Error)?.message);
  return (
    isClaimBusy(error) ||
    (error as Error)?.name === "MigrationLocked" ||
    /already locked|already exists/i.test(message)
  );
}

async function retryWhileLocked<T>(work: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + SQLITE_GIVE_UP_MS;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!isMigrationRace(error) || Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, SQLITE_RETRY_MS));
    }
  }
}
