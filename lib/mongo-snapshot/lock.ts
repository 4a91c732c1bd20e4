/**
 * fsync lock and unlock of one member, with every ambiguous case resolved by looking at the server.
 *
 * Rules (see docs/mongo-snapshot.md):
 * - The lock belongs to the server, not to the connection; it nests (lockCount).
 * - Right before locking: `hello` must say SECONDARY of the expected set, and currentOp must show no fsync lock
 *   (someone else's backup is never touched).
 * - After the lock reply, currentOp must confirm it; only then is the lock "held".
 * - A network error on the lock call is ambiguous: reconnect, look, and release the lock if it is there.
 * - Unlock exactly as many times as we locked; after an ambiguous unlock, look first (currentOp) before retrying.
 * - Retries use a fresh connection, with exponential backoff, until the unlock deadline.
 */
import type { AdminConn, Connector } from './mongo';
import { isNotLockedError, isServerError } from './mongo';
import type { Logger, Redactor } from './log';

export interface LockContext {
  connect: Connector;
  log: Logger;
  redactor: Redactor;
  setName: string;
  connectTimeoutMs: number;
  /** upper bound for the fsync lock command itself (flushing can take a while on a busy member) */
  lockTimeoutMs: number;
  /** time budget for giving a lock back (--unlock-deadline) */
  unlockDeadlineMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface HeldLock {
  host: string;
  conn: AdminConn;
  /** how many fsync locks we took and still hold on this member (1 in practice) */
  count: number;
  /** when the fsync command was sent / its reply arrived / currentOp confirmed it (performance.now ms) */
  lockSentAt: number;
  lockedAt: number;
  confirmedAt: number;
  lockCountAfter?: number;
}

export interface UnlockResult {
  /** true when every lock we took is released (and currentOp was checked) */
  ok: boolean;
  /** successful fsyncUnlock calls */
  unlocked: number;
  attempts: number;
  /** fsyncUnlock said "not locked" on the first try: the lock vanished while we held it (mongod restart?) */
  lockWasLost: boolean;
  /** after our unlocks, currentOp still shows a lock: someone else locked the member meanwhile */
  stillLockedByOthers: boolean;
  /** performance.now ms when the last fsyncUnlock reply arrived (or when the unlocked state was seen) */
  releasedAt?: number;
  error?: string;
}

export type LockResult =
  | { kind: 'locked'; lock: HeldLock }
  | { kind: 'not-taken'; reason: string }
  | { kind: 'unlock-failed'; reason: string; unlock: UnlockResult };

const defaultNow = () => performance.now();
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** currentOp, small: fsyncLock is reported whatever the filter is. */
export const CURRENT_OP = { currentOp: 1, $ownOps: true } as const;

function isLocked(reply: { fsyncLock?: unknown }): boolean {
  return !!reply.fsyncLock; // absent (not false) when unlocked, as on mongod
}

/**
 * Takes the fsync lock on `host`. `conn` is an already open direct connection to it (from the probe), or undefined.
 * Never returns 'locked' without a currentOp confirmation. On 'not-taken' nothing of ours is left locked.
 */
export async function acquireLock(host: string, conn: AdminConn | undefined, ctx: LockContext): Promise<LockResult> {
  const now = ctx.now ?? defaultNow;
  const { log, redactor } = ctx;
  let c = conn;
  try {
    c ??= await ctx.connect(host, ctx.connectTimeoutMs);
  } catch (e) {
    return { kind: 'not-taken', reason: `cannot connect: ${redactor.error(e)}` };
  }
  // 1. still a secondary of the same set?
  try {
    const hello = await c.command({ hello: 1 });
    if (hello.setName !== ctx.setName) return close(c, { kind: 'not-taken', reason: `member reports set ${JSON.stringify(hello.setName ?? null)}, expected ${ctx.setName}` });
    if (hello.secondary !== true || hello.isWritablePrimary || hello.arbiterOnly) {
      const what = hello.isWritablePrimary ? 'PRIMARY' : hello.arbiterOnly ? 'ARBITER' : 'not SECONDARY';
      return close(c, { kind: 'not-taken', reason: `member is now ${what}` });
    }
    // 2. nobody else's lock on it
    const before = await c.command(CURRENT_OP);
    if (isLocked(before)) return close(c, { kind: 'not-taken', reason: 'member became fsync-locked by someone else: not touched' });
  } catch (e) {
    return close(c, { kind: 'not-taken', reason: `pre-lock check failed: ${redactor.error(e)}` });
  }
  // 3. lock
  const lockSentAt = now();
  let reply: Record<string, unknown>;
  try {
    reply = await c.command({ fsync: 1, lock: true }, { timeoutMS: ctx.lockTimeoutMs });
  } catch (e) {
    if (isServerError(e)) {
      // the server answered ok:0: no lock was taken
      return close(c, { kind: 'not-taken', reason: `fsync lock refused: ${redactor.error(e)}` });
    }
    // network error or timeout: the lock may or may not be there. Look on a fresh connection and release it.
    log.warn('lock', 'no reply to the fsync lock command: checking whether the lock was taken', { member: host, error: redactor.error(e) });
    void c.close();
    const unlock = await releaseLock(host, 1, { ...ctx, lookFirst: true, deadlineMs: ctx.unlockDeadlineMs });
    if (!unlock.ok) return { kind: 'unlock-failed', reason: `lock state unknown after a network error, and the cleanup failed: ${unlock.error ?? 'unknown'}`, unlock };
    const what = unlock.unlocked > 0 ? 'the lock had been taken and was released' : 'the lock had not been taken';
    return { kind: 'not-taken', reason: `network error on the lock command (${redactor.error(e)}); ${what}` };
  }
  const lockedAt = now();
  const lockCountAfter = numberOf(reply.lockCount);
  log.info('lock', 'fsync lock reply received', { member: host, lockCount: lockCountAfter, lockMs: round(lockedAt - lockSentAt) });
  // 4. confirm with currentOp (on a fresh connection if this one was dropped)
  let confirmed: boolean | undefined;
  try {
    confirmed = isLocked(await c.command(CURRENT_OP));
  } catch (e) {
    log.warn('lock', 'currentOp after the lock failed; confirming on a fresh connection', { member: host, error: redactor.error(e) });
    void c.close();
    try {
      c = await ctx.connect(host, ctx.connectTimeoutMs);
      confirmed = isLocked(await c.command(CURRENT_OP));
    } catch (e2) {
      log.warn('lock', 'cannot confirm the lock', { member: host, error: redactor.error(e2) });
    }
  }
  const held: HeldLock = { host, conn: c, count: 1, lockSentAt, lockedAt, confirmedAt: now(), lockCountAfter };
  if (confirmed === true) return { kind: 'locked', lock: held };
  // Not confirmed: never snapshot. Give back what we took.
  const reason = confirmed === false ? 'currentOp does not show the lock right after taking it' : 'the lock could not be confirmed';
  const unlock = await releaseLock(host, 1, { ...ctx, conn: c, lookFirst: confirmed === undefined, deadlineMs: ctx.unlockDeadlineMs });
  if (!unlock.ok) return { kind: 'unlock-failed', reason: `${reason}, and the unlock failed: ${unlock.error ?? 'unknown'}`, unlock };
  return { kind: 'not-taken', reason };
}

export interface ReleaseOptions extends LockContext {
  /** total time budget for unlocking */
  deadlineMs: number;
  /** a connection to try first (the one that took the lock); closed afterwards */
  conn?: AdminConn;
  /** check currentOp before the first unlock (the lock may not exist) */
  lookFirst?: boolean;
  /** called once per failed attempt */
  onRetry?: (attempt: number, error: string) => void;
}

/**
 * Calls fsyncUnlock exactly `count` times (the locks we took), retrying on fresh connections with backoff
 * until currentOp shows the member unlocked or the deadline passes. Never throws.
 */
export async function releaseLock(host: string, count: number, o: ReleaseOptions): Promise<UnlockResult> {
  const now = o.now ?? defaultNow;
  const sleep = o.sleep ?? defaultSleep;
  const start = now();
  const deadline = start + o.deadlineMs;
  const res: UnlockResult = { ok: false, unlocked: 0, attempts: 0, lockWasLost: false, stillLockedByOthers: false };
  let remaining = count;
  let ambiguous = !!o.lookFirst; // the last lock/unlock may or may not have happened: look before acting
  let conn = o.conn;
  let backoff = 100;
  let firstUnlock = true;
  for (;;) {
    res.attempts++;
    try {
      if (!conn) {
        const left = deadline - now();
        if (left <= 0) throw new Error('unlock deadline passed');
        conn = await o.connect(host, Math.max(200, Math.min(o.connectTimeoutMs, left)));
      }
      if (ambiguous) {
        const cur = await conn.command(CURRENT_OP);
        ambiguous = false;
        if (!isLocked(cur)) {
          // nothing locked: our earlier (unanswered) unlock went through, or the lock was never taken
          remaining = 0;
          res.releasedAt = now();
          res.ok = true;
          break;
        }
      }
      while (remaining > 0) {
        try {
          const r = await conn.command({ fsyncUnlock: 1 });
          remaining--;
          res.unlocked++;
          res.releasedAt = now();
          o.log.info('unlock', 'fsyncUnlock done', { member: host, lockCount: numberOf(r.lockCount) });
        } catch (e) {
          if (isNotLockedError(e)) {
            // "fsyncUnlock called when not locked": nothing of ours is left
            if (firstUnlock) res.lockWasLost = true;
            remaining = 0;
            res.releasedAt = now();
            o.log.warn('unlock', 'member was not locked any more when we unlocked it', { member: host });
          } else {
            ambiguous = !isServerError(e); // no reply: it may have happened
            throw e;
          }
        } finally {
          firstUnlock = false;
        }
      }
      // verify
      const cur = await conn.command(CURRENT_OP);
      if (isLocked(cur)) {
        res.stillLockedByOthers = true;
        o.log.warn('unlock', 'our locks are released, but the member is still fsync-locked by someone else: not touched', { member: host });
      }
      res.ok = true;
      break;
    } catch (e) {
      const msg = o.redactor.error(e);
      res.error = msg;
      o.onRetry?.(res.attempts, msg);
      if (conn) void conn.close();
      conn = undefined;
      ambiguous = true; // whatever failed, look before the next unlock
      const left = deadline - now();
      if (left <= 0) break;
      o.log.warn('unlock', `unlock attempt ${res.attempts} failed, retrying in ${Math.min(backoff, left).toFixed(0)}ms`, { member: host, error: msg, remainingLocks: remaining });
      await sleep(Math.min(backoff, left));
      backoff = Math.min(backoff * 2, 5000);
    }
  }
  if (conn) void conn.close();
  if (res.ok) delete res.error;
  else res.error ??= 'unlock deadline passed';
  return res;
}

function close<T>(c: AdminConn, r: T): T {
  void c.close();
  return r;
}

function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return undefined;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
