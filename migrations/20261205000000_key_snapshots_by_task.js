// A snapshot row belongs to the task that wrote it. Two counting tasks may
// count an object of the same name for the same period (a daily and an
// hourly task keyed by different periods, or two tasks on other tables);
// keyed by (period, object) alone, the second would collide with the first.
// Rows written before this migration came from collect-object-counts.

exports.up = async function up(knex) {
  await knex.schema.alterTable("batchctl_object_counts", (table) => {
    table.string("task", 200).notNullable().defaultTo("collect-object-counts");
  });
  await knex.schema.alterTable("batchctl_object_counts", (table) => {
    table.unique(["task", "period", "object"]);
    table.dropUnique(["period", "object"]);
  });
};

exports.down = async function down(knex) {
  await knex.schema.alterTable("batchctl_object_counts", (table) => {
    table.unique(["period", "object"]);
    table.dropUnique(["task", "period", "object"]);
  });
  await knex.schema.alterTable("batchctl_object_counts", (table) => {
    table.dropColumn("task");
  });
};
