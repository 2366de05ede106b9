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

export function triggerIdentity(
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
): TriggerIdentity {
  const pod = env.BATCHCTL_POD_NAME || null;
  const job = env.BATCHCTL_JOB_NAME || null;
  return {
    host: env.BATCHCTL_HOST || os.hostname(),
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
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(fixed);
  if (Number.isNaN(instant.getTime()) || !hasZone) {
    throw usageError(
      `BATCHCTL_NOW="${fixed}" is not an ISO-8601 instant`,
      "write it with a zone, such as 2026-12-03T09:00:00Z",
    );
  }
  // The clock starts at BATCHCTL_NOW and then runs, so durations stay real.
  const offset = instant.getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}
