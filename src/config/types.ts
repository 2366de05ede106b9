import type { TaskContext } from "../runner/task";
import type { Granularity } from "../types";

/** One object counted by `collect-object-counts`: a table and a filter. */
export interface CountedObject {
  table: string;
  /** Column equality filters, ANDed: `{ is_template: false }`. */
  where: Record<string, string | number | boolean | null>;
  /**
   * Take PostgreSQL's planner estimate (pg_class.reltuples, kept by ANALYZE
   * and autovacuum) instead of counting: for tables too large to count
   * every period. Never with `where`; never on SQLite.
   */
  estimate: boolean;
}

export interface ObjectCountsTaskConfig {
  kind: "object-counts";
  period: Granularity;
  timezone: string | undefined;
  timeoutMs: number | undefined;
  objects: Record<string, CountedObject>;
}

/** The keys every task the user writes shares, with defaults applied. */
export interface UserTaskSettings {
  period: Granularity;
  /** The zone its periods are computed in; undefined means the config's. */
  timezone: string | undefined;
  timeoutMs: number | undefined;
  /** Whether `batchctl run --period` may name a past period. */
  backfill: boolean;
}

/** Does a task's work; what it returns is shown by `batchctl run --json`. */
export type TaskFunction = (context: TaskContext) => unknown;

/** SQL statements run in order in the run's transaction. */
export interface SqlTaskConfig extends UserTaskSettings {
  kind: "sql";
  statements: string[];
}

/**
 * A JavaScript or TypeScript module whose export runs the task. It is loaded
 * when the task is run or listed, so its own settings (an export made with
 * defineTask) are merged then: the config's keys win.
 */
export interface ModuleTaskConfig extends Partial<UserTaskSettings> {
  kind: "module";
  /** The path as written in the config, relative to the config file. */
  module: string;
  file: string;
}

/** A function written in a JavaScript or TypeScript config. */
export interface InlineTaskConfig extends UserTaskSettings {
  kind: "inline";
  run: TaskFunction;
}

export type TaskConfig =
  ObjectCountsTaskConfig | SqlTaskConfig | ModuleTaskConfig | InlineTaskConfig;

export type TaskKind = TaskConfig["kind"];

/** The configuration after validation, with defaults applied. */
export interface Config {
  /** Where the configuration came from, or null when none was found. */
  filepath: string | null;
  /** The database URL or SQLite path; undefined means the embedded default. */
  database: string | undefined;
  /** IANA time zone that periods are computed in. */
  timezone: string;
  connectTimeoutMs: number;
  tasks: Record<string, TaskConfig>;
}
