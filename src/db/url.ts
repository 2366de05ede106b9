/**
 * Turns the configured database string into knex connection settings. The
 * string is either a URL (`postgres://…`, `sqlite:path`) or a path to a SQLite
 * file. Without one, batchctl uses the embedded default below.
 */
import path from "node:path";

import { BatchctlError } from "../errors";
import { MASK, registerSecret } from "../redact";

/** The embedded default, relative to the working directory. */
export const DEFAULT_SQLITE_FILE = "batchctl.sqlite";

export type Dialect = "postgres" | "sqlite";

export interface DatabaseTarget {
  dialect: Dialect;
  /** Safe to print: the password is masked. */
  display: string;
  /** PostgreSQL: the parsed URL. */
  url?: URL;
  /** SQLite: the absolute file path. */
  file?: string;
}

const sqlitePrefixes = ["sqlite://", "sqlite:", "file:"];

/** Query parameters pg reads as secrets. */
const secretParameters = ["password", "sslpassword"];

const notAUrl = () =>
  new BatchctlError(
    "config",
    "the database URL is neither a postgres:// URL nor a SQLite path",
    {
      hint: "write postgres://user:password@host:5432/database, or sqlite:path for a SQLite file",
    },
  );

export function parseDatabase(
  value: string | undefined,
  baseDir: string,
): DatabaseTarget {
  if (value === undefined || value === "") {
    const file = path.resolve(DEFAULT_SQLITE_FILE);
    return { dialect: "sqlite", file, display: `sqlite:${file}` };
  }

  // A URL typed wrong ("postgres:/db", "postgres//db", " postgres://db")
  // would otherwise be a SQLite file of that name, created in a folder named
  // after the password. Its text is not shown: it may hold the password.
  if (value.trim() !== value || /^postgres(ql)?(?!:\/\/)[:/]/i.test(value)) {
    throw notAUrl();
  }

  const prefix = sqlitePrefixes.find((p) => value.startsWith(p));
  if (prefix || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const file = path.resolve(baseDir, value.slice(prefix?.length ?? 0));
    return { dialect: "sqlite", file, display: `sqlite:${file}` };
  }

  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new BatchctlError("config", "the database URL cannot be parsed", {
      hint: "write it as postgres://user:password@host:5432/database",
      cause,
    });
  }
  registerSecret(url.password);
  for (const name of secretParameters) {
    registerSecret(url.searchParams.get(name));
  }

  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new BatchctlError(
      "config",
      `database URLs of type ${url.protocol}// are not supported`,
      { hint: "use postgres://…, or sqlite:path for a SQLite file" },
    );
  }

  const shown = new URL(url.href);
  if (shown.password) shown.password = MASK;
  for (const name of secretParameters) {
    if (shown.searchParams.has(name)) shown.searchParams.set(name, MASK);
  }
  return { dialect: "postgres", url, display: shown.href };
}
