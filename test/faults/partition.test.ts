// A node that drops off the network in the middle of a run sends nothing:
// no FIN, no RST. Its connection looks alive to PostgreSQL until TCP
// keepalive gives up, and until then its claim holds the period. The
// trigger here runs in a network namespace of its own, joined to the host
// by a veth pair; taking the link down is the node vanishing.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { BIN, cliEnv, runCli } from "../support/cli";
import { APP_TABLES_SQL, tempDir } from "../support/databases";
import { createCluster } from "./cluster";
import type { Cluster } from "./cluster";
import { noonOf, waitFor } from "./support";

// One namespace and one address pair per test process.
const NS = `batchctl-${process.pid}`;
const HOST_LINK = `bch${process.pid % 100000}`;
const NODE_LINK = `bcn${process.pid % 100000}`;
const NET = `10.213.${process.pid % 250}`;
const HOST_IP = `${NET}.1`;
const NODE_IP = `${NET}.2`;

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });

const CONFIG = `
timezone: UTC
tasks:
  hold:
    module: ./hold.cjs
`;

let cluster: Cluster;
let dir: string;

beforeAll(async () => {
  ip("netns", "add", NS);
  ip("link", "add", HOST_LINK, "type", "veth", "peer", "name", NODE_LINK);
  ip("link", "set", NODE_LINK, "netns", NS);
  ip("addr", "add", `${HOST_IP}/30`, "dev", HOST_LINK);
  ip("link", "set", HOST_LINK, "up");
  ip(
    "netns",
    "exec",
    NS,
    "ip",
    "addr",
    "add",
    `${NODE_IP}/30`,
    "dev",
    NODE_LINK,
  );
  ip("netns", "exec", NS, "ip", "link", "set", NODE_LINK, "up");
  ip("netns", "exec", NS, "ip", "link", "set", "lo", "up");

  cluster = await createCluster({ listen: [HOST_IP] });
  await cluster.query("create database app");
  await cluster.query(APP_TABLES_SQL, "app");

  dir = tempDir("partition");
  fs.writeFileSync(path.join(dir, "batchctl.config.yaml"), CONFIG);
  // Holds its claim, idle in its transaction, for two minutes.
  fs.writeFileSync(
    path.join(dir, "hold.cjs"),
    "module.exports = async () => { await new Promise((r) => setTimeout(r, 120000)); };\n",
  );
  const migrated = await runCli(["migrate"], {
    cwd: dir,
    env: { DATABASE_URL: cluster.url("app") },
  });
  expect(migrated.code, migrated.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  try {
    ip("netns", "del", NS);
  } catch {
    // Not made: beforeAll failed first.
  }
  try {
    ip("link", "del", HOST_LINK);
  } catch {
    // Gone with the namespace's end of the pair.
  }
  await cluster?.destroy();
});

describe("a node lost from the network", () => {
  it("loses its claim within a minute, and another trigger runs the period", async () => {
    const { key, now } = noonOf(0);

    // The trigger on the node that will vanish, over the veth pair.
    const lost = spawn(
      "ip",
      ["netns", "exec", NS, process.execPath, BIN, "run", "hold"],
      {
        cwd: dir,
        env: cliEnv({
          DATABASE_URL: `postgres://postgres@${HOST_IP}:${cluster.port}/app`,
          BATCHCTL_NOW: now,
        }),
        stdio: "ignore",
      },
    );
    try {
      const claimed = async () =>
        ((
          await cluster.query(
            // Its last statement before the task: the claim is made, and
            // the keepalive settings before it have reached the server.
            `select 1 from pg_stat_activity where client_addr = '${NODE_IP}'
             and state = 'idle in transaction'
             and query like '%lock_timeout to default%'`,
          )
        ).rowCount ?? 0) > 0;
      await waitFor(claimed, 30_000, "the lost node's claim");

      // The node vanishes: its link goes down, nothing is sent either way.
      ip("netns", "exec", NS, "ip", "link", "set", NODE_LINK, "down");
      const cut = Date.now();

      const trigger = () =>
        runCli(["run", "hold", "--json"], {
          cwd: dir,
          env: { DATABASE_URL: cluster.url("app"), BATCHCTL_NOW: now },
        });
      // Another trigger first finds the period running, then, once the
      // server has given the lost node up, runs it.
      const first = await trigger();
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({
        status: "skipped",
        reason: "running",
      });

      fs.writeFileSync(
        path.join(dir, "hold.cjs"),
        "module.exports = async () => ({ held: false });\n",
      );
      let outcome: { status: string } | undefined;
      while (Date.now() - cut < 90_000) {
        const result = await trigger();
        expect(result.code, result.stderr).toBe(0);
        outcome = JSON.parse(result.stdout);
        if (outcome?.status === "succeeded") break;
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
      const waited = Date.now() - cut;
      console.log(`lost node's claim released after ${waited} ms`);
      expect(outcome?.status).toBe("succeeded");
      // Keepalive: 10 s idle, then three probes 5 s apart.
      expect(waited).toBeLessThan(60_000);

      const { rows } = await cluster.query(
        `select count(*)::int as n from batchctl_periods where period = '${key}'`,
        "app",
      );
      expect(rows[0].n).toBe(1);
    } finally {
      lost.kill("SIGKILL");
    }
  }, 180_000);
});
