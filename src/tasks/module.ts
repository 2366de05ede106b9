/**
 * A task whose code is a JavaScript or TypeScript module named in the config.
 * Its export is the task: a function, or an object made with defineTask
 * whose settings fill in what the config leaves out.
 */
import { pathToFileURL } from "node:url";

import { describe, isPlainObject } from "../config/check";
import type { Fail } from "../config/check";
import { settingKeys, validateSettings, withDefaults } from "../config/tasks";
import type {
  ModuleTaskConfig,
  TaskFunction,
  UserTaskSettings,
} from "../config/types";
import { BatchctlError } from "../errors";
import { isTypeScript, requireTypeScript } from "./typescript";

export interface LoadedTask {
  settings: UserTaskSettings;
  run: TaskFunction;
}

export async function loadModuleTask(
  config: ModuleTaskConfig,
  path: string,
  fail: Fail,
): Promise<LoadedTask> {
  const where = `${path}.module`;
  let loaded: unknown;
  try {
    loaded = isTypeScript(config.file)
      ? requireTypeScript(config.file)
      : await import(pathToFileURL(config.file).href);
  } catch (error) {
    if (error instanceof BatchctlError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const { message: text } = fail(
      where,
      `(${config.module}) could not be loaded: ${message.split("\n")[0]}`,
    );
    const hint = /Cannot find (module|package) '?batchctl'?/.test(message)
      ? "install batchctl in the project (npm install --save-dev batchctl) so the module can import it"
      : "the module must load on its own without throwing; set DEBUG=1 for the stack";
    throw new BatchctlError("config", text, { hint, cause: error });
  }

  const exported = exportedTask(loaded);
  if (typeof exported === "function") {
    return { settings: merged({}, config), run: exported as TaskFunction };
  }
  if (!isPlainObject(exported) || typeof exported.run !== "function") {
    const { message } = fail(
      where,
      `(${config.module}) exports no task: ${exported === undefined ? "it has no default export" : `its default export is ${describe(exported)}`}`,
    );
    throw new BatchctlError("config", message, {
      hint: "export default defineTask({ run }) from batchctl, or a function that takes the task context",
    });
  }

  const { run, ...settings } = exported;
  const exportPath = `${where} (${config.module}) export`;
  const unknown = Object.keys(settings).find(
    (name) => !settingKeys.includes(name),
  );
  if (unknown !== undefined) {
    throw fail(
      `${exportPath}.${unknown}`,
      `is not a known key (known: run, ${settingKeys.join(", ")})`,
    );
  }
  const own = validateSettings(settings, exportPath, fail);
  return { settings: merged(own, config), run: run as TaskFunction };
}

/**
 * The default export, however the module was written: ESM, CommonJS, or
 * TypeScript compiled to CommonJS (which nests it one `default` deeper).
 * `default` comes first: Node's import of `module.exports = { run }` gives
 * both `default` and a copy of `run` beside it.
 */
function exportedTask(loaded: unknown): unknown {
  // require() of `module.exports = async (context) => …`
  if (!isPlainObject(loaded)) return loaded;
  if (!("default" in loaded)) return undefined;
  const value = loaded.default;
  return isPlainObject(value) && "default" in value ? value.default : value;
}

/** The config's keys win over the module's own. */
function merged(
  own: Partial<UserTaskSettings>,
  config: ModuleTaskConfig,
): UserTaskSettings {
  return withDefaults({
    period: config.period ?? own.period,
    timezone: config.timezone ?? own.timezone,
    timeoutMs: config.timeoutMs ?? own.timeoutMs,
    backfill: config.backfill ?? own.backfill,
  });
}
