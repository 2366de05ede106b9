/**
 * The library entry: `defineConfig` and `defineTask` for config files and
 * task modules, and the types a task sees.
 */
export { defineConfig, defineTask } from "./config/define";
export type {
  Config,
  ModuleTask,
  ObjectCountsTask,
  SqlTask,
  Task,
  TaskEntry,
  TaskSettings,
} from "./config/define";
export type { LogFields, TaskContext, TaskLogger } from "./runner/task";
export type { Granularity, Period, Run, RunStatus } from "./types";
