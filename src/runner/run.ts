/**
 * Runs a task once for a period. The claim on the period is a row in
 * batchctl_periods inserted in the same transaction as the task's writes, so
 * the task's effects in the database and "this period is done" commit
 * together or not at all. A second trigger's insert hits the primary key:
 * the database, not a read before the write, decides who runs.
 *
 * The runner never prints; it returns an outcome for the command to report.
 */
import type { Knex } from "knex";

import type { Database } from "../db/connect";
import {
  isClaimBusy,
  isConnectionLost,
  isQueryCanceled,
  isUniqueViolation,
  ownTablesError,
} from "../db/errors";
import { BatchctlError } from "../errors";
import { redact } from "../redact";
import type { Period, Run, TriggerIdentity } from "../types";
import {
  claimPeriod,
  findDoneBy,
  findRunning,
  finishRun,
  insertRun,
  markAbandoned,
} from "./store";
import { taskLogger } from "./task";
import type { LogSink, TaskDefinition } from "./task";

/**
 * How long a trigger waits on another trigger's uncommitted claim before it
 * reports the period as running elsewhere. Long enough to see a short run
 * commit (then it reports "already done"), short enough not to wait for a
 * long one.
 */
export const CLAIM_WAIT_MS = 2_000;

/**
 * How often PostgreSQL checks that the client of a long query is still there,
 * so a trigger killed with SIGKILL releases its claim within this time rather
 * than when its query ends.
 */
const CLIENT_CHECK_MS = 500;

/**
 * How the server gives up on the run's connection when the client's machine
 * leaves the network, which sends no FIN. Idle, TCP keepalive probes after
 * `idle` seconds, every `interval`, `count` times; with a reply still
 * unacknowledged, `userTimeoutMs`. Left to the system, the claim would be
 * held for two hours, or for a quarter of an hour of retransmissions.
 */
const KEEPALIVE = { idle: 10, interval: 5, count: 3, userTimeoutMs: 25_000 };

export type AbortReason = "interrupted" | "timed_out";

export type Outcome =
  | { status: "succeeded"; run: Run; result: unknown }
  | { status: "failed"; run: Run; error: string }
  | { status: AbortReason; run: Run; error: string }
  | { status: "skipped"; run: Run; reason: "done" | "running"; by: Run | null };

export interface RunOptions {
  period: Period;
  identity: TriggerIdentity;
  now: () => Date;
  /** Aborted with an AbortReason by the command on SIGTERM or a timeout. */
  signal: AbortSignal;
  /** Receives the task's log lines; none are kept when it is left out. */
  log?: LogSink;
}

export async function runTask(
  db: Database,
  task: TaskDefinition,
  options: RunOptions,
): Promise<Outcome> {
  const { period, identity, now, signal } = options;
  const sink = options.log ?? (() => undefined);
  const startedAt = now();
  let runId: number;
  try {
    runId = await recordTrigger(db, {
      task: task.name,
      period: period.key,
      startedAt,
      identity,
    });
  } catch (error) {
    if (!isClaimBusy(error)) throw error;
    // SQLite only: another trigger's run has held the write lock past the
    // busy timeout, so this trigger cannot even record itself. It is turned
    // away like any trigger that finds its period running, unrecorded (id 0).
    return unrecordedSkip(task, period.key, identity, startedAt, now());
  }
  const runOf = (fields: Partial<Run>): Run => ({
    id: runId,
    task: task.name,
    period: period.key,
    status: "running",
    reason: null,
    error: null,
    startedAt,
    finishedAt: null,
    durationMs: null,
    ...identity,
    ...fields,
  });

  const connection = await db.knex.client.acquireConnection();
  const cancel = () => {
    // SQLite runs synchronously: its task sees the signal between queries.
    if (db.dialect === "postgres") {
      db.knex.client.cancelQuery(connection).catch(() => undefined);
    }
  };
  signal.addEventListener("abort", cancel, { once: true });

  let result: unknown;
  let failure: unknown;
  let succeededAt: Date | undefined;
  // Only the claim's own errors say the period is done or running; the same
  // codes from the task (its own unique key, a lock) are the task failing.
  let claimed = false;
  try {
    result = await db.knex.transaction(
      async (trx) => {
        await claim(db, trx, task.name, period.key, runId);
        claimed = true;
        const log = taskLogger(sink, {
          task: task.name,
          period: period.key,
          runId,
        });
        const value = await task.run({
          db: trx,
          period,
          task: task.name,
          runId,
          log,
          signal,
        });
        // better-sqlite3 blocks the event loop during a statement, so a
        // timeout that passed meanwhile has not fired yet: let due timers run
        // before deciding to commit.
        await new Promise((resolve) => setTimeout(resolve, 0));
        // A task that ignored the signal still loses its writes.
        if (signal.aborted) throw signal.reason;
        succeededAt = now();
        await finishRun(trx, runId, {
          status: "succeeded",
          startedAt,
          finishedAt: succeededAt,
        });
        return value;
      },
      { connection },
    );
  } catch (error) {
    failure = error;
  } finally {
    signal.removeEventListener("abort", cancel);
    await db.knex.client.releaseConnection(connection);
  }

  const finishedAt = succeededAt ?? now();
  const done = (fields: Partial<Run>) =>
    runOf({
      finishedAt,
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      ...fields,
    });

  if (failure === undefined) {
    // Only a label for history: the period is done whether or not it lands.
    await markAbandoned(db.knex, task.name, period.key, runId, now()).catch(
      () => undefined,
    );
    return { status: "succeeded", run: done({ status: "succeeded" }), result };
  }

  if (!claimed && (isUniqueViolation(failure) || isClaimBusy(failure))) {
    const reason = isUniqueViolation(failure) ? "done" : "running";
    const by =
      reason === "done"
        ? await findDoneBy(db.knex, task.name, period.key)
        : await findRunning(db.knex, task.name, period.key, runId);
    const text = skipText(reason, by);
    // SQLite only: a long run elsewhere may hold the write lock again by
    // now. Turned away all the same; the row left `running` is marked
    // abandoned by the next trigger that finds the period done.
    const recorded = await finishRun(db.knex, runId, {
      status: "skipped",
      startedAt,
      finishedAt,
      reason: text,
    }).then(
      () => true,
      (error: unknown) => {
        if (isClaimBusy(error)) return false;
        throw error;
      },
    );
    if (reason === "done") {
      await markAbandoned(db.knex, task.name, period.key, runId, now()).catch(
        () => undefined,
      );
    }
    return {
      status: "skipped",
      run: done({ id: recorded ? runId : 0, status: "skipped", reason: text }),
      reason,
      by,
    };
  }

  const aborted = signal.aborted
    ? (signal.reason as AbortReason)
    : isQueryCanceled(failure)
      ? "interrupted"
      : undefined;
  const error = aborted ? abortText(aborted, task) : redact(errorText(failure));
  const status = aborted ?? "failed";
  const record = () =>
    finishRun(db.knex, runId, { status, startedAt, finishedAt, error });
  try {
    // The cancel sent for the task's statement may reach the server after
    // the rollback and cancel this statement instead: then once more.
    await record().catch((recordError: unknown) => {
      if (aborted && isQueryCanceled(recordError)) return record();
      throw recordError;
    });
  } catch (recordError) {
    // The server is still away: the outcome cannot be recorded, and the run
    // row stays `running` until a later trigger completes the period.
    if (!isConnectionLost(failure)) throw recordError;
    throw new BatchctlError(
      "unreachable",
      `lost the connection to the database at ${db.display} during run ${runId} of ${task.name} ${period.key} (${redact(messageOf(failure))})`,
      {
        hint: `the server rolls back a run it did not commit; unless history shows run ${runId} succeeded, the next trigger runs the period again`,
        cause: failure,
      },
    );
  }
  const run = done({ status, error });
  return aborted
    ? { status: aborted, run, error }
    : { status: "failed", run, error };
}

function unrecordedSkip(
  task: TaskDefinition,
  period: string,
  identity: TriggerIdentity,
  startedAt: Date,
  finishedAt: Date,
): Outcome {
  const reason = "the database is locked by another trigger; not recorded";
  const run: Run = {
    id: 0,
    task: task.name,
    period,
    status: "skipped",
    reason,
    error: null,
    startedAt,
    finishedAt,
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    ...identity,
  };
  return { status: "skipped", run, reason: "running", by: null };
}

async function recordTrigger(
  db: Database,
  fields: Parameters<typeof insertRun>[1],
): Promise<number> {
  try {
    return await insertRun(db.knex, fields);
  } catch (error) {
    throw ownTablesError(error, db.display) ?? error;
  }
}

async function claim(
  db: Database,
  trx: Knex.Transaction,
  task: string,
  period: string,
  runId: number,
): Promise<void> {
  if (db.dialect !== "postgres") {
    await claimPeriod(trx, task, period, runId);
    return;
  }
  // Bounded wait on another trigger's claim; then back to no limit, so the
  // task's own statements are not cut short by it.
  await trx.raw(
    `set local lock_timeout = ${CLAIM_WAIT_MS};` +
      ` set local client_connection_check_interval = ${CLIENT_CHECK_MS};` +
      ` set local tcp_keepalives_idle = ${KEEPALIVE.idle};` +
      ` set local tcp_keepalives_interval = ${KEEPALIVE.interval};` +
      ` set local tcp_keepalives_count = ${KEEPALIVE.count};` +
      ` set local tcp_user_timeout = ${KEEPALIVE.userTimeoutMs}`,
  );
  await claimPeriod(trx, task, period, runId);
  await trx.raw("set local lock_timeout to default");
}

function skipText(reason: "done" | "running", by: Run | null): string {
  if (reason === "done") {
    return by ? `already done by run ${by.id}` : "already done";
  }
  return by ? `running as run ${by.id}` : "running in another trigger";
}

function abortText(reason: AbortReason, task: TaskDefinition): string {
  if (reason === "timed_out") {
    return `timed out after ${(task.timeoutMs ?? 0) / 1000} s; writes rolled back`;
  }
  return "interrupted by a signal; writes rolled back";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorText(error: unknown): string {
  const message = messageOf(error);
  return isConnectionLost(error)
    ? `lost the connection to the database (${message})`
    : message;
}
