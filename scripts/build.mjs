// Bundles the CLI into one file so that a trigger loads one script instead of
// resolving hundreds of modules: start-up is paid on every cron trigger.
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

await build({
  entryPoints: { cli: "src/cli.ts", index: "src/index.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  external,
  sourcemap: "linked",
  logLevel: "warning",
});
