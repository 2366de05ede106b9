import type { Knex } from "knex";

import type { Granularity, Period } from "../types";

/** What a task is handed for one run, and nothing else. */
export interface TaskContext {
  /** The run's transaction: its writes commit with the run, or not at all. */
  db: Knex.Transaction;
  period: Period;
  /** The id of this run in batchctl_runs. */
  runId: number;
  /** Fires on SIGTERM or SIGINT, and when the task's timeout passes. */
  signal: AbortSignal;
}

export interface TaskDefinition {
  name: string;
  granularity: Granularity;
  timezone: string;
  timeoutMs: number | undefined;
  /** Whether `--period` may name a past period for this task. */
  acceptsPastPeriods: boolean;
  /** Does the work; its result is shown by `run` and kept out of the runner. */
  run(context: TaskContext): Promise<unknown>;
}
