// Termination: Kubernetes sends SIGTERM before it evicts a pod, then waits
// its grace period (30 s by default) before SIGKILL. A run stopped this way
// rolls back, says so in history, and exits well inside the grace period.
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { writeConfig } from "../support/databases";
import {
  configYaml,
  noonOf,
  runsOf,
  slowViewSql,
  snapshotOf,
  TASK,
  waitFor,
  workspace,
} from "./support";
import type { Workspace } from "./support";

let ws: Workspace;
let fastConfig: string;
beforeAll(async () => {
  // Long enough that the second trigger below finds the run still going,
  // however slowly it starts; SIGTERM cuts the sleep short.
  ws = await workspace("faults_term", {
    sql: slowViewSql(20),
    config: configYaml({ slow: true }),
  });
  fastConfig = writeConfig(ws.dir, configYaml(), "fast.yaml");
});
afterAll(async () => {
  await ws?.db.drop();
});

/** True while a batchctl backend is counting the slow view. */
async function countingSlowView(): Promise<boolean> {
  const { rowCount } = await ws.db.query(
    `select 1 from pg_stat_activity
     where datname = current_database() and state = 'active'
       and pid <> pg_backend_pid() and query like '%"slow"%'`,
  );
  return (rowCount ?? 0) > 0;
}

describe("termination", () => {
  it("rolls back, records interrupted and exits 4 within 5 s on SIGTERM mid-run", async () => {
    const { key, now } = noonOf(0);
    let signalledAt = 0;
    const stopped = ws.cli(
      ["run", TASK],
      { BATCHCTL_NOW: now },
      {
        onSpawn: (child) => {
          void waitFor(countingSlowView, 20_000, "the slow count").then(
            async () => {
              // The claim is written: a second trigger is turned away.
              const second = await ws.cli(["run", TASK, "--json"], {
                BATCHCTL_NOW: now,
              });
              expect(JSON.parse(second.stdout)).toMatchObject({
                status: "skipped",
                reason: "running",
              });
              signalledAt = Date.now();
              child.kill("SIGTERM");
            },
          );
        },
      },
    );
    const result = await stopped;
    const tookMs = Date.now() - signalledAt;

    expect(signalledAt).toBeGreaterThan(0);
    expect(result.code).toBe(4);
    expect(tookMs).toBeLessThan(5_000);
    expect(result.stderr).toMatch(/interrupted/);
    expect(result.stderr).toMatch(/rolled back/);

    const runs = await runsOf(ws.db, key);
    expect(runs.map((run) => run.status)).toEqual(["interrupted", "skipped"]);
    expect(await snapshotOf(ws.db, key)).toEqual({});
    const { rowCount: claims } = await ws.db.query(
      `select 1 from batchctl_periods where period = '${key}'`,
    );
    expect(claims).toBe(0);

    const next = await ws.cli(["run", TASK, "--json"], {
      BATCHCTL_NOW: now,
      BATCHCTL_CONFIG: fastConfig,
    });
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout).status).toBe("succeeded");
  });
});

describe("termination on a slow server", () => {
  let slow: Workspace;
  beforeAll(async () => {
    // Updates of runs take 50 ms, as on a loaded server: long enough for
    // the cancel sent on SIGTERM to arrive while the outcome is recorded.
    slow = await workspace("faults_term_slow", {
      sql: `create table ledger (period text, run_id integer);
        create function slow_update() returns trigger language plpgsql as
          $$ begin perform pg_sleep(0.05); return new; end $$;`,
      config: "tasks:\n  quick: { module: ./quick.js, backfill: true }\n",
      migrate: false,
    });
    fs.writeFileSync(
      path.join(slow.dir, "quick.js"),
      `module.exports = async ({ db, period, runId, signal, log }) => {
  await db("ledger").insert({ period: period.key, run_id: runId });
  log.info("waiting");
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 10000);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
};
`,
    );
    const migrated = await slow.cli(["migrate"]);
    expect(migrated.code, migrated.stderr).toBe(0);
    await slow.db.query(
      `create trigger slow_update before update on batchctl_runs
       for each row execute function slow_update()`,
    );
  });
  afterAll(async () => {
    await slow?.db.drop();
  });

  it("records every interrupted run, even when the cancel arrives late", async () => {
    for (let day = 1; day <= 5; day++) {
      const period = `2026-11-0${day}`;
      const result = await slow.cli(
        ["run", "quick", "--period", period],
        {},
        {
          onSpawn: (child) => {
            child.stderr?.on("data", (chunk: Buffer) => {
              if (chunk.toString().includes("waiting")) child.kill("SIGTERM");
            });
          },
        },
      );
      expect(result.code, `${period}: ${result.stderr}`).toBe(4);
      const { rows } = await slow.db.query(
        `select status from batchctl_runs where period = '${period}'`,
      );
      expect(rows).toEqual([{ status: "interrupted" }]);
    }
    const { rows } = await slow.db.query(
      "select count(*)::int as n from ledger",
    );
    expect(rows[0].n).toBe(0);
  }, 120_000);
});
