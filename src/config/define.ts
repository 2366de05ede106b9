/**
 * The shape of a config file, for `batchctl.config.ts` and task modules:
 *
 *     import { defineConfig, defineTask } from "batchctl";
 *
 * Both functions return what they are given; they exist for the types.
 */
import type { TaskContext } from "../runner/task";
import type { Granularity } from "../types";

/** What a batchctl config file holds. Every key is optional. */
export interface Config {
  /** A postgres:// URL or a SQLite file path; DATABASE_URL overrides it. */
  database?: string;
  /** The IANA time zone periods are computed in; UTC by default. */
  timezone?: string;
  /** Seconds to wait for the database; 5 by default. */
  connectTimeout?: number;
  tasks?: Record<string, TaskEntry>;
}

/** The keys every task the user writes shares. */
export interface TaskSettings {
  /** The slot the task runs once for; `day` by default. */
  period?: Granularity;
  /** Overrides the config's time zone for this task's periods. */
  timezone?: string;
  /** Seconds; a run past it is aborted and its writes rolled back. */
  timeout?: number;
  /** Whether `batchctl run <task> --period <key>` may name a past period. */
  backfill?: boolean;
}

/** A task written as code: inline in a config, or a module's export. */
export interface Task extends TaskSettings {
  run(context: TaskContext): unknown;
  sql?: never;
  module?: never;
  objects?: never;
}

/**
 * SQL statements, one per string, run in order in the run's transaction.
 * `:key`, `:start`, `:end`, `:timezone` and `:run_id` are bound parameters.
 */
export interface SqlTask extends TaskSettings {
  sql: string | string[];
  run?: never;
  module?: never;
  objects?: never;
}

/** A JavaScript or TypeScript file, relative to the config file. */
export interface ModuleTask extends TaskSettings {
  module: string;
  run?: never;
  sql?: never;
  objects?: never;
}

/** The built-in object-counts kind: tables to count each period. */
export interface ObjectCountsTask {
  objects: Record<
    string,
    | string
    | {
        table: string;
        where?: Record<string, string | number | boolean | null>;
        /** PostgreSQL's planner estimate instead of an exact count. */
        estimate?: boolean;
      }
  >;
  period?: Granularity;
  timezone?: string;
  timeout?: number;
  run?: never;
  sql?: never;
  module?: never;
}

export type TaskEntry = Task | SqlTask | ModuleTask | ObjectCountsTask;

export function defineConfig(config: Config): Config {
  return config;
}

export function defineTask(task: Task): Task {
  return task;
}
