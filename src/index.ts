/** The library entry: types for configuration files. */
export type { Config } from "./config/types";
export type { Period, Run, RunStatus } from "./types";
