// Preloaded with `node -r` into a measured process: as it exits, prints its
// peak resident set size (VmHWM, in kB) on stderr for the benchmark to read.
const fs = require("node:fs");

process.on("exit", () => {
  const status = fs.readFileSync("/proc/self/status", "utf8");
  const peak = /^VmHWM:\s+(\d+) kB/m.exec(status);
  fs.writeSync(2, `\nbench-peak-rss-kb: ${peak ? peak[1] : "unknown"}\n`);
});
