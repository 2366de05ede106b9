import { defineConfig, defineTask } from "batchctl";

export default defineConfig({
  timezone: "Europe/Berlin",
  tasks: {
    "close-month": defineTask({
      period: "month",
      // At the start of each month, close the invoices issued before it,
      // noting the month whose close took them in.
      async run({ db, period, log }) {
        const closed = await db("invoices")
          .where("issued_at", "<", period.start)
          .whereNull("closed_in")
          .update({ closed_in: period.key });
        log.info("closed invoices", { closed });
      },
    }),
  },
});
