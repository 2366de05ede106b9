/**
 * Checks a raw configuration object and names the exact key path of the first
 * problem, with what was expected there.
 */
import { dirname } from "node:path";

import { BatchctlError } from "../errors";
import { isTimezone } from "../period";
import {
  describe,
  isPlainObject,
  key,
  MAX_CONNECT_TIMEOUT_S,
  MAX_TASK_TIMEOUT_S,
  secondsToMs,
} from "./check";
import type { Fail } from "./check";
import { taskKind, validateSettings, validateUserTask } from "./tasks";
import type { Config, CountedObject, TaskConfig } from "./types";

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

const topLevelKeys = ["database", "timezone", "connectTimeout", "tasks"];

export function configError(
  source: string,
  keyPath: string,
  expected: string,
): BatchctlError {
  return new BatchctlError("config", `${source}: ${keyPath} ${expected}`, {
    hint: "see Configuration in the README for every key",
  });
}

export function validateConfig(
  raw: unknown,
  source: string,
  filepath: string | null,
): Config {
  const fail = (keyPath: string, expected: string) =>
    configError(source, keyPath, expected);

  const input = raw ?? {};
  if (!isPlainObject(input)) {
    throw fail(
      "the top level",
      `must be a mapping of keys, not ${describe(input)}`,
    );
  }
  for (const name of Object.keys(input)) {
    if (!topLevelKeys.includes(name)) {
      throw fail(
        name,
        `is not a known key (known: ${topLevelKeys.join(", ")})`,
      );
    }
  }

  const { database, timezone = "UTC", connectTimeout, tasks = {} } = input;
  if (database !== undefined && (typeof database !== "string" || !database)) {
    throw fail(
      "database",
      `must be a URL or a file path, not ${describe(database)}`,
    );
  }
  if (typeof timezone !== "string" || !isTimezone(timezone)) {
    throw fail(
      "timezone",
      `must be an IANA time zone such as Asia/Seoul or UTC, not ${describe(timezone)}`,
    );
  }
  const connectTimeoutMs =
    connectTimeout === undefined
      ? DEFAULT_CONNECT_TIMEOUT_MS
      : secondsToMs(
          connectTimeout,
          "connectTimeout",
          fail,
          MAX_CONNECT_TIMEOUT_S,
        );
  if (!isPlainObject(tasks)) {
    throw fail(
      "tasks",
      `must be a mapping of task names, not ${describe(tasks)}`,
    );
  }

  const baseDir = filepath ? dirname(filepath) : process.cwd();
  // No prototype: a task named "constructor" or "__proto__" is a name like
  // any other, and a name that is not configured is not found.
  const validated: Record<string, TaskConfig> = Object.create(null);
  for (const [name, task] of Object.entries(tasks)) {
    if (name.length > MAX_TASK_NAME) {
      throw fail(
        key("tasks", `${name.slice(0, 40)}…`),
        `is a task name of ${name.length} characters; at most ${MAX_TASK_NAME} fit in batchctl_runs`,
      );
    }
    validated[name] = validateTask(
      name,
      task,
      key("tasks", name),
      fail,
      baseDir,
    );
  }

  return {
    filepath,
    database,
    timezone,
    connectTimeoutMs,
    tasks: validated,
  };
}

/** The width of the task columns of batchctl's tables. */
const MAX_TASK_NAME = 200;

function validateTask(
  name: string,
  raw: unknown,
  path: string,
  fail: Fail,
  baseDir: string,
): TaskConfig {
  if (!isPlainObject(raw)) {
    throw fail(path, `must be a mapping, not ${describe(raw)}`);
  }
  const kind = taskKind(name, raw, path, fail);
  if (kind !== "object-counts") {
    return validateUserTask(kind, raw, path, fail, baseDir);
  }

  const { objects, period, timezone, timeout, ...rest } = raw;
  const unknown = Object.keys(rest)[0];
  if (unknown === "backfill") {
    throw fail(
      key(path, unknown),
      "does not apply: object counts describe the present, so they cannot be taken for a past period",
    );
  }
  if (unknown !== undefined) {
    throw fail(
      key(path, unknown),
      "is not a known key (known: objects, period, timezone, timeout)",
    );
  }
  const settings = validateSettings({ period, timezone }, path, fail);
  if (!isPlainObject(objects) || Object.keys(objects).length === 0) {
    throw fail(
      `${path}.objects`,
      "must map at least one object name to a table name",
    );
  }

  const counted: Record<string, CountedObject> = {};
  for (const [object, value] of Object.entries(objects)) {
    counted[object] = validateObject(
      value,
      key(`${path}.objects`, object),
      fail,
    );
  }
  return {
    kind: "object-counts",
    period: settings.period ?? "day",
    timezone: settings.timezone,
    timeoutMs:
      timeout === undefined
        ? undefined
        : secondsToMs(timeout, `${path}.timeout`, fail, MAX_TASK_TIMEOUT_S),
    objects: counted,
  };
}

function validateObject(
  value: unknown,
  path: string,
  fail: Fail,
): CountedObject {
  if (typeof value === "string" && value) {
    return { table: value, where: {}, estimate: false };
  }
  if (!isPlainObject(value)) {
    throw fail(
      path,
      `must be a table name or { table, where, estimate }, not ${describe(value)}`,
    );
  }

  const { table, where = {}, estimate = false, ...rest } = value;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw fail(
      key(path, unknown),
      "is not a known key (known: table, where, estimate)",
    );
  }
  if (typeof table !== "string" || !table) {
    throw fail(`${path}.table`, `must be a table name, not ${describe(table)}`);
  }
  if (!isPlainObject(where)) {
    throw fail(
      `${path}.where`,
      `must map column names to values, not ${describe(where)}`,
    );
  }
  for (const [column, expected] of Object.entries(where)) {
    const scalar =
      expected === null ||
      ["string", "number", "boolean"].includes(typeof expected);
    if (!scalar) {
      throw fail(
        key(`${path}.where`, column),
        `must be a string, number, boolean or null, not ${describe(expected)}`,
      );
    }
  }
  if (typeof estimate !== "boolean") {
    throw fail(
      `${path}.estimate`,
      `must be true or false, not ${describe(estimate)}`,
    );
  }
  if (estimate && Object.keys(where).length > 0) {
    // The planner's estimate is of the whole table; a filtered one would be
    // a guess about the filter too.
    throw fail(
      `${path}.estimate`,
      "cannot be combined with where: the estimate is of the whole table",
    );
  }
  return { table, where: where as CountedObject["where"], estimate };
}
