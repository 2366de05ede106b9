// batchctl's own tables. Their names start with batchctl_ so they sit beside
// an application's tables, and batchctl tracks them in batchctl_migrations,
// apart from the application's knex_migrations.

exports.up = async function up(knex) {
  // Every trigger: the ones that executed the task and the ones turned away.
  await knex.schema.createTable("batchctl_runs", (table) => {
    table.bigIncrements("id");
    table.string("task", 200).notNullable();
    table.string("period", 40).notNullable();
    table.string("status", 16).notNullable();
    table.text("reason");
    table.text("error");
    table.timestamp("started_at", { useTz: true }).notNullable();
    table.timestamp("finished_at", { useTz: true });
    table.integer("duration_ms");
    table.string("host", 255).notNullable();
    table.string("pod", 255);
    table.string("job", 255);
    table.timestamp("scheduled_at", { useTz: true });
    table.index(["started_at"]);
    table.index(["task", "period"]);
  });

  // One row per task and period that is done. Its primary key is the
  // guarantee: the row commits with the task's writes, and a second insert
  // for the same task and period fails instead of running the task again.
  await knex.schema.createTable("batchctl_periods", (table) => {
    table.string("task", 200).notNullable();
    table.string("period", 40).notNullable();
    table.bigInteger("run_id").notNullable();
    table.primary(["task", "period"]);
  });

  // The snapshot collect-object-counts writes: one row per object per period.
  await knex.schema.createTable("batchctl_object_counts", (table) => {
    table.bigIncrements("id");
    table.string("period", 40).notNullable();
    table.string("object", 200).notNullable();
    table.bigInteger("count").notNullable();
    table.bigInteger("run_id").notNullable();
    table.timestamp("collected_at", { useTz: true }).notNullable();
    table.unique(["period", "object"]);
  });
};

exports.down = async function down(knex) {
  await knex.schema.dropTable("batchctl_object_counts");
  await knex.schema.dropTable("batchctl_periods");
  await knex.schema.dropTable("batchctl_runs");
};
