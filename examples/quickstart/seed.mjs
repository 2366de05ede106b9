// Creates the sample application tables the quickstart counts in
// batchctl.sqlite, the SQLite file batchctl uses when no database is
// configured (in this folder, or in the folder given as the first argument).
// Running it again changes nothing.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3");

const here = path.dirname(fileURLToPath(import.meta.url));
const folder = path.resolve(process.argv[2] ?? here);
const file = path.join(folder, "batchctl.sqlite");
const db = new Database(file);

const tables = {
  notebook_notebook: 12,
  inference_inference: 5,
  hyperparameter_hyperparameter: 31,
};
for (const [table, rows] of Object.entries(tables)) {
  db.exec(
    `create table if not exists ${table} (id integer primary key, name text)`,
  );
  const { count } = db.prepare(`select count(*) as count from ${table}`).get();
  const insert = db.prepare(`insert into ${table} (name) values (?)`);
  for (let i = count; i < rows; i++) insert.run(`${table} ${i + 1}`);
}

db.exec(
  "create table if not exists pipeline_pipeline (id integer primary key, name text, is_template boolean not null)",
);
const { count } = db
  .prepare("select count(*) as count from pipeline_pipeline")
  .get();
const insert = db.prepare(
  "insert into pipeline_pipeline (name, is_template) values (?, ?)",
);
for (let i = count; i < 9; i++) insert.run(`pipeline ${i + 1}`, i < 7 ? 0 : 1);

db.close();
console.log(`sample tables ready in ${file}`);
