// Running and timing processes, and watching the database's connections.
import { spawn } from "node:child_process";
import fs from "node:fs";

import pg from "pg";

import { BIN, DATABASE, DATABASE_URL, ROOT, sizes } from "./settings.mjs";

export const baseEnv = {
  ...process.env,
  NO_COLOR: "1",
  DATABASE_URL,
  BATCHCTL_CONFIG: "",
  BATCHCTL_NOW: "",
  DEBUG: "",
};

/** Runs a command to its end; resolves with its wall time in ms. */
export function timed(command, args, { env = {}, expect = 0, onSpawn } = {}) {
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

export const batchctl = (args, options) =>
  timed(process.execPath, [BIN, ...args], options);

export const psql = (sql) =>
  timed("psql", ["-X", "-q", "-A", "-t", "-d", DATABASE_URL, "-c", sql]);

/** A period nobody has run yet: each call is the next day from 2000-01-01. */
export let dayCounter = 0;
export function freshNow() {
  const day = new Date(Date.UTC(2000, 0, 1, 12) + dayCounter++ * 86_400_000);
  return day.toISOString();
}

export function median(values) {
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
export async function pair(rounds, a, b) {
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

export async function crowd(start) {
  const times = [];
  for (let round = 0; round < sizes.rounds.storm; round++) {
    const started = performance.now();
    await Promise.all(Array.from({ length: sizes.storm }, start));
    times.push(performance.now() - started);
  }
  return median(times);
}

export async function withClient(url, work) {
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

const countConnections = (client) =>
  client
    .query(
      `select count(*)::int as n from pg_stat_activity
        where application_name = 'batchctl' and datname = $1`,
      [DATABASE],
    )
    .then(({ rows }) => rows[0].n);

/** Polls pg_stat_activity until stopped; resolves with the peak seen. */
export function sampleConnections() {
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
export function sampleSockets() {
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
export async function connectionsAfterExit() {
  return withClient(DATABASE_URL, async (client) => {
    let left = await countConnections(client);
    for (let wait = 0; left > 0 && wait < 20; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await countConnections(client);
    }
    return left;
  });
}
