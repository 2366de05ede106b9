// Shared set-up for the fault tests: a migrated PostgreSQL database with the
// application's tables and a config that counts them, and a slow view that
// keeps a run busy long enough to be killed, stopped or cut off.
import net from "node:net";

import { runCli } from "../support/cli";
import type { CliOptions, CliResult } from "../support/cli";
import {
  APP_TABLES_SQL,
  createPgDatabase,
  tempDir,
  writeConfig,
} from "../support/databases";
import type { PgDatabase } from "../support/databases";

export const TASK = "collect-object-counts";

/** The four application tables plus a view that sleeps `seconds` per count. */
export function slowViewSql(seconds: number): string {
  return `create view slow as select 1 as x from pg_sleep(${seconds});`;
}

/** A config counting the application tables and, when asked, the slow view. */
export function configYaml(options: { slow?: boolean; tz?: string } = {}) {
  return `
timezone: ${options.tz ?? "UTC"}
tasks:
  ${TASK}:
    objects:
      notebook: notebook_notebook
      model_serving: inference_inference
${options.slow ? "      slow: slow\n" : ""}      hyperparameter: hyperparameter_hyperparameter
      pipeline: { table: pipeline_pipeline, where: { is_template: false } }
`;
}

export const OBJECTS = [
  "notebook",
  "model_serving",
  "hyperparameter",
  "pipeline",
];
export const SLOW_OBJECTS = [...OBJECTS, "slow"];

export interface Workspace {
  db: PgDatabase;
  dir: string;
  /** Runs the CLI against this database and config. */
  cli: (
    args: string[],
    env?: Record<string, string | undefined>,
    options?: Omit<CliOptions, "env" | "cwd">,
  ) => Promise<CliResult>;
}

/** A fresh database with the application tables, migrated unless asked. */
export async function workspace(
  prefix: string,
  options: {
    sql?: string;
    config?: string;
    migrate?: boolean;
    url?: string;
  } = {},
): Promise<Workspace> {
  const db = await createPgDatabase(prefix);
  await db.query(APP_TABLES_SQL + (options.sql ?? ""));
  const dir = tempDir(prefix);
  const config = writeConfig(dir, options.config ?? configYaml());
  const cli: Workspace["cli"] = (args, env = {}, rest = {}) =>
    runCli(args, {
      ...rest,
      cwd: dir,
      env: {
        DATABASE_URL: options.url ?? db.url,
        BATCHCTL_CONFIG: config,
        ...env,
      },
    });
  if (options.migrate !== false) {
    const migrated = await cli(["migrate"]);
    if (migrated.code !== 0) throw new Error(`migrate: ${migrated.stderr}`);
  }
  return { db, dir, cli };
}

/** BATCHCTL_NOW for noon UTC on the day `offset` days after 2026-12-01. */
export function noonOf(offset: number): { key: string; now: string } {
  const day = new Date(Date.UTC(2026, 11, 1 + offset, 12));
  const key = day.toISOString().slice(0, 10);
  return { key, now: `${key}T12:00:00Z` };
}

/** Anything to run SQL on: a test database, or a throwaway cluster's. */
export type Queryable = Pick<PgDatabase, "query">;

/** The snapshot rows of a period, by object. */
export async function snapshotOf(
  db: Queryable,
  period: string,
): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `select object, count from batchctl_object_counts where period = '${period}' order by object`,
  );
  return Object.fromEntries(rows.map((row) => [row.object, Number(row.count)]));
}

export async function runsOf(db: Queryable, period: string) {
  const { rows } = await db.query(
    `select id, status, reason, error from batchctl_runs where period = '${period}' order by id`,
  );
  return rows as {
    id: string;
    status: string;
    reason: string | null;
    error: string | null;
  }[];
}

/** Resolves once `check` is true, polling every 25 ms; throws after `ms`. */
export async function waitFor(
  check: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const giveUpAt = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (at the time of asking). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A password with every character a URL treats specially. */
export const HOSTILE_PASSWORD = "p@ss:w/rd%?#";
export const HOSTILE_PASSWORD_ENCODED = encodeURIComponent(HOSTILE_PASSWORD);

/** `url` with the hostile password set, percent-encoded. */
export function withPassword(url: string): string {
  const parsed = new URL(url);
  return parsed.href.replace(
    `${parsed.username}@`,
    `${parsed.username}:${HOSTILE_PASSWORD_ENCODED}@`,
  );
}

/** Fails when any form of the hostile password shows in `text`. */
export function passwordShown(text: string): boolean {
  return [HOSTILE_PASSWORD, HOSTILE_PASSWORD_ENCODED, "p@ss", "w/rd"].some(
    (form) => text.includes(form),
  );
}
