/**
 * Periods in a time zone. A period is named by its local calendar (its key)
 * and bounded by two instants, so that a trigger at 00:30 in Seoul lands in
 * Seoul's day even though it is still yesterday in UTC.
 */
import { usageError } from "./errors";
import type { Granularity, Period } from "./types";

export const granularities: readonly Granularity[] = [
  "hour",
  "day",
  "week",
  "month",
];

const keyShapes: Record<Granularity, { pattern: RegExp; example: string }> = {
  hour: {
    pattern: /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/,
    example: "2026-12-03T09",
  },
  day: { pattern: /^(\d{4})-(\d{2})-(\d{2})$/, example: "2026-12-03" },
  week: { pattern: /^(\d{4})-W(\d{2})$/, example: "2026-W49" },
  month: { pattern: /^(\d{4})-(\d{2})$/, example: "2026-12" },
};

/** A local calendar time, months 1 to 12. */
interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let found = formatters.get(timezone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timezone, found);
  }
  return found;
}

/**
 * UTC, the default, needs no time zone data: a trigger skips loading ICU's
 * zones, which costs more than a round trip to the database.
 */
const isUtc = (timezone: string) => timezone === "UTC";

export function isTimezone(timezone: string): boolean {
  if (isUtc(timezone)) return true;
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

/** The local wall-clock fields of an instant, to the second. */
function wallParts(instant: number, timezone: string): number[] {
  if (isUtc(timezone)) {
    const date = new Date(instant);
    return [
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
    ];
  }
  const parts = formatter(timezone).formatToParts(new Date(instant));
  const field = (type: string) =>
    Number(parts.find((part) => part.type === type)?.value);
  return ["year", "month", "day", "hour", "minute", "second"].map(field);
}

/** Local time minus UTC, in milliseconds, at an instant. */
function offsetAt(instant: number, timezone: string): number {
  const [y, mo, d, h, mi, s] = wallParts(instant, timezone) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const seconds = Math.floor(instant / 1000) * 1000;
  return Date.UTC(y, mo - 1, d, h, mi, s) - seconds;
}

/**
 * The first instant whose local time is `wall`. A time skipped by a
 * daylight-saving change maps to the instant the clocks jumped; a time that
 * occurs twice maps to its first occurrence.
 */
function instantOf(wall: Wall, timezone: string): number {
  const naive = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour);
  // The offsets a day either side: offsets reach +14 h, so half a day can
  // fall on the wrong side of a change (Auckland is +13 h in summer).
  const candidates = [
    naive - offsetAt(naive - DAY_MS, timezone),
    naive - offsetAt(naive + DAY_MS, timezone),
  ];
  const exact = candidates.filter(
    (instant) => naive - offsetAt(instant, timezone) === instant,
  );
  if (exact.length > 0) return Math.min(...exact);
  return changeBetween(
    Math.min(...candidates),
    Math.max(...candidates),
    timezone,
  );
}

/**
 * The instant the offset changes between `from` and `to`, to the minute.
 * A skipped time lies in such a gap, which need not start on the hour
 * (Chatham's clocks jump from 02:45 to 03:45).
 */
function changeBetween(from: number, to: number, timezone: string): number {
  const before = offsetAt(from, timezone);
  let low = from;
  let high = to;
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
    if (offsetAt(middle, timezone) === before) low = middle;
    else high = middle;
  }
  return high;
}

/** Adds days to a calendar date, through UTC so no zone gets in the way. */
function addDays(wall: Wall, days: number): Wall {
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: wall.hour,
  };
}

/** Monday is 1, Sunday 7. */
function isoWeekday(wall: Wall): number {
  const day = new Date(
    Date.UTC(wall.year, wall.month - 1, wall.day),
  ).getUTCDay();
  return day === 0 ? 7 : day;
}

function isoWeek(wall: Wall): { year: number; week: number } {
  const thursday = addDays(wall, 4 - isoWeekday(wall));
  const january1 = Date.UTC(thursday.year, 0, 1);
  const ordinal =
    (Date.UTC(thursday.year, thursday.month - 1, thursday.day) - january1) /
    DAY_MS;
  return { year: thursday.year, week: Math.floor(ordinal / 7) + 1 };
}

function mondayOfIsoWeek(year: number, week: number): Wall {
  const january4: Wall = { year, month: 1, day: 4, hour: 0 };
  return addDays(january4, 1 - isoWeekday(january4) + (week - 1) * 7);
}

function weeksInIsoYear(year: number): number {
  return isoWeek({ year, month: 12, day: 28, hour: 0 }).week;
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

function keyOf(start: Wall, granularity: Granularity): string {
  const date = `${pad(start.year, 4)}-${pad(start.month)}-${pad(start.day)}`;
  switch (granularity) {
    case "hour":
      return `${date}T${pad(start.hour)}`;
    case "day":
      return date;
    case "week": {
      const { year, week } = isoWeek(start);
      return `${pad(year, 4)}-W${pad(week)}`;
    }
    case "month":
      return `${pad(start.year, 4)}-${pad(start.month)}`;
  }
}

/** The local start of the period holding `wall`, and of the next one. */
function bounds(wall: Wall, granularity: Granularity): [Wall, Wall] {
  switch (granularity) {
    case "hour": {
      const next =
        wall.hour === 23
          ? { ...addDays(wall, 1), hour: 0 }
          : { ...wall, hour: wall.hour + 1 };
      return [wall, next];
    }
    case "day": {
      const start = { ...wall, hour: 0 };
      return [start, addDays(start, 1)];
    }
    case "week": {
      const start = addDays({ ...wall, hour: 0 }, 1 - isoWeekday(wall));
      return [start, addDays(start, 7)];
    }
    case "month": {
      const start = { ...wall, day: 1, hour: 0 };
      const next =
        wall.month === 12
          ? { ...start, year: wall.year + 1, month: 1 }
          : { ...start, month: wall.month + 1 };
      return [start, next];
    }
  }
}

function periodFromWall(
  wall: Wall,
  granularity: Granularity,
  timezone: string,
): Period {
  const [start, next] = bounds(wall, granularity);
  return {
    granularity,
    key: keyOf(start, granularity),
    start: new Date(instantOf(start, timezone)),
    end: new Date(instantOf(next, timezone)),
    timezone,
  };
}

/** The period of `granularity` that holds `instant` in `timezone`. */
export function periodAt(
  instant: Date,
  granularity: Granularity,
  timezone: string,
): Period {
  const [year, month, day, hour] = wallParts(instant.getTime(), timezone) as [
    number,
    number,
    number,
    number,
  ];
  return periodFromWall({ year, month, day, hour }, granularity, timezone);
}

/** Reads a period key such as `2026-W49`; a malformed key is a usage error. */
export function parsePeriodKey(
  key: string,
  granularity: Granularity,
  timezone: string,
): Period {
  const shape = keyShapes[granularity];
  const match = shape.pattern.exec(key);
  const fields = match ? match.slice(1).map(Number) : [];
  if (match && (fields[0] ?? 0) < 1970) {
    // Date.UTC would read years 0 to 99 as 1900 to 1999.
    throw usageError(
      `"${key}" is before 1970`,
      `give a period from 1970 on, such as ${shape.example}`,
    );
  }
  const wall = match ? wallOfKey(fields, granularity) : undefined;
  if (!wall) {
    throw usageError(
      `"${key}" is not a ${granularity} period key`,
      `give one like ${shape.example}`,
    );
  }
  const period = periodFromWall(wall, granularity, timezone);
  if (period.start.getTime() === period.end.getTime()) {
    // The hour the clocks skip when daylight saving time begins.
    throw usageError(
      `"${key}" does not exist in ${timezone}: its clocks skip that hour`,
      "give the hour before or after it",
    );
  }
  return period;
}

function wallOfKey(
  fields: number[],
  granularity: Granularity,
): Wall | undefined {
  const [year = 0, second = 0, day = 1, hour = 0] = fields;
  if (granularity === "week") {
    const valid = second >= 1 && second <= weeksInIsoYear(year);
    return valid ? mondayOfIsoWeek(year, second) : undefined;
  }
  const wall: Wall = { year, month: second, day, hour };
  const roundTrip = addDays(wall, 0);
  const valid =
    hour <= 23 &&
    roundTrip.year === year &&
    roundTrip.month === second &&
    roundTrip.day === day;
  return valid ? wall : undefined;
}
