// History reads runs newest first; the index on started_at serves it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "./support/cli";
import { createPgDatabase } from "./support/databases";
import type { PgDatabase } from "./support/databases";

/** The query `batchctl history --since 7d` sends, as knex writes it. */
const HISTORY_SQL = `
  select * from batchctl_runs
   where started_at >= now() - interval '7 days'
     and status in ('running', 'succeeded', 'failed', 'interrupted',
                    'timed_out', 'abandoned')
   order by started_at desc, id desc
   limit 50`;

describe("the index behind batchctl history", () => {
  let db: PgDatabase;

  beforeAll(async () => {
    db = await createPgDatabase("history_index");
    const migrated = await runCli(["migrate"], {
      env: { DATABASE_URL: db.url },
    });
    expect(migrated.code).toBe(0);
  });

  afterAll(() => db?.drop());

  it("reads the newest runs from the started_at index and stops at the limit", async () => {
    await db.query(`
      insert into batchctl_runs (task, period, status, started_at, host)
      select 'task', 'p' || g, case when g % 10 = 0 then 'succeeded'
             else 'skipped' end, now() - g * interval '1 minute', 'host'
        from generate_series(1, 20000) g;
      analyze batchctl_runs;`);

    const { rows } = await db.query(`explain ${HISTORY_SQL}`);
    const plan = rows.map((row) => row["QUERY PLAN"] as string).join("\n");

    // Ordered by the index, sorted only among runs that started at the
    // same instant: no step reads the whole week before the limit.
    expect(plan).toMatch(/^Limit/);
    expect(plan).toContain(
      "Index Scan Backward using batchctl_runs_started_at_index",
    );
    expect(plan).toContain("Presorted Key: started_at");
  });
});
