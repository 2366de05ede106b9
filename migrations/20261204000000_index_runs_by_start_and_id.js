// `batchctl history` lists runs newest first, by started_at then id. An index
// in that same order lets the database read the newest runs and stop at the
// limit, instead of reading every run in the --since window to sort them. It
// replaces the index on started_at alone, whose queries it serves as well.

exports.up = async function up(knex) {
  await knex.schema.alterTable("batchctl_runs", (table) => {
    table.index(["started_at", "id"]);
  });
  await knex.schema.alterTable("batchctl_runs", (table) => {
    table.dropIndex(["started_at"]);
  });
};

exports.down = async function down(knex) {
  await knex.schema.alterTable("batchctl_runs", (table) => {
    table.index(["started_at"]);
  });
  await knex.schema.alterTable("batchctl_runs", (table) => {
    table.dropIndex(["started_at", "id"]);
  });
};
