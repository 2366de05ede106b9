// The start-up path: bin/batchctl runs dist/cli.js from V8's code cache.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { ROOT, runCli } from "./support/cli";
import { tempDir } from "./support/databases";

describe("start-up from the code cache", () => {
  it("has a cache for dist/cli.js that this Node accepts", () => {
    const probe = `
      const fs = require("node:fs");
      const { Module } = require("node:module");
      const vm = require("node:vm");
      const file = ${JSON.stringify(path.join(ROOT, "dist/cli.js"))};
      const script = new vm.Script(Module.wrap(fs.readFileSync(file, "utf8")), {
        filename: file,
        cachedData: fs.readFileSync(file + ".cache"),
      });
      process.stdout.write(String(script.cachedDataRejected));`;
    const result = spawnSync(process.execPath, ["-e", probe], {
      encoding: "utf8",
    });

    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("false");
  });

  it("still loads an ES module config file, whose import() leaves the cached code", async () => {
    const dir = tempDir("startup-mjs");
    fs.writeFileSync(
      path.join(dir, "batchctl.config.mjs"),
      'export default { timezone: "Nowhere/Atlantis" };\n',
    );
    const result = await runCli(["history"], { cwd: dir });

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'batchctl: batchctl.config.mjs: timezone must be an IANA time zone such as Asia/Seoul or UTC, not "Nowhere/Atlantis" (hint: see Configuration in the README for every key)\n',
    );
  });

  it("prints help and exits 0", async () => {
    const result = await runCli(["--help"]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: batchctl [options] [command]");
    expect(result.stderr).toBe("");
  });
});
