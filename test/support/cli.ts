// Spawns the built CLI as a separate process, the way cron does.
import { spawn } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const BIN = path.join(ROOT, "bin/batchctl");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Called once the process exists, to send it signals. */
  onSpawn?: (child: import("node:child_process").ChildProcess) => void;
}

/** Environment for the CLI: colour off, no inherited DATABASE_URL. */
export function cliEnv(extra: Record<string, string | undefined> = {}) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: "1",
    DATABASE_URL: undefined,
    BATCHCTL_CONFIG: undefined,
    BATCHCTL_NOW: undefined,
    DEBUG: undefined,
    ...extra,
  };
  for (const key of Object.keys(env))
    if (env[key] === undefined) delete env[key];
  return env as NodeJS.ProcessEnv;
}

export function runCli(
  args: string[],
  options: CliOptions = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: cliEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout, stderr }),
    );
    options.onSpawn?.(child);
  });
}
