/**
 * Command-line wiring only: each command lives in src/commands/ and is loaded
 * when it is called, so `--help` does not pay for the database drivers.
 */
import { Command, CommanderError, Option } from "commander";

import { version } from "../package.json";
import { ExitCode, usageError } from "./errors";
import type { BatchctlError, ExitCodeValue } from "./errors";
import { err, errJson } from "./output";
import { reportError } from "./report-error";

const exitCodes = `
Exit codes:
  0  done, already done, or running in another trigger (nothing to do)
  1  the task failed; its writes were rolled back, the next trigger retries
  2  usage or configuration error, unknown task, database not migrated,
     or a grant missing on batchctl's tables
  3  the database could not be reached, refused the login, or does not exist
  4  interrupted by SIGTERM or SIGINT; its writes were rolled back
  5  the task ran past its timeout; its writes were rolled back
`;

const examples = `
Examples:
  $ batchctl migrate
  $ batchctl run collect-object-counts
  $ batchctl run collect-object-counts --json
  $ batchctl run daily-rollup --period 2026-12-01
  $ batchctl tasks
  $ batchctl history --since 7d
  $ DATABASE_URL=postgres://app@db:5432/app batchctl history --status failed

Environment:
  DATABASE_URL              database URL; overrides \`database\` in the config
  BATCHCTL_CONFIG           config file path, as --config
  BATCHCTL_CONNECT_TIMEOUT  seconds to wait for the database (default 5)
  BATCHCTL_HOST             recorded as the run's host (default: host name)
  BATCHCTL_POD_NAME         recorded with each run (Kubernetes pod)
  BATCHCTL_JOB_NAME         recorded with each run; a CronJob's Job name
                            also gives the scheduled time
  BATCHCTL_NOW              ISO-8601 instant that replaces the clock (testing)
  NO_COLOR                  no colour in output
  DEBUG                     print stack traces of errors`;

/** `json`: --json is on the command line, so errors are JSON too. */
function program(json: boolean): Command {
  const root = new Command("batchctl")
    .description(
      "Run a periodic database task once per period, however many times it is triggered.",
    )
    .version(version, "-v, --version")
    .option(
      "-c, --config <path>",
      "config file (default: search from the working directory)",
    )
    .configureOutput({
      outputError: (text) => reportError(usageErrorOf(text, "batchctl"), json),
    })
    .addHelpText("after", `${examples}\n${exitCodes}`)
    .exitOverride();

  root
    .command("run")
    .description(
      "run a task for its current period, unless that period is done",
    )
    .argument("<task>", "task name, such as collect-object-counts")
    .option(
      "--period <key>",
      "a past period, for tasks with backfill: true (2026-12-03, 2026-W49, …)",
    )
    .option("--json", "print one JSON object for the trigger")
    .addHelpText(
      "after",
      `\nExamples:\n  $ batchctl run collect-object-counts\n  $ batchctl run collect-object-counts --json\n${exitCodes}`,
    )
    .action(async (task: string, flags, command: Command) => {
      const { runCommand } = await import("./commands/run");
      exit(await runCommand(task, { ...command.optsWithGlobals(), ...flags }));
    });

  root
    .command("tasks")
    .description(
      "list the configured tasks: kind, period, last run, and whether the current period is done",
    )
    .option("--json", "print a JSON array of tasks")
    .addHelpText(
      "after",
      "\nExamples:\n  $ batchctl tasks\n  $ batchctl tasks --json",
    )
    .action(async (flags, command: Command) => {
      const { tasksCommand } = await import("./commands/tasks");
      exit(await tasksCommand({ ...command.optsWithGlobals(), ...flags }));
    });

  root
    .command("migrate")
    .description("create or update batchctl's own tables")
    .option("--status", "list applied and pending migrations, change nothing")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  $ batchctl migrate\n  $ batchctl migrate --status",
    )
    .action(async (flags, command: Command) => {
      const { migrateCommand } = await import("./commands/migrate");
      exit(await migrateCommand({ ...command.optsWithGlobals(), ...flags }));
    });

  root
    .command("history")
    .description("list runs, newest first")
    .option(
      "--since <when>",
      "30m, 12h, 7d, 2w, a date (2026-12-01) or an ISO instant",
    )
    .option("--task <name>", "only this task")
    .option("--status <list>", "only these statuses, comma separated")
    .option("--limit <n>", "at most this many runs (default 50)")
    .option("--all", "include triggers that were skipped")
    .option("--json", "print a JSON array of runs")
    .addHelpText(
      "after",
      "\nExamples:\n  $ batchctl history --since 7d\n  $ batchctl history --task collect-object-counts --status failed,interrupted\n  $ batchctl history --since 2026-12-01 --all --json",
    )
    .action(async (flags, command: Command) => {
      const { historyCommand } = await import("./commands/history");
      exit(await historyCommand({ ...command.optsWithGlobals(), ...flags }));
    });

  for (const command of root.commands) {
    const name = `batchctl ${command.name()}`;
    command.exitOverride().configureOutput({
      outputError: (text) => reportError(usageErrorOf(text, name), json),
    });
  }
  return root;
}

/** Commander's usage errors, as batchctl's: a message and a hint. */
function usageErrorOf(text: string, command: string): BatchctlError {
  const [message = "", ...rest] = text
    .replace(/^error: /, "")
    .trim()
    .split("\n");
  const suggestion = rest.join(" ").replace(/^\((.*)\)$/, "$1");
  const hint = [suggestion, `run ${command} --help for usage`]
    .filter(Boolean)
    .join("; ");
  return usageError(message, hint);
}

/** Sets the exit code and lets pending output drain instead of cutting it. */
function exit(code: ExitCodeValue): void {
  process.exitCode = code;
}

/**
 * A reader that stops early (`batchctl history | head -1`) closes the pipe:
 * the rest of the output has nowhere to go, and that is no error. The exit
 * code stays the command's own.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
  }
}

/**
 * Node prints a warning (pg's about sslmode=require, say) as a block of
 * lines on stderr, on every trigger; batchctl gives its first line, as one
 * line of its own or, with --json, a JSON object.
 */
function reportWarnings(json: boolean): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    const message = warning.message.split("\n")[0] ?? "";
    if (json) errJson({ warning: { message } });
    else err(`batchctl: warning: ${message}`);
  });
}

async function main(argv: string[]): Promise<void> {
  ignoreClosedPipes();
  const json = argv.includes("--json");
  reportWarnings(json);
  try {
    await program(json).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message. --help and --version exit 0;
      // help shown because no command was given (a cron line whose command
      // came out empty) is a usage error.
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    process.exitCode = reportError(error, json);
  }
}

void main(process.argv);
