/**
 * A task written as SQL statements, run in order in the run's transaction.
 * The period reaches them only as bound parameters (`:key`, `:start`,
 * `:end`, `:timezone`, `:run_id`), never spliced into the text.
 */
import type { SqlTaskConfig } from "../config/types";
import type { TaskContext, TaskDefinition } from "../runner/task";
import { userTask } from "./user";

export interface SqlResult {
  /** Rows each statement changed or returned, in order. */
  rowCounts: number[];
}

export function sqlTask(
  name: string,
  config: SqlTaskConfig,
  zone: string,
): TaskDefinition {
  return userTask(name, config, zone, (context) =>
    runStatements(config.statements, context),
  );
}

/** The named parameters a statement may use. */
export function sqlParameters({ period, runId }: TaskContext) {
  return {
    key: period.key,
    start: period.start,
    end: period.end,
    timezone: period.timezone,
    run_id: runId,
  };
}

async function runStatements(
  statements: string[],
  context: TaskContext,
): Promise<SqlResult> {
  const { db, signal, log } = context;
  const parameters = sqlParameters(context);
  const asWritten =
    (db.client as { dialect?: string }).dialect === "postgresql"
      ? keepQuestionMarks
      : (statement: string) => statement;
  const rowCounts: number[] = [];

  for (const [index, statement] of statements.entries()) {
    // better-sqlite3 blocks the event loop while a statement runs; a turn
    // of it lets a timeout that passed meanwhile fire before the next one.
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (signal.aborted) throw signal.reason;

    const result = await db.raw(asWritten(statement), parameters);
    const count = rowCount(result);
    rowCounts.push(count);
    log.info(`statement ${index + 1} of ${statements.length} done`, {
      rows: count,
    });
  }
  return { rowCounts };
}

/**
 * knex reads every `?` in a statement as a positional parameter and turns
 * it into `$1`, `$2`… on PostgreSQL, so 'why?' would be stored as 'why$1'
 * and jsonb's `?` operator would break. Escaped, knex leaves a `?` as it is.
 * SQLite needs no escape: knex hands its statements over unchanged, and
 * SQLite reads a `?` in a string as text.
 */
function keepQuestionMarks(statement: string): string {
  return statement.replaceAll("?", "\\?");
}

/**
 * PostgreSQL answers with a result that has `rowCount`; better-sqlite3 with
 * the rows of a query, or `changes` for a write.
 */
function rowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const { rowCount, changes } = (result ?? {}) as {
    rowCount?: number | null;
    changes?: number;
  };
  return Number(rowCount ?? changes ?? 0);
}
