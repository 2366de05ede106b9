// `npm run bench`: measures batchctl against baselines taken in the same run,
// on the local PostgreSQL, in a database of its own. Each pair alternates
// over several rounds and is reported as medians and their ratio, because the
// machine is shared and noisy: a ratio survives noise that absolute figures
// do not. `--quick` runs the same steps on small data, for CI; it fails when
// a step breaks, never on a ratio.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import {
  prepareAppTables,
  prepareBatchctlTables,
  writeConfigs,
} from "./data.mjs";
import {
  batchctl,
  connectionsAfterExit,
  crowd,
  freshNow,
  median,
  pair,
  psql,
  sampleConnections,
  sampleSockets,
  timed,
  withClient,
} from "./measure.mjs";
import { machine, table, writeReport } from "./report.mjs";
import {
  COUNTED,
  DATABASE,
  DATABASE_URL,
  FILTERED,
  FLOOR,
  PEAK_RSS,
  BIN,
  REPORT,
  SERVER_URL,
  SHOWN,
  quick,
  sizes,
} from "./settings.mjs";

const run = (config, now, extra = [], onSpawn = undefined) =>
  batchctl(["run", "collect-object-counts", "-c", config, ...extra], {
    env: { BATCHCTL_NOW: now },
    onSpawn,
  });

// ---------------------------------------------------------------------------
// Figures

async function startUp() {
  return pair(
    sizes.rounds.trigger,
    () => batchctl(["--help"]),
    () => timed(process.execPath, ["-e", "0"]),
  );
}

async function duplicateTrigger(configs) {
  const done = "1999-12-31T12:00:00Z";
  await run(configs.tiny, done);
  const times = await pair(
    sizes.rounds.trigger,
    () => run(configs.tiny, done),
    () => timed(process.execPath, [FLOOR]),
  );
  const last = await run(configs.tiny, done);
  if (!/already done/.test(last.stdout)) {
    throw new Error(`a duplicate trigger did not skip:\n${last.stdout}`);
  }
  return times;
}

async function counting(configs) {
  const counts = [
    ...COUNTED.map((table) => `select count(*) from ${table};`),
    `select count(*) from ${FILTERED} where archived = false;`,
  ].join(" ");
  const inTask = [];
  const times = await pair(
    sizes.rounds.count,
    async () => {
      const result = await run(configs.counts, freshNow(), ["--json"]);
      inTask.push(JSON.parse(result.stdout).durationMs);
      return result;
    },
    () => psql(counts),
  );

  const check = await run(configs.counts, freshNow(), ["--json"]);
  const exact = (await psql(counts)).stdout.trim().split("\n").map(Number);
  const got = Object.values(JSON.parse(check.stdout).result.counts);
  if (got.join() !== exact.join()) {
    throw new Error(`counts ${got} differ from psql's ${exact}`);
  }
  return { ...times, task: median(inTask), split: await splitCounts() };
}

/**
 * Whether counting on two connections at once beats one: the same four
 * counts, in one process, on one connection and then split over two.
 */
async function splitCounts() {
  const queries = [
    ...COUNTED.map((table) => `select count(*) from ${table}`),
    `select count(*) from ${FILTERED} where archived = false`,
  ];
  return withClient(DATABASE_URL, (one) =>
    withClient(DATABASE_URL, (two) =>
      pair(
        sizes.rounds.count,
        async () => {
          const started = performance.now();
          const queue = [...queries];
          await Promise.all(
            [one, two].map(async (client) => {
              while (queue.length) await client.query(queue.shift());
            }),
          );
          return performance.now() - started;
        },
        async () => {
          const started = performance.now();
          for (const query of queries) await one.query(query);
          return performance.now() - started;
        },
      ),
    ),
  );
}

async function estimating(configs) {
  const times = await pair(
    sizes.rounds.estimate,
    () => run(configs.estimate, freshNow()),
    () => run(configs.exact, freshNow()),
  );
  const result = await run(configs.estimate, freshNow(), ["--json"]);
  const estimate = JSON.parse(result.stdout).result.counts.page_views;
  return { ...times, estimate, error: estimate / sizes.bigRows - 1 };
}

async function storm(configs) {
  const single = [];
  const stormed = [];
  let peak = 0;
  let perProcess = 0;
  let lingering = 0;
  for (let round = 0; round < sizes.rounds.storm; round++) {
    single.push((await run(configs.tiny, freshNow(), ["--json"])).ms);

    const now = freshNow();
    const sampling = sampleConnections();
    const sockets = sampleSockets();
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: sizes.storm }, () =>
        run(configs.tiny, now, ["--json"], sockets.watch),
      ),
    );
    stormed.push(performance.now() - started);
    peak = Math.max(peak, await sampling.stop());
    perProcess = Math.max(perProcess, sockets.stop());
    lingering = Math.max(lingering, await connectionsAfterExit());

    const statuses = results.map((result) => JSON.parse(result.stdout).status);
    const succeeded = statuses.filter((status) => status === "succeeded");
    const skipped = statuses.filter((status) => status === "skipped");
    if (succeeded.length !== 1 || skipped.length !== sizes.storm - 1) {
      throw new Error(`a storm ran the task more than once: ${statuses}`);
    }
  }

  // What 50 processes cost this machine before batchctl does anything.
  const bare = await crowd(() => timed(process.execPath, ["-e", "0"]));
  const floors = await crowd(() => timed(process.execPath, [FLOOR]));
  return {
    storm: median(stormed),
    single: median(single),
    peak,
    perProcess,
    lingering,
    bare,
    floors,
  };
}

async function history() {
  const since = "now() - interval '7 days'";
  const statuses = SHOWN.map((status) => `'${status}'`).join(", ");
  const sql = `select * from batchctl_runs where started_at >= ${since}
    and status in (${statuses}) order by started_at desc, id desc limit 50`;
  const times = await pair(
    sizes.rounds.history,
    () => batchctl(["history", "--since", "7d"]),
    () =>
      timed("psql", ["-X", "-q", "-d", DATABASE_URL, "-c", sql], {
        expect: 0,
      }),
  );
  const plan = await withClient(DATABASE_URL, async (client) => {
    const { rows } = await client.query(`explain ${sql}`);
    return rows.map((row) => row["QUERY PLAN"]);
  });
  return { ...times, plan };
}

async function peakRss(args, env = {}) {
  const peaks = [];
  for (let round = 0; round < 3; round++) {
    const result = await timed(
      process.execPath,
      ["-r", PEAK_RSS, BIN, ...args],
      { env: { BATCHCTL_NOW: freshNow(), ...env } },
    );
    const kb = /bench-peak-rss-kb: (\d+)/.exec(result.stderr);
    if (!kb) throw new Error(`no peak RSS reported:\n${result.stderr}`);
    peaks.push(Number(kb[1]) / 1024);
  }
  return median(peaks);
}

// ---------------------------------------------------------------------------

async function main() {
  const began = performance.now();
  const step = (text) =>
    process.stderr.write(
      `[${((performance.now() - began) / 1000).toFixed(0)} s] ${text}\n`,
    );

  await withClient(SERVER_URL, async (client) => {
    const { rowCount } = await client.query(
      "select 1 from pg_database where datname = $1",
      [DATABASE],
    );
    if (!rowCount) await client.query(`create database ${DATABASE}`);
  });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "batchctl-bench-"));
  try {
    const configs = writeConfigs(dir);
    const host = await withClient(DATABASE_URL, machine);
    const loadBefore = host.load();

    step(`preparing data in ${DATABASE}`);
    await withClient(DATABASE_URL, async (client) => {
      if (await prepareAppTables(client)) step("application tables made");
      await prepareBatchctlTables(client);
    });

    const figures = {};
    step("7: start-up");
    figures.start = await startUp();
    step("1, 2: floor and duplicate trigger");
    figures.dup = await duplicateTrigger(configs);
    step("3: counting");
    figures.count = await counting(configs);
    step("3b: estimated count");
    figures.estimate = await estimating(configs);
    step("4: storm");
    figures.storm = await storm(configs);
    step("5: history");
    figures.history = await history();
    step("6: memory");
    figures.memory = {
      run: await peakRss([
        "run",
        "collect-object-counts",
        "-c",
        configs.counts,
      ]),
      history: await peakRss(["history", "--since", "7d"]),
    };

    const took = (performance.now() - began) / 1000;
    const section = [
      `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC` +
        ` on ${host.describe()}.`,
      `Load average (1, 5, 15 min) ${loadBefore} before, ${host.load()} after;` +
        ` the run took ${took.toFixed(0)} s.` +
        (quick ? " Quick mode: small data, few rounds." : ""),
      "",
      table(figures),
      "",
      "Plan of the history query:",
      "",
      "```",
      ...figures.history.plan,
      "```",
    ].join("\n");

    process.stdout.write(`\n${section}\n`);
    if (!quick) {
      writeReport(section);
      step(`written to ${path.relative(process.cwd(), REPORT)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`bench: ${error.stack ?? error}`);
  process.exitCode = 1;
});
