/**
 * Validates the tasks the user writes: which kind an entry under `tasks` is,
 * the keys every kind shares, and the keys of each kind. The object list of
 * the object-counts kind is checked in validate.ts.
 */
import fs from "node:fs";
import { resolve } from "node:path";

import { granularities, isTimezone } from "../period";
import type { Granularity } from "../types";
import {
  describe,
  isPlainObject,
  key,
  MAX_TASK_TIMEOUT_S,
  secondsToMs,
} from "./check";
import type { Fail, Raw } from "./check";
import type {
  TaskConfig,
  TaskFunction,
  TaskKind,
  UserTaskSettings,
} from "./types";

/** The key that says what a task does, for each kind. */
const kindKeys: Record<string, TaskKind> = {
  sql: "sql",
  module: "module",
  run: "inline",
  objects: "object-counts",
};

export const settingKeys = ["period", "timezone", "timeout", "backfill"];

export function taskKind(
  name: string,
  raw: Raw,
  path: string,
  fail: Fail,
): TaskKind {
  const given = Object.keys(kindKeys).filter((k) => raw[k] !== undefined);
  if (given.length > 1) {
    throw fail(
      path,
      `has both ${given[0]} and ${given[1]}; a task does one thing: sql, module, run or objects`,
    );
  }
  const [what] = given;
  if (what !== undefined) return kindKeys[what] as TaskKind;
  if (name === "collect-object-counts") return "object-counts";
  throw fail(
    path,
    "says nothing to run: give sql (statements), module (a file), run (a function, in a JavaScript or TypeScript config) or objects (tables to count)",
  );
}

/** The shared keys that are present, checked; defaults are the caller's. */
export function validateSettings(
  raw: Raw,
  path: string,
  fail: Fail,
): Partial<UserTaskSettings> {
  const { period, timezone, timeout, backfill } = raw;
  const settings: Partial<UserTaskSettings> = {};

  if (period !== undefined) {
    if (!granularities.includes(period as Granularity)) {
      throw fail(
        `${path}.period`,
        `must be one of ${granularities.join(", ")}, not ${describe(period)}`,
      );
    }
    settings.period = period as Granularity;
  }
  if (timezone !== undefined) {
    if (typeof timezone !== "string" || !isTimezone(timezone)) {
      throw fail(
        `${path}.timezone`,
        `must be an IANA time zone such as America/New_York or UTC, not ${describe(timezone)}`,
      );
    }
    settings.timezone = timezone;
  }
  if (timeout !== undefined) {
    settings.timeoutMs = secondsToMs(
      timeout,
      `${path}.timeout`,
      fail,
      MAX_TASK_TIMEOUT_S,
    );
  }
  if (backfill !== undefined) {
    if (typeof backfill !== "boolean") {
      throw fail(
        `${path}.backfill`,
        `must be true or false, not ${describe(backfill)}`,
      );
    }
    settings.backfill = backfill;
  }
  return settings;
}

export function withDefaults(
  settings: Partial<UserTaskSettings>,
): UserTaskSettings {
  return {
    period: settings.period ?? "day",
    timezone: settings.timezone,
    timeoutMs: settings.timeoutMs,
    backfill: settings.backfill ?? false,
  };
}

/** Checks a SQL, module or inline task; `baseDir` holds the config file. */
export function validateUserTask(
  kind: Exclude<TaskKind, "object-counts">,
  raw: Raw,
  path: string,
  fail: Fail,
  baseDir: string,
): TaskConfig {
  const kindKey = kind === "inline" ? "run" : kind;
  const known = [kindKey, ...settingKeys];
  const unknown = Object.keys(raw).find((name) => !known.includes(name));
  if (unknown !== undefined) {
    throw fail(
      key(path, unknown),
      `is not a known key of a ${kind} task (known: ${known.join(", ")})`,
    );
  }
  const settings = validateSettings(raw, path, fail);

  switch (kind) {
    case "sql":
      return {
        kind,
        ...withDefaults(settings),
        statements: statementsOf(raw.sql, `${path}.sql`, fail),
      };
    case "module":
      return {
        kind,
        ...settings,
        ...moduleOf(raw.module, `${path}.module`, fail, baseDir),
      };
    case "inline":
      if (typeof raw.run !== "function") {
        throw fail(
          `${path}.run`,
          `must be a function, not ${describe(raw.run)}; write it in batchctl.config.ts or .js, or use sql or module in a YAML or JSON config`,
        );
      }
      return {
        kind,
        ...withDefaults(settings),
        run: raw.run as TaskFunction,
      };
  }
}

function statementsOf(value: unknown, path: string, fail: Fail): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list)) {
    throw fail(
      path,
      `must be a SQL statement or a list of them, not ${describe(value)}`,
    );
  }
  if (list.length === 0) {
    throw fail(path, "has no statement: give one, or a list of them");
  }
  list.forEach((statement: unknown, index) => {
    const where = Array.isArray(value) ? `${path}[${index}]` : path;
    if (typeof statement !== "string") {
      throw fail(where, `must be a SQL statement, not ${describe(statement)}`);
    }
    if (statement.trim() === "") {
      throw fail(where, "has no statement: it is empty");
    }
  });
  return list as string[];
}

function moduleOf(
  value: unknown,
  path: string,
  fail: Fail,
  baseDir: string,
): { module: string; file: string } {
  if (typeof value !== "string" || !value) {
    throw fail(
      path,
      `must be the path of a JavaScript or TypeScript file, not ${describe(value)}`,
    );
  }
  const file = resolve(baseDir, value);
  if (!fs.existsSync(file)) {
    throw fail(
      path,
      `names ${file}, which does not exist (the path is relative to the config file)`,
    );
  }
  return { module: value, file };
}
