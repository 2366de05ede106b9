import { loadConfig } from "../config/load";
import { openDatabase } from "../db/connect";
import type { Database } from "../db/connect";
import { ownTablesError } from "../db/errors";
import { migrateLatest, migrationStatus } from "../db/migrate";
import { ExitCode } from "../errors";
import type { ExitCodeValue } from "../errors";
import { colour, out, outJson } from "../output";

export interface MigrateFlags {
  config?: string;
  status?: boolean;
  json?: boolean;
}

const plural = (count: number, word: string) =>
  `${count} ${word}${count === 1 ? "" : "s"}`;

export async function migrateCommand(
  flags: MigrateFlags,
): Promise<ExitCodeValue> {
  const config = await loadConfig({ configPath: flags.config });
  // Only migrate may create the SQLite file; --status leaves it alone.
  const db = await openDatabase(config, { create: !flags.status });
  try {
    if (flags.status) await showStatus(db, Boolean(flags.json));
    else await apply(db, Boolean(flags.json));
    return ExitCode.ok;
  } catch (error) {
    throw ownTablesError(error, db.display) ?? error;
  } finally {
    await db.close();
  }
}

async function showStatus(db: Database, json: boolean): Promise<void> {
  const { applied, pending } = await migrationStatus(db);
  if (json) {
    outJson({ database: db.display, applied, pending });
    return;
  }
  out(
    `${db.display}: ${plural(applied.length, "migration")} applied, ${pending.length} pending`,
  );
  for (const name of applied) out(`  ${colour.green("applied")}  ${name}`);
  for (const name of pending) out(`  ${colour.yellow("pending")}  ${name}`);
}

async function apply(db: Database, json: boolean): Promise<void> {
  const applied = await migrateLatest(db);
  if (json) {
    outJson({ database: db.display, applied });
  } else if (applied.length === 0) {
    out(`Already up to date: ${db.display}`);
  } else {
    out(`Applied ${plural(applied.length, "migration")} to ${db.display}:`);
    for (const name of applied) out(`  ${name}`);
  }
}
