/**
 * fsync lock and unlock of one member, with every ambiguous case resolved by looking at the server.
 *
 * Rules (see docs/mongo-snapshot.md):
 * - The lock belongs to the server, not to the connection; it nests (lockCount).
 * - Right before locking: `hello` (or `isMaster` before 4.4.2) must say SECONDARY of the expected set, and currentOp
 *   must show no fsync lock (someone else's backup is never touched).
 * - After the lock reply, currentOp must confirm it, and `hello` must still say SECONDARY (a member elected primary
 *   meanwhile is unlocked at once); only then is the lock "held".
 * - Every command has a hard client-side deadline; fsync and fsyncUnlock also carry maxTimeMS, which bounds their
 *   wait for mongod's fsync mutex (the flush itself is not interruptible): MaxTimeMSExpired means "not applied".
 * - A network error or timeout on the lock is ambiguous. mongod does not kill an fsync whose client went away: the
 *   command may still be waiting for the mutex and take the lock later. So "not locked" only counts once the lock's
 *   maxTimeMS has passed since it was sent; a lock seen meanwhile is released (its unlock waits for the flush).
 * - Unlock exactly as many times as we locked. Before unlocking, the lock count is read (a nested lock and its
 *   unlock: their replies carry lockCount). After an unlock whose reply was lost, the count is read again and
 *   compared: one less means ours went through, and no second unlock is sent (it would release someone else's lock).
 * - Retries use a fresh connection, with exponential backoff, until the unlock deadline.
 */
import type { AdminConn, Connector } from './mongo';
import { hello, isMaxTimeExpired, isNotLockedError, isServerError } from './mongo';
import type { Logger, Redactor } from './log';

export interface LockContext {
  connect: Connector;
  log: Logger;
  redactor: Redactor;
  setName: string;
  connectTimeoutMs: number;
  /** hard bound for the fsync lock command itself (the flush can take a while on a busy member) */
  lockTimeoutMs: number;
  /** maxTimeMS of fsync/fsyncUnlock: how long they may wait for mongod's fsync mutex */
  mutexWaitMs: number;
  /** hard bound for other commands (hello, currentOp) */
  commandTimeoutMs: number;
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
  /** true when every lock we took is released (or was already gone) */
  ok: boolean;
  /** fsyncUnlock calls of ours that went through (seen in a reply or in a lock count) */
  unlocked: number;
  attempts: number;
  /** the member was not locked any more when we came to unlock it: the lock vanished while we held it */
  lockWasLost: boolean;
  /** after our unlocks, the member is still fsync-locked by someone else (their lock was left alone) */
  stillLockedByOthers: boolean;
  /** the member's lock count after our unlock, when a reply said it */
  lockCountAfter?: number;
  /** performance.now ms when the last unlock went through (or when the unlocked state was seen) */
  releasedAt?: number;
  error?: string;
}

export type LockResult =
  | { kind: 'locked'; lock: HeldLock }
  | { kind: 'not-taken'; reason: string }
  | { kind: 'unlock-failed'; reason: string; unlock: UnlockResult };

const defaultNow = () => performance.now();
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** currentOp, small: fsyncLock is reported whatever the filter is, and $ownOps needs no privilege. */
export const CURRENT_OP = { currentOp: 1, $ownOps: true } as const;

export function isLocked(reply: { fsyncLock?: unknown }): boolean {
  return !!reply.fsyncLock; // absent (not false) when unlocked, as on mongod
}

/** Room for a request in flight (network, scheduling) beyond its maxTimeMS. */
const IN_FLIGHT_MARGIN_MS = 1000;

const lockCmd = (ctx: LockContext) => ({ fsync: 1, lock: true, maxTimeMS: ctx.mutexWaitMs });
const unlockCmd = (ctx: LockContext) => ({ fsyncUnlock: 1, maxTimeMS: ctx.mutexWaitMs });

/**
 * Takes the fsync lock on `host`. `conn` is an already open direct connection to it (from the probe), or undefined.
 * Never returns 'locked' without a currentOp confirmation. On 'not-taken' nothing of ours is left locked.
 */
export async function acquireLock(host: string, conn: AdminConn | undefined, ctx: LockContext): Promise<LockResult> {
  const now = ctx.now ?? defaultNow;
  const { log, redactor } = ctx;
  const t = { timeoutMs: ctx.commandTimeoutMs };
  let c = conn;
  try {
    c ??= await ctx.connect(host, ctx.connectTimeoutMs);
  } catch (e) {
    return { kind: 'not-taken', reason: `cannot connect: ${redactor.error(e)}` };
  }
  // 1. still a secondary of the same set?
  try {
    const h = await hello(c, t);
    if (h.setName !== ctx.setName)
      return close(c, { kind: 'not-taken', reason: `member reports set ${JSON.stringify(h.setName ?? null)}, expected ${ctx.setName}` });
    if (h.secondary !== true || h.isWritablePrimary || h.arbiterOnly) {
      const what = h.isWritablePrimary ? 'PRIMARY' : h.arbiterOnly ? 'ARBITER' : 'not SECONDARY';
      return close(c, { kind: 'not-taken', reason: `member is now ${what}` });
    }
    // 2. nobody else's lock on it
    const before = await c.command(CURRENT_OP, t);
    if (isLocked(before)) return close(c, { kind: 'not-taken', reason: 'member became fsync-locked by someone else: not touched' });
  } catch (e) {
    return close(c, { kind: 'not-taken', reason: `pre-lock check failed: ${redactor.error(e)}` });
  }
  // 3. lock
  const lockSentAt = now();
  let reply: Record<string, unknown>;
  try {
    reply = await c.command(lockCmd(ctx), { timeoutMs: ctx.lockTimeoutMs });
  } catch (e) {
    if (isServerError(e)) {
      // the server answered ok:0 (MaxTimeMSExpired included: it gave up waiting for the mutex): no lock was taken
      const why = isMaxTimeExpired(e)
        ? `the fsync mutex stayed busy for ${ctx.mutexWaitMs} ms (another lock or unlock in progress)`
        : redactor.error(e);
      return close(c, { kind: 'not-taken', reason: `fsync lock refused: ${why}` });
    }
    // network error or timeout: the lock may be taken now, or later. Look until that question is settled.
    log.warn('lock', 'no reply to the fsync lock command: checking whether the lock was taken', { member: host, error: redactor.error(e) });
    void c.close();
    return settleLostLock(host, lockSentAt, redactor.error(e), ctx);
  }
  const lockedAt = now();
  const lockCountAfter = numberOf(reply.lockCount);
  log.info('lock', 'fsync lock reply received', { member: host, lockCount: lockCountAfter, lockMs: round(lockedAt - lockSentAt) });
  // 4. confirm with currentOp and re-check the state (on a fresh connection if this one was dropped)
  let confirmed: boolean | undefined;
  let primaryNow = false;
  const check = async (cc: AdminConn) => {
    // both at once (two pooled connections): writes are blocked from here on
    const [cur, h] = await Promise.all([cc.command(CURRENT_OP, t), hello(cc, t)]);
    confirmed = isLocked(cur);
    primaryNow = !!h.isWritablePrimary;
  };
  try {
    await check(c);
  } catch (e) {
    log.warn('lock', 'checks after the lock failed; checking on a fresh connection', { member: host, error: redactor.error(e) });
    void c.close();
    try {
      c = await ctx.connect(host, ctx.connectTimeoutMs);
      await check(c);
    } catch (e2) {
      log.warn('lock', 'cannot confirm the lock', { member: host, error: redactor.error(e2) });
    }
  }
  const held: HeldLock = { host, conn: c, count: 1, lockSentAt, lockedAt, confirmedAt: now(), lockCountAfter };
  if (confirmed === true && !primaryNow) return { kind: 'locked', lock: held };
  // Not confirmed, or primary now (a locked primary stops every write): never snapshot. Give back what we took.
  const reason = primaryNow
    ? 'member became PRIMARY (elected) while it was being locked: unlocked at once'
    : confirmed === false
      ? 'currentOp does not show the lock right after taking it'
      : 'the lock could not be confirmed';
  if (primaryNow) log.error('lock', `${host} is PRIMARY now: unlocking it at once`, { member: host });
  const unlock = await releaseLock(host, 1, { ...ctx, conn: c, knownCount: lockCountAfter, deadlineMs: ctx.unlockDeadlineMs });
  if (!unlock.ok) return { kind: 'unlock-failed', reason: `${reason}, and the unlock failed: ${unlock.error ?? 'unknown'}`, unlock };
  return { kind: 'not-taken', reason };
}

/**
 * The lock command got no reply. Until `lockSentAt + mutexWaitMs` (+ room in flight), the command may still take the
 * lock (waiting for the fsync mutex, or in a flush), so a look that finds no lock is repeated until then. A lock seen
 * is ours (there was none right before we locked) and is released.
 */
async function settleLostLock(host: string, lockSentAt: number, error: string, ctx: LockContext): Promise<LockResult> {
  const now = ctx.now ?? defaultNow;
  const sleep = ctx.sleep ?? defaultSleep;
  const settledAt = lockSentAt + ctx.mutexWaitMs + IN_FLIGHT_MARGIN_MS;
  const deadline = now() + ctx.unlockDeadlineMs;
  let backoff = 100;
  let lastError = error;
  for (;;) {
    let conn: AdminConn | undefined;
    try {
      conn = await ctx.connect(host, Math.max(200, Math.min(ctx.connectTimeoutMs, deadline - now())));
      const lookedAt = now();
      const cur = await conn.command(CURRENT_OP, { timeoutMs: ctx.commandTimeoutMs });
      if (isLocked(cur)) {
        const unlock = await releaseLock(host, 1, { ...ctx, conn, deadlineMs: Math.max(1000, deadline - now()) });
        conn = undefined;
        if (!unlock.ok)
          return {
            kind: 'unlock-failed',
            reason: `lock state unknown after a network error on the lock, and the cleanup failed: ${unlock.error ?? 'unknown'}`,
            unlock,
          };
        const what = unlock.unlocked > 0 ? 'the lock had been taken and was released' : 'the lock had not been taken';
        return { kind: 'not-taken', reason: `network error on the lock command (${error}); ${what}` };
      }
      if (lookedAt >= settledAt) {
        void conn.close();
        return { kind: 'not-taken', reason: `network error on the lock command (${error}); the lock had not been taken` };
      }
      ctx.log.info('lock', 'no lock seen yet, but the lock command may still be waiting on the server: looking again', {
        member: host,
        waitMs: Math.round(settledAt - lookedAt),
      });
      void conn.close();
      await sleep(Math.min(500, Math.max(0, settledAt - now())));
      continue;
    } catch (e) {
      if (conn) void conn.close();
      lastError = ctx.redactor.error(e);
    }
    const left = deadline - now();
    if (left <= 0) {
      const unlock: UnlockResult = {
        ok: false,
        unlocked: 0,
        attempts: 0,
        lockWasLost: false,
        stillLockedByOthers: false,
        error: lastError,
      };
      return {
        kind: 'unlock-failed',
        reason: `lock state unknown after a network error on the lock: the member could not be checked (${lastError})`,
        unlock,
      };
    }
    await sleep(Math.min(backoff, left));
    backoff = Math.min(backoff * 2, 5000);
  }
}

export interface ReleaseOptions extends LockContext {
  /** total time budget for unlocking */
  deadlineMs: number;
  /** a connection to try first (the one that took the lock); closed afterwards */
  conn?: AdminConn;
  /** the member's lock count with our locks, if a reply just said it (skips the first count read) */
  knownCount?: number;
  /** called once per failed attempt */
  onRetry?: (attempt: number, error: string) => void;
}

type CountRead =
  /** `before`: the count before the probe (0: nothing was locked, the probe took and released a fresh lock) */
  | { kind: 'count'; count: number; before: number }
  /** the probe's lock command got no reply: it may or may not hold a lock */
  | { kind: 'probe-lock-unknown'; error: unknown }
  /** the probe's lock is held (count `held`, probe included); its unlock was refused (`lost: false`) or unanswered */
  | { kind: 'probe-held'; held: number; lost: boolean; error: unknown };

/**
 * Reads the member's lock count: a nested lock (no flush on a locked member) and its unlock, whose reply says the
 * count. mongod's currentOp only says whether the member is locked, not how many times.
 */
async function readLockCount(conn: AdminConn, o: ReleaseOptions, timeoutMs: number): Promise<CountRead> {
  let held: number;
  try {
    held = numberOf((await conn.command(lockCmd(o), { timeoutMs: Math.min(o.lockTimeoutMs, timeoutMs) })).lockCount) ?? 1;
  } catch (e) {
    if (isServerError(e)) throw e; // refused: nothing taken
    return { kind: 'probe-lock-unknown', error: e };
  }
  try {
    const r2 = await conn.command(unlockCmd(o), { timeoutMs });
    return { kind: 'count', count: numberOf(r2.lockCount) ?? held - 1, before: held - 1 };
  } catch (e) {
    return { kind: 'probe-held', held, lost: !isServerError(e), error: e };
  }
}

/** Count reads (nested probe locks) one release may take: a server that takes locks but loses every unlock reply
 * must not collect them. */
const MAX_COUNT_READS = 2;

/**
 * Gives back `count` fsync locks of ours, retrying on fresh connections with backoff until the deadline. Never
 * throws. Never sends an unlock that could release someone else's lock: an unlock whose reply was lost is
 * "uncertain"; another unlock is sent only while we surely still own a lock (remaining - uncertain >= 1), otherwise
 * the count is read and compared with the count before the uncertain unlocks.
 */
export async function releaseLock(host: string, count: number, o: ReleaseOptions): Promise<UnlockResult> {
  const now = o.now ?? defaultNow;
  const sleep = o.sleep ?? defaultSleep;
  const deadline = now() + o.deadlineMs;
  const res: UnlockResult = { ok: false, unlocked: 0, attempts: 0, lockWasLost: false, stillLockedByOthers: false };
  /** locks of ours not yet known to be released (ours + probe locks) */
  let remaining = count;
  /** unlocks of ours whose reply was lost: each may or may not have gone through */
  let uncertain = 0;
  /** the member's lock count (all holders) before the uncertain unlocks, or after our last answered command */
  let known = o.knownCount;
  /** a probe lock whose reply was lost: it counts as ours if the next read finds the count above `known` */
  let probeMaybeHeld = false;
  let countReads = 0;
  let conn = o.conn;
  let backoff = 100;
  const bound = (ms: number) => ({ timeoutMs: Math.max(200, Math.min(ms, deadline - now())) });
  const settle = (c: number) => {
    // the count now is `c`: every uncertain unlock that went through lowered it by one
    if (uncertain > 0 && known !== undefined) {
      const applied = Math.max(0, Math.min(uncertain, known - c));
      if (applied > 0)
        o.log.info('unlock', 'an unanswered fsyncUnlock of ours had gone through (lock count dropped): not repeated', {
          member: host,
          lockCountBefore: known,
          lockCount: c,
        });
      else o.log.info('unlock', 'an unanswered fsyncUnlock of ours had not gone through: unlocking again', { member: host, lockCount: c });
      remaining -= applied;
      res.unlocked += applied;
      if (applied > 0) res.releasedAt = now();
    }
    uncertain = 0;
    known = c;
  };
  for (;;) {
    res.attempts++;
    try {
      if (!conn) {
        const left = deadline - now();
        if (left <= 0) throw new Error('unlock deadline passed');
        conn = await o.connect(host, Math.max(200, Math.min(o.connectTimeoutMs, left)));
      }
      const mustRead = known === undefined || probeMaybeHeld || remaining - uncertain < 1;
      // The first read skips currentOp (one round trip less while writes are blocked): the count read says it too.
      const quickRead = mustRead && res.attempts === 1 && known === undefined && countReads === 0;
      if (mustRead) {
        const cur = quickRead ? { fsyncLock: true } : await conn.command(CURRENT_OP, bound(o.commandTimeoutMs));
        if (!isLocked(cur)) {
          // nothing locked: our unanswered unlocks went through, or the lock vanished (restart, foreign unlock)
          if (uncertain === 0 && res.unlocked === 0 && !probeMaybeHeld) res.lockWasLost = true;
          res.unlocked += Math.min(uncertain, remaining);
          remaining = 0;
          uncertain = 0;
          res.releasedAt = now();
          res.lockCountAfter = 0;
          known = 0;
        } else if (countReads >= MAX_COUNT_READS) {
          throw new Error(
            `the member is still fsync-locked and the lock count cannot be read safely any more (${MAX_COUNT_READS} reads): not unlocking blindly`,
          );
        } else {
          countReads++;
          const r = await readLockCount(conn, o, bound(o.commandTimeoutMs).timeoutMs);
          if (r.kind === 'probe-lock-unknown') {
            probeMaybeHeld = true;
            throw r.error;
          }
          if (probeMaybeHeld) {
            probeMaybeHeld = false;
            const c = r.kind === 'count' ? r.count : r.held - 1;
            if (known !== undefined && uncertain === 0 && c > known) remaining++; // that probe lock was taken
          }
          if (r.kind === 'probe-held') {
            settle(r.held - 1); // the count before this probe
            remaining++; // the probe's lock is ours to give back
            known = r.held;
            if (r.lost) uncertain++; // its unlock may have gone through
            throw r.error;
          }
          settle(r.count);
          if (quickRead && r.before === 0) {
            // nothing was locked before the probe: the lock vanished (restart, foreign unlock); the probe's own
            // fresh lock is already given back
            res.lockWasLost = true;
            remaining = 0;
            res.releasedAt = now();
            o.log.warn('unlock', 'member was not locked any more when we came to unlock it', { member: host });
          }
          if (remaining > 0 && known === 0) {
            // our locks are gone (nobody holds one): nothing to give back
            if (res.unlocked === 0) res.lockWasLost = true;
            remaining = 0;
          }
        }
      }
      while (remaining - uncertain >= 1 && remaining > 0) {
        try {
          const r = await conn.command(unlockCmd(o), bound(o.commandTimeoutMs));
          const c = numberOf(r.lockCount);
          // an exact count: the uncertain unlocks before this one are settled by it (the count before this one was c + 1)
          if (uncertain > 0 && c !== undefined) settle(c + 1);
          remaining--;
          res.unlocked++;
          res.releasedAt = now();
          known = c;
          res.lockCountAfter = known;
          o.log.info('unlock', 'fsyncUnlock done', { member: host, lockCount: known });
        } catch (e) {
          if (isNotLockedError(e)) {
            // "fsyncUnlock called when not locked": nothing of ours is left
            if (res.unlocked === 0 && uncertain === 0) res.lockWasLost = true;
            remaining = 0;
            uncertain = 0;
            known = 0;
            res.lockCountAfter = 0;
            res.releasedAt = now();
            o.log.warn('unlock', 'member was not locked any more when we unlocked it', { member: host });
          } else if (isServerError(e)) {
            throw e; // refused (MaxTimeMSExpired: the fsync mutex stayed busy): not applied, retry
          } else {
            if (uncertain === 0 && known === undefined) known = undefined;
            uncertain++; // no reply: it may have happened; `known` stays the count before it
            throw e;
          }
        }
      }
      if (remaining > 0) continue; // uncertain unlocks left to settle (read the count on the next round)
      res.stillLockedByOthers = (known ?? 0) > 0;
      if (res.stillLockedByOthers)
        o.log.warn('unlock', 'our locks are released, but the member is still fsync-locked by someone else: not touched', {
          member: host,
          lockCount: known,
        });
      res.lockCountAfter = known;
      res.ok = true;
      break;
    } catch (e) {
      const msg = o.redactor.error(e);
      res.error = msg;
      o.onRetry?.(res.attempts, msg);
      if (conn) void conn.close();
      conn = undefined;
      const left = deadline - now();
      if (left <= 0) break;
      o.log.warn('unlock', `unlock attempt ${res.attempts} failed, retrying in ${Math.min(backoff, left).toFixed(0)}ms`, {
        member: host,
        error: msg,
        remainingLocks: remaining,
      });
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

export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return undefined;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
