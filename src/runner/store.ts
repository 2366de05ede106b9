/**
 * Reads and writes batchctl_runs and batchctl_periods. PostgreSQL returns
 * timestamps as Dates and bigints as strings; SQLite returns numbers. Rows
 * leave this module as `Run` either way.
 */
import type { Knex } from "knex";

import type { Run, RunStatus, TriggerIdentity } from "../types";

export const RUNS = "batchctl_runs";
export const PERIODS = "batchctl_periods";

type Row = Record<string, unknown>;

const toDate = (value: unknown): Date | null =>
  value === null || value === undefined
    ? null
    : new Date(value as string | number | Date);

export function toRun(row: Row): Run {
  return {
    id: Number(row.id),
    task: String(row.task),
    period: String(row.period),
    status: row.status as RunStatus,
    reason: (row.reason as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    startedAt: toDate(row.started_at) as Date,
    finishedAt: toDate(row.finished_at),
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    host: String(row.host),
    pod: (row.pod as string | null) ?? null,
    job: (row.job as string | null) ?? null,
    scheduledAt: toDate(row.scheduled_at),
  };
}

export async function insertRun(
  db: Knex,
  fields: {
    task: string;
    period: string;
    startedAt: Date;
    identity: TriggerIdentity;
  },
): Promise<number> {
  const [row] = await db(RUNS)
    .insert({
      task: fields.task,
      period: fields.period,
      status: "running",
      started_at: fields.startedAt,
      host: fields.identity.host,
      pod: fields.identity.pod,
      job: fields.identity.job,
      scheduled_at: fields.identity.scheduledAt,
    })
    .returning("id");
  return Number((row as Row).id ?? row);
}

export async function finishRun(
  db: Knex,
  id: number,
  fields: {
    status: RunStatus;
    startedAt: Date;
    finishedAt: Date;
    reason?: string;
    error?: string;
  },
): Promise<void> {
  await db(RUNS)
    .where({ id })
    .update({
      status: fields.status,
      finished_at: fields.finishedAt,
      duration_ms: fields.finishedAt.getTime() - fields.startedAt.getTime(),
      reason: fields.reason ?? null,
      error: fields.error ?? null,
    });
}

/** Fails with a unique violation when the period is already claimed. */
export async function claimPeriod(
  trx: Knex.Transaction,
  task: string,
  period: string,
  runId: number,
): Promise<void> {
  await trx(PERIODS).insert({ task, period, run_id: runId });
}

/** The run that completed a period. */
export async function findDoneBy(
  db: Knex,
  task: string,
  period: string,
): Promise<Run | null> {
  const row = await db(RUNS)
    .select(`${RUNS}.*`)
    .join(PERIODS, `${PERIODS}.run_id`, `${RUNS}.id`)
    .where({ [`${PERIODS}.task`]: task, [`${PERIODS}.period`]: period })
    .first();
  return row ? toRun(row) : null;
}

/** The oldest other run of this task and period that is still running. */
export async function findRunning(
  db: Knex,
  task: string,
  period: string,
  exceptId: number,
): Promise<Run | null> {
  const row = await db(RUNS)
    .where({ task, period, status: "running" })
    .whereNot({ id: exceptId })
    .orderBy("id")
    .first();
  return row ? toRun(row) : null;
}

/**
 * Once a period is done, any other run of it still marked running belongs
 * to a process that died (SIGKILL, a lost node): say so in history. A live
 * trigger caught here is about to record itself as skipped, which wins.
 */
export async function markAbandoned(
  db: Knex,
  task: string,
  period: string,
  exceptId: number,
  at: Date,
): Promise<void> {
  await db(RUNS)
    .where({ task, period, status: "running" })
    .whereNot({ id: exceptId })
    .update({
      status: "abandoned",
      finished_at: at,
      reason: "the process ended without recording an outcome",
    });
}

export interface HistoryFilter {
  since: Date | undefined;
  task: string | undefined;
  statuses: RunStatus[] | undefined;
  limit: number;
}

export async function listRuns(
  db: Knex,
  filter: HistoryFilter,
): Promise<Run[]> {
  const query = db(RUNS).select("*");
  if (filter.since) query.where("started_at", ">=", filter.since);
  if (filter.task) query.where({ task: filter.task });
  if (filter.statuses) query.whereIn("status", filter.statuses);
  const rows = await query
    .orderBy("started_at", "desc")
    .orderBy("id", "desc")
    .limit(filter.limit);
  return rows.map(toRun);
}

/** The newest run of a task that did more than turn a trigger away. */
export async function findLastRun(db: Knex, task: string): Promise<Run | null> {
  const row = await db(RUNS)
    .where({ task })
    .whereNot({ status: "skipped" })
    .orderBy("id", "desc")
    .first();
  return row ? toRun(row) : null;
}

/** Whether a run has committed this period. */
export async function isPeriodDone(
  db: Knex,
  task: string,
  period: string,
): Promise<boolean> {
  const row = await db(PERIODS).where({ task, period }).first();
  return row !== undefined;
}
