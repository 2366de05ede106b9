// Crashes: a pod is OOM-killed or its node vanishes, and the trigger dies with
// SIGKILL at any moment. The period must stay whole (all of its snapshot or
// none), and the next trigger must complete it without anyone unlocking it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  configYaml,
  noonOf,
  runsOf,
  SLOW_OBJECTS,
  slowViewSql,
  snapshotOf,
  TASK,
  waitFor,
  workspace,
} from "./support";
import type { Workspace } from "./support";

const KILLS = 30;
/** Kills in flight at once: each on its own period, so they do not meet. */
const BATCH = 5;
/**
 * The slow view sleeps longer than a trigger waits on a claim (2 s), so a
 * dead trigger's backend that kept its claim until the sleep ended would
 * turn the next trigger away as "running": the claim must go with the
 * client. Kills land anywhere from the run's first row to its end.
 */
const SLEEP_S = 2.5;
const KILL_WINDOW_MS = 3_000;

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace("faults_crash", {
    sql: slowViewSql(SLEEP_S),
    config: configYaml({ slow: true }),
  });
});
afterAll(async () => {
  await ws?.db.drop();
});

interface Kill {
  key: string;
  /** The killed run was still `running`: it died before recording an end. */
  midRun: boolean;
}

async function killOnce(day: number): Promise<Kill> {
  const { key, now } = noonOf(day);
  const host = `crash-${day}`;
  let exited = false;
  const trigger = ws.cli(
    ["run", TASK],
    { BATCHCTL_NOW: now, BATCHCTL_HOST: host },
    {
      onSpawn: (child) => {
        child.once("exit", () => (exited = true));
        void (async () => {
          // The run starts once its row exists; kill at a random moment of it.
          await waitFor(
            async () =>
              exited ||
              (
                await ws.db.query(
                  `select 1 from batchctl_runs where host = '${host}'`,
                )
              ).rowCount === 1,
            20_000,
            `run ${host} to start`,
          );
          const delay = Math.random() * KILL_WINDOW_MS;
          await new Promise((resolve) => setTimeout(resolve, delay));
          child.kill("SIGKILL");
        })();
      },
    },
  );
  const killed = await trigger;
  const [run] = await runsOf(ws.db, key);
  const midRun = killed.signal === "SIGKILL" && run?.status === "running";

  // Whole or nothing: the snapshot commits with the claim.
  const before = Object.keys(await snapshotOf(ws.db, key));
  expect([0, SLOW_OBJECTS.length]).toContain(before.length);

  // The next trigger completes the period, with no manual unlock.
  const next = await ws.cli(["run", TASK, "--json"], { BATCHCTL_NOW: now });
  expect(next.stderr).toBe("");
  expect(next.code).toBe(0);
  const outcome = JSON.parse(next.stdout);
  if (before.length === 0) expect(outcome.status).toBe("succeeded");
  else expect(outcome).toMatchObject({ status: "skipped", reason: "done" });

  const after = await snapshotOf(ws.db, key);
  expect(Object.keys(after).sort()).toEqual([...SLOW_OBJECTS].sort());
  const statuses = (await runsOf(ws.db, key)).map((row) => row.status);
  expect(statuses).not.toContain("running");
  if (midRun) expect(statuses[0]).toBe("abandoned");
  return { key, midRun };
}

describe("crashes", () => {
  it(`keeps every period whole and completable across ${KILLS} runs killed with SIGKILL at random moments`, async () => {
    const kills: Kill[] = [];
    for (let first = 0; first < KILLS; first += BATCH) {
      const days = Array.from({ length: BATCH }, (_, i) => first + i);
      kills.push(...(await Promise.all(days.map(killOnce))));
    }

    const midRun = kills.filter((kill) => kill.midRun).length;
    console.log(`${kills.length} kills, ${midRun} before the run ended`);
    expect(kills).toHaveLength(KILLS);
    // Most kills must hit a run in progress, or the test proves little.
    expect(midRun).toBeGreaterThanOrEqual(KILLS / 2);
  }, 300_000);
});
