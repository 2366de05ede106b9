import { loadConfig } from "../config/load";
import { openDatabase } from "../db/connect";
import { ExitCode, usageError } from "../errors";
import type { ExitCodeValue } from "../errors";
import {
  colour,
  err,
  formatDuration,
  formatInstant,
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

/** After SIGTERM, the run has this long to roll back and record itself. */
const GRACE_MS = 4_000;

export async function runCommand(
  taskName: string,
  flags: RunFlags,
): Promise<ExitCodeValue> {
  const env = process.env;
  const now = clock(env);
  const config = await loadConfig({ configPath: flags.config });
  const task = resolveTask(taskName, config);
  const period = choosePeriod(task, flags.period, now());
  const db = await openDatabase(config);

  const controller = new AbortController();
  const stop = (reason: AbortReason) => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    // Rolling back is prompt; this only guards against a task that hangs.
    setTimeout(() => process.exit(ExitCode.interrupted), GRACE_MS).unref();
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
      identity: triggerIdentity(env),
      now,
      signal: controller.signal,
    });
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
  key: string | undefined,
  now: Date,
) {
  if (key === undefined) return periodAt(now, task.granularity, task.timezone);
  if (!task.acceptsPastPeriods) {
    throw usageError(
      `task ${task.name} cannot be run for a chosen period: it records the present`,
      "drop --period; the task runs for the current period",
    );
  }
  return parsePeriodKey(key, task.granularity, task.timezone);
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
      out(
        `${subject} ${colour.yellow(detail)}; this trigger did nothing (run ${run.id})`,
      );
      return;
    }
    default: {
      const label = outcome.status.replace("_", " ");
      err(
        `${subject} ${colour.red(label)} after ${took} (run ${run.id}): ${outcome.error}`,
      );
      err(
        "  nothing was written; the next trigger for this period runs it again",
      );
    }
  }
}

function toJson(outcome: Outcome): Record<string, unknown> {
  const { run } = outcome;
  return {
    task: run.task,
    period: run.period,
    status: outcome.status,
    runId: run.id,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: run.durationMs,
    host: run.host,
    pod: run.pod,
    job: run.job,
    scheduledAt: run.scheduledAt?.toISOString() ?? null,
    ...(outcome.status === "succeeded" ? { result: outcome.result } : {}),
    ...(outcome.status === "skipped"
      ? {
          reason: outcome.reason,
          message: run.reason,
          by: outcome.by ? runJson(outcome.by) : null,
        }
      : {}),
    ...("error" in outcome ? { error: outcome.error } : {}),
  };
}

export function runJson(run: Run): Record<string, unknown> {
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
