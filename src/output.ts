/**
 * Everything batchctl prints goes through here: colour only on a terminal
 * and never with NO_COLOR, passwords masked, JSON one object per line.
 */
import { Chalk } from "chalk";

import { redact, redactedJson } from "./redact";
import type { LogEntry } from "./runner/task";

const colourOn = (stream: NodeJS.WriteStream) =>
  !process.env.NO_COLOR && Boolean(stream.isTTY);

/** Colour for stdout, and for stderr, each on only when it is a terminal. */
export const colour = new Chalk(colourOn(process.stdout) ? {} : { level: 0 });
export const errColour = new Chalk(
  colourOn(process.stderr) ? {} : { level: 0 },
);

export function out(line = ""): void {
  process.stdout.write(`${redact(line)}\n`);
}

export function err(line: string): void {
  process.stderr.write(`${redact(line)}\n`);
}

export function outJson(value: unknown): void {
  process.stdout.write(`${redactedJson(value)}\n`);
}

export function errJson(value: unknown): void {
  process.stderr.write(`${redactedJson(value)}\n`);
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** `2026-12-03 09:00:01 GMT+9`, in the configured time zone. */
export function formatInstant(instant: Date, timezone: string): string {
  // The same text as below, without loading time zone data (see period.ts).
  if (timezone === "UTC") {
    const iso = instant.toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  }
  let format = timeFormats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "short",
    });
    timeFormats.set(timezone, format);
  }
  return format.format(instant).replace(",", "");
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return "";
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Columns padded to their widest cell; the last column is left ragged. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [colour.bold(line(header)), ...rows.map(line)];
}

/**
 * Where a task's log lines go: stderr, so that stdout keeps the trigger's
 * own report. One JSON object per line with `json`, else a line of text.
 */
export function logLine(entry: LogEntry, json: boolean): void {
  if (json) {
    errJson({
      ...entry.fields,
      time: entry.time.toISOString(),
      level: entry.level,
      task: entry.task,
      period: entry.period,
      runId: entry.runId,
      message: entry.message,
    });
    return;
  }
  const level = entry.level === "info" ? "" : `${entry.level}: `;
  const fields = Object.entries(entry.fields)
    .map(([name, value]) => ` ${name}=${JSON.stringify(value)}`)
    .join("");
  err(
    `${entry.task} ${entry.period} (run ${entry.runId}) ${level}${entry.message}${errColour.dim(fields)}`,
  );
}
