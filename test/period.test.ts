// Periods at their edges: the last and first instants of each granularity,
// ISO weeks 1 and 53, month ends, and both daylight-saving changes of New
// York in 2026 (clocks jump 02:00 to 03:00 on March 8 and fall back 02:00
// to 01:00 on November 1).
import { describe, expect, it } from "vitest";

import { parsePeriodKey, periodAt } from "../src/period";
import type { Granularity } from "../src/types";

const NY = "America/New_York";
const at = (iso: string) => new Date(iso);
const HOUR_MS = 3_600_000;

function period(iso: string, granularity: Granularity, zone = "UTC") {
  const found = periodAt(at(iso), granularity, zone);
  return {
    key: found.key,
    start: found.start.toISOString(),
    end: found.end.toISOString(),
  };
}

function parsed(key: string, granularity: Granularity, zone = "UTC") {
  const found = parsePeriodKey(key, granularity, zone);
  return {
    key: found.key,
    start: found.start.toISOString(),
    end: found.end.toISOString(),
  };
}

describe("hour periods", () => {
  it("end at the last millisecond of the hour and start a new one on the hour", () => {
    expect(period("2026-12-03T09:59:59.999Z", "hour")).toEqual({
      key: "2026-12-03T09",
      start: "2026-12-03T09:00:00.000Z",
      end: "2026-12-03T10:00:00.000Z",
    });
    expect(period("2026-12-03T10:00:00.000Z", "hour").key).toBe(
      "2026-12-03T10",
    );
  });

  it("roll over midnight and the year", () => {
    expect(period("2026-12-31T23:30:00Z", "hour")).toEqual({
      key: "2026-12-31T23",
      start: "2026-12-31T23:00:00.000Z",
      end: "2027-01-01T00:00:00.000Z",
    });
  });

  it("are named by local time in the configured zone", () => {
    // 14:30 UTC is 09:30 in New York in December (UTC-5).
    expect(period("2026-12-03T14:30:00Z", "hour", NY).key).toBe(
      "2026-12-03T09",
    );
  });

  it("go from 01 to 03 when New York's clocks jump forward on 2026-03-08", () => {
    expect(period("2026-03-08T06:59:59.999Z", "hour", NY)).toEqual({
      key: "2026-03-08T01",
      start: "2026-03-08T06:00:00.000Z",
      end: "2026-03-08T07:00:00.000Z",
    });
    expect(period("2026-03-08T07:00:00.000Z", "hour", NY)).toEqual({
      key: "2026-03-08T03",
      start: "2026-03-08T07:00:00.000Z",
      end: "2026-03-08T08:00:00.000Z",
    });
  });

  it("refuse the key of the hour that New York skips on 2026-03-08", () => {
    expect(() => parsePeriodKey("2026-03-08T02", "hour", NY)).toThrow(
      /does not exist in America\/New_York/,
    );
  });

  it("make the repeated hour of 2026-11-01 in New York one period two hours long", () => {
    const first = period("2026-11-01T05:30:00Z", "hour", NY); // 01:30 EDT
    const second = period("2026-11-01T06:30:00Z", "hour", NY); // 01:30 EST
    expect(first).toEqual({
      key: "2026-11-01T01",
      start: "2026-11-01T05:00:00.000Z",
      end: "2026-11-01T07:00:00.000Z",
    });
    expect(second).toEqual(first);
    expect(period("2026-11-01T07:00:00Z", "hour", NY)).toEqual({
      key: "2026-11-01T02",
      start: "2026-11-01T07:00:00.000Z",
      end: "2026-11-01T08:00:00.000Z",
    });
    expect(parsed("2026-11-01T01", "hour", NY)).toEqual(first);
  });
});

describe("hour periods more than 12 hours ahead of UTC", () => {
  const AKL = "Pacific/Auckland";

  it("go from 01 to 03 when Auckland's clocks jump forward on 2026-09-27", () => {
    expect(period("2026-09-26T13:30:00Z", "hour", AKL)).toEqual({
      key: "2026-09-27T01",
      start: "2026-09-26T13:00:00.000Z",
      end: "2026-09-26T14:00:00.000Z",
    });
    expect(period("2026-09-26T14:00:00Z", "hour", AKL).key).toBe(
      "2026-09-27T03",
    );
    expect(() => parsePeriodKey("2026-09-27T02", "hour", AKL)).toThrow(
      /does not exist in Pacific\/Auckland/,
    );
    expect(parsed("2026-09-27T01", "hour", AKL).end).toBe(
      "2026-09-26T14:00:00.000Z",
    );
  });

  it("make Auckland's repeated hour of 2026-04-05 one period two hours long", () => {
    const expected = {
      key: "2026-04-05T02",
      start: "2026-04-04T13:00:00.000Z",
      end: "2026-04-04T15:00:00.000Z",
    };
    expect(period("2026-04-04T13:30:00Z", "hour", AKL)).toEqual(expected); // 02:30 NZDT
    expect(period("2026-04-04T14:30:00Z", "hour", AKL)).toEqual(expected); // 02:30 NZST
  });

  it("cut the hours at Chatham's clock change, 45 minutes off the hour", () => {
    const CHT = "Pacific/Chatham";
    // 02:45 +1245 becomes 03:45 +1345: T02 is 45 minutes long, T03 15.
    expect(period("2026-09-26T13:30:00Z", "hour", CHT)).toEqual({
      key: "2026-09-27T02",
      start: "2026-09-26T13:15:00.000Z",
      end: "2026-09-26T14:00:00.000Z",
    });
    expect(period("2026-09-26T14:05:00Z", "hour", CHT)).toEqual({
      key: "2026-09-27T03",
      start: "2026-09-26T14:00:00.000Z",
      end: "2026-09-26T14:15:00.000Z",
    });
  });
});

describe("every instant of 2026", () => {
  // Zones with changes of an hour, half an hour, 45 minutes off the hour,
  // none at all, and offsets from -11 h to +14 h.
  const zones = [
    "UTC",
    NY,
    "Europe/London",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
  ];

  it.each(zones)(
    "lies in the %s period that periodAt gives it, hours and days",
    (zone) => {
      const from = Date.UTC(2026, 0, 1);
      const to = Date.UTC(2027, 0, 1);
      // Every 75 minutes: over a year that meets each quarter hour.
      for (let instant = from; instant < to; instant += 75 * 60_000) {
        for (const granularity of ["hour", "day"] as const) {
          const found = periodAt(new Date(instant), granularity, zone);
          const inside =
            found.start.getTime() <= instant && instant < found.end.getTime();
          if (!inside) {
            expect.fail(
              `${new Date(instant).toISOString()} in ${zone}: ${granularity} ${found.key} is ${found.start.toISOString()} to ${found.end.toISOString()}`,
            );
          }
        }
      }
    },
  );
});

describe("day periods", () => {
  it("turn at local midnight, not UTC midnight", () => {
    expect(period("2026-12-03T04:59:59.999Z", "day", NY).key).toBe(
      "2026-12-02",
    );
    expect(period("2026-12-03T05:00:00.000Z", "day", NY)).toEqual({
      key: "2026-12-03",
      start: "2026-12-03T05:00:00.000Z",
      end: "2026-12-04T05:00:00.000Z",
    });
  });

  it("last 23 hours on 2026-03-08 and 25 hours on 2026-11-01 in New York", () => {
    const spring = parsePeriodKey("2026-03-08", "day", NY);
    expect(spring.start.toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(spring.end.getTime() - spring.start.getTime()).toBe(23 * HOUR_MS);
    const autumn = parsePeriodKey("2026-11-01", "day", NY);
    expect(autumn.start.toISOString()).toBe("2026-11-01T04:00:00.000Z");
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(25 * HOUR_MS);
  });

  it("accept February 29 only in a leap year", () => {
    expect(parsed("2028-02-29", "day").end).toBe("2028-03-01T00:00:00.000Z");
    expect(() => parsePeriodKey("2026-02-29", "day", "UTC")).toThrow(
      /is not a day period key/,
    );
  });
});

describe("week periods", () => {
  it("start on Monday: Sunday 2026-12-06 is in W49, Monday 2026-12-07 in W50", () => {
    expect(period("2026-12-06T23:59:59.999Z", "week")).toEqual({
      key: "2026-W49",
      start: "2026-11-30T00:00:00.000Z",
      end: "2026-12-07T00:00:00.000Z",
    });
    expect(period("2026-12-07T00:00:00.000Z", "week").key).toBe("2026-W50");
  });

  it("make week 1 the week of the year's first Thursday, even when it starts in December", () => {
    // 2026-01-01 is a Thursday, so 2026-W01 begins on Monday 2025-12-29.
    expect(period("2025-12-28T23:59:59Z", "week").key).toBe("2025-W52");
    expect(period("2025-12-29T00:00:00Z", "week")).toEqual({
      key: "2026-W01",
      start: "2025-12-29T00:00:00.000Z",
      end: "2026-01-05T00:00:00.000Z",
    });
  });

  it("have a week 53 in 2026, reaching into January 2027, and none in 2027", () => {
    expect(parsed("2026-W53", "week")).toEqual({
      key: "2026-W53",
      start: "2026-12-28T00:00:00.000Z",
      end: "2027-01-04T00:00:00.000Z",
    });
    expect(period("2027-01-03T12:00:00Z", "week").key).toBe("2026-W53");
    expect(period("2027-01-04T00:00:00Z", "week").key).toBe("2027-W01");
    expect(() => parsePeriodKey("2027-W53", "week", "UTC")).toThrow(
      /is not a week period key/,
    );
    expect(() => parsePeriodKey("2026-W00", "week", "UTC")).toThrow(
      /is not a week period key/,
    );
  });

  it("span the spring change in New York with a week one hour short", () => {
    const week = parsePeriodKey("2026-W10", "week", NY);
    expect(week.start.toISOString()).toBe("2026-03-02T05:00:00.000Z");
    expect(week.end.toISOString()).toBe("2026-03-09T04:00:00.000Z");
  });
});

describe("month periods", () => {
  it("end on the last day of each month, 28 to 31 days", () => {
    expect(period("2026-01-31T23:59:59.999Z", "month")).toEqual({
      key: "2026-01",
      start: "2026-01-01T00:00:00.000Z",
      end: "2026-02-01T00:00:00.000Z",
    });
    expect(parsed("2026-02", "month").end).toBe("2026-03-01T00:00:00.000Z");
    expect(parsed("2028-02", "month").end).toBe("2028-03-01T00:00:00.000Z");
    expect(parsed("2026-04", "month").end).toBe("2026-05-01T00:00:00.000Z");
    expect(period("2026-12-31T23:59:59.999Z", "month")).toEqual({
      key: "2026-12",
      start: "2026-12-01T00:00:00.000Z",
      end: "2027-01-01T00:00:00.000Z",
    });
    expect(period("2027-01-01T00:00:00Z", "month").key).toBe("2027-01");
  });

  it("turn at local midnight of the first, across the daylight-saving changes", () => {
    expect(period("2026-03-01T04:59:59Z", "month", NY).key).toBe("2026-02");
    expect(parsed("2026-03", "month", NY)).toEqual({
      key: "2026-03",
      start: "2026-03-01T05:00:00.000Z",
      end: "2026-04-01T04:00:00.000Z",
    });
    expect(parsed("2026-11", "month", NY)).toEqual({
      key: "2026-11",
      start: "2026-11-01T04:00:00.000Z",
      end: "2026-12-01T05:00:00.000Z",
    });
  });

  it("refuse a key before 1970, whose year Date.UTC would misread", () => {
    expect(() => parsePeriodKey("0001-W01", "week", "UTC")).toThrow(
      /"0001-W01" is before 1970/,
    );
    expect(() => parsePeriodKey("0099-12", "month", "UTC")).toThrow(
      /before 1970/,
    );
    expect(parsed("1970-01", "month").start).toBe("1970-01-01T00:00:00.000Z");
  });

  it("refuse a key of another shape", () => {
    expect(() => parsePeriodKey("2026-13", "month", "UTC")).toThrow(
      /is not a month period key/,
    );
    expect(() => parsePeriodKey("2026-12-03", "month", "UTC")).toThrow(
      /is not a month period key/,
    );
  });
});
