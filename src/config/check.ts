/** Small checks shared by the validation of the config and of its tasks. */
import type { BatchctlError } from "../errors";

export type Raw = Record<string, unknown>;

/** Builds the error for one key path: `<source>: <keyPath> <expected>`. */
export type Fail = (keyPath: string, expected: string) => BatchctlError;

export function isPlainObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `"${value}"`;
  if (typeof value === "function") return "a function";
  return typeof value === "object" ? "an object" : String(value);
}

/** A key path segment, quoted when it is not a plain word. */
export function key(path: string, name: string): string {
  return /^[A-Za-z_][\w-]*$/.test(name)
    ? `${path}.${name}`
    : `${path}[${JSON.stringify(name)}]`;
}

/** The longest a task's run may take, whatever its kind. */
export const MAX_TASK_TIMEOUT_S = 86_400;

/** The longest batchctl waits for the database. */
export const MAX_CONNECT_TIMEOUT_S = 3600;

export function secondsText(max: number): string {
  return `a number of seconds above 0, at most ${max}`;
}

export function secondsToMs(
  value: unknown,
  keyPath: string,
  fail: Fail,
  max: number,
): number {
  if (typeof value !== "number" || !(value > 0) || value > max) {
    throw fail(keyPath, `must be ${secondsText(max)}, not ${describe(value)}`);
  }
  return toMs(value);
}

/** At least 1 ms: 0 would mean "no timeout" to pg and to setTimeout. */
export function toMs(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000));
}
