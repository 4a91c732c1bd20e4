/**
 * Prometheus Pushgateway push at the end of every run (except --dry-run and --help).
 *
 * Grouping key: job="mongo-snapshot", replica_set=<set name or "unknown">.
 * Success (exit 0): PUT, which replaces every metric of the group.
 * Failure: POST, which replaces only metrics with the same names, so
 * mongo_snapshot_last_success_timestamp_seconds from the last successful run survives.
 * A failed push is logged and never changes the exit code.
 *
 * "May be locked" has a group of its own per member: job="mongo-snapshot", replica_set, member. Right before a lock
 * is sent, the run PUTs mongo_snapshot_member_may_be_locked 1 there, with the time by which that run is surely over
 * (its deadline plus the grace period); a run that proves the member holds no lock of ours (it gave its lock back,
 * or saw the member unlocked) PUTs 0. Nothing else writes that group: the end-of-run push goes to the set's group,
 * so a later run can no longer replace the critical series of a member it did not prove unlocked (a POST to the
 * set's group replaced the same-named series of the last run; a PUT replaced the whole group), and a SIGKILL after
 * the lock leaves the 1 behind (the alert fires once the deadline has passed).
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
    '1 from right before mongo-snapshot locks this member until a run proves it holds no lock of mongo-snapshot (then 0).',
  [METRIC.mayBeLockedDeadline]: 'When the run that set mongo_snapshot_member_may_be_locked is surely over (epoch seconds).',
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

/** The member's own group (see the module comment). */
export function memberTarget(gateway: string, setName: string, member: string): PushTarget {
  const t = pushTarget(gateway, setName);
  return { ...t, url: `${t.url}/${segment('member', member)}` };
}

export function mayBeLockedBody(value: 0 | 1, deadlineTs: number): string {
  return (
    [
      [METRIC.mayBeLocked, value],
      [METRIC.mayBeLockedDeadline, deadlineTs],
    ] as Array<[string, number]>
  )
    .map(([name, v]) => `# HELP ${name} ${HELP[name]}\n# TYPE ${name} gauge\n${name} ${fmt(v)}\n`)
    .join('');
}

/** PUT of the member's "may be locked" group. Never throws; false when the push failed (logged). */
export async function pushMayBeLocked(
  gateway: string,
  m: { setName: string; member: string; value: 0 | 1; deadlineTs: number },
  log: Logger,
  opts: { timeoutMs?: number; fetchImpl?: typeof fetch } = {},
): Promise<boolean> {
  const started = performance.now();
  try {
    const target = memberTarget(gateway, m.setName, m.member);
    const res = await (opts.fetchImpl ?? fetch)(target.url, {
      method: 'PUT',
      headers: target.headers,
      body: mayBeLockedBody(m.value, m.deadlineTs),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 3000),
    });
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 200);
      log.warn('pushgateway', `push of ${METRIC.mayBeLocked} ${m.value} failed: HTTP ${res.status}`, { member: m.member, response: text });
      return false;
    }
    log.info('pushgateway', `${METRIC.mayBeLocked} ${m.value} pushed`, { member: m.member, ms: Math.round(performance.now() - started) });
    return true;
  } catch (e) {
    log.warn('pushgateway', `push of ${METRIC.mayBeLocked} ${m.value} failed`, { member: m.member, error: log.redactor.error(e) });
    return false;
  }
}

export async function pushMetrics(
  gateway: string,
  m: RunMetrics,
  log: Logger,
  opts: { timeoutMs?: number; fetchImpl?: typeof fetch } = {},
): Promise<boolean> {
  const method = m.exitCode === 0 ? 'PUT' : 'POST';
  const started = performance.now();
  try {
    const target = pushTarget(gateway, m.setName);
    const res = await (opts.fetchImpl ?? fetch)(target.url, {
      method,
      headers: target.headers,
      body: metricsBody(m),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 3000),
    });
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 200);
      log.warn('pushgateway', `push failed: HTTP ${res.status}`, { method, response: text });
      return false;
    }
    log.info('pushgateway', 'metrics pushed', { method, ms: Math.round(performance.now() - started) });
    return true;
  } catch (e) {
    const err = e as Error;
    const cause = (err as { cause?: Error }).cause;
    log.warn('pushgateway', 'push failed (exit code unchanged)', {
      method,
      error: log.redactor.error(err),
      cause: cause ? log.redactor.error(cause) : undefined,
    });
    return false;
  }
}
