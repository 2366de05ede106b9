/**
 * One error type for everything a user can cause or fix. The command layer
 * prints `message` and `hint` and exits with `exitCode`; core code only
 * throws.
 */

/** Exit codes, listed in the README and in `batchctl --help`. */
export const ExitCode = {
  /** The task ran, or the period was already done or running elsewhere. */
  ok: 0,
  /** The task failed; its writes were rolled back. */
  failed: 1,
  /** A flag, the config, a task name, the schema or a grant needs fixing. */
  usage: 2,
  /** The database could not be reached, refused the login, or is missing. */
  unreachable: 3,
  /** SIGTERM or SIGINT stopped the run; its writes were rolled back. */
  interrupted: 4,
  /** The task ran past its timeout; its writes were rolled back. */
  timedOut: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | "usage"
  | "config"
  | "unknown_task"
  | "not_migrated"
  | "permission_denied"
  | "unreachable"
  | "login_refused"
  | "task_failed";

const exitCodes: Record<ErrorCode, ExitCodeValue> = {
  usage: ExitCode.usage,
  config: ExitCode.usage,
  unknown_task: ExitCode.usage,
  not_migrated: ExitCode.usage,
  permission_denied: ExitCode.usage,
  unreachable: ExitCode.unreachable,
  login_refused: ExitCode.unreachable,
  task_failed: ExitCode.failed,
};

export class BatchctlError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "BatchctlError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = exitCodes[code];
  }
}

export function usageError(message: string, hint?: string): BatchctlError {
  return new BatchctlError("usage", message, hint ? { hint } : {});
}
