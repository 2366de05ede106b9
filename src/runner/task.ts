import type { Knex } from "knex";

import type { Granularity, Period } from "../types";

/** What a task is handed for one run, and nothing else. */
export interface TaskContext {
  /** The run's transaction: its writes commit with the run, or not at all. */
  db: Knex.Transaction;
  /** The period this run is for: its key, its start and end, its zone. */
  period: Period;
  /** The task's name, as in the config. */
  task: string;
  /** The id of this run in batchctl_runs. */
  runId: number;
  /** Lines tied to this run; the command decides where they go. */
  log: TaskLogger;
  /**
   * Fires on SIGTERM or SIGINT, and when the task's timeout passes. On
   * PostgreSQL the running statement is cancelled as well; on SQLite, whose
   * statements block, a task sees it between statements.
   */
  signal: AbortSignal;
}

export type LogFields = Record<string, unknown>;

export interface TaskLogger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogLevel = keyof TaskLogger;

/** One line a task logged, with the run it belongs to. */
export interface LogEntry {
  time: Date;
  level: LogLevel;
  task: string;
  period: string;
  runId: number;
  message: string;
  fields: LogFields;
}

/** Where log lines go: the command passes one, the runner never prints. */
export type LogSink = (entry: LogEntry) => void;

export function taskLogger(
  sink: LogSink,
  scope: { task: string; period: string; runId: number },
): TaskLogger {
  const line =
    (level: LogLevel) =>
    (message: string, fields: LogFields = {}) =>
      sink({ time: new Date(), level, ...scope, message, fields });
  return { info: line("info"), warn: line("warn"), error: line("error") };
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
