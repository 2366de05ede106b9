/**
 * Finds and reads the configuration: `--config PATH`, else BATCHCTL_CONFIG,
 * else cosmiconfig's search from the working directory up to the project
 * root. No file at all is fine: the defaults apply.
 */
import path from "node:path";

import { cosmiconfig } from "cosmiconfig";

import { parseDatabase } from "../db/url";
import { BatchctlError } from "../errors";
import { MAX_CONNECT_TIMEOUT_S, secondsText, toMs } from "./check";
import type { Config } from "./types";
import { configError, validateConfig } from "./validate";

const searchPlaces = [
  "package.json",
  ".batchctlrc",
  ".batchctlrc.json",
  ".batchctlrc.yaml",
  ".batchctlrc.yml",
  "batchctl.config.json",
  "batchctl.config.yaml",
  "batchctl.config.yml",
  "batchctl.config.js",
  "batchctl.config.cjs",
  "batchctl.config.mjs",
  "batchctl.config.ts",
];

export interface LoadOptions {
  configPath?: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export async function loadConfig(options: LoadOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.configPath ?? (env.BATCHCTL_CONFIG || undefined);
  const explorer = cosmiconfig("batchctl", {
    searchPlaces,
    searchStrategy: "project",
    cache: false,
  });

  let found: { config: unknown; filepath: string } | null;
  try {
    found = explicit
      ? await explorer.load(path.resolve(cwd, explicit))
      : await explorer.search(cwd);
  } catch (error) {
    throw readError(error, explicit ? path.resolve(cwd, explicit) : cwd);
  }

  const filepath = found?.filepath ?? null;
  const source = filepath ? path.relative(cwd, filepath) || filepath : "config";
  const config = validateConfig(found?.config, source, filepath);

  // A SQLite path is relative to where it was written: the working directory
  // for DATABASE_URL, the config file's folder for `database`.
  if (env.DATABASE_URL) {
    config.database = resolveSqlitePath(env.DATABASE_URL, cwd);
  } else if (config.database && filepath) {
    config.database = resolveSqlitePath(
      config.database,
      path.dirname(filepath),
    );
  }

  rejectEstimatesOnSqlite(config, source, cwd);

  const timeout = env.BATCHCTL_CONNECT_TIMEOUT;
  if (timeout !== undefined && timeout !== "") {
    const seconds = Number(timeout);
    if (!(seconds > 0 && seconds <= MAX_CONNECT_TIMEOUT_S)) {
      throw configError(
        "BATCHCTL_CONNECT_TIMEOUT",
        "the value",
        `must be ${secondsText(MAX_CONNECT_TIMEOUT_S)}, not "${timeout}"`,
      );
    }
    config.connectTimeoutMs = toMs(seconds);
  }
  return config;
}

/**
 * An estimated count comes from PostgreSQL's planner statistics; SQLite keeps
 * none. Said before connecting, like any other config error.
 */
function rejectEstimatesOnSqlite(
  config: Config,
  source: string,
  cwd: string,
): void {
  for (const [name, task] of Object.entries(config.tasks)) {
    if (task.kind !== "object-counts") continue;
    for (const [object, counted] of Object.entries(task.objects)) {
      if (!counted.estimate) continue;
      const baseDir = config.filepath ? path.dirname(config.filepath) : cwd;
      if (parseDatabase(config.database, baseDir).dialect === "postgres") {
        return;
      }
      throw new BatchctlError(
        "config",
        `${source}: tasks.${name}.objects.${object}.estimate needs PostgreSQL; SQLite keeps no row estimate`,
        {
          hint: "remove estimate to count the table exactly, or set database to a postgres:// URL",
        },
      );
    }
  }
}

/** A relative SQLite path in a config file is relative to that file. */
function resolveSqlitePath(database: string, baseDir: string): string {
  const target = parseDatabase(database, baseDir);
  return target.dialect === "sqlite" ? `sqlite:${target.file}` : database;
}

function readError(error: unknown, where: string): BatchctlError {
  const cause = error as NodeJS.ErrnoException & {
    mark?: { line: number; column: number };
    reason?: string;
    filepath?: string;
  };
  const file = cause.filepath ?? where;

  if (cause.code === "ENOENT") {
    return new BatchctlError("config", `config file ${file} does not exist`, {
      hint: "fix the --config path or BATCHCTL_CONFIG",
      cause,
    });
  }
  if (cause.name === "YAMLException" && cause.mark) {
    return new BatchctlError(
      "config",
      `${file} is not valid YAML: ${cause.reason ?? "syntax error"} at line ${cause.mark.line + 1}, column ${cause.mark.column + 1}`,
      { hint: "fix the file, or check it with a YAML linter", cause },
    );
  }
  if (cause.name === "JSONError") {
    return new BatchctlError(
      "config",
      `${file} is not valid JSON: ${jsonProblem(cause)}`,
      {
        hint: "fix the file; JSON allows no comments or trailing commas",
        cause,
      },
    );
  }
  return new BatchctlError(
    "config",
    `${file} could not be loaded: ${cause.message ?? String(error)}`,
    {
      hint: "a JavaScript config must load without throwing; set DEBUG=1 for the stack",
      cause,
    },
  );
}

/**
 * cosmiconfig's JSONError starts with the file name and keeps the position in
 * a code frame: "> 3 |   ..." marks the line, a caret below it the column.
 */
function jsonProblem(error: { message?: string; codeFrame?: string }): string {
  const message = String(error.message ?? "");
  const reason =
    /^(.+?) in JSON at position/m.exec(message)?.[1] ??
    /^(Unexpected .+?)(?: while parsing|$)/m.exec(message)?.[1] ??
    "syntax error";
  const frame = String(error.codeFrame ?? "");
  const line = /^>\s*(\d+)\s*\|/m.exec(frame)?.[1];
  const caret = /^\s*\|( *)\^/m.exec(frame)?.[1];
  if (!line) return reason;
  return caret
    ? `${reason} at line ${line}, column ${caret.length}`
    : `${reason} at line ${line}`;
}
