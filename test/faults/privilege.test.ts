// Least privilege: batchctl needs to read the tables it counts and to read
// and write its own three tables, nothing more. The grants below are the
// ones the README lists; PUBLIC's defaults are revoked first so that
// nothing else can make the test pass.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { adminQuery } from "../support/databases";
import { noonOf, TASK, workspace } from "./support";
import type { Workspace } from "./support";

const ROLE = `batchctl_least_${process.pid}`;

const grants = (database: string) => `
  revoke all on database "${database}" from public;
  revoke all on schema public from public;
  grant connect on database "${database}" to ${ROLE};
  grant usage on schema public to ${ROLE};
  grant select on notebook_notebook, inference_inference,
    hyperparameter_hyperparameter, pipeline_pipeline to ${ROLE};
  grant select, insert, update
    on batchctl_runs, batchctl_periods, batchctl_object_counts to ${ROLE};
  grant usage on sequence batchctl_runs_id_seq, batchctl_object_counts_id_seq
    to ${ROLE};
`;

let ws: Workspace;
let url: string;
beforeAll(async () => {
  await adminQuery(`drop role if exists ${ROLE}`);
  await adminQuery(`create role ${ROLE} login`);
  ws = await workspace("faults_least");
  await ws.db.query(grants(ws.db.name));
  const parsed = new URL(ws.db.url);
  parsed.username = ROLE;
  url = parsed.href;
});
afterAll(async () => {
  await ws?.db.drop();
  await adminQuery(`drop role if exists ${ROLE}`);
});

describe("least privilege", () => {
  it("runs, skips and lists history as a role with only the listed grants", async () => {
    const env = { DATABASE_URL: url, BATCHCTL_NOW: noonOf(0).now };
    const first = await ws.cli(["run", TASK, "--json"], env);
    expect(first.stderr).toBe("");
    expect(JSON.parse(first.stdout).status).toBe("succeeded");

    const second = await ws.cli(["run", TASK, "--json"], env);
    expect(second.stderr).toBe("");
    expect(JSON.parse(second.stdout)).toMatchObject({
      status: "skipped",
      reason: "done",
    });

    const history = await ws.cli(["history", "--all", "--json"], env);
    expect(history.stderr).toBe("");
    const statuses = JSON.parse(history.stdout).map(
      (run: { status: string }) => run.status,
    );
    expect(statuses.sort()).toEqual(["skipped", "succeeded"]);

    const table = await ws.cli(["history"], env);
    expect(table.code).toBe(0);
  });

  it("says which grant is missing, exit 2, when the role may not migrate", async () => {
    const cases: [string[], string][] = [
      // It may not read the bookkeeping; it is not told all is pending.
      [
        ["migrate", "--status"],
        "permission denied for table batchctl_migrations",
      ],
      // It may not create tables.
      [["migrate"], "permission denied for schema public"],
    ];
    for (const [args, denied] of cases) {
      const result = await ws.cli(args, { DATABASE_URL: url });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stdout, args.join(" ")).toBe("");
      expect(result.stderr).toBe(
        `batchctl: the database user may not do this at ${url}: ${denied} (hint: grant what "Grants for a least-privilege role" in the README lists; run \`batchctl migrate\` as the owner of the schema)\n`,
      );
    }
  });

  it("says which grant is missing, exit 2, when the role may not record a run", async () => {
    await ws.db.query(`revoke insert on batchctl_runs from ${ROLE}`);
    try {
      const env = { DATABASE_URL: url, BATCHCTL_NOW: noonOf(1).now };
      const result = await ws.cli(["run", TASK], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^batchctl: the database user may not do this at .*: permission denied for table batchctl_runs \(hint: grant what/,
      );
      const { rows } = await ws.db.query(
        `select count(*)::int as n from batchctl_runs where period = '${noonOf(1).key}'`,
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await ws.db.query(`grant insert on batchctl_runs to ${ROLE}`);
    }
  });

  it("holds no privilege beyond the listed grants", async () => {
    const { rows } = await ws.db.query(
      `select table_name, privilege_type from information_schema.table_privileges
       where grantee = '${ROLE}' order by table_name, privilege_type`,
    );
    const counted = [
      "hyperparameter_hyperparameter",
      "inference_inference",
      "notebook_notebook",
      "pipeline_pipeline",
    ];
    const own = ["batchctl_object_counts", "batchctl_periods", "batchctl_runs"];
    const expected = [
      ...own.flatMap((table) =>
        ["INSERT", "SELECT", "UPDATE"].map((privilege) => [table, privilege]),
      ),
      ...counted.map((table) => [table, "SELECT"]),
    ].sort((a, b) => a.join().localeCompare(b.join()));
    expect(rows.map((row) => [row.table_name, row.privilege_type])).toEqual(
      expected,
    );
  });
});
