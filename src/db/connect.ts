/**
 * One knex connection pool per process, to PostgreSQL or SQLite. At most two
 * connections: the run's transaction, and one to record its outcome or
 * cancel its query.
 */
import fs from "node:fs";
import path from "node:path";

import knex from "knex";
import type { Knex } from "knex";

import type { Config } from "../config/types";
import { BatchctlError } from "../errors";
import { redact } from "../redact";
import { connectionError, isTooManyConnections } from "./errors";
import { parseDatabase } from "./url";
import type { DatabaseTarget, Dialect } from "./url";

export interface Database {
  knex: Knex;
  dialect: Dialect;
  /** The address with its password masked. */
  display: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Create a missing SQLite file (only `migrate` does). */
  create?: boolean;
}

export async function openDatabase(
  config: Config,
  options: OpenOptions = {},
): Promise<Database> {
  const baseDir = config.filepath
    ? path.dirname(config.filepath)
    : process.cwd();
  const target = parseDatabase(config.database, baseDir);
  const instance = knex({
    ...knexConfig(target, config.connectTimeoutMs, options),
    log: quietLog,
  });
  const db: Database = {
    knex: instance,
    dialect: target.dialect,
    display: target.display,
    close: () => instance.destroy(),
  };

  const giveUpAt = Date.now() + config.connectTimeoutMs;
  for (;;) {
    try {
      await instance.raw("select 1");
      return db;
    } catch (error) {
      // A storm of triggers can fill max_connections for a moment; most of
      // them are about to leave, so wait for a free slot like for a server.
      if (isTooManyConnections(error) && Date.now() < giveUpAt) {
        await sleep(BUSY_RETRY_MS + Math.random() * BUSY_RETRY_MS);
        continue;
      }
      await db.close().catch(() => undefined);
      throw connectionError(error, target.display) ?? error;
    }
  }
}

const BUSY_RETRY_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * knex logs pool errors to the console on its own; batchctl reports them
 * once, through its error path. DEBUG shows knex's lines too.
 */
const quietLog = {
  warn: (message: unknown) => debugLog(message),
  error: (message: unknown) => debugLog(message),
  deprecate: (message: unknown) => debugLog(message),
  debug: (message: unknown) => debugLog(message),
};

function debugLog(message: unknown): void {
  if (process.env.DEBUG) process.stderr.write(`${redact(String(message))}\n`);
}

function createFolderOf(file: string, display: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (error) {
    throw new BatchctlError(
      "config",
      `cannot create the folder of ${display}: ${(error as Error).message}`,
      {
        hint: "point DATABASE_URL or `database` at a SQLite file in a folder you may write to",
        cause: error,
      },
    );
  }
}

function knexConfig(
  target: DatabaseTarget,
  connectTimeoutMs: number,
  options: OpenOptions,
): Knex.Config {
  if (target.dialect === "sqlite") {
    const file = target.file as string;
    if (!options.create && !fs.existsSync(file)) {
      throw new BatchctlError(
        "not_migrated",
        `no batchctl database at ${target.display}`,
        { hint: "run `batchctl migrate` to create it, or set DATABASE_URL" },
      );
    }
    if (options.create) createFolderOf(file, target.display);
    return {
      client: "better-sqlite3",
      connection: { filename: file },
      useNullAsDefault: true,
      pool: { min: 1, max: 1 },
    };
  }

  return {
    client: "pg",
    connection: {
      connectionString: (target.url as URL).href,
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: "batchctl",
    },
    pool: { min: 0, max: 2 },
    acquireConnectionTimeout: connectTimeoutMs + 1_000,
  };
}
