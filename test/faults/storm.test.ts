// Duplicate storms: a CronJob may start two Jobs for one slot, a person may
// rerun by hand, a retry may overlap the original. Fifty triggers at once must
// still execute the task exactly once for the period.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { noonOf, OBJECTS, TASK, workspace } from "./support";
import type { Workspace } from "./support";

const TRIGGERS = 50;
const PERIODS = 10;

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace("faults_storm");
});
afterAll(async () => {
  await ws?.db.drop();
});

describe("duplicate storms", () => {
  it(`executes the task once per period when ${TRIGGERS} triggers start at once, for ${PERIODS} periods`, async () => {
    for (let day = 0; day < PERIODS; day++) {
      const { key, now } = noonOf(day);
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: TRIGGERS }, () =>
          ws.cli(["run", TASK, "--json"], { BATCHCTL_NOW: now }),
        ),
      );
      const wall = Date.now() - started;
      console.log(`storm of ${TRIGGERS} triggers for ${key}: ${wall} ms`);

      const failed = results.filter((result) => result.code !== 0);
      expect(failed.map((result) => result.stderr)).toEqual([]);
      const outcomes = results.map((result) => JSON.parse(result.stdout));
      expect(outcomes.every((outcome) => outcome.period === key)).toBe(true);
      expect(
        outcomes.filter((outcome) => outcome.status === "succeeded"),
      ).toHaveLength(1);
      expect(
        outcomes.filter((outcome) => outcome.status === "skipped"),
      ).toHaveLength(TRIGGERS - 1);

      const { rows: runs } = await ws.db.query(
        `select status, count(*)::int as n from batchctl_runs
           where period = '${key}' group by status order by status`,
      );
      expect(runs).toEqual([
        { status: "skipped", n: TRIGGERS - 1 },
        { status: "succeeded", n: 1 },
      ]);
      const { rows: snapshot } = await ws.db.query(
        `select object, count(*)::int as n from batchctl_object_counts
           where period = '${key}' group by object order by object`,
      );
      expect(snapshot).toEqual(
        [...OBJECTS].sort().map((object) => ({ object, n: 1 })),
      );
    }
  }, 300_000);
});
