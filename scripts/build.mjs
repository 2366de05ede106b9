// Bundles the CLI into one file so that a trigger loads one script instead of
// resolving hundreds of modules, then compiles that file once, here, and
// keeps V8's code for it (dist/cli.js.cache): bin/batchctl hands it back to
// V8, and a trigger skips compiling 800 kB of JavaScript. Start-up is paid
// on every cron trigger, and on every duplicate one.
import { readFile, rm, writeFile } from "node:fs/promises";
import { Module } from "node:module";
import v8 from "node:v8";
import vm from "node:vm";

import { build } from "esbuild";

// knex requires every driver it knows by name; only pg and better-sqlite3 are
// installed. better-sqlite3 is a native addon and cannot be bundled.
const external = [
  "better-sqlite3",
  "mariadb",
  "mariadb/callback",
  "mysql",
  "mysql2",
  "oracledb",
  "pg-native",
  "pg-query-stream",
  "sqlite3",
  "tedious",
  "typescript",
];

/**
 * knex ships a dialect for every database it supports, about 220 kB that
 * each trigger would parse. batchctl opens PostgreSQL and SQLite only
 * (better-sqlite3 builds on the sqlite3 dialect); the others are left out.
 */
const unusedDialects =
  /^\.\/(cockroachdb|mssql|mysql|mysql2|mariadb|oracle|oracledb|pgnative|redshift)$/;

/** Edits to bundled packages: each names what it replaces, or the build fails. */
const patches = [
  {
    // commander loads child_process, and with it dgram and more, for
    // subcommands that are separate executables; batchctl has none.
    file: "commander/lib/command.js",
    edits: [
      [
        "const childProcess = require('node:child_process');",
        "const childProcess = {\n  spawn: (...args) => require('node:child_process').spawn(...args),\n};",
      ],
    ],
  },
  {
    // pg asks, when it loads, whether it runs on Cloudflare Workers by
    // building a fetch Response; on Node that loads undici, which costs a
    // trigger more than connecting does. batchctl runs on Node only.
    file: "pg/lib/stream.js",
    edits: [
      [
        "function isCloudflareRuntime() {",
        "function isCloudflareRuntime() { return false;",
      ],
    ],
  },
];

const lean = {
  name: "lean",
  setup(build) {
    build.onResolve({ filter: unusedDialects }, (args) =>
      args.importer.includes("knex/lib/dialects")
        ? { path: args.path, namespace: "unused-dialect" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "unused-dialect" }, (args) => ({
      contents: `throw new Error("knex dialect ${args.path} is not part of batchctl");`,
      loader: "js",
    }));

    for (const { file, edits } of patches) {
      const filter = new RegExp(
        `node_modules[/\\\\]${file.replaceAll(".", "\\.").replaceAll("/", "[/\\\\]")}$`,
      );
      build.onLoad({ filter }, async (args) => {
        let source = await readFile(args.path, "utf8");
        for (const [from, to] of edits) {
          if (!source.includes(from)) {
            throw new Error(`${file} changed: "${from}" is not in it`);
          }
          source = source.replaceAll(from, to);
        }
        return { contents: source, loader: "js" };
      });
    }
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  external,
  // A smaller file to read on every start; names are kept, for error classes.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: "linked",
  logLevel: "warning",
};

await rm("dist", { recursive: true, force: true });

await Promise.all([
  build({
    ...common,
    entryPoints: { cli: "src/cli.ts" },
    outdir: "dist",
    format: "cjs",
    plugins: [lean],
  }),
  build({
    ...common,
    entryPoints: { index: "src/index.ts" },
    outdir: "dist",
    format: "cjs",
  }),
]);

/**
 * V8 compiles a function when it is first called. Compiling every function
 * now (--no-lazy) puts all of them in the cache; switching back to lazy
 * before the cache is written keeps its flags the ones `node` starts with,
 * or V8 would reject it.
 */
async function writeCodeCache(file) {
  const source = await readFile(file, "utf8");
  v8.setFlagsFromString("--no-lazy");
  const script = new vm.Script(Module.wrap(source), { filename: file });
  v8.setFlagsFromString("--lazy");
  await writeFile(`${file}.cache`, script.createCachedData());
}

/**
 * Code that V8 restores from a cache cannot call import() itself: Node no
 * longer knows which loader it belongs to. bin/batchctl defines a function
 * that does, and every import() in the bundle (JavaScript config files, a
 * task's module) calls it instead; run without bin/batchctl, plain import().
 * esbuild's output has no comments, so the pattern only meets code.
 */
async function routeDynamicImports(file) {
  const hook =
    '(globalThis[Symbol.for("batchctl.import")] ?? ((s) => import(s)))';
  const source = await readFile(file, "utf8");
  await writeFile(file, source.replace(/(?<![\w$.])import\(/g, `${hook}(`));
}

await routeDynamicImports("dist/cli.js");
await writeCodeCache("dist/cli.js");
