// A throwaway PostgreSQL cluster on a port of its own, made with the
// installed server binaries, so a test may restart it or change its login
// rules without disturbing the shared server the rest of the suite uses.
// PostgreSQL refuses to run as root, so the binaries run as `postgres`.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import pg from "pg";

import { freePort } from "./support";

const run = promisify(execFile);
const BIN = process.env.BATCHCTL_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface Cluster {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url: (database?: string) => string;
  query: (sql: string, database?: string) => Promise<pg.QueryResult>;
  restart: () => Promise<void>;
  /** The server's log so far. */
  log: () => string;
  /** Replaces pg_hba.conf and reloads it. */
  setHba: (lines: string[]) => Promise<void>;
  destroy: () => Promise<void>;
}

async function asPostgres(command: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot
    ? ["runuser", ["-u", "postgres", "--", path.join(BIN, command), ...args]]
    : [path.join(BIN, command), args];
  await run(file, argv, { timeout: 60_000 });
}

/** `listen`: addresses besides 127.0.0.1; their networks' clients trusted. */
export async function createCluster(
  options: { listen?: string[] } = {},
): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "batchctl-cluster-"));
  const data = path.join(dir, "data");
  const log = path.join(dir, "server.log");
  if (process.getuid?.() === 0) await run("chown", ["postgres", dir]);

  await asPostgres("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const port = await freePort();
  const listen = ["127.0.0.1", ...(options.listen ?? [])];
  if (options.listen?.length) {
    // Clients on the networks of those addresses, such as a test's netns.
    fs.appendFileSync(
      path.join(data, "pg_hba.conf"),
      "host all all samenet trust\n",
    );
  }
  fs.appendFileSync(
    path.join(data, "postgresql.conf"),
    [
      `port = ${port}`,
      `listen_addresses = '${listen.join(",")}'`,
      `unix_socket_directories = '${dir}'`,
      "fsync = off",
      // Small, so a test can fill it with a handful of triggers.
      "max_connections = 10",
      "shared_buffers = 16MB",
      "",
    ].join("\n"),
  );
  const pgCtl = (...args: string[]) =>
    asPostgres("pg_ctl", ["-D", data, "-l", log, "-w", ...args]);
  await pgCtl("start");

  const url = (database = "postgres") =>
    `postgres://postgres@127.0.0.1:${port}/${database}`;
  const query = async (sql: string, database?: string) => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };

  return {
    port,
    url,
    query,
    restart: () => pgCtl("restart", "-m", "fast"),
    log: () => fs.readFileSync(log, "utf8"),
    setHba: async (lines) => {
      fs.writeFileSync(path.join(data, "pg_hba.conf"), `${lines.join("\n")}\n`);
      await query("select pg_reload_conf()");
    },
    destroy: async () => {
      await pgCtl("stop", "-m", "immediate").catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
