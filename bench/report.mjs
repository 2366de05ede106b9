// The Markdown table, the machine it was measured on, and BENCHMARKS.md.
import fs from "node:fs";
import os from "node:os";

import { REPORT, sizes } from "./settings.mjs";

const ms = (value) => `${Math.round(value)} ms`;
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const verdict = (met) => (met ? "met" : "**not met**");

export async function machine(client) {
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

export function table(figures) {
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

export function writeReport(section) {
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
