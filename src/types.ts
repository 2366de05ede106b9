/**
 * The words batchctl uses, the same in code, output and docs:
 *
 * - task: a named unit of work, such as `collect-object-counts`.
 * - period: the slot a task runs once for, such as `2026-12-03` for a daily
 *   task. Its key is unique per task in `batchctl_periods`.
 * - run: one execution attempt of a task for a period; it has a status.
 * - trigger: one invocation of `batchctl run` (cron, a person, a retry).
 *   A trigger that finds its period done or running is recorded as a run
 *   with status `skipped`, so history shows who was turned away.
 * - snapshot: the rows a counting task writes for a period.
 */

export type Granularity = "hour" | "day" | "week" | "month";

export interface Period {
  granularity: Granularity;
  /** `2026-12-03T09`, `2026-12-03`, `2026-W49` or `2026-12`. */
  key: string;
  /** First instant of the period. */
  start: Date;
  /** First instant after the period. */
  end: Date;
  timezone: string;
}

export type RunStatus =
  | "running"
  | "succeeded"
  | "failed"
  | "interrupted"
  | "timed_out"
  | "abandoned"
  | "skipped";

/** Why a trigger did not execute its task. */
export type SkipReason = "done" | "running";

/** Where a trigger came from: the machine, and the Kubernetes names if any. */
export interface TriggerIdentity {
  host: string;
  pod: string | null;
  job: string | null;
  /** The time the scheduler meant to fire, when it can be derived. */
  scheduledAt: Date | null;
}

export interface Run extends TriggerIdentity {
  id: number;
  task: string;
  period: string;
  status: RunStatus;
  reason: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
}
