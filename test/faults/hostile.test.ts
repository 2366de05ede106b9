// Hostile input: names, flags, files and passwords that try to break out of
// where they belong. Each is treated as data and refused with one line that
// says what to fix.
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../support/cli";
import { tempDir } from "../support/databases";
import {
  freePort,
  HOSTILE_PASSWORD_ENCODED,
  noonOf,
  passwordShown,
  TASK,
  withPassword,
  workspace,
} from "./support";
import type { Workspace } from "./support";

const HOSTILE_CONFIG = `
timezone: UTC
tasks:
  double-quote:
    objects:
      evil: 'notebook_notebook"; drop table inference_inference; --'
  single-quote:
    objects:
      evil: "x'); delete from notebook_notebook; --"
  hostile-column:
    objects:
      evil:
        table: pipeline_pipeline
        where: { "is_template = false; drop table pipeline_pipeline; --": 1 }
`;

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace("faults_hostile", { config: HOSTILE_CONFIG });
});
afterAll(async () => {
  await ws?.db.drop();
});

const oneLine = (stderr: string) => stderr.trim().split("\n").length === 1;

describe("SQL in configured names", () => {
  it("treats a table or column name with quotes, a semicolon and SQL as a name that does not exist, and leaves the database intact", async () => {
    for (const task of ["double-quote", "single-quote", "hostile-column"]) {
      const result = await ws.cli(["run", task, "--json"]);
      expect(result.code).toBe(1);
      const outcome = JSON.parse(result.stdout);
      expect(outcome.status).toBe("failed");
      expect(outcome.error).toMatch(/does not exist/);
    }

    const { rows } = await ws.db.query(
      `select (select count(*) from notebook_notebook)::int as notebooks,
              (select count(*) from inference_inference)::int as inferences,
              (select count(*) from pipeline_pipeline)::int as pipelines`,
    );
    expect(rows[0]).toEqual({ notebooks: 3, inferences: 2, pipelines: 3 });
  });
});

describe("flags and commands", () => {
  for (const limit of [
    ["--limit", "99999999999999999999"],
    ["--limit", "1e9"],
    ["--limit", "0"],
    ["--limit", "-5"],
    ["--limit=-1"],
    ["--limit", "ten"],
  ]) {
    it(`refuses history ${limit.join(" ")} with exit 2 and one line`, async () => {
      const result = await ws.cli(["history", ...limit]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/--limit/);
      expect(result.stderr).toMatch(/hint: /);
      expect(oneLine(result.stderr)).toBe(true);
      // A larger limit is the hint only when the value was too large.
      const tooLarge = limit.join("").includes("9999");
      expect(/larger limit/.test(result.stderr)).toBe(tooLarge);
    });
  }

  it("accepts the largest --limit", async () => {
    const result = await ws.cli(["history", "--limit", "100000"]);
    expect(result.code).toBe(0);
  });

  for (const args of [
    ["frobnicate"],
    ["histroy"],
    ["--frobnicate"],
    ["run", TASK, "--frobnicate"],
    ["history", "--since"],
    ["run"],
  ]) {
    it(`refuses \`batchctl ${args.join(" ")}\` with exit 2 and one line with a hint`, async () => {
      const result = await ws.cli(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.trim()).toMatch(/^batchctl: .*\(hint: .*\)$/);
      expect(oneLine(result.stderr)).toBe(true);
    });
  }
});

describe("config files", () => {
  const write = (name: string, text: string) => {
    const dir = tempDir("faults-hostile-config");
    fs.writeFileSync(path.join(dir, name), text);
    return dir;
  };
  const load = (dir: string, env: Record<string, string> = {}) =>
    runCli(["history"], {
      cwd: dir,
      env: { DATABASE_URL: ws.db.url, ...env },
    });

  it("gives the line of a YAML syntax error", async () => {
    const dir = write(
      "batchctl.config.yaml",
      "timezone: UTC\ntasks:\n  daily:\n    objects: { a: b\n    period: day\n",
    );
    const result = await load(dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/batchctl\.config\.yaml/);
    expect(result.stderr).toMatch(/line [45]\b/);
    expect(oneLine(result.stderr)).toBe(true);
  });

  it("gives the line of a JSON syntax error", async () => {
    const dir = write(
      "batchctl.config.json",
      '{\n  "timezone": "UTC",\n  "tasks": {,\n  }\n}\n',
    );
    const result = await load(dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/batchctl\.config\.json/);
    expect(result.stderr).toMatch(/line 3\b/);
    expect(oneLine(result.stderr)).toBe(true);
  });

  it("names a JavaScript config that throws, without a stack unless DEBUG is set", async () => {
    const dir = write(
      "batchctl.config.cjs",
      'throw new Error("the config exploded");\n',
    );
    const result = await load(dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/batchctl\.config\.cjs/);
    expect(result.stderr).toMatch(/the config exploded/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(oneLine(result.stderr)).toBe(true);

    const debug = await load(dir, { DEBUG: "1" });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/^\s+at /m);
    // The stack leads to the line of the config file that threw.
    expect(debug.stderr).toMatch(/^\s+at .*batchctl\.config\.cjs:1\b/m);
  });
});

describe("a one-character password", () => {
  it("is masked in the address and nowhere else, so --json stays whole", async () => {
    const url = new URL(ws.db.url);
    url.password = "1";
    const masked = new URL(ws.db.url);
    masked.password = "****";
    const env = { DATABASE_URL: url.href, BATCHCTL_NOW: noonOf(11).now };

    const migrate = await ws.cli(["migrate", "--json"], env);
    expect(JSON.parse(migrate.stdout).database).toBe(masked.href);
    const run = await ws.cli(["run", "double-quote", "--json"], env);
    expect(JSON.parse(run.stdout)).toMatchObject({ period: "2026-12-12" });
    const history = await ws.cli(["history", "--all", "--json"], env);
    expect(JSON.parse(history.stdout)[0]).toMatchObject({
      period: "2026-12-12",
    });
  });
});

describe("a password with special characters", () => {
  it("is masked in every line of stdout, stderr and --json", async () => {
    const url = withPassword(ws.db.url);
    expect(url).toContain(HOSTILE_PASSWORD_ENCODED);
    const closed = `postgres://app:${HOSTILE_PASSWORD_ENCODED}@127.0.0.1:${await freePort()}/app`;
    const { now } = noonOf(3);
    const commands: [string[], Record<string, string>][] = [
      [["migrate"], {}],
      [["migrate", "--json"], {}],
      [["migrate", "--status"], {}],
      [["migrate", "--status", "--json"], {}],
      [["run", "double-quote"], {}],
      [["run", "double-quote", "--json"], {}],
      [["run", "double-quote"], { DEBUG: "1" }],
      [["history", "--all"], {}],
      [["history", "--all", "--json"], {}],
      [["run", "double-quote"], { DATABASE_URL: closed }],
      [["run", "double-quote", "--json"], { DATABASE_URL: closed }],
      [["history"], { DATABASE_URL: closed, DEBUG: "1" }],
      [["run", "nope"], { BATCHCTL_NOW: now }],
    ];

    let masked = 0;
    for (const [args, env] of commands) {
      const result = await ws.cli(args, { DATABASE_URL: url, ...env });
      const shown = `${result.stdout}\n${result.stderr}`;
      expect(passwordShown(shown), `${args.join(" ")}: ${shown}`).toBe(false);
      if (shown.includes(":****@")) masked++;
    }
    // The masked address was printed, so the password had a chance to leak.
    expect(masked).toBeGreaterThanOrEqual(6);
  });
});
