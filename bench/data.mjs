// The benchmark's data: application tables, a year of runs, and configs.
import fs from "node:fs";
import path from "node:path";

import { batchctl } from "./measure.mjs";
import { BIG, COUNTED, FILTERED, sizes } from "./settings.mjs";

export async function prepareAppTables(client) {
  const spec = JSON.stringify({ rows: sizes.rows, bigRows: sizes.bigRows });
  await client.query(
    "create table if not exists bench_meta (spec text not null)",
  );
  const { rows } = await client.query("select spec from bench_meta");
  if (rows[0]?.spec === spec) return false;

  // Unlogged: the tables are scratch data, and writing no WAL makes the
  // first run minutes shorter. Counting reads them the same way.
  const shape = (name, count) => `
    drop table if exists ${name};
    create unlogged table ${name} as
      select g::bigint as id,
             (g % 5000)::int as account_id,
             g % 10 = 0 as archived,
             timestamptz '2026-01-01' - g * interval '1 minute' as created_at,
             md5(g::text) as name
        from generate_series(1, ${count}) g;`;
  for (const table of [...COUNTED, FILTERED]) {
    await client.query(shape(table, sizes.rows));
  }
  await client.query(shape(BIG, sizes.bigRows));
  await client.query(`
    drop table if exists bench_tiny;
    create table bench_tiny as select g as id from generate_series(1, 100) g;
    drop table if exists bench_floor;
    create table bench_floor (task text, period text, primary key (task, period));`);
  // Sets hint bits and the planner statistics that `estimate` reads.
  await client.query(
    `vacuum analyze ${[...COUNTED, FILTERED, BIG, "bench_tiny"].join(", ")}`,
  );
  await client.query("delete from bench_meta");
  await client.query("insert into bench_meta (spec) values ($1)", [spec]);
  return true;
}

/** batchctl's tables, fresh each run, with a year of runs in history. */
export async function prepareBatchctlTables(client) {
  await client.query(`
    drop table if exists batchctl_object_counts, batchctl_periods,
      batchctl_runs, batchctl_migrations, batchctl_migrations_lock`);
  await batchctl(["migrate"]);

  // Forty tasks triggered around the clock over a year; most triggers find
  // their period done and are recorded as skipped, as on a real schedule.
  await client.query(
    `insert into batchctl_runs (task, period, status, reason, started_at,
       finished_at, duration_ms, host, pod, job)
     select 'task-' || (g % 40), to_char(at, 'YYYY-MM-DD'),
            case when g % 97 = 0 then 'failed'
                 when g % 10 = 0 then 'succeeded'
                 else 'skipped' end,
            case when g % 10 = 0 then null else 'already done' end,
            at, at + interval '1 second', 1000,
            'node-' || (g % 7), 'pod-' || g, 'job-' || (g % 1000)
       from generate_series(1, $1::int) g,
            lateral (select now() - g * (interval '365 days' / $1::int)
                       as at) t`,
    [sizes.runs],
  );
  await client.query("vacuum analyze batchctl_runs");
}

export function writeConfigs(dir) {
  const file = (name, text) => {
    const target = path.join(dir, name);
    fs.writeFileSync(target, text);
    return target;
  };
  return {
    tiny: file(
      "tiny.yaml",
      "tasks:\n  collect-object-counts:\n    objects:\n      tiny: bench_tiny\n",
    ),
    counts: file(
      "counts.yaml",
      [
        "tasks:",
        "  collect-object-counts:",
        "    objects:",
        ...COUNTED.map((table) => `      ${table.slice(6)}: ${table}`),
        `      ${FILTERED.slice(6)}:`,
        `        table: ${FILTERED}`,
        "        where: { archived: false }",
        "",
      ].join("\n"),
    ),
    exact: file(
      "exact.yaml",
      `tasks:\n  collect-object-counts:\n    objects:\n      page_views: ${BIG}\n`,
    ),
    estimate: file(
      "estimate.yaml",
      [
        "tasks:",
        "  collect-object-counts:",
        "    objects:",
        "      page_views:",
        `        table: ${BIG}`,
        "        estimate: true",
        "",
      ].join("\n"),
    ),
  };
}
