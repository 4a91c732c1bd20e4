/**
 * Prometheus Pushgateway push at the end of every run (except --dry-run and --help).
 *
 * Grouping key: job="mongo-snapshot", replica_set=<set name or "unknown">.
 * Success (exit 0): PUT, which replaces every metric of the group.
 * Failure: POST, which replaces only metrics with the same names, so
 * mongo_snapshot_last_success_timestamp_seconds from the last successful run survives.
 * A failed push is logged and never changes the exit code. The final pushes are retried (pushWithRetry) within
 * budget.ts PUSH_SECONDS.
 *
 * "May be locked" (may-be-locked.ts) has groups of its own, never written by the end-of-run push:
 * - per run and member, job="mongo-snapshot", replica_set, member, run=<this run's id>: right before a lock is sent
 *   the run PUTs mongo_snapshot_member_may_be_locked 1, the time by which the run is surely over (its deadline plus
 *   the grace period) and the time of the push; it renews that push every RENEW_INTERVAL_SECONDS while it runs, and
 *   DELETEs the group once it proved that it holds no lock on the member. A SIGKILL leaves the group behind, and the
 *   renewal stops: MongoSnapshotMemberMayBeLocked fires STALE_AFTER_SECONDS later, not at the deadline.
 * - per member, job="mongo-snapshot", replica_set, member: mongo_snapshot_member_proven_unlocked_timestamp_seconds,
 *   when a run last saw the member hold no fsync lock at all. It clears the flag of every run that had stopped
 *   renewing (was dead) STALE_AFTER_SECONDS before that: a run that is alive keeps renewing, so another run (a
 *   manual one racing a scheduled one) can never clear its flag, whatever it saw.
 * A group per run: a run can only ever remove its own flag (a PUT or DELETE of a shared group could erase the flag
 * of a run that locked right after the other looked).
 */
import type { Logger } from './log';

export const METRIC = {
  exitCode: 'mongo_snapshot_last_exit_code',
  lastSuccess: 'mongo_snapshot_last_success_timestamp_seconds',
  lockHeld: 'mongo_snapshot_lock_held_seconds',
  lastRun: 'mongo_snapshot_last_run_timestamp_seconds',
  memberLocked: 'mongo_snapshot_member_locked',
  fsyncLockedMembers: 'mongo_snapshot_fsync_locked_members',
  mayBeLocked: 'mongo_snapshot_member_may_be_locked',
  mayBeLockedDeadline: 'mongo_snapshot_member_may_be_locked_deadline_timestamp_seconds',
  mayBeLockedRenewed: 'mongo_snapshot_member_may_be_locked_renewed_timestamp_seconds',
  provenUnlocked: 'mongo_snapshot_member_proven_unlocked_timestamp_seconds',
} as const;

export interface RunMetrics {
  exitCode: number;
  /** replica set name, if known */
  setName?: string;
  /** host:port of the member that was (or was to be) locked, if known */
  member?: string;
  /** how long our fsync lock was held in this run (0 if never) */
  lockHeldSeconds: number;
  /** end of the run, epoch seconds */
  finishedAt: number;
  /** members found fsync-locked by someone else, if the run looked (omitted otherwise: the last value stays) */
  lockedByOthers?: number;
}

const HELP: Record<string, string> = {
  [METRIC.exitCode]: 'Exit code of the last mongo-snapshot run (0 = snapshot taken, 7 = member may still be locked).',
  [METRIC.lastSuccess]: 'When the last successful mongo-snapshot run ended (epoch seconds).',
  [METRIC.lockHeld]: 'How long the last mongo-snapshot run held the fsync lock (writes blocked), in seconds.',
  [METRIC.lastRun]: 'When the last mongo-snapshot run ended (epoch seconds).',
  [METRIC.memberLocked]: '1 when the last mongo-snapshot run could not unlock the member (exit 7), else 0.',
  [METRIC.fsyncLockedMembers]:
    'Members the last mongo-snapshot run found fsync-locked by someone else (another backup, or a lock left by an earlier run).',
  [METRIC.mayBeLocked]:
    '1 from right before a mongo-snapshot run (label run) locks this member until it proves it holds no lock there (then the group is deleted).',
  [METRIC.mayBeLockedDeadline]: 'When the run that set mongo_snapshot_member_may_be_locked is surely over (epoch seconds).',
  [METRIC.mayBeLockedRenewed]:
    'When the run that set mongo_snapshot_member_may_be_locked last renewed it (epoch seconds; renewed every 30 s while the run lives).',
  [METRIC.provenUnlocked]: 'When a mongo-snapshot run last saw this member hold no fsync lock (epoch seconds).',
};

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3);
}

/** The text exposition body. On failure the last-success gauge is left out (see the module comment). */
export function metricsBody(m: RunMetrics): string {
  const labels = m.member ? `{member="${escapeLabel(m.member)}"}` : '';
  const values: Array<[string, number]> = [[METRIC.exitCode, m.exitCode]];
  if (m.exitCode === 0) values.push([METRIC.lastSuccess, m.finishedAt]);
  values.push([METRIC.lockHeld, m.lockHeldSeconds], [METRIC.lastRun, m.finishedAt], [METRIC.memberLocked, m.exitCode === 7 ? 1 : 0]);
  if (m.lockedByOthers !== undefined) values.push([METRIC.fsyncLockedMembers, m.lockedByOthers]);
  return values.map(([name, v]) => `# HELP ${name} ${HELP[name]}\n# TYPE ${name} gauge\n${name}${labels} ${fmt(v)}\n`).join('');
}

/** A grouping-key path segment; values with "/" (or empty) use the @base64 form. */
function segment(name: string, value: string): string {
  if (value === '' || value.includes('/')) return `${name}@base64/${Buffer.from(value).toString('base64url') || '='}`;
  return `${name}/${encodeURIComponent(value)}`;
}

export interface PushTarget {
  url: string;
  headers: Record<string, string>;
}

/** Builds the push URL; user:password in the gateway URL becomes a basic-auth header. */
export function pushTarget(gateway: string, setName: string | undefined): PushTarget {
  const u = new URL(gateway);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`pushgateway URL must be http(s): ${u.protocol}`);
  const headers: Record<string, string> = { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' };
  if (u.username || u.password) {
    headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  const base = u.toString().replace(/\/+$/, '');
  return { url: `${base}/metrics/${segment('job', 'mongo-snapshot')}/${segment('replica_set', setName || 'unknown')}`, headers };
}

/** The member's group (see the module comment): when a run last proved it unlocked. */
export function memberTarget(gateway: string, setName: string, member: string): PushTarget {
  const t = pushTarget(gateway, setName);
  return { ...t, url: `${t.url}/${segment('member', member)}` };
}

/** One run's "may be locked" group for one member (see the module comment). */
export function runTarget(gateway: string, setName: string, member: string, runId: string): PushTarget {
  const t = memberTarget(gateway, setName, member);
  return { ...t, url: `${t.url}/${segment('run', runId)}` };
}

function gauges(values: Array<[string, number]>): string {
  return values.map(([name, v]) => `# HELP ${name} ${HELP[name]}\n# TYPE ${name} gauge\n${name} ${fmt(v)}\n`).join('');
}

export function mayBeLockedBody(deadlineTs: number, renewedTs: number): string {
  return gauges([
    [METRIC.mayBeLocked, 1],
    [METRIC.mayBeLockedDeadline, deadlineTs],
    [METRIC.mayBeLockedRenewed, renewedTs],
  ]);
}

export function provenUnlockedBody(ts: number): string {
  return gauges([[METRIC.provenUnlocked, ts]]);
}

export interface PushOptions {
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/**
 * One request to the Pushgateway. Never throws: 'ok', or 'retry' (no reply, a 5xx, 408 or 429: worth another
 * try) or 'failed' (any other status: the gateway refused it). Failures are logged at `level`.
 */
export async function pushOnce(
  target: PushTarget,
  method: 'PUT' | 'POST' | 'DELETE',
  body: string | undefined,
  what: { done: string; failed: string },
  log: Logger,
  fields: Record<string, unknown>,
  opts: PushOptions & { level?: 'warn' | 'info' } = {},
): Promise<'ok' | 'retry' | 'failed'> {
  const started = performance.now();
  const level = opts.level ?? 'warn';
  try {
    const res = await (opts.fetchImpl ?? fetch)(target.url, {
      method,
      headers: target.headers,
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 3000),
    });
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 200);
      log.log(level, 'pushgateway', `${what.failed}: HTTP ${res.status}`, { ...fields, method, response: text });
      return res.status >= 500 || res.status === 408 || res.status === 429 ? 'retry' : 'failed';
    }
    log.info('pushgateway', what.done, { ...fields, method, ms: Math.round(performance.now() - started) });
    return 'ok';
  } catch (e) {
    const err = e as Error;
    const cause = (err as { cause?: Error }).cause;
    log.log(level, 'pushgateway', what.failed, {
      ...fields,
      method,
      error: log.redactor.error(err),
      cause: cause ? log.redactor.error(cause) : undefined,
    });
    return 'retry';
  }
}

/**
 * Tries `attempt` until it succeeds, the gateway refuses it, or the next try (with its own timeout) would end after
 * `untilMs` (performance.now() clock). Waits 1 s, 2 s, 4 s … between tries. True when it succeeded.
 */
export async function pushWithRetry(
  attempt: () => Promise<'ok' | 'retry' | 'failed'>,
  untilMs: number,
  o: { timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<boolean> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = o.timeoutMs ?? 3000;
  for (let wait = 1000; ; wait *= 2) {
    const r = await attempt();
    if (r !== 'retry') return r === 'ok';
    if (performance.now() + wait + timeoutMs > untilMs) return false;
    await sleep(wait);
  }
}

/** The end-of-run push to the set's group (see the module comment); retried by the caller (pushWithRetry). */
export function pushMetricsOnce(gateway: string, m: RunMetrics, log: Logger, opts: PushOptions = {}): Promise<'ok' | 'retry' | 'failed'> {
  const method = m.exitCode === 0 ? 'PUT' : 'POST';
  let target: PushTarget;
  try {
    target = pushTarget(gateway, m.setName);
  } catch (e) {
    log.warn('pushgateway', 'push failed (exit code unchanged)', { method, error: log.redactor.error(e) });
    return Promise.resolve('failed');
  }
  return pushOnce(target, method, metricsBody(m), { done: 'metrics pushed', failed: 'push failed (exit code unchanged)' }, log, {}, opts);
}

/** One try of the end-of-run push. Never throws; false when the push failed (logged). */
export async function pushMetrics(gateway: string, m: RunMetrics, log: Logger, opts: PushOptions = {}): Promise<boolean> {
  return (await pushMetricsOnce(gateway, m, log, opts)) === 'ok';
}
