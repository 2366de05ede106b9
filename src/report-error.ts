/**
 * The one place errors become output: a line on stderr with a hint, and an
 * exit code. The stack only with DEBUG set.
 */
import { BatchctlError, ExitCode } from "./errors";
import { err, errColour, errJson } from "./output";
import { redact } from "./redact";

/** What `--json` prints for an error, under `error`. */
export function errorFields(error: unknown) {
  const known = error instanceof BatchctlError ? error : undefined;
  return {
    code: known?.code ?? "internal",
    message: known?.message ?? (error as Error)?.message ?? String(error),
    hint:
      known?.hint ??
      "this is not an error batchctl expected; set DEBUG=1 to see where it came from",
    exitCode: known?.exitCode ?? ExitCode.failed,
  };
}

export function reportError(error: unknown, json: boolean): number {
  const fields = errorFields(error);
  if (json) errJson({ error: fields });
  else {
    err(
      `${errColour.red("batchctl:")} ${fields.message} (hint: ${fields.hint})`,
    );
  }
  if (process.env.DEBUG) {
    // The causes too: where a config file or a task threw is in theirs.
    for (let at: unknown = error; at instanceof Error; at = at.cause) {
      if (at.stack) err(redact(at === error ? at.stack : `cause: ${at.stack}`));
    }
  }
  return fields.exitCode;
}
