// The command line itself: help, version, usage errors and config errors.
// Each is one line on stderr with a hint and a documented exit code.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { describe, expect, test } from "vitest";

import { version } from "../package.json";
import { runCli } from "./support/cli";
import {
  ADMIN_URL,
  APP_CONFIG,
  tempDir,
  writeConfig,
} from "./support/databases";

/** A port nothing listens on: a connection attempt would exit 3, not 2. */
const CLOSED = "postgres://postgres:hunter2@127.0.0.1:9/none";

describe("help and version", () => {
  test("--help shows examples and the exit codes", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("$ batchctl run collect-object-counts");
    expect(result.stdout).toContain("Exit codes:");
    for (const code of ["0", "1", "2", "3", "4", "5"]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${code}  `, "m"));
    }
  });

  test("each command's --help has examples", async () => {
    for (const command of ["run", "migrate", "history"]) {
      const result = await runCli([command, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`$ batchctl ${command}`);
    }
  });

  test("no command shows the help on stderr and exits 2", async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("Usage: batchctl [options] [command]");
  });

  test("help <command> shows that command's help and exits 0", async () => {
    const result = await runCli(["help", "run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: batchctl run [options] <task>");
  });

  test("--version prints the package version", async () => {
    const result = await runCli(["--version"]);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});

test("a reader that closes the pipe early ends the output, not in an error", async () => {
  const result = await runCli(["--help"], {
    onSpawn: (child) => child.stdout?.destroy(),
  });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
});

describe("usage errors exit 2 with one line and a hint", () => {
  test.each([
    [
      ["frobnicate"],
      "batchctl: unknown command 'frobnicate' (hint: run batchctl --help for usage)",
    ],
    [
      ["run"],
      "batchctl: missing required argument 'task' (hint: run batchctl run --help for usage)",
    ],
    [
      ["history", "--sinse", "7d"],
      "batchctl: unknown option '--sinse' (hint: Did you mean --since?; run batchctl history --help for usage)",
    ],
  ])("%j", async (args, line) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.stdout).toBe("");
  });

  test("with --json, the same error is a JSON object on stderr", async () => {
    const result = await runCli(["history", "--json", "--sinse", "7d"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: "usage",
        message: "unknown option '--sinse'",
        hint: "Did you mean --since?; run batchctl history --help for usage",
        exitCode: 2,
      },
    });
  });

  test.each([
    [["--since", ""], '--since "" is not a duration or a date'],
    [
      ["--since", "2026-12-03T21:00"],
      '--since "2026-12-03T21:00" has no time zone',
    ],
    [["--task", ""], "--task needs a task name"],
  ])("history %j is refused, not ignored", async (args, message) => {
    const result = await runCli(["history", ...args], {
      env: { DATABASE_URL: CLOSED },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`^batchctl: ${escape(message)} \\(hint: `),
    );
  });

  test.each(["3x", "7 days", "2026-13-01", "yesterday"])(
    "history --since %s is refused with the accepted forms",
    async (since) => {
      const result = await runCli(["history", "--since", since], {
        env: { DATABASE_URL: CLOSED },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `batchctl: --since "${since}" is not a duration or a date (hint: use 30m, 12h, 7d, 2w, a date such as 2026-12-01, or an ISO instant)\n`,
      );
    },
  );

  test("run --period is refused for collect-object-counts, which counts the present", async () => {
    const dir = tempDir("cli-period");
    writeConfig(dir, APP_CONFIG);
    const result = await runCli(
      ["run", "collect-object-counts", "--period", "2026-12-01"],
      {
        cwd: dir,
        env: { DATABASE_URL: CLOSED },
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot be run for a chosen period/);
  });

  test.each(["2026-12-03 09:00", "1-1-2026"])(
    "a bad BATCHCTL_NOW, %s, is a usage error",
    async (now) => {
      const dir = tempDir("cli-now");
      writeConfig(dir, APP_CONFIG);
      const result = await runCli(["run", "collect-object-counts"], {
        cwd: dir,
        env: { DATABASE_URL: CLOSED, BATCHCTL_NOW: now },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `BATCHCTL_NOW="${now}" is not an ISO-8601 instant`,
      );
    },
  );

  test("a BATCHCTL_HOST too long for batchctl_runs is a usage error", async () => {
    const dir = tempDir("cli-host");
    writeConfig(dir, "tasks:\n  t: { sql: select 1 }\n");
    expect((await runCli(["migrate"], { cwd: dir })).code).toBe(0);
    const result = await runCli(["run", "t"], {
      cwd: dir,
      env: { BATCHCTL_HOST: "h".repeat(256) },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "BATCHCTL_HOST is 256 characters long; at most 255 fit in batchctl_runs",
    );
  });
});

describe("config errors name the key path, exit 2 and open no database", () => {
  test.each([
    [
      "timezone: Mars/Olympus",
      'timezone must be an IANA time zone such as Asia/Seoul or UTC, not "Mars/Olympus"',
    ],
    [
      "tasks:\n  collect-object-counts:\n    objects: []",
      "tasks.collect-object-counts.objects must map at least one object name to a table name",
    ],
    [
      "tasks:\n  collect-object-counts:\n    objects:\n      pipeline: { table: p, where: { is_template: [1] } }",
      "tasks.collect-object-counts.objects.pipeline.where.is_template must be a string, number, boolean or null, not a list",
    ],
    [
      "tasks:\n  collect-object-counts:\n    objects:\n      pipeline: { tabel: p }",
      "tasks.collect-object-counts.objects.pipeline.tabel is not a known key (known: table, where, estimate)",
    ],
    [
      "tasks:\n  collect-object-counts:\n    period: fortnight\n    objects: { a: b }",
      'tasks.collect-object-counts.period must be one of hour, day, week, month, not "fortnight"',
    ],
    [
      "tasks:\n  collect-object-counts:\n    timeout: 0\n    objects: { a: b }",
      "tasks.collect-object-counts.timeout must be a number of seconds above 0, at most 86400, not 0",
    ],
    [
      "connectTimeout: 7200",
      "connectTimeout must be a number of seconds above 0, at most 3600, not 7200",
    ],
    [
      "databse: x",
      "databse is not a known key (known: database, timezone, connectTimeout, tasks)",
    ],
  ])("%#: %s", async (yaml, message) => {
    const dir = tempDir("cli-config");
    writeConfig(dir, yaml);
    const result = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env: { DATABASE_URL: CLOSED },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `batchctl: batchctl.config.yaml: ${message} (hint: see Configuration in the README for every key)\n`,
    );
    expect(fs.readdirSync(dir)).toEqual(["batchctl.config.yaml"]);
  });

  test("a counting task takes a timeout of up to a day, as every task does", async () => {
    const dir = tempDir("cli-timeout");
    writeConfig(
      dir,
      "tasks:\n  collect-object-counts:\n    timeout: 86400\n    objects: { a: b }",
    );
    const result = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env: { DATABASE_URL: CLOSED },
    });
    // Past the config, up to the connection.
    expect(result.stderr).toContain("cannot reach the database");
    expect(result.code).toBe(3);
  });

  test.each(["constructor", "__proto__", "toString"])(
    "run %s is an unknown task, not a property of an object",
    async (name) => {
      const result = await runCli(["run", name], { cwd: tempDir("cli-proto") });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `batchctl: unknown task "${name}" (hint: known tasks: collect-object-counts)\n`,
      );
    },
  );

  test("a task name too long for batchctl's tables is a config error", async () => {
    const dir = tempDir("cli-long-name");
    writeConfig(dir, `tasks:\n  ${"a".repeat(201)}: { sql: select 1 }\n`);
    const result = await runCli(["run", "a"], {
      cwd: dir,
      env: { DATABASE_URL: CLOSED },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "is a task name of 201 characters; at most 200 fit in batchctl_runs",
    );
  });

  test("a relative SQLite path in DATABASE_URL is relative to the working directory", async () => {
    const root = tempDir("cli-relative");
    fs.mkdirSync(path.join(root, "conf"));
    fs.mkdirSync(path.join(root, "work"));
    writeConfig(path.join(root, "conf"), "timezone: UTC\n");
    const result = await runCli(
      ["migrate", "--config", "../conf/batchctl.config.yaml"],
      { cwd: path.join(root, "work"), env: { DATABASE_URL: "./mine.sqlite" } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(fs.existsSync(path.join(root, "work/mine.sqlite"))).toBe(true);
    expect(fs.existsSync(path.join(root, "conf/mine.sqlite"))).toBe(false);
  });

  test("a mistyped URL in the config file is refused before anything is made", async () => {
    const dir = tempDir("cli-typo");
    writeConfig(dir, "database: 'postgres:/app:Sup3rS3cret@db:5432/app'\n");
    const result = await runCli(["migrate"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "the database URL is neither a postgres:// URL nor a SQLite path",
    );
    expect(result.stderr).not.toContain("Sup3rS3cret");
    expect(fs.readdirSync(dir)).toEqual(["batchctl.config.yaml"]);
  });

  test("a config file that is not valid YAML gives the line", async () => {
    const dir = tempDir("cli-yaml");
    writeConfig(dir, "timezone: UTC\ntasks:\n  a: [unclosed\n");
    const result = await runCli(["history"], {
      cwd: dir,
      env: { DATABASE_URL: CLOSED },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /batchctl\.config\.yaml is not valid YAML: .* at line \d+, column \d+/,
    );
  });

  test("--config naming a missing file exits 2", async () => {
    const result = await runCli([
      "history",
      "--config",
      "/nonexistent/batchctl.yaml",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^batchctl: config file \/nonexistent\/batchctl\.yaml does not exist/,
    );
  });

  test("a task that is not configured says which key is missing", async () => {
    const dir = tempDir("cli-unconfigured");
    writeConfig(dir, "timezone: UTC\n");
    const result = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env: { DATABASE_URL: CLOSED },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "tasks.collect-object-counts.objects is missing",
    );
  });
});

describe("SSL settings in the URL", () => {
  // The test server has no SSL, like this machine's.
  const url = (query: string) => {
    const found = new URL(ADMIN_URL);
    found.search = query;
    return found.href;
  };

  test("sslmode=require against a server without SSL: one warning, one error, exit 3", async () => {
    const result = await runCli(["history"], {
      cwd: tempDir("cli-ssl"),
      env: { DATABASE_URL: url("sslmode=require") },
    });
    expect(result.code).toBe(3);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^batchctl: warning: SECURITY WARNING: /);
    expect(lines[1]).toMatch(
      /^batchctl: the database at .* does not accept SSL, which the URL asks for \(hint: /,
    );
  });

  test("with --json the warning is a JSON line too", async () => {
    const result = await runCli(["history", "--json"], {
      cwd: tempDir("cli-ssl-json"),
      env: { DATABASE_URL: url("sslmode=require") },
    });
    expect(result.code).toBe(3);
    const [warning, error] = result.stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(warning.warning.message).toMatch(/^SECURITY WARNING: /);
    expect(error.error.code).toBe("unreachable");
  });

  test("a certificate file that is not there is a config error, exit 2", async () => {
    const result = await runCli(["history"], {
      cwd: tempDir("cli-ssl-cert"),
      env: {
        DATABASE_URL: url("sslmode=verify-full&sslrootcert=/nowhere/ca.pem"),
      },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "batchctl: cannot read /nowhere/ca.pem, which the database URL names (hint: fix the path in the URL, or remove the parameter)\n",
    );
  });
});

describe("an unreachable database exits 3 and never shows the password", () => {
  test("a closed port", async () => {
    const dir = tempDir("cli-closed");
    writeConfig(dir, APP_CONFIG);
    const result = await runCli(["run", "collect-object-counts"], {
      cwd: dir,
      env: { DATABASE_URL: CLOSED },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      "batchctl: cannot reach the database at postgres://postgres:****@127.0.0.1:9/none (connect ECONNREFUSED 127.0.0.1:9) (hint: check that the server is up and the host and port are right; BATCHCTL_CONNECT_TIMEOUT sets the wait)\n",
    );
    expect(result.stdout).toBe("");
  });

  test("--json errors are JSON on stderr, masked too", async () => {
    const dir = tempDir("cli-closed-json");
    writeConfig(dir, APP_CONFIG);
    const result = await runCli(["history", "--json"], {
      cwd: dir,
      env: { DATABASE_URL: CLOSED },
    });
    expect(result.code).toBe(3);
    const { error } = JSON.parse(result.stderr);
    expect(error).toMatchObject({ code: "unreachable", exitCode: 3 });
    expect(result.stderr).not.toContain("hunter2");
  });
});

test("the quickstart seeds, migrates and counts on the default SQLite file, then reports the day done", async () => {
  const dir = tempDir("quickstart");
  const source = path.join(__dirname, "../examples/quickstart");
  fs.copyFileSync(
    path.join(source, "batchctl.config.yaml"),
    path.join(dir, "batchctl.config.yaml"),
  );
  const seed = spawnSync(
    process.execPath,
    [path.join(source, "seed.mjs"), dir],
    { encoding: "utf8" },
  );
  expect(seed.status, seed.stderr).toBe(0);

  const migrate = await runCli(["migrate"], { cwd: dir });
  expect(migrate.code, migrate.stderr).toBe(0);
  expect(migrate.stdout).toContain(
    `sqlite:${path.join(dir, "batchctl.sqlite")}`,
  );
  const first = await runCli(["run", "collect-object-counts"], { cwd: dir });
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toMatch(/succeeded in \d+ ms/);
  expect(first.stdout).toMatch(/notebook\s+12\n/);
  expect(first.stdout).toMatch(/pipeline\s+7\n/);

  const second = await runCli(["run", "collect-object-counts"], { cwd: dir });
  expect(second.code).toBe(0);
  expect(second.stdout).toContain("already done");
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
