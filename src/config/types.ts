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
  timeoutMs: number | undefined;
  objects: Record<string, CountedObject>;
}

export type TaskConfig = ObjectCountsTaskConfig;

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
