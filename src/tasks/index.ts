/** Turns a task name from the command line into a runnable task. */
import path from "node:path";

import { key } from "../config/check";
import type { Config, TaskConfig } from "../config/types";
import { configError } from "../config/validate";
import { BatchctlError } from "../errors";
import type { TaskDefinition } from "../runner/task";
import { objectCountsTask } from "./collect-object-counts";
import { loadModuleTask } from "./module";
import { sqlTask } from "./sql";
import { userTask } from "./user";

export const BUILT_IN_TASKS = ["collect-object-counts"];

export function knownTasks(config: Config): string[] {
  return [...new Set([...BUILT_IN_TASKS, ...Object.keys(config.tasks)])].sort();
}

export async function resolveTask(
  name: string,
  config: Config,
): Promise<TaskDefinition> {
  const task = config.tasks[name];
  if (task) return definitionOf(name, task, config);

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

export type ConfiguredTask = DefinedTask | BrokenTask;
type DefinedTask = {
  name: string;
  kind: TaskConfig["kind"];
  definition: TaskDefinition;
};
/** A task whose module does not load, with the error that says why. */
export type BrokenTask = {
  name: string;
  kind: TaskConfig["kind"];
  error: BatchctlError;
};

export const isBroken = (task: ConfiguredTask): task is BrokenTask =>
  "error" in task;

/**
 * Every configured task, in the config's order, with its kind. A task whose
 * module does not load comes with its error, so the others still show.
 */
export async function configuredTasks(
  config: Config,
): Promise<ConfiguredTask[]> {
  const tasks: ConfiguredTask[] = [];
  for (const [name, task] of Object.entries(config.tasks)) {
    try {
      const definition = await definitionOf(name, task, config);
      tasks.push({ name, kind: task.kind, definition });
    } catch (error) {
      if (!(error instanceof BatchctlError)) throw error;
      tasks.push({ name, kind: task.kind, error });
    }
  }
  return tasks;
}

async function definitionOf(
  name: string,
  task: TaskConfig,
  config: Config,
): Promise<TaskDefinition> {
  const zone = task.timezone ?? config.timezone;
  switch (task.kind) {
    case "object-counts":
      return objectCountsTask(name, task, zone);
    case "sql":
      return sqlTask(name, task, zone);
    case "inline":
      return userTask(name, task, config.timezone, task.run);
    case "module": {
      const source = config.filepath
        ? path.relative(process.cwd(), config.filepath) || config.filepath
        : "config";
      const fail = (keyPath: string, expected: string) =>
        configError(source, keyPath, expected);
      const loaded = await loadModuleTask(task, key("tasks", name), fail);
      return userTask(name, loaded.settings, config.timezone, loaded.run);
    }
  }
}
