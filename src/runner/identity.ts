/**
 * Who is triggering: the host, and on Kubernetes the pod and the Job, passed
 * in through the downward API (see k8s-cronjob.yaml).
 */
import os from "node:os";

import { usageError } from "../errors";
import type { TriggerIdentity } from "../types";

/**
 * A Job made by a CronJob is named `<cronjob>-<minutes since the epoch>` of
 * the time it was scheduled for, so the name alone tells the scheduled time.
 */
const CRONJOB_SUFFIX = /-(\d{7,10})$/;

/** Clock skew allowed between the CronJob controller and this node. */
const SKEW_MS = 5 * 60_000;

/**
 * The scheduled time in a CronJob-made Job name, or null. A Job made by hand
 * is often named with `$(date +%s)`: read as minutes, those seconds land
 * centuries ahead, and a CronJob never makes a Job for a time still to come.
 */
export function scheduledTimeOfJob(
  job: string | null,
  now: Date = new Date(),
): Date | null {
  const match = job ? CRONJOB_SUFFIX.exec(job) : null;
  if (!match) return null;
  const scheduled = new Date(Number(match[1]) * 60_000);
  return scheduled.getTime() <= now.getTime() + SKEW_MS ? scheduled : null;
}

/** The width of the host, pod and job columns of batchctl_runs. */
const MAX_NAME = 255;

function nameFrom(variable: string, given: string | undefined): string | null {
  const value = given || null;
  if (value && value.length > MAX_NAME) {
    throw usageError(
      `${variable} is ${value.length} characters long; at most ${MAX_NAME} fit in batchctl_runs`,
      `shorten ${variable}, or unset it`,
    );
  }
  return value;
}

export function triggerIdentity(
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
): TriggerIdentity {
  const pod = nameFrom("BATCHCTL_POD_NAME", env.BATCHCTL_POD_NAME);
  const job = nameFrom("BATCHCTL_JOB_NAME", env.BATCHCTL_JOB_NAME);
  return {
    host: nameFrom("BATCHCTL_HOST", env.BATCHCTL_HOST) ?? os.hostname(),
    pod,
    job,
    scheduledAt: scheduledTimeOfJob(job, now),
  };
}

/** The clock: BATCHCTL_NOW (an ISO-8601 instant) replaces it, for tests. */
export function clock(env: NodeJS.ProcessEnv): () => Date {
  const fixed = env.BATCHCTL_NOW;
  if (!fixed) return () => new Date();

  const instant = new Date(fixed);
  const iso =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
  if (Number.isNaN(instant.getTime()) || !iso.test(fixed)) {
    throw usageError(
      `BATCHCTL_NOW="${fixed}" is not an ISO-8601 instant`,
      "write it with a zone, such as 2026-12-03T09:00:00Z",
    );
  }
  // The clock starts at BATCHCTL_NOW and then runs, so durations stay real.
  const offset = instant.getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}
