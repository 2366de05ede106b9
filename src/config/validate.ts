/**
 * Checks a raw configuration object and names the exact key path of the first
 * problem, with what was expected there.
 */
import { BatchctlError } from "../errors";
import { granularities, isTimezone } from "../period";
import type { Granularity } from "../types";
import type { Config, CountedObject, TaskConfig } from "./types";

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

type Raw = Record<string, unknown>;

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

function isPlainObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `"${value}"`;
  return typeof value === "object" ? "an object" : String(value);
}

/** A key path segment, quoted when it is not a plain word. */
function key(path: string, name: string): string {
  return /^[A-Za-z_][\w-]*$/.test(name)
    ? `${path}.${name}`
    : `${path}[${JSON.stringify(name)}]`;
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
      : secondsToMs(connectTimeout, "connectTimeout", fail);
  if (!isPlainObject(tasks)) {
    throw fail(
      "tasks",
      `must be a mapping of task names, not ${describe(tasks)}`,
    );
  }

  const validated: Record<string, TaskConfig> = {};
  for (const [name, task] of Object.entries(tasks)) {
    validated[name] = validateTask(name, task, key("tasks", name), fail);
  }

  return {
    filepath,
    database,
    timezone,
    connectTimeoutMs,
    tasks: validated,
  };
}

type Fail = (keyPath: string, expected: string) => BatchctlError;

function secondsToMs(value: unknown, keyPath: string, fail: Fail): number {
  if (typeof value !== "number" || !(value > 0) || value > 3600) {
    throw fail(
      keyPath,
      `must be a number of seconds from 0 to 3600, not ${describe(value)}`,
    );
  }
  return Math.round(value * 1000);
}

function validateTask(
  name: string,
  raw: unknown,
  path: string,
  fail: Fail,
): TaskConfig {
  if (!isPlainObject(raw)) {
    throw fail(path, `must be a mapping, not ${describe(raw)}`);
  }
  if (name !== "collect-object-counts" && raw.objects === undefined) {
    throw fail(
      path,
      "is not a task batchctl knows (built in: collect-object-counts)",
    );
  }

  const { objects, period = "day", timeout, ...rest } = raw;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw fail(
      key(path, unknown),
      "is not a known key (known: objects, period, timeout)",
    );
  }
  if (!granularities.includes(period as Granularity)) {
    throw fail(
      `${path}.period`,
      `must be one of ${granularities.join(", ")}, not ${describe(period)}`,
    );
  }
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
    period: period as Granularity,
    timeoutMs:
      timeout === undefined
        ? undefined
        : secondsToMs(timeout, `${path}.timeout`, fail),
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
