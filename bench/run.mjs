// `npm run bench`: measures batchctl against baselines taken in the same run,
// on the local PostgreSQL, in a database of its own. Each pair alternates
// over several rounds and is reported as medians and their ratio, because the
// machine is shared and noisy: a ratio survives noise that absolute figures
// do not. `--quick` runs the same steps on small data, for CI; it fails when
// a step breaks, never on a ratio.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import pg from "pg";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "bin/batchctl");
const FLOOR = path.join(ROOT, "bench/floor.cjs");
const PEAK_RSS = path.join(ROOT, "bench/peak-rss.cjs");
const REPORT = path.join(ROOT, "BENCHMARKS.md");

const quick = process.argv.includes("--quick");

const sizes = quick
  ? {
      rows: 10_000,
      bigRows: 100_000,
      runs: 10_000,
      storm: 10,
      rounds: { trigger: 5, count: 3, estimate: 2, storm: 2, history: 3 },
    }
  : {
      rows: 1_000_000,
      bigRows: 10_000_000,
      runs: 1_000_000,
      storm: 50,
      rounds: { trigger: 15, count: 7, estimate: 3, storm: 3, history: 11 },
    };

const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.BATCHCTL_TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
const DATABASE = quick ? "batchctl_bench_quick" : "batchctl_bench";
const DATABASE_URL = urlOf(DATABASE);

const COUNTED = ["bench_orders", "bench_customers", "bench_invoices"];
const FILTERED = "bench_events";
const BIG = "bench_page_views";

/** Statuses `history` shows without --all, as src/commands/history.ts. */
const SHOWN = [
  "running",
  "succeeded",
  "failed",
  "interrupted",
  "timed_out",
  "abandoned",
];

function urlOf(database) {
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  return url.href;
}

// ---------------------------------------------------------------------------
// Processes

const baseEnv = {
  ...process.env,
  NO_COLOR: "1",
  DATABASE_URL,
  BATCHCTL_CONFIG: "",
  BATCHCTL_NOW: "",
  DEBUG: "",
};

/** Runs a command to its end; resolves with its wall time in ms. */
function timed(command, args, { env = {}, expect = 0, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...baseEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    onSpawn?.(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - started;
      if (expect !== null && code !== expect) {
        const shown = [command, ...args].join(" ");
        reject(
          new Error(`${shown} exited ${code}, expected ${expect}\n${stderr}`),
        );
        return;
      }
      resolve({ ms, code, stdout, stderr });
    });
  });
}

const batchctl = (args, options) =>
  timed(process.execPath, [BIN, ...args], options);

const psql = (sql) =>
  timed("psql", ["-X", "-q", "-A", "-t", "-d", DATABASE_URL, "-c", sql]);

/** A period nobody has run yet: each call is the next day from 2000-01-01. */
let dayCounter = 0;
function freshNow() {
  const day = new Date(Date.UTC(2000, 0, 1, 12) + dayCounter++ * 86_400_000);
  return day.toISOString();
}

// ---------------------------------------------------------------------------
// Statistics

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Runs `a` and `b` in turns, swapping which goes first each round so that a
 * drift in the machine's load weighs on both alike.
 */
async function pair(rounds, a, b) {
  const times = { a: [], b: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? ["b", "a"] : ["a", "b"];
    for (const side of order) {
      const result = await (side === "a" ? a() : b());
      times[side].push(result.ms ?? result);
    }
  }
  return { a: median(times.a), b: median(times.b) };
}

// ---------------------------------------------------------------------------
// Data

async function withClient(url, work) {
  const client = new pg.Client({
    connectionString: url,
    application_name: "batchctl-bench",
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Application tables: made once, kept while their sizes stay the same. */
async function prepareAppTables(client) {
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
async function prepareBatchctlTables(client) {
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

// ---------------------------------------------------------------------------
// Configs

function writeConfigs(dir) {
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

async function crowd(start) {
  const times = [];
  for (let round = 0; round < sizes.rounds.storm; round++) {
    const started = performance.now();
    await Promise.all(Array.from({ length: sizes.storm }, start));
    times.push(performance.now() - started);
  }
  return median(times);
}

const countConnections = (client) =>
  client
    .query(
      `select count(*)::int as n from pg_stat_activity
        where application_name = 'batchctl' and datname = $1`,
      [DATABASE],
    )
    .then(({ rows }) => rows[0].n);

/** Polls pg_stat_activity until stopped; resolves with the peak seen. */
function sampleConnections() {
  let stopped = false;
  let peak = 0;
  const sampling = withClient(DATABASE_URL, async (client) => {
    while (!stopped) {
      peak = Math.max(peak, await countConnections(client));
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await sampling;
      return peak;
    },
  };
}

/**
 * The most connections to the server any one trigger held at once, read
 * from the processes' own sockets: pg_stat_activity cannot tell which
 * process a connection belongs to. TCP only; 0 for a Unix socket URL.
 */
function sampleSockets() {
  const port = Number(new URL(DATABASE_URL).port || 5432);
  const pids = new Set();
  let most = 0;

  const sample = () => {
    // Socket inodes connected to the server's port, from the kernel's tables.
    const toServer = new Set();
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      let text = "";
      try {
        text = fs.readFileSync(table, "utf8");
      } catch {
        continue;
      }
      for (const line of text.split("\n").slice(1)) {
        const fields = line.trim().split(/\s+/);
        const remotePort = parseInt(fields[2]?.split(":")[1] ?? "", 16);
        if (remotePort === port) toServer.add(fields[9]);
      }
    }
    for (const pid of pids) {
      let held = 0;
      try {
        for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
          const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
          const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
          if (inode && toServer.has(inode)) held++;
        }
      } catch {
        pids.delete(pid); // exited
      }
      most = Math.max(most, held);
    }
  };
  const timer = setInterval(sample, 10);
  return {
    watch: (pid) => pids.add(pid),
    stop: () => {
      clearInterval(timer);
      return most;
    },
  };
}

/** Connections left once every trigger has exited (the server may lag). */
async function connectionsAfterExit() {
  return withClient(DATABASE_URL, async (client) => {
    let left = await countConnections(client);
    for (let wait = 0; left > 0 && wait < 20; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await countConnections(client);
    }
    return left;
  });
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
// Report

const ms = (value) => `${Math.round(value)} ms`;
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const verdict = (met) => (met ? "met" : "**not met**");

async function machine(client) {
  const { rows } = await client.query("show server_version");
  const cpus = os.cpus();
  const load = () =>
    os
      .loadavg()
      .map((value) => value.toFixed(1))
      .join(" ");
  return {
    describe: () =>
      `${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown"}), ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ` +
      `Node ${process.version}, PostgreSQL ${rows[0].server_version}, ` +
      `${os.type()} ${os.release()}`,
    load,
  };
}

function table(figures) {
  const { start, dup, count, estimate, storm, history, memory } = figures;
  const lines = [
    "| # | figure | batchctl | baseline | ratio | target | |",
    "|---|---|---:|---:|---:|---|---|",
    `| 1 | floor: plain pg script, one INSERT … ON CONFLICT DO NOTHING RETURNING | | ${ms(dup.b)} | | | |`,
    `| 2 | duplicate trigger: \`batchctl run\`, period already done | ${ms(dup.a)} | ${ms(dup.b)} (floor) | ${ratio(dup.a, dup.b)} | ≤ 1.3× | ${verdict(dup.a <= 1.3 * dup.b)} |`,
    `| 3 | counting: \`batchctl run\` over 4 tables × ${sizes.rows.toLocaleString("en")} rows, one filtered | ${ms(count.a)} | ${ms(count.b)} (psql, same 4 counts) | ${ratio(count.a, count.b)} | ≤ 1.2× | ${verdict(count.a <= 1.2 * count.b)} |`,
    `| 3b | estimated count of ${sizes.bigRows.toLocaleString("en")} rows (\`estimate: true\`) | ${ms(estimate.a)} | ${ms(estimate.b)} (exact count, batchctl) | ${ratio(estimate.a, estimate.b)} | | off by ${(estimate.error * 100).toFixed(2)} % |`,
    `| 3c | the same 4 counts in one process: split over 2 connections at once | ${ms(count.split.a)} | ${ms(count.split.b)} (one connection) | ${ratio(count.split.a, count.split.b)} | | the run's own transaction: ${ms(count.task)} |`,
    `| 4 | storm: ${sizes.storm} simultaneous triggers for one period | ${ms(storm.storm)} | ${ms(storm.single)} (one trigger) | ${ratio(storm.storm, storm.single)} | ≤ 3× | ${verdict(storm.storm <= 3 * storm.single)} |`,
    `| 4b | PostgreSQL connections in the storm: peak in pg_stat_activity (application_name batchctl) / most held by one process | ${storm.peak} / ${storm.perProcess} | ${sizes.storm} processes | | ≤ 2 per process, 0 after exit | ${verdict(storm.perProcess <= 2 && storm.peak <= 2 * sizes.storm && storm.lingering === 0)} (${storm.lingering} left after exit) |`,
    `| 4c | for scale: ${sizes.storm} simultaneous \`node -e 0\` / floor scripts | | ${ms(storm.bare)} / ${ms(storm.floors)} | ${ratio(storm.storm, storm.floors)} (storm / floors) | | |`,
    `| 5 | history: \`batchctl history --since 7d\`, ${sizes.runs.toLocaleString("en")} runs stored | ${ms(history.a)} | ${ms(history.b)} (psql, same query) | ${ratio(history.a, history.b)} | ≤ 1.5× | ${verdict(history.a <= 1.5 * history.b)} |`,
    `| 6 | peak RSS of \`run\` (4 counts) | ${memory.run.toFixed(1)} MB | | | ≤ 80 MB | ${verdict(memory.run <= 80)} |`,
    `| 6b | peak RSS of \`history --since 7d\` | ${memory.history.toFixed(1)} MB | | | ≤ 80 MB | ${verdict(memory.history <= 80)} |`,
    `| 7 | start-up: \`batchctl --help\` | ${ms(start.a)} | ${ms(start.b)} (\`node -e 0\`) | ${ratio(start.a, start.b)} | | |`,
  ];
  return lines.join("\n");
}

function writeReport(section) {
  const begin = "<!-- bench:begin -->";
  const end = "<!-- bench:end -->";
  const current = fs.existsSync(REPORT)
    ? fs.readFileSync(REPORT, "utf8")
    : `# Benchmarks\n\n${begin}\n${end}\n`;
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  if (from < 0 || to < from) {
    throw new Error(`${REPORT} lacks the ${begin} … ${end} markers`);
  }
  const next =
    current.slice(0, from + begin.length) +
    `\n${section}\n` +
    current.slice(to);
  fs.writeFileSync(REPORT, next);
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
