/** A task the user wrote, as the runner sees it. */
import type { TaskFunction, UserTaskSettings } from "../config/types";
import type { TaskDefinition } from "../runner/task";

export function userTask(
  name: string,
  settings: UserTaskSettings,
  zone: string,
  run: TaskFunction,
): TaskDefinition {
  return {
    name,
    granularity: settings.period,
    timezone: settings.timezone ?? zone,
    timeoutMs: settings.timeoutMs,
    acceptsPastPeriods: settings.backfill,
    run: async (context) => run(context),
  };
}
