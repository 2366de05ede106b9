import { defineTask } from "batchctl";

// Every hour, delete the sessions that had expired when the hour began, and
// note how many went. Both writes commit with the run, or neither does.
export default defineTask({
  period: "hour",
  timeout: 300,
  async run({ db, period, log }) {
    const deleted = await db("sessions")
      .where("expires_at", "<", period.start)
      .delete();
    await db("session_purges").insert({ hour: period.key, deleted });
    log.info("purged expired sessions", { deleted });
    return { deleted };
  },
});
