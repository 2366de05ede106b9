// Database outages: the server is not there, goes away in the middle of a
// run, or refuses the login. Each ends with its own clear message and exit
// code, never a hang, a stack trace, a password or a half-written period.
import net from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../support/cli";
import { APP_TABLES_SQL, tempDir, writeConfig } from "../support/databases";

import { createCluster } from "./cluster";
import type { Cluster } from "./cluster";
import {
  configYaml,
  freePort,
  HOSTILE_PASSWORD_ENCODED,
  noonOf,
  passwordShown,
  runsOf,
  SLOW_OBJECTS,
  slowViewSql,
  snapshotOf,
  TASK,
  waitFor,
} from "./support";

const CONNECT_TIMEOUT_S = 3;
const UNEXPECTED = "not an error batchctl expected";

let dir: string;
let config: string;
beforeAll(() => {
  dir = tempDir("faults-outage");
  config = writeConfig(dir, configYaml({ slow: true }));
});

function trigger(url: string, env: Record<string, string> = {}) {
  return runCli(["run", TASK], {
    cwd: dir,
    env: {
      DATABASE_URL: url,
      BATCHCTL_CONFIG: config,
      BATCHCTL_CONNECT_TIMEOUT: String(CONNECT_TIMEOUT_S),
      ...env,
    },
  });
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await work();
  return [result, Date.now() - started];
}

describe("database unreachable at start", () => {
  it("exits 3 within the connect timeout on a closed port, naming the host and not the password", async () => {
    const port = await freePort();
    const url = `postgres://app:${HOSTILE_PASSWORD_ENCODED}@127.0.0.1:${port}/app`;
    const [result, ms] = await timed(() => trigger(url));

    expect(result.code).toBe(3);
    expect(ms).toBeLessThan(CONNECT_TIMEOUT_S * 1000);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.stderr).toMatch(/cannot reach the database/);
    expect(passwordShown(result.stderr + result.stdout)).toBe(false);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 3 within the connect timeout when the host name does not resolve", async () => {
    const url = `postgres://app:${HOSTILE_PASSWORD_ENCODED}@nonexistent.invalid:5432/app`;
    const [result, ms] = await timed(() => trigger(url));

    expect(result.code).toBe(3);
    expect(ms).toBeLessThan(CONNECT_TIMEOUT_S * 1000);
    expect(result.stderr).toContain("nonexistent.invalid");
    expect(passwordShown(result.stderr + result.stdout)).toBe(false);
    expect(result.stderr).not.toContain(UNEXPECTED);
  });
});

describe("a server that accepts but never answers", () => {
  it("exits 3 once the connect timeout has passed, not later", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) =>
      silent.listen(0, "127.0.0.1", resolve),
    );
    const { port } = silent.address() as net.AddressInfo;
    try {
      const url = `postgres://app:${HOSTILE_PASSWORD_ENCODED}@127.0.0.1:${port}/app`;
      const [result, ms] = await timed(() =>
        trigger(url, { BATCHCTL_CONNECT_TIMEOUT: "2" }),
      );

      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/no answer within the connect timeout/);
      expect(result.stderr).toContain(`127.0.0.1:${port}`);
      expect(passwordShown(result.stderr + result.stdout)).toBe(false);
      // The timeout, plus the start-up of a process on a busy machine.
      expect(ms).toBeGreaterThanOrEqual(2_000);
      expect(ms).toBeLessThan(2_000 + 2_500);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

describe("a throwaway cluster", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await createCluster();
    await cluster.query("create database app");
    await cluster.query(APP_TABLES_SQL + slowViewSql(3), "app");
    const migrated = await runCli(["migrate"], {
      cwd: dir,
      env: { DATABASE_URL: cluster.url("app"), BATCHCTL_CONFIG: config },
    });
    expect(migrated.code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it("fails cleanly when PostgreSQL restarts during a run, and the next trigger succeeds", async () => {
    const { key, now } = noonOf(1);
    const counting = async () =>
      ((
        await cluster.query(
          `select 1 from pg_stat_activity where state = 'active'
           and pid <> pg_backend_pid() and query like '%"slow"%'`,
        )
      ).rowCount ?? 0) > 0;

    let restarted = false;
    const cut = await runCli(["run", TASK], {
      cwd: dir,
      env: {
        DATABASE_URL: cluster.url("app"),
        BATCHCTL_CONFIG: config,
        BATCHCTL_NOW: now,
      },
      onSpawn: () => {
        void waitFor(counting, 30_000, "the slow count")
          .then(() => cluster.restart())
          .then(() => (restarted = true));
      },
    });
    await waitFor(async () => restarted, 30_000, "the restart");
    console.log(`cut off by a restart: exit ${cut.code}: ${cut.stderr}`);

    expect([1, 3]).toContain(cut.code);
    expect(cut.stderr).not.toContain(UNEXPECTED);
    expect(cut.stderr).toMatch(/lost the connection to the database/);
    expect(cut.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);

    const db = { query: (sql: string) => cluster.query(sql, "app") };
    expect(await snapshotOf(db, key)).toEqual({});

    const next = await runCli(["run", TASK, "--json"], {
      cwd: dir,
      env: {
        DATABASE_URL: cluster.url("app"),
        BATCHCTL_CONFIG: config,
        BATCHCTL_NOW: now,
      },
    });
    expect(next.stderr).toBe("");
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout).status).toBe("succeeded");
    expect(Object.keys(await snapshotOf(db, key)).sort()).toEqual(
      [...SLOW_OBJECTS].sort(),
    );
    const statuses = (await runsOf(db, key)).map((run) => run.status);
    expect(statuses).not.toContain("running");
    expect(statuses.at(-1)).toBe("succeeded");
  }, 120_000);

  it("waits for a free connection when a storm of triggers fills max_connections", async () => {
    const { key, now } = noonOf(5);
    const triggers = 24;
    const results = await Promise.all(
      Array.from({ length: triggers }, () =>
        trigger(cluster.url("app"), {
          BATCHCTL_NOW: now,
          BATCHCTL_CONNECT_TIMEOUT: "30",
        }),
      ),
    );

    // The storm did fill the server: some connections were refused.
    expect(cluster.log()).toMatch(/too many clients already/);
    expect(results.map((result) => result.stderr).filter(Boolean)).toEqual([]);
    expect(results.map((result) => result.code)).toEqual(
      Array(triggers).fill(0),
    );
    const db = { query: (sql: string) => cluster.query(sql, "app") };
    const statuses = (await runsOf(db, key)).map((run) => run.status);
    expect(statuses.filter((status) => status === "succeeded")).toHaveLength(1);
    expect(statuses).toHaveLength(triggers);
  }, 120_000);

  it("says the login was refused, exit 3, when the password is wrong", async () => {
    await cluster.query("create role locked login password 'the-right-one'");
    await cluster.setHba([
      "local all postgres trust",
      "host all locked 127.0.0.1/32 scram-sha-256",
      "host all all 127.0.0.1/32 trust",
    ]);
    const url = `postgres://locked:${HOSTILE_PASSWORD_ENCODED}@127.0.0.1:${cluster.port}/app`;
    const result = await trigger(url);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/refused the login/);
    expect(result.stderr).toMatch(/password authentication failed/);
    expect(result.stderr).toContain(`127.0.0.1:${cluster.port}`);
    expect(passwordShown(result.stderr + result.stdout)).toBe(false);
  });

  it("says the login was refused, exit 3, for a role that does not exist", async () => {
    const url = `postgres://nobody:${HOSTILE_PASSWORD_ENCODED}@127.0.0.1:${cluster.port}/app`;
    const result = await trigger(url);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/refused the login/);
    expect(result.stderr).toMatch(/role "nobody" does not exist/);
    expect(passwordShown(result.stderr + result.stdout)).toBe(false);
  });
});
