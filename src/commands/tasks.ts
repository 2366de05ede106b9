import { loadConfig } from "../config/load";
import { openDatabase } from "../db/connect";
import { ownTablesError } from "../db/errors";
import { ExitCode } from "../errors";
import type { ExitCodeValue } from "../errors";
import { colour, formatInstant, formatTable, out, outJson } from "../output";
import { errorFields, reportError } from "../report-error";
import { periodAt } from "../period";
import { clock } from "../runner/identity";
import { findLastRun, isPeriodDone } from "../runner/store";
import { configuredTasks, isBroken } from "../tasks";
import type { Period, Run } from "../types";
import { runJson } from "./run";

export interface TasksFlags {
  config?: string;
  json?: boolean;
}

interface TaskState {
  name: string;
  kind: string;
  timezone: string;
  timeoutMs: number | undefined;
  backfill: boolean;
  current: Period;
  done: boolean;
  lastRun: Run | null;
}

export async function tasksCommand(flags: TasksFlags): Promise<ExitCodeValue> {
  const now = clock(process.env)();
  const config = await loadConfig({ configPath: flags.config });
  const tasks = await configuredTasks(config);
  if (tasks.length === 0) {
    if (flags.json) outJson([]);
    else {
      out(
        `No tasks configured${config.filepath ? ` in ${config.filepath}` : ""}; add them under tasks (see "Writing your own task" in the README)`,
      );
    }
    return ExitCode.ok;
  }

  const broken = tasks.filter(isBroken);
  const db = await openDatabase(config);
  const states: TaskState[] = [];
  try {
    for (const task of tasks) {
      if (isBroken(task)) continue;
      const { kind, definition } = task;
      const current = periodAt(
        now,
        definition.granularity,
        definition.timezone,
      );
      const [done, lastRun] = await Promise.all([
        isPeriodDone(db.knex, definition.name, current.key),
        findLastRun(db.knex, definition.name),
      ]).catch((error: unknown) => {
        throw ownTablesError(error, db.display) ?? error;
      });
      states.push({
        name: definition.name,
        kind,
        timezone: definition.timezone,
        timeoutMs: definition.timeoutMs,
        backfill: definition.acceptsPastPeriods,
        current,
        done,
        lastRun,
      });
    }
  } finally {
    await db.close();
  }

  // A task that does not load is listed with its error, and is exit 2.
  const code = broken.length > 0 ? ExitCode.usage : ExitCode.ok;
  if (flags.json) {
    outJson([
      ...states.map(stateJson),
      ...broken.map((task) => ({
        task: task.name,
        kind: task.kind,
        error: errorFields(task.error),
      })),
    ]);
    return code;
  }
  const done = states.filter((state) => state.done).length;
  const count = states.length + broken.length;
  out(
    `${count} task${count === 1 ? "" : "s"}, ${done} done for the current period${broken.length > 0 ? `, ${broken.length} that cannot be loaded` : ""}`,
  );
  const lines = formatTable(
    ["TASK", "KIND", "PERIOD", "CURRENT", "DONE", "LAST RUN"],
    states.map((state) => [
      state.name,
      state.kind,
      `${state.current.granularity} (${state.timezone})`,
      state.current.key,
      state.done ? "yes" : "no",
      lastRunText(state),
    ]),
  );
  out(lines[0]);
  lines.slice(1).forEach((line, index) => {
    const state = states[index];
    out(state?.done ? line.replace(/ yes /, ` ${colour.green("yes")} `) : line);
  });
  for (const task of broken) reportError(task.error, false);
  return code;
}

function lastRunText({ lastRun, timezone }: TaskState): string {
  if (!lastRun) return "never run";
  const at = formatInstant(lastRun.finishedAt ?? lastRun.startedAt, timezone);
  return `${lastRun.status} ${at} (${lastRun.period}, run ${lastRun.id})`;
}

function stateJson(state: TaskState): Record<string, unknown> {
  return {
    task: state.name,
    kind: state.kind,
    period: state.current.granularity,
    timezone: state.timezone,
    timeout: state.timeoutMs === undefined ? null : state.timeoutMs / 1000,
    backfill: state.backfill,
    currentPeriod: {
      key: state.current.key,
      start: state.current.start.toISOString(),
      end: state.current.end.toISOString(),
    },
    currentPeriodDone: state.done,
    lastRun: state.lastRun ? runJson(state.lastRun) : null,
  };
}
