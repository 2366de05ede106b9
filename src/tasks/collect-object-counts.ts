/**
 * The built-in task: counts the rows of each configured table, optionally
 * filtered by column equality, and writes the counts as the period's
 * snapshot. Names from the config reach SQL only as bound identifiers.
 */
import type { Knex } from "knex";

import type { CountedObject, ObjectCountsTaskConfig } from "../config/types";
import { isUndefinedTable } from "../db/errors";
import type { TaskContext, TaskDefinition } from "../runner/task";

export const SNAPSHOTS = "batchctl_object_counts";

export interface ObjectCounts {
  counts: Record<string, number>;
  /** The objects whose count is the planner's estimate, not a count. */
  estimated: string[];
}

export function objectCountsTask(
  name: string,
  config: ObjectCountsTaskConfig,
  timezone: string,
): TaskDefinition {
  return {
    name,
    granularity: config.period,
    timezone,
    timeoutMs: config.timeoutMs,
    // A count describes the present: it cannot be taken for a past period.
    acceptsPastPeriods: false,
    run: (context) => collect(name, config, context),
  };
}

async function collect(
  name: string,
  config: ObjectCountsTaskConfig,
  { db, period, runId }: TaskContext,
): Promise<ObjectCounts> {
  const counts: Record<string, number> = {};
  const estimated: string[] = [];
  for (const [object, counted] of Object.entries(config.objects)) {
    const keyPath = `tasks.${name}.objects.${object}`;
    const estimate = counted.estimate
      ? await estimateRows(db, counted.table, keyPath)
      : null;
    if (estimate !== null) estimated.push(object);
    counts[object] = estimate ?? (await countRows(db, counted, keyPath));
  }

  const collectedAt = new Date();
  await db(SNAPSHOTS).insert(
    Object.entries(counts).map(([object, count]) => ({
      task: name,
      period: period.key,
      object,
      count,
      run_id: runId,
      collected_at: collectedAt,
    })),
  );
  return { counts, estimated };
}

/**
 * PostgreSQL's row estimate for a table, as of its last ANALYZE (autovacuum
 * runs one as a table grows), read without scanning it. Null when the table
 * was never analyzed: it is then counted after all.
 */
async function estimateRows(
  db: Knex.Transaction,
  table: string,
  keyPath: string,
): Promise<number | null> {
  // The name quoted as the count quotes it, then resolved as PostgreSQL
  // resolves it there: schema-qualified or along the search_path.
  const name = db.raw("??", [table]).toQuery();
  const { rows } = await db.raw(
    "select reltuples::bigint as estimate from pg_class where oid = to_regclass(?)",
    [name],
  );
  const row = (rows as { estimate: string | number }[])[0];
  if (!row) throw new Error(`table "${table}" does not exist (${keyPath})`);
  const estimate = Number(row.estimate);
  return estimate >= 0 ? estimate : null;
}

async function countRows(
  db: Knex.Transaction,
  { table, where }: CountedObject,
  keyPath: string,
): Promise<number> {
  try {
    // `??` binds an identifier: knex quotes it, so a name that contains
    // quotes or SQL stays a name.
    const query = db.from(db.raw("??", [table])).count({ count: "*" });
    for (const [column, value] of Object.entries(where)) {
      if (value === null) query.whereNull(column);
      else query.where(column, value);
    }
    const [row] = await query;
    return Number(row?.count ?? 0);
  } catch (error) {
    if (!isUndefinedTable(error)) throw error;
    throw new Error(`table "${table}" does not exist (${keyPath})`, {
      cause: error,
    });
  }
}
