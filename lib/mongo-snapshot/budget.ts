/**
 * The one time budget of a mongo-snapshot run. The CLI's default --deadline and the Kubernetes CronJob's
 * activeDeadlineSeconds and terminationGracePeriodSeconds are all derived here, from the same three durations
 * (lock timeout, snapshot timeout, unlock deadline), so they cannot drift apart.
 *
 * - The run (from process start) ends within `deadlineSeconds`: discovery, at most LOCK_ATTEMPTS candidates, each
 *   lock attempt at most lockTimeout + 2 × unlockDeadline (a late lock reply is awaited up to unlockDeadline more,
 *   then given back within unlockDeadline), the snapshot, the unlock, the final push.
 * - After SIGTERM the run ends within `afterSignalSeconds`: the snapshot command is stopped (SNAPSHOT_STOP_SECONDS),
 *   then everything of ours is given back within unlockDeadline; whatever cannot be given back by then is reported
 *   as exit 7 (with its metrics), never left to the kubelet's SIGKILL.
 * - terminationGracePeriodSeconds covers that plus the final push; activeDeadlineSeconds is the run's deadline plus
 *   a margin (the tool stops itself first; the Job deadline is the backstop, and its SIGTERM still gets the grace).
 */

/** Node start, SRV lookup, discovery and selection (each bounded by --connect-timeout, run in parallel). */
export const STARTUP_SECONDS = 120;
/** Candidates tried at most (the first eligible member and one fallback) within one run's deadline. */
export const LOCK_ATTEMPTS = 2;
/** snapshot-command.ts: SIGTERM to the snapshot command's group, SIGKILL 2 s later, given up 5 s after that. */
export const SNAPSHOT_STOP_SECONDS = 7;
/**
 * cli.ts: the final pushes (run in parallel), each request with a 3 s timeout, retried after 1 s and 2 s: a failed
 * clear of "may be locked" is a false page (pushgateway.ts pushWithRetry; 3 + 1 + 3 + 2 + 3 = 12).
 */
export const PUSH_SECONDS = 12;
/** How often a live run renews its "may be locked" flags in the Pushgateway (may-be-locked.ts). */
export const RENEW_INTERVAL_SECONDS = 30;
/**
 * A "may be locked" flag not renewed for this long belongs to a run that is gone: MongoSnapshotMemberMayBeLocked
 * fires (lib/monitoring/alert-rules.ts). Four renewal intervals: three renewals in a row may fail (each has a 3 s
 * timeout) before a live run looks dead.
 */
export const STALE_AFTER_SECONDS = 120;
/** Scheduling, process exit, clock skew between the kubelet and us. */
export const MARGIN_SECONDS = 10;

export interface BudgetInput {
  lockTimeoutSeconds: number;
  snapshotTimeoutSeconds: number;
  unlockDeadlineSeconds: number;
}

export interface RunBudget {
  /** --deadline: the whole run, from process start */
  deadlineSeconds: number;
  /** after SIGTERM (or SIGINT): stop the snapshot, give back every lock of ours */
  afterSignalSeconds: number;
  /** the Job's activeDeadlineSeconds */
  activeDeadlineSeconds: number;
  /** the pod's terminationGracePeriodSeconds */
  terminationGracePeriodSeconds: number;
}

export function runBudget(i: BudgetInput): RunBudget {
  const u = i.unlockDeadlineSeconds;
  const deadlineSeconds = Math.ceil(
    STARTUP_SECONDS + LOCK_ATTEMPTS * (i.lockTimeoutSeconds + 2 * u) + i.snapshotTimeoutSeconds + u + PUSH_SECONDS,
  );
  const afterSignalSeconds = Math.ceil(SNAPSHOT_STOP_SECONDS + u);
  return {
    deadlineSeconds,
    afterSignalSeconds,
    activeDeadlineSeconds: deadlineSeconds + MARGIN_SECONDS,
    terminationGracePeriodSeconds: afterSignalSeconds + PUSH_SECONDS + MARGIN_SECONDS,
  };
}

/**
 * How long one candidate needs at least, from the lock on (ms): the lock, then either the snapshot and the unlock,
 * or a late lock reply awaited and given back. A fallback candidate is tried only when this much is left.
 */
export function attemptNeedsMs(o: { lockTimeoutMs: number; snapshotTimeoutMs: number; unlockDeadlineMs: number }): number {
  return o.lockTimeoutMs + Math.max(o.snapshotTimeoutMs + o.unlockDeadlineMs, 2 * o.unlockDeadlineMs);
}
