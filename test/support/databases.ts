// Real databases for tests: a fresh PostgreSQL database per test file, made
// on the server at BATCHCTL_TEST_DATABASE_URL, and SQLite files in a temp
// folder. A server that is not there fails the test; nothing is skipped.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import pg from "pg";

export const ADMIN_URL =
  process.env.BATCHCTL_TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

export function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.href;
}

export async function adminQuery(sql: string, database?: string) {
  const client = new pg.Client({
    connectionString: database ? urlFor(database) : ADMIN_URL,
  });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface PgDatabase {
  name: string;
  url: string;
  query: (sql: string) => Promise<pg.QueryResult>;
  drop: () => Promise<void>;
}

/** A new, empty PostgreSQL database; `drop` removes it. */
export async function createPgDatabase(prefix: string): Promise<PgDatabase> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
  await adminQuery(`create database "${name}"`);
  return {
    name,
    url: urlFor(name),
    query: (sql) => adminQuery(sql, name),
    drop: () =>
      adminQuery(`drop database if exists "${name}" with (force)`).then(
        () => undefined,
      ),
  };
}

/** The rows a query reads from a SQLite file, opened read-only. */
export function sqliteRows(
  file: string,
  sql: string,
): Record<string, unknown>[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

/** A temp folder for SQLite files and config files. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `batchctl-${prefix}-`));
}

/** Writes a YAML config into `dir` and returns its path. */
export function writeConfig(
  dir: string,
  yaml: string,
  name = "batchctl.config.yaml",
) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}

/** The four objects of the original job, as application tables. */
export const APP_TABLES_SQL = `
  create table notebook_notebook (id integer primary key);
  create table inference_inference (id integer primary key);
  create table hyperparameter_hyperparameter (id integer primary key);
  create table pipeline_pipeline (id integer primary key, is_template boolean not null);
  insert into notebook_notebook (id) values (1), (2), (3);
  insert into inference_inference (id) values (1), (2);
  insert into hyperparameter_hyperparameter (id) values (1);
  insert into pipeline_pipeline (id, is_template) values (1, false), (2, false), (3, true);
`;

export const APP_CONFIG = `
timezone: UTC
tasks:
  collect-object-counts:
    objects:
      notebook: notebook_notebook
      model_serving: inference_inference
      hyperparameter: hyperparameter_hyperparameter
      pipeline: { table: pipeline_pipeline, where: { is_template: false } }
`;

/** batchctl's migrations, in the order they apply. */
export const MIGRATIONS = fs
  .readdirSync(path.join(__dirname, "../../migrations"))
  .filter((file) => file.endsWith(".js"))
  .sort();
