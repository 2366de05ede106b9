// The floor a trigger cannot go below: start Node, load pg, connect, claim a
// period with one INSERT ... ON CONFLICT DO NOTHING RETURNING, and exit.
// Plain pg from node_modules, no bundle, no config, no pool.
const { Client } = require("pg");

async function main() {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(
      "insert into bench_floor (task, period) values ($1, $2)" +
        " on conflict do nothing returning task",
      ["floor", "2000-01-01"],
    );
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
