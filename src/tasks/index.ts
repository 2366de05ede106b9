/** Turns a task name from the command line into a runnable task. */
import type { Config } from "../config/types";
import { BatchctlError } from "../errors";
import type { TaskDefinition } from "../runner/task";
import { objectCountsTask } from "./collect-object-counts";

export const BUILT_IN_TASKS = ["collect-object-counts"];

export function knownTasks(config: Config): string[] {
  return [...new Set([...BUILT_IN_TASKS, ...Object.keys(config.tasks)])].sort();
}

export function resolveTask(name: string, config: Config): TaskDefinition {
  const task = config.tasks[name];
  if (task) return objectCountsTask(name, task, config.timezone);

  if (BUILT_IN_TASKS.includes(name)) {
    const where = config.filepath ?? "a config file (batchctl.config.yaml)";
    throw new BatchctlError(
      "config",
      `task ${name} is not configured: tasks.${name}.objects is missing in ${where}`,
      {
        hint: "list the tables to count under tasks.collect-object-counts.objects",
      },
    );
  }
  throw new BatchctlError("unknown_task", `unknown task "${name}"`, {
    hint: `known tasks: ${knownTasks(config).join(", ")}`,
  });
}
