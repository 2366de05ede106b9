// Colour on a terminal only, never with NO_COLOR; the connect timeout.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import net from "node:net";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { BIN, cliEnv, runCli } from "./support/cli";
import {
  APP_CONFIG,
  APP_TABLES_SQL,
  createPgDatabase,
  tempDir,
  writeConfig,
} from "./support/databases";
import type { PgDatabase } from "./support/databases";

const ESC = "\u001b[";

describe("colour", () => {
  let db: PgDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createPgDatabase("output");
    await db.query(APP_TABLES_SQL);
    dir = tempDir("output");
    writeConfig(dir, APP_CONFIG);
    const migrate = await runCli(["migrate"], {
      cwd: dir,
      env: { DATABASE_URL: db.url },
    });
    expect(migrate.code, migrate.stderr).toBe(0);
  });

  afterAll(async () => {
    await db?.drop();
  });

  /** Runs the CLI on a pseudo-terminal, as a person at a shell would. */
  function onTerminal(args: string[], env: Record<string, string | undefined>) {
    const command = [process.execPath, BIN, ...args].join(" ");
    return spawnSync("script", ["-qec", command, "/dev/null"], {
      cwd: dir,
      encoding: "utf8",
      // A person's shell: chalk turns colour off where CI is set.
      env: cliEnv({
        DATABASE_URL: db.url,
        TERM: "xterm-256color",
        CI: undefined,
        ...env,
      }),
    });
  }

  test("a terminal gets colour", () => {
    const result = onTerminal(["run", "collect-object-counts"], {
      NO_COLOR: undefined,
    });
    expect(result.status, result.stdout).toBe(0);
    expect(result.stdout).toContain(ESC);
    expect(result.stdout).toContain("succeeded");
  });

  test("NO_COLOR turns colour off on a terminal", () => {
    const result = onTerminal(["history"], { NO_COLOR: "1" });
    expect(result.status, result.stdout).toBe(0);
    expect(result.stdout).toContain("succeeded");
    expect(result.stdout).not.toContain(ESC);
  });

  test("stderr redirected to a file gets no colour while stdout is a terminal", () => {
    const file = path.join(dir, "stderr.txt");
    const result = onTerminal(["run", "nope", `2>${file}`], {
      NO_COLOR: undefined,
    });
    expect(result.status).toBe(2);
    const stderr = fs.readFileSync(file, "utf8");
    expect(stderr).toMatch(/^batchctl: unknown task "nope"/);
    expect(stderr).not.toContain(ESC);
  });

  test("a pipe gets no colour even without NO_COLOR", async () => {
    const result = await runCli(["history"], {
      cwd: dir,
      env: { DATABASE_URL: db.url, NO_COLOR: undefined },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(ESC);
  });
});

describe("connect timeout", () => {
  // A server that accepts connections and never answers: the database is
  // "there" but silent, as behind a dead load balancer.
  let server: net.Server;
  let port: number;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve),
    );
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test("a silent server exits 3 after BATCHCTL_CONNECT_TIMEOUT", async () => {
    const dir = tempDir("timeout");
    writeConfig(dir, APP_CONFIG);
    const started = Date.now();
    const result = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env: {
        DATABASE_URL: `postgres://app:s3cret@127.0.0.1:${port}/app`,
        BATCHCTL_CONNECT_TIMEOUT: "1",
      },
    });
    const elapsed = Date.now() - started;

    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `batchctl: cannot reach the database at postgres://app:****@127.0.0.1:${port}/app (no answer within the connect timeout) (hint: check that the server is up and the host and port are right; BATCHCTL_CONNECT_TIMEOUT sets the wait)\n`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(5_000);
  });

  test("a timeout of less than a millisecond still ends, with exit 3", async () => {
    const dir = tempDir("timeout-tiny");
    writeConfig(dir, APP_CONFIG);
    const result = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env: {
        DATABASE_URL: `postgres://app@127.0.0.1:${port}/app`,
        BATCHCTL_CONNECT_TIMEOUT: "0.0004",
      },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("no answer within the connect timeout");
  }, 20_000);
});
