// What the benchmark measures and where: sizes, paths and the database.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
);
export const BIN = path.join(ROOT, "bin/batchctl");
export const FLOOR = path.join(ROOT, "bench/floor.cjs");
export const PEAK_RSS = path.join(ROOT, "bench/peak-rss.cjs");
export const REPORT = path.join(ROOT, "BENCHMARKS.md");

export const quick = process.argv.includes("--quick");

export const sizes = quick
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

export const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.BATCHCTL_TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
export const DATABASE = quick ? "batchctl_bench_quick" : "batchctl_bench";
export const DATABASE_URL = urlOf(DATABASE);

export const COUNTED = ["bench_orders", "bench_customers", "bench_invoices"];
export const FILTERED = "bench_events";
export const BIG = "bench_page_views";

/** Statuses `history` shows without --all, as src/commands/history.ts. */
export const SHOWN = [
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
