// UTC is computed without time zone data; it must agree with the zone data.
import { describe, expect, it } from "vitest";

import { formatInstant } from "../src/output";
import { granularities, periodAt } from "../src/period";

const instants = Array.from(
  { length: 400 },
  (_, index) => Date.UTC(2024, 0, 1) + index * 7_919_311_000 * 0.13,
).map((ms) => new Date(Math.round(ms)));

describe("UTC without time zone data", () => {
  it("gives the same periods as Etc/UTC for every granularity", () => {
    for (const instant of instants) {
      for (const granularity of granularities) {
        expect(periodAt(instant, granularity, "UTC")).toEqual({
          ...periodAt(instant, granularity, "Etc/UTC"),
          timezone: "UTC",
        });
      }
    }
  });

  it("formats instants as Intl does in UTC", () => {
    const intl = new Intl.DateTimeFormat("en-CA", {
      timeZone: "UTC",
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "short",
    });
    for (const instant of instants) {
      expect(formatInstant(instant, "UTC")).toBe(
        intl.format(instant).replace(",", ""),
      );
    }
  });
});
