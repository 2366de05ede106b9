// Time: a period is the local calendar's day or hour in the configured zone,
// so a trigger one second either side of local midnight, or of a
// daylight-saving change, must land in the period a person there would name.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../support/cli";
import { tempDir, writeConfig } from "../support/databases";
import { workspace } from "./support";
import type { Workspace } from "./support";

const zoneConfig = (tz: string) => `
timezone: ${tz}
tasks:
  daily:
    period: day
    objects: { daily_notebooks: notebook_notebook }
  hourly:
    period: hour
    objects: { hourly_notebooks: notebook_notebook }
`;

/** [task, BATCHCTL_NOW, expected period, expected status] */
type Case = [string, string, string, string?];

const zones: Record<string, Case[]> = {
  "Asia/Seoul": [
    ["daily", "2026-12-02T14:59:59Z", "2026-12-02"],
    ["daily", "2026-12-02T15:00:00Z", "2026-12-03"],
    ["hourly", "2026-12-02T14:59:59Z", "2026-12-02T23"],
    ["hourly", "2026-12-02T15:00:00Z", "2026-12-03T00"],
  ],
  "America/New_York": [
    // Midnight in winter (UTC-5).
    ["daily", "2026-12-03T04:59:59Z", "2026-12-02"],
    ["daily", "2026-12-03T05:00:00Z", "2026-12-03"],
    // 2026-03-08: at 02:00 EST clocks jump to 03:00 EDT (07:00 UTC).
    ["daily", "2026-03-08T04:59:59Z", "2026-03-07"],
    ["daily", "2026-03-08T05:00:00Z", "2026-03-08"],
    // The same day as the trigger at its start: a 23-hour day, done once.
    ["daily", "2026-03-09T03:59:59Z", "2026-03-08", "skipped"],
    ["daily", "2026-03-09T04:00:00Z", "2026-03-09"],
    ["hourly", "2026-03-08T06:59:59Z", "2026-03-08T01"],
    ["hourly", "2026-03-08T07:00:00Z", "2026-03-08T03"],
    // 2026-11-01: at 02:00 EDT clocks fall back to 01:00 EST (06:00 UTC).
    ["daily", "2026-11-01T03:59:59Z", "2026-10-31"],
    ["daily", "2026-11-01T04:00:00Z", "2026-11-01"],
    // A 25-hour day, done once.
    ["daily", "2026-11-02T04:59:59Z", "2026-11-01", "skipped"],
    ["daily", "2026-11-02T05:00:00Z", "2026-11-02"],
    ["hourly", "2026-11-01T05:59:59Z", "2026-11-01T01"],
    // The repeated hour 01:00-02:00 is one period: it is already done.
    ["hourly", "2026-11-01T06:00:00Z", "2026-11-01T01", "skipped"],
    ["hourly", "2026-11-01T06:59:59Z", "2026-11-01T01", "skipped"],
    ["hourly", "2026-11-01T07:00:00Z", "2026-11-01T02"],
  ],
};

const workspaces: Workspace[] = [];
afterAll(async () => {
  await Promise.all(workspaces.map((ws) => ws.db.drop()));
});

describe("periods in a time zone", () => {
  for (const [tz, cases] of Object.entries(zones)) {
    describe(tz, () => {
      let ws: Workspace;
      beforeAll(async () => {
        ws = await workspace("faults_time", { config: zoneConfig(tz) });
        workspaces.push(ws);
      });

      it("puts each trigger either side of midnight and of daylight-saving changes in its local period", async () => {
        const seen: Case[] = [];
        for (const [task, now, period, status = "succeeded"] of cases) {
          const result = await ws.cli(["run", task, "--json"], {
            BATCHCTL_NOW: now,
          });
          expect(result.stderr).toBe("");
          const outcome = JSON.parse(result.stdout);
          seen.push([task, now, outcome.period, outcome.status]);
          expect.soft([task, now, outcome.period]).toEqual([task, now, period]);
          expect.soft(outcome.status).toBe(status);
        }
        console.log(seen.map((row) => `${tz} ${row.join(" ")}`).join("\n"));
      });
    });
  }

  it("rejects an unknown time zone as a config error naming timezone, exit 2", async () => {
    const dir = tempDir("faults-time");
    const config = writeConfig(dir, zoneConfig("Mars/Olympus_Mons"));
    for (const args of [["run", "daily"], ["history"]]) {
      const result = await runCli(args, {
        cwd: dir,
        env: { BATCHCTL_CONFIG: config, DATABASE_URL: "sqlite:unused.sqlite" },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/timezone/);
      expect(result.stderr).toMatch(/Mars\/Olympus_Mons/);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
