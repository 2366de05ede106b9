import { loadConfig } from "../config/load";
import { openDatabase } from "../db/connect";
import { ownTablesError } from "../db/errors";
import { ExitCode, usageError } from "../errors";
import type { ExitCodeValue } from "../errors";
import {
  colour,
  formatDuration,
  formatInstant,
  formatTable,
  out,
  outJson,
} from "../output";
import { periodAt } from "../period";
import { clock } from "../runner/identity";
import { listRuns } from "../runner/store";
import type { RunStatus } from "../types";
import { runJson } from "./run";

export interface HistoryFlags {
  config?: string;
  since?: string;
  task?: string;
  status?: string;
  limit?: string;
  all?: boolean;
  json?: boolean;
}

export const STATUSES: RunStatus[] = [
  "running",
  "succeeded",
  "failed",
  "interrupted",
  "timed_out",
  "abandoned",
  "skipped",
];

const MAX_LIMIT = 100_000;
const UNITS_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30m`, `12h`, `7d`, `2w`, a date (midnight in `timezone`) or an instant. */
export function parseSince(value: string, now: Date, timezone: string): Date {
  const relative = /^(\d{1,6})([mhdw])$/.exec(value);
  if (relative) {
    const [, amount, unit] = relative as unknown as [string, string, string];
    // 999999w reaches back before 1970: that is all of history.
    const ms = now.getTime() - Number(amount) * (UNITS_MS[unit] ?? 0);
    return new Date(Math.max(0, ms));
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const probe = new Date(`${value}T12:00:00Z`);
    if (
      !Number.isNaN(probe.getTime()) &&
      probe.toISOString().startsWith(value)
    ) {
      return periodAt(probe, "day", timezone).start;
    }
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    // Without a zone, Date would read it in the machine's zone.
    if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
      throw usageError(
        `--since "${value}" has no time zone`,
        "end it in Z or an offset such as +09:00, or give a date such as 2026-12-01",
      );
    }
    const instant = new Date(value);
    if (!Number.isNaN(instant.getTime())) return instant;
  }
  throw usageError(
    `--since "${value}" is not a duration or a date`,
    "use 30m, 12h, 7d, 2w, a date such as 2026-12-01, or an ISO instant",
  );
}

function parseTask(value: string | undefined): string | undefined {
  if (value === "") {
    throw usageError(
      "--task needs a task name",
      "drop --task to list every task",
    );
  }
  return value;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 50;
  const limit = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw usageError(
      `--limit "${value}" is not a whole number from 1 to ${MAX_LIMIT}`,
      limit > MAX_LIMIT
        ? "narrow the list with --since or --task instead of a larger limit"
        : "give a count of runs, such as --limit 20",
    );
  }
  return limit;
}

function parseStatuses(value: string | undefined, all: boolean) {
  if (value === undefined) {
    // Turned-away triggers are most rows on an hourly schedule of a daily
    // task; they are shown when asked for.
    return all ? undefined : STATUSES.filter((status) => status !== "skipped");
  }
  const statuses = value.split(",").map((status) => status.trim());
  const unknown = statuses.find(
    (status) => !STATUSES.includes(status as RunStatus),
  );
  if (unknown !== undefined) {
    throw usageError(
      `--status "${unknown}" is not a run status`,
      `use one or more of ${STATUSES.join(", ")}, separated by commas`,
    );
  }
  return statuses as RunStatus[];
}

export async function historyCommand(
  flags: HistoryFlags,
): Promise<ExitCodeValue> {
  const now = clock(process.env);
  const config = await loadConfig({ configPath: flags.config });
  const filter = {
    since:
      flags.since !== undefined
        ? parseSince(flags.since, now(), config.timezone)
        : undefined,
    task: parseTask(flags.task),
    statuses: parseStatuses(flags.status, Boolean(flags.all)),
    limit: parseLimit(flags.limit),
  };

  const db = await openDatabase(config);
  let runs;
  try {
    runs = await listRuns(db.knex, filter).catch((error: unknown) => {
      throw ownTablesError(error, db.display) ?? error;
    });
  } finally {
    await db.close();
  }

  if (flags.json) {
    outJson(runs.map(runJson));
    return ExitCode.ok;
  }
  const scope = filter.since
    ? ` since ${formatInstant(filter.since, config.timezone)}`
    : "";
  const hidden =
    filter.statuses && !flags.status ? "; --all adds skipped triggers" : "";
  out(
    `${runs.length} run${runs.length === 1 ? "" : "s"}${scope}, newest first${hidden}`,
  );
  if (runs.length === 0) return ExitCode.ok;

  const statusColour: Partial<Record<RunStatus, (text: string) => string>> = {
    succeeded: colour.green,
    failed: colour.red,
    interrupted: colour.red,
    timed_out: colour.red,
    abandoned: colour.red,
    skipped: colour.dim,
  };
  const rows = runs.map((run) => [
    String(run.id),
    run.task,
    run.period,
    run.status,
    formatInstant(run.startedAt, config.timezone),
    formatDuration(run.durationMs),
    run.pod ?? run.host,
    run.job ?? "",
    run.scheduledAt ? formatInstant(run.scheduledAt, config.timezone) : "",
    (run.error ?? run.reason ?? "").split("\n")[0] ?? "",
  ]);
  const lines = formatTable(
    [
      "RUN",
      "TASK",
      "PERIOD",
      "STATUS",
      "STARTED",
      "TOOK",
      "WHERE",
      "JOB",
      "SCHEDULED",
      "DETAIL",
    ],
    rows,
  );
  out(lines[0]);
  lines.slice(1).forEach((line, index) => {
    const status = runs[index]?.status;
    const paint = status ? statusColour[status] : undefined;
    out(
      paint
        ? line.replace(` ${status} `, ` ${paint(status as string)} `)
        : line,
    );
  });
  return ExitCode.ok;
}
