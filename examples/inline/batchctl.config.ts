import { defineConfig, defineTask } from "batchctl";

export default defineConfig({
  timezone: "Europe/Berlin",
  tasks: {
    "close-month": defineTask({
      period: "month",
      async run({ db, period, log }) {
        const closed = await db("invoices")
          .where("issued_at", "<", period.end)
          .whereNull("closed_period")
          .update({ closed_period: period.key });
        log.info("closed invoices", { closed });
      },
    }),
  },
});
