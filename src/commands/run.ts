import { loadConfig } from "../config/load";
import { openDatabase } from "../db/connect";
import type { TaskKind } from "../config/types";
import { connectionError } from "../db/errors";
import { BatchctlError, ExitCode, usageError } from "../errors";
import type { ExitCodeValue } from "../errors";
import {
  colour,
  err,
  errColour,
  formatDuration,
  formatInstant,
  logLine,
  out,
  outJson,
} from "../output";
import { parsePeriodKey, periodAt } from "../period";
import { clock, triggerIdentity } from "../runner/identity";
import { runTask } from "../runner/run";
import type { AbortReason, Outcome } from "../runner/run";
import type { TaskDefinition } from "../runner/task";
import { resolveTask } from "../tasks";
import type { Run } from "../types";

export interface RunFlags {
  config?: string;
  period?: string;
  json?: boolean;
}

/**
 * After SIGTERM or the timeout, the run has this long to roll back and
 * record itself. A task that ignores its signal past it is stopped with the
 * process: its connection closes, so its writes roll back, but its run is
 * left `running` until a later trigger completes the period.
 */
const GRACE_MS = 4_000;

export async function runCommand(
  taskName: string,
  flags: RunFlags,
): Promise<ExitCodeValue> {
  const env = process.env;
  const now = clock(env);
  const config = await loadConfig({ configPath: flags.config });
  const task = await resolveTask(taskName, config);
  const kind = config.tasks[taskName]?.kind;
  const period = choosePeriod(task, kind, flags.period, now());
  const db = await openDatabase(config);

  const controller = new AbortController();
  const stop = (reason: AbortReason) => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    // Rolling back is prompt; this only guards against a task that hangs.
    const code =
      reason === "timed_out" ? ExitCode.timedOut : ExitCode.interrupted;
    setTimeout(() => process.exit(code), GRACE_MS).unref();
  };
  const onSignal = () => stop("interrupted");
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  const timer =
    task.timeoutMs === undefined
      ? undefined
      : setTimeout(() => stop("timed_out"), task.timeoutMs);

  let outcome: Outcome;
  try {
    outcome = await runTask(db, task, {
      period,
      identity: triggerIdentity(env, now()),
      now,
      signal: controller.signal,
      log: (entry) => logLine(entry, Boolean(flags.json)),
    });
  } catch (error) {
    // The server went away between statements of the runner's own.
    throw error instanceof BatchctlError
      ? error
      : (connectionError(error, db.display) ?? error);
  } finally {
    clearTimeout(timer);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await db.close();
  }

  if (flags.json) outJson(toJson(outcome));
  else report(outcome, task.timezone);
  return exitCodeOf(outcome);
}

function choosePeriod(
  task: TaskDefinition,
  kind: TaskKind | undefined,
  key: string | undefined,
  now: Date,
) {
  if (key === undefined) return periodAt(now, task.granularity, task.timezone);
  if (kind === "object-counts") {
    throw usageError(
      `task ${task.name} cannot be run for a chosen period: it records the present`,
      "drop --period; the task runs for the current period",
    );
  }
  if (!task.acceptsPastPeriods) {
    throw usageError(
      `task ${task.name} cannot be run for a chosen period: tasks.${task.name}.backfill is not true`,
      `drop --period, or set backfill: true under tasks.${task.name} if the task can run for a past period`,
    );
  }

  let period;
  try {
    period = parsePeriodKey(key, task.granularity, task.timezone);
  } catch (error) {
    if (!(error instanceof BatchctlError)) throw error;
    throw usageError(
      `--period: ${error.message}, as tasks.${task.name}.period asks`,
      error.hint,
    );
  }
  if (period.start > now) {
    // Running it now would mark it done before it has happened.
    throw usageError(
      `--period ${key} has not begun yet in ${task.timezone}`,
      `give the current period, ${periodAt(now, task.granularity, task.timezone).key}, or an earlier one`,
    );
  }
  return period;
}

function exitCodeOf(outcome: Outcome): ExitCodeValue {
  switch (outcome.status) {
    case "succeeded":
    case "skipped":
      return ExitCode.ok;
    case "failed":
      return ExitCode.failed;
    case "interrupted":
      return ExitCode.interrupted;
    case "timed_out":
      return ExitCode.timedOut;
  }
}

function where(run: Run): string {
  return run.pod && run.pod !== run.host
    ? `${run.pod} (${run.host})`
    : run.host;
}

function report(outcome: Outcome, timezone: string): void {
  const { run } = outcome;
  const subject = `${run.task} ${run.period}:`;
  const took = formatDuration(run.durationMs);

  switch (outcome.status) {
    case "succeeded": {
      out(
        `${subject} ${colour.green("succeeded")} in ${took} (run ${run.id} on ${where(run)})`,
      );
      const { counts, estimated = [] } = (outcome.result ?? {}) as {
        counts?: Record<string, number>;
        estimated?: string[];
      };
      if (counts) {
        const width = Math.max(
          ...Object.keys(counts).map((name) => name.length),
        );
        for (const [name, count] of Object.entries(counts)) {
          const note = estimated.includes(name) ? "  (estimate)" : "";
          out(`  ${name.padEnd(width)}  ${count}${note}`);
        }
      }
      return;
    }
    case "skipped": {
      const by = outcome.by;
      const detail =
        outcome.reason === "done"
          ? by
            ? `already done (succeeded ${formatInstant(by.finishedAt ?? by.startedAt, timezone)} on ${where(by)}, run ${by.id})`
            : "already done"
          : by
            ? `already running (run ${by.id} on ${where(by)} since ${formatInstant(by.startedAt, timezone)})`
            : "already running in another trigger";
      const recorded = run.id === 0 ? "not recorded" : `run ${run.id}`;
      out(
        `${subject} ${colour.yellow(detail)}; this trigger did nothing (${recorded})`,
      );
      return;
    }
    default: {
      const label = outcome.status.replace("_", " ");
      err(
        `${subject} ${errColour.red(label)} after ${took} (run ${run.id}): ${outcome.error}`,
      );
      err(
        "  nothing was written; the next trigger for this period runs it again",
      );
    }
  }
}

/** The trigger as one JSON object: the run, and what the outcome adds. */
function toJson(outcome: Outcome): Record<string, unknown> {
  const { id, task, period, reason, error, ...run } = runJson(outcome.run);
  return {
    task,
    period,
    runId: id,
    ...run,
    status: outcome.status,
    ...(outcome.status === "succeeded" ? { result: outcome.result } : {}),
    ...(outcome.status === "skipped"
      ? {
          reason: outcome.reason,
          message: reason,
          by: outcome.by ? runJson(outcome.by) : null,
        }
      : {}),
    ...(error === null ? {} : { error }),
  };
}

export function runJson(run: Run) {
  return {
    id: run.id,
    task: run.task,
    period: run.period,
    status: run.status,
    reason: run.reason,
    error: run.error,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: run.durationMs,
    host: run.host,
    pod: run.pod,
    job: run.job,
    scheduledAt: run.scheduledAt?.toISOString() ?? null,
  };
}
