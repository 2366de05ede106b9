// Nothing lost: history is the record of every trigger and the snapshots are
// the product. No command deletes or rewrites them; the one change allowed
// is a `running` row getting its final status.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { writeConfig } from "../support/databases";
import {
  configYaml,
  noonOf,
  slowViewSql,
  TASK,
  waitFor,
  workspace,
} from "./support";
import type { Workspace } from "./support";

type Rows = Map<string, Record<string, unknown>>;
interface Everything {
  runs: Rows;
  periods: Rows;
  snapshots: Rows;
}

let ws: Workspace;
let slowConfig: string;
let brokenConfig: string;
beforeAll(async () => {
  ws = await workspace("faults_kept", { sql: slowViewSql(1.5) });
  slowConfig = writeConfig(ws.dir, configYaml({ slow: true }), "slow.yaml");
  brokenConfig = writeConfig(
    ws.dir,
    `${configYaml()}      missing: no_such_table\n`,
    "broken.yaml",
  );
});
afterAll(async () => {
  await ws?.db.drop();
});

async function rowsOf(table: string, key: string): Promise<Rows> {
  const { rows } = await ws.db.query(`select * from ${table}`);
  return new Map(
    rows.map((row) => [
      String(key.split(",").map((column) => row[column])),
      JSON.parse(JSON.stringify(row)),
    ]),
  );
}

async function everything(): Promise<Everything> {
  return {
    runs: await rowsOf("batchctl_runs", "id"),
    periods: await rowsOf("batchctl_periods", "task,period"),
    snapshots: await rowsOf("batchctl_object_counts", "id"),
  };
}

/** Every earlier row is still there, unchanged but for a running status. */
function expectKept(before: Everything, after: Everything) {
  for (const [table, rows] of Object.entries(before)) {
    for (const [key, row] of rows) {
      const now = after[table as keyof Everything].get(key);
      expect(now, `${table} ${key} was deleted`).toBeDefined();
      if (table === "runs" && row.status === "running") {
        const finals = ["succeeded", "failed", "interrupted", "abandoned"];
        expect([...finals, "running", "timed_out"]).toContain(now?.status);
        expect({
          ...now,
          status: 0,
          finished_at: 0,
          duration_ms: 0,
          reason: 0,
          error: 0,
        }).toEqual({
          ...row,
          status: 0,
          finished_at: 0,
          duration_ms: 0,
          reason: 0,
          error: 0,
        });
      } else {
        expect(now, `${table} ${key} was rewritten`).toEqual(row);
      }
    }
  }
}

const countingSlowView = async () =>
  ((
    await ws.db.query(
      `select 1 from pg_stat_activity where state = 'active'
       and pid <> pg_backend_pid() and query like '%"slow"%'`,
    )
  ).rowCount ?? 0) > 0;

/** A trigger stopped by `signal` once it is counting the slow view. */
function stopped(now: string, signal: NodeJS.Signals) {
  return ws.cli(
    ["run", TASK],
    { BATCHCTL_NOW: now, BATCHCTL_CONFIG: slowConfig },
    {
      onSpawn: (child) => {
        void waitFor(countingSlowView, 20_000, "the slow count").then(() =>
          child.kill(signal),
        );
      },
    },
  );
}

describe("nothing lost", () => {
  it("keeps every run and snapshot row through triggers, failures, kills and reruns", async () => {
    const [d0, d1, d2, d3] = [0, 1, 2, 3].map((day) => noonOf(day).now) as [
      string,
      string,
      string,
      string,
    ];
    const steps: [
      string,
      () => Promise<{ code: number | null }>,
      number | null,
    ][] = [
      ["run", () => ws.cli(["run", TASK], { BATCHCTL_NOW: d0 }), 0],
      [
        "rerun of a done period",
        () => ws.cli(["run", TASK], { BATCHCTL_NOW: d0 }),
        0,
      ],
      [
        "failed run",
        () =>
          ws.cli(["run", TASK], {
            BATCHCTL_NOW: d1,
            BATCHCTL_CONFIG: brokenConfig,
          }),
        1,
      ],
      [
        "retry of a failed period",
        () => ws.cli(["run", TASK], { BATCHCTL_NOW: d1 }),
        0,
      ],
      ["SIGTERM", () => stopped(d2, "SIGTERM"), 4],
      [
        "retry of an interrupted period",
        () => ws.cli(["run", TASK], { BATCHCTL_NOW: d2 }),
        0,
      ],
      ["SIGKILL", () => stopped(d3, "SIGKILL"), null],
      [
        "retry of a killed period",
        () => ws.cli(["run", TASK], { BATCHCTL_NOW: d3 }),
        0,
      ],
      ["history", () => ws.cli(["history", "--all", "--limit", "100000"]), 0],
      [
        "history --json",
        () => ws.cli(["history", "--json", "--since", "2026-01-01"]),
        0,
      ],
      ["migrate", () => ws.cli(["migrate"]), 0],
      ["migrate --status", () => ws.cli(["migrate", "--status"]), 0],
      ["late rerun", () => ws.cli(["run", TASK], { BATCHCTL_NOW: d0 }), 0],
    ];

    let before = await everything();
    for (const [name, step, code] of steps) {
      const result = await step();
      expect(result.code, name).toBe(code);
      const after = await everything();
      expectKept(before, after);
      before = after;
    }

    const statuses = [...before.runs.values()]
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((run) => run.status);
    expect(statuses).toEqual([
      "succeeded",
      "skipped",
      "failed",
      "succeeded",
      "interrupted",
      "succeeded",
      "abandoned",
      "succeeded",
      "skipped",
    ]);
    expect(before.periods.size).toBe(4);
    expect(before.snapshots.size).toBe(4 * 4);
  }, 120_000);

  it("never reports a period done that no run of its task completed", async () => {
    // The task's own insert breaks its own unique key: the same SQLSTATE as
    // a claim that lost, but a failure of the task, never "already done".
    await ws.db.query("create table kept_target (id integer primary key)");
    const config = writeConfig(
      ws.dir,
      `tasks:
  insert-twice:
    sql:
      - insert into kept_target (id) values (1)
      - insert into kept_target (id) values (1)
`,
      "twice.yaml",
    );
    const { now } = noonOf(10);
    const env = { BATCHCTL_NOW: now, BATCHCTL_CONFIG: config };

    const result = await ws.cli(["run", "insert-twice", "--json"], env);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: "failed" });
    const claims = await ws.db.query(
      "select 1 from batchctl_periods where task = 'insert-twice'",
    );
    expect(claims.rowCount).toBe(0);
    expect((await ws.db.query("select * from kept_target")).rowCount).toBe(0);
  });

  it("keeps the snapshots of two counting tasks that count the same object", async () => {
    const config = writeConfig(
      ws.dir,
      `tasks:
  counts-a: { objects: { notebook: notebook_notebook } }
  counts-b: { objects: { notebook: notebook_notebook } }
`,
      "two.yaml",
    );
    const { key, now } = noonOf(11);
    const env = { BATCHCTL_NOW: now, BATCHCTL_CONFIG: config };
    for (const task of ["counts-a", "counts-b"]) {
      const result = await ws.cli(["run", task, "--json"], env);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).status).toBe("succeeded");
    }
    const { rows } = await ws.db.query(
      `select task from batchctl_object_counts where period = '${key}' and object = 'notebook' order by task`,
    );
    expect(rows.map((row) => row.task)).toEqual(["counts-a", "counts-b"]);
  });
});
