/**
 * The database errors batchctl acts on, named. PostgreSQL reports SQLSTATE
 * codes; better-sqlite3 reports SQLite's extended result codes.
 */
import { BatchctlError } from "../errors";

export const SqlState = {
  /** Another trigger committed this (task, period): the period is done. */
  uniqueViolation: "23505",
  /** Another trigger holds the claim and is still running the task. */
  lockNotAvailable: "55P03",
  /** batchctl's tables are missing (never migrated), or a counted table. */
  undefinedTable: "42P01",
  /** The statement was cancelled: SIGTERM or the task's timeout. */
  queryCanceled: "57014",
  invalidPassword: "28P01",
  invalidAuthorization: "28000",
  /** The user lacks a grant: on batchctl's tables, a set-up mistake. */
  insufficientPrivilege: "42501",
  /** The database named in the URL does not exist. */
  invalidCatalogName: "3D000",
  /** The server is shutting down or restarting. */
  adminShutdown: "57P01",
  crashShutdown: "57P02",
  cannotConnectNow: "57P03",
  /** Every connection slot is taken (max_connections). */
  tooManyConnections: "53300",
} as const;

export const SqliteCode = {
  primaryKey: "SQLITE_CONSTRAINT_PRIMARYKEY",
  unique: "SQLITE_CONSTRAINT_UNIQUE",
  /** Another process holds the write lock past the busy timeout. */
  busy: "SQLITE_BUSY",
  /** The path is a folder, or its folder cannot be written. */
  cantOpen: "SQLITE_CANTOPEN",
  /** The file is there but is not a SQLite database. */
  notADatabase: "SQLITE_NOTADB",
} as const;

/** Network errors that mean the server is not there. */
const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return (
    code === SqlState.uniqueViolation ||
    code === SqliteCode.primaryKey ||
    code === SqliteCode.unique
  );
}

export function isClaimBusy(error: unknown): boolean {
  const code = codeOf(error);
  // SQLite's extended codes (SQLITE_BUSY_SNAPSHOT…) are kinds of busy.
  return (
    code === SqlState.lockNotAvailable ||
    Boolean(code?.startsWith(SqliteCode.busy))
  );
}

export function isUndefinedTable(error: unknown): boolean {
  if (codeOf(error) === SqlState.undefinedTable) return true;
  return /no such table/i.test(String((error as Error)?.message));
}

export function isQueryCanceled(error: unknown): boolean {
  return codeOf(error) === SqlState.queryCanceled;
}

export function isTooManyConnections(error: unknown): boolean {
  return codeOf(error) === SqlState.tooManyConnections;
}

/**
 * The connection went away under a statement: the server restarted or
 * crashed, or the network dropped. Whatever the statement was doing is
 * rolled back by the server.
 */
export function isConnectionLost(error: unknown): boolean {
  const code = codeOf(error);
  return (
    code === SqlState.adminShutdown ||
    code === SqlState.crashShutdown ||
    code === SqlState.cannotConnectNow ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    /Connection terminated/i.test(String((error as Error)?.message))
  );
}

/**
 * Maps a failure to connect into the error users see, or undefined when the
 * error is not about connecting. `where` is the masked database address.
 */
export function connectionError(
  error: unknown,
  where: string,
): BatchctlError | undefined {
  const code = codeOf(error);
  const message = String((error as Error)?.message ?? error);

  if (code === SqliteCode.cantOpen || code === SqliteCode.notADatabase) {
    const problem =
      code === SqliteCode.cantOpen
        ? `cannot open the SQLite file ${where}`
        : `${where} is not a SQLite database`;
    return new BatchctlError("config", problem, {
      hint: "point DATABASE_URL or `database` at a SQLite file, or at a new one in a folder you may write to",
      cause: error,
    });
  }
  if (
    code === SqlState.invalidPassword ||
    code === SqlState.invalidAuthorization
  ) {
    return new BatchctlError(
      "login_refused",
      `the database refused the login at ${where}: ${message}`,
      {
        hint: "check the user and password in DATABASE_URL or `database`",
        cause: error,
      },
    );
  }
  if (/does not support SSL/i.test(message)) {
    return new BatchctlError(
      "unreachable",
      `the database at ${where} does not accept SSL, which the URL asks for`,
      {
        hint: "drop sslmode from the URL (or set sslmode=disable), or turn SSL on in the server",
        cause: error,
      },
    );
  }
  const file = (error as { path?: unknown } | null)?.path;
  if (code === "ENOENT" && typeof file === "string") {
    // A file the URL names, such as sslrootcert=…
    return new BatchctlError(
      "config",
      `cannot read ${file}, which the database URL names`,
      {
        hint: "fix the path in the URL, or remove the parameter",
        cause: error,
      },
    );
  }
  if (code === SqlState.tooManyConnections) {
    return new BatchctlError(
      "unreachable",
      `the database at ${where} has no free connection (${message})`,
      {
        hint: "raise max_connections or spread the triggers out; BATCHCTL_CONNECT_TIMEOUT sets how long a trigger waits for a slot",
        cause: error,
      },
    );
  }
  if (code === SqlState.invalidCatalogName) {
    return new BatchctlError("unreachable", `${message} at ${where}`, {
      hint: "create the database, or fix its name in the URL",
      cause: error,
    });
  }

  const timedOut =
    error instanceof Error &&
    (error.name === "KnexTimeoutError" || /timeout/i.test(message));
  const down =
    (code !== undefined && unreachableCodes.has(code)) ||
    isConnectionLost(error);
  if (!timedOut && !down) return undefined;

  const reason = timedOut ? "no answer within the connect timeout" : message;
  return new BatchctlError(
    "unreachable",
    `cannot reach the database at ${where} (${reason})`,
    {
      hint: "check that the server is up and the host and port are right; BATCHCTL_CONNECT_TIMEOUT sets the wait",
      cause: error,
    },
  );
}

/** batchctl's own tables are missing: the database was never migrated. */
export function notMigratedError(cause: unknown): BatchctlError {
  return new BatchctlError(
    "not_migrated",
    "batchctl's tables are missing in this database",
    { hint: "run `batchctl migrate` first", cause },
  );
}

/**
 * The server's own words: knex puts the statement, with its values, before
 * them ("insert into … - permission denied for table …").
 */
function serverMessage(error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  const at = message.lastIndexOf(" - ");
  return at === -1 ? message : message.slice(at + 3);
}

/**
 * Maps an error from a statement on batchctl's own tables into the error
 * users see: tables missing, or a grant missing. Undefined for any other
 * error. `where` is the masked database address.
 */
export function ownTablesError(
  error: unknown,
  where: string,
): BatchctlError | undefined {
  if (isUndefinedTable(error)) return notMigratedError(error);
  if (codeOf(error) !== SqlState.insufficientPrivilege) return undefined;
  return new BatchctlError(
    "permission_denied",
    `the database user may not do this at ${where}: ${serverMessage(error)}`,
    {
      hint: 'grant what "Grants for a least-privilege role" in the README lists; run `batchctl migrate` as the owner of the schema',
      cause: error,
    },
  );
}
