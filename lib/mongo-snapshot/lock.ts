/**
 * fsync lock and unlock of one member, with every ambiguous case resolved by looking at the server.
 *
 * Rules (see docs/mongo-snapshot.md):
 * - The lock belongs to the server, not to the connection; it nests (lockCount).
 * - Right before locking: `hello` (or `isMaster` before 4.4.2) must say SECONDARY of the expected set, and currentOp
 *   must show no fsync lock (someone else's backup is never touched).
 * - After the lock reply, currentOp must confirm it, and `hello` must still say SECONDARY (a member elected primary
 *   meanwhile is unlocked at once); only then is the lock "held".
 * - fsync and fsyncUnlock wait for mongod's fsync command mutex, which a first lock holds for its whole flush.
 *   On 7.0+ that wait honours maxTimeMS (MaxTimeMSExpired: not applied). On 4.4, 5.0 and 6.0 it does not:
 *   mongodb/mongo r4.4/r5.0/r6.0 src/mongo/db/commands/fsync.cpp (FSyncCommand::errmsgRun and
 *   FSyncUnlockCommand::errmsgRun) take `Lock::ExclusiveLock lk(opCtx->lockState(), commandMutex)`, without the
 *   operation context that would make the wait interruptible, and mongod does not kill an fsync whose client left.
 *   So an fsync or fsyncUnlock given up by the client may still apply much later. Hence (`interruptibleMutex`):
 *   - below 7.0 an fsyncUnlock is never given up: its client deadline is all the time left;
 *   - an fsync lock is never given up on any version: after --lock-timeout its reply is still awaited (within the
 *     deadline), and the lock it reports is released on the same connection, with an exact count;
 *   - the release path never sends a lock below 7.0 (no nested "count read" locks), and on 7.0+ only after it looked:
 *     the member is locked already (so the nested lock flushes nothing) and is not PRIMARY.
 * - The release path looks before it sends a lock: `currentOp` and `hello` first. No lock: nothing of ours is left
 *   (the lock was lost). PRIMARY and locked: unlocking wins over every rule below: fsyncUnlock until it is unlocked
 *   (a locked primary blocks every write of the set, whoever's lock it is), and the run fails (exit 6).
 * - Unlock exactly as many times as we locked; a healthy release is one fsyncUnlock (the lock reply said the count).
 *   An unlock whose reply was lost is settled by a count (7.0+: a nested lock whose reply says the count, once the
 *   lost unlock can no longer be waiting), and only when nobody else's lock could explain the count (nobody else held
 *   one when it was sent, and the count moved no more than ours explains); below 7.0 no count can be read safely.
 *   Otherwise a SECONDARY still locked after a lost unlock reply is reported as possibly locked (exit 7), never
 *   unlocked blindly (a second unlock could release someone else's lock).
 * - Retries use a fresh connection, with exponential backoff, until the unlock deadline.
 */
import type { AdminConn, Connector } from './mongo';
import { hello, isMaxTimeExpired, isNotLockedError, isNotSent, isServerError } from './mongo';
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
  /**
   * true when the server's wait for the fsync mutex honours maxTimeMS (7.0 and later, maxWireVersion >= 21); false
   * on 4.4, 5.0 and 6.0, where an fsync or fsyncUnlock the client gave up on may still apply later
   */
  interruptibleMutex: boolean;
  /**
   * Nothing is awaited past this (performance.now ms; read again at every step, a signal moves it closer): after
   * SIGTERM the run must end within the pod's grace period (budget.ts). Whatever is not given back by then is
   * reported (exit 7), not left to the kubelet's SIGKILL. @default no cutoff
   */
  cutoff?: () => number;
  /** the fsync lock's reply is not awaited past this, which leaves time to give the lock back before `cutoff` */
  lockWaitCutoff?: () => number;
  /**
   * Set once the run must stop (SIGTERM/SIGINT): read right before the lock is sent, after the pre-lock checks, so
   * that a signal that arrives during them never leads to a lock (attack on #26: with a slow flush, a lock sent after
   * the signal could not be given back within the grace period: exit 7, member locked). @default never
   */
  stopRequested?: () => string | undefined;
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
  /** the member was PRIMARY while locked when we came to unlock it (it was unlocked at once) */
  wasPrimary?: boolean;
  /** our locks are released, but hello after the unlock did not answer: not proven to have stayed SECONDARY */
  stateUnknown?: boolean;
  /** performance.now ms when the last unlock went through (or when the unlocked state was seen) */
  releasedAt?: number;
  error?: string;
}

export type LockResult =
  | { kind: 'locked'; lock: HeldLock }
  | {
      kind: 'not-taken';
      reason: string;
      /** the member was PRIMARY while our lock was on it (unlocked at once): the run must stop, not try another member */
      wasPrimary?: boolean;
    }
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

/** Resolves once now() reaches `at()` (read again every 200 ms: a signal moves it closer), unless `stop` is set. */
function reached(at: (() => number) | undefined, now: () => number, stop: { done: boolean }): Promise<'cutoff'> {
  return new Promise((resolve) => {
    if (!at) return;
    const tick = () => {
      if (stop.done) return;
      const left = at() - now();
      if (left <= 0) return resolve('cutoff');
      setTimeout(tick, Math.min(200, left)).unref?.();
    };
    tick();
  });
}

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
  // 1. still a secondary of the same set? (the selection's view may be seconds old: an election meanwhile)
  try {
    const h = await hello(c, t);
    if (h.setName !== ctx.setName)
      return close(c, { kind: 'not-taken', reason: `member reports set ${JSON.stringify(h.setName ?? null)}, expected ${ctx.setName}` });
    if (h.secondary !== true || h.isWritablePrimary || h.arbiterOnly) {
      const what = h.isWritablePrimary ? 'PRIMARY' : h.arbiterOnly ? 'ARBITER' : 'not SECONDARY';
      return close(c, { kind: 'not-taken', reason: `member is now ${what}: never locked` });
    }
    // 2. nobody else's lock on it
    const before = await c.command(CURRENT_OP, t);
    if (isLocked(before)) return close(c, { kind: 'not-taken', reason: 'member became fsync-locked by someone else: not touched' });
  } catch (e) {
    return close(c, { kind: 'not-taken', reason: `pre-lock check failed: ${redactor.error(e)}` });
  }
  // a signal during the checks above: nothing is sent (the last moment at which "nothing locked" is certain)
  const stopReason = ctx.stopRequested?.();
  if (stopReason) return close(c, { kind: 'not-taken', reason: `${stopReason} before the lock was sent: never locked` });
  // 3. lock. The request is never given up while its connection lives (see the module comment): after
  // --lock-timeout its reply is still awaited, for at most the unlock deadline more, and the lock is given back.
  const lockSentAt = now();
  const pending = c.command(lockCmd(ctx), { timeoutMs: ctx.lockTimeoutMs + ctx.unlockDeadlineMs });
  let timer: NodeJS.Timeout | undefined;
  const settled = pending.then(
    (r) => ({ ok: true as const, r: r as Record<string, unknown> }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  let late = false;
  const stop = { done: false };
  const cut = reached(ctx.lockWaitCutoff, now, stop);
  let outcome = await Promise.race([settled, cut, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ctx.lockTimeoutMs)))]);
  clearTimeout(timer);
  if (outcome === 'late') {
    late = true;
    log.warn(
      'lock',
      'no reply to the fsync lock within --lock-timeout (a slow flush, or a busy fsync mutex): waiting for it to give the lock back',
      {
        member: host,
        lockTimeoutMs: ctx.lockTimeoutMs,
      },
    );
    outcome = await Promise.race([settled, cut]);
  }
  stop.done = true;
  if (outcome === 'cutoff') {
    // the run's deadline, or a signal: the lock reply is not awaited any longer (the time left is for giving it
    // back). The lock may be taken now or later: the same question as a lost reply.
    log.warn(
      'lock',
      'no reply to the fsync lock before the run must stop waiting for it (deadline or signal): checking whether it was taken',
      {
        member: host,
      },
    );
    void c.close();
    return settleLostLock(host, lockSentAt, 'no reply before the deadline', ctx);
  }
  if (!outcome.ok) {
    const e = outcome.e;
    if (isServerError(e)) {
      // the server answered ok:0 (MaxTimeMSExpired included: it gave up waiting for the mutex): no lock was taken
      const why = isMaxTimeExpired(e)
        ? `the fsync mutex stayed busy for ${ctx.mutexWaitMs} ms (another lock or unlock in progress)`
        : redactor.error(e);
      return close(c, { kind: 'not-taken', reason: `fsync lock refused: ${why}` });
    }
    // network error or no reply at all: the lock may be taken now, or later. Look until that question is settled.
    log.warn('lock', 'no reply to the fsync lock command: checking whether the lock was taken', { member: host, error: redactor.error(e) });
    void c.close();
    return settleLostLock(host, lockSentAt, redactor.error(e), ctx);
  }
  const reply = outcome.r;
  const lockedAt = now();
  const lockCountAfter = numberOf(reply.lockCount);
  if (late) {
    const reason = `the fsync lock took ${round(lockedAt - lockSentAt)} ms, more than --lock-timeout (${ctx.lockTimeoutMs} ms): given back`;
    const unlock = await releaseLock(host, 1, { ...ctx, conn: c, knownCount: lockCountAfter, deadlineMs: ctx.unlockDeadlineMs });
    if (!unlock.ok) return { kind: 'unlock-failed', reason: `${reason}, and the unlock failed: ${unlock.error ?? 'unknown'}`, unlock };
    const r = unlock.lockWasLost ? `${reason} (it was gone already)` : reason;
    // elected while our late lock was on it: writes were blocked on a PRIMARY (the release saw it)
    return { kind: 'not-taken', reason: unlock.wasPrimary ? `${r}; it was PRIMARY while locked` : r, wasPrimary: unlock.wasPrimary };
  }
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
  // a PRIMARY had every write blocked by our lock: that ends the run (exit 6), it is not a reason to try the next member
  return { kind: 'not-taken', reason, wasPrimary: primaryNow || unlock.wasPrimary };
}

/**
 * The lock command got no reply (its connection died). Until `lockSentAt + mutexWaitMs` (+ room in flight), the
 * command may still take the lock (waiting for the fsync mutex), so a look that finds no lock is repeated until
 * then. (Below 7.0 the wait is not bounded by maxTimeMS, but it only lasts while someone holds the mutex, and a
 * first lock holds it for its flush with the lock count already raised: a look that finds no lock then finds no
 * flush that our lock could be queued behind.) A lock seen is ours (there was none right before we locked) and is
 * released; its unlock waits for the flush (releaseLock: never given up below 7.0, retried on MaxTimeMSExpired).
 */
async function settleLostLock(host: string, lockSentAt: number, error: string, ctx: LockContext): Promise<LockResult> {
  const now = ctx.now ?? defaultNow;
  const sleep = ctx.sleep ?? defaultSleep;
  const settledAt = lockSentAt + ctx.mutexWaitMs + IN_FLIGHT_MARGIN_MS;
  const end = now() + ctx.unlockDeadlineMs;
  const deadlineOf = () => Math.min(end, ctx.cutoff?.() ?? Infinity);
  let backoff = 100;
  let lastError: string;
  for (;;) {
    let conn: AdminConn | undefined;
    try {
      conn = await ctx.connect(host, Math.max(200, Math.min(ctx.connectTimeoutMs, deadlineOf() - now())));
      const lookedAt = now();
      const cur = await conn.command(CURRENT_OP, { timeoutMs: Math.max(200, Math.min(ctx.commandTimeoutMs, deadlineOf() - now())) });
      if (isLocked(cur)) {
        const unlock = await releaseLock(host, 1, { ...ctx, conn, deadlineMs: Math.max(1000, deadlineOf() - now()) });
        conn = undefined;
        if (!unlock.ok)
          return {
            kind: 'unlock-failed',
            reason: `lock state unknown after a network error on the lock, and the cleanup failed: ${unlock.error ?? 'unknown'}`,
            unlock,
          };
        const what = unlock.unlocked > 0 ? 'the lock had been taken and was released' : 'the lock had not been taken';
        return {
          kind: 'not-taken',
          reason: `network error on the lock command (${error}); ${what}${unlock.wasPrimary ? '; it was PRIMARY while locked' : ''}`,
          wasPrimary: unlock.wasPrimary,
        };
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
    const left = deadlineOf() - now();
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
  /** the member's lock count with our locks, if a reply just said it */
  knownCount?: number;
  /** called once per failed attempt */
  onRetry?: (attempt: number, error: string) => void;
}

/** Ends the release at once: retrying cannot help, and guessing could release someone else's lock. */
class Unresolvable extends Error {}

/**
 * Count reads (7.0+ only: a nested lock, given back by the next unlock) one release may take: one before the first
 * unlock, and one per lost unlock reply. A server that loses every unlock reply must not collect our locks.
 */
export const MAX_COUNT_READS = 3;

/**
 * Gives back `count` fsync locks of ours, retrying on fresh connections with backoff until the deadline. Never
 * throws. Looks first (currentOp + hello) on every attempt; never sends a lock to a member that is not locked or is
 * PRIMARY, and never any lock below 7.0. Never sends an unlock that could release someone else's lock: an unlock
 * whose reply was lost is "uncertain"; another unlock is sent only while we surely still own a lock
 * (remaining - uncertain >= 1); otherwise the count is read (7.0+) and compared with the count before.
 */
export async function releaseLock(host: string, count: number, o: ReleaseOptions): Promise<UnlockResult> {
  const now = o.now ?? defaultNow;
  const sleep = o.sleep ?? defaultSleep;
  const end = now() + o.deadlineMs;
  const res: UnlockResult = { ok: false, unlocked: 0, attempts: 0, lockWasLost: false, stillLockedByOthers: false };
  /** locks of ours not yet known to be released */
  let remaining = count;
  /** unlocks of ours whose reply was lost: each may or may not have gone through */
  let uncertain = 0;
  /** when the last uncertain unlock was sent */
  let uncertainSentAt = 0;
  /** the member's lock count (all holders) before the uncertain unlocks, or after our last answered command */
  let known = o.knownCount;
  let countReads = 0;
  let conn = o.conn;
  let backoff = 100;
  const left = () => Math.min(end, o.cutoff?.() ?? Infinity) - now();
  const bound = (ms: number) => ({ timeoutMs: Math.max(200, Math.min(ms, left())) });
  // An fsyncUnlock waits for the fsync mutex (a flush in progress holds it). 7.0+: maxTimeMS ends that wait, so the
  // client may give up a little after it. Below 7.0 nothing ends it: never given up (all the time left).
  const unlockBound = () => bound(o.interruptibleMutex ? o.mutexWaitMs + o.commandTimeoutMs : left());
  /**
   * Why counts cannot settle the unanswered unlocks (sticky): someone else held a lock when they were sent (their
   * unlock would look like ours), or the count moved more than ours could explain (someone else locked or unlocked).
   */
  let ambiguous: string | undefined;
  /**
   * The member was seen PRIMARY and fsync-locked: unlocking wins over every other rule. fsyncUnlock is sent until the
   * member is unlocked (its reply says the count), also past our own locks: a lock left on a PRIMARY blocks every
   * write of the set, a lock of someone else's included.
   */
  let primaryMode = false;
  /** the member's lock count is known to be 0 (a reply said so, currentOp shows no lock, or "not locked") */
  let allUnlocked = false;
  const settle = (c: number) => {
    // the count now is `c`: every uncertain unlock that went through lowered it by one, if nobody else locked or
    // unlocked meanwhile. That is checked as far as counts can: nobody else held a lock when ours were sent (known =
    // our locks), and c lies within what our unlocks alone explain. Otherwise the question stays open (exit 7).
    if (uncertain > 0 && ambiguous) return;
    if (uncertain > 0) {
      const foreign = known === undefined ? 0 : known - remaining;
      if (known === undefined || foreign > 0 || c > known || c < known - uncertain) {
        ambiguous =
          known === undefined
            ? 'the lock count before it is not known'
            : foreign > 0
              ? `someone else held ${foreign} fsync lock(s) when it was sent (an unlock of theirs would look like ours)`
              : `the lock count went from ${known} to ${c}, more than our unanswered unlock explains (someone else locked or unlocked meanwhile)`;
        o.log.warn('unlock', `whether an unanswered fsyncUnlock of ours went through cannot be told: ${ambiguous}`, {
          member: host,
          lockCountBefore: known,
          lockCount: c,
        });
        return;
      }
      const applied = known - c;
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
  /** `known` is the exact count (from a reply, or the count read): a lost unlock reply can be settled against it */
  let exact = known !== undefined;
  for (;;) {
    res.attempts++;
    try {
      if (!conn) {
        if (left() <= 0) throw new Error('unlock deadline passed');
        conn = await o.connect(host, Math.max(200, Math.min(o.connectTimeoutMs, left())));
      }
      // 1. An unlock sent blind is safe (refused as "not locked" when nothing is locked; its reply says the count).
      // A lock is not: before a count read (a nested lock), look first, and never lock an unlocked member or a PRIMARY.
      // The count is read (7.0+ only) when we do not know it exactly, so that a lost unlock reply can be settled
      // by comparing counts, and again after a lost reply.
      const wantCount = o.interruptibleMutex && (uncertain > 0 || !exact);
      if (uncertain > 0 && o.interruptibleMutex && !primaryMode) {
        // 7.0+: the unanswered unlock may still be waiting for the mutex until its maxTimeMS has passed: look after
        // that, unless the member is PRIMARY now (then it is unlocked at once: see primaryMode)
        const wait = uncertainSentAt + o.mutexWaitMs + IN_FLIGHT_MARGIN_MS - now();
        if (wait > 0 && !(await hello(conn, bound(o.commandTimeoutMs))).isWritablePrimary) {
          if (wait > left()) throw new Error('unlock deadline passed while an unanswered fsyncUnlock could still apply');
          await sleep(wait);
        }
      }
      if (uncertain > 0 || wantCount) {
        const [cur, h] = await Promise.all([conn.command(CURRENT_OP, bound(o.commandTimeoutMs)), hello(conn, bound(o.commandTimeoutMs))]);
        if (!isLocked(cur)) {
          // nothing locked: our unanswered unlocks went through, or the lock vanished (restart, foreign unlock)
          if (uncertain === 0 && res.unlocked === 0) {
            res.lockWasLost = true;
            o.log.warn('unlock', 'member was not locked any more when we came to unlock it: nothing sent', { member: host });
          }
          res.unlocked += Math.min(uncertain, remaining);
          remaining = 0;
          uncertain = 0;
          res.releasedAt = now();
          res.lockCountAfter = 0;
          known = 0;
          allUnlocked = true;
        } else {
          const primary = !!h.isWritablePrimary;
          if (primary && !res.wasPrimary) {
            res.wasPrimary = true;
            o.log.error('unlock', `${host} is PRIMARY and fsync-locked (every write is blocked): unlocking it at once`, { member: host });
          }
          // a locked PRIMARY: no count read (no lock is ever sent to a primary), no question of whose lock it is:
          // fsyncUnlock until it is unlocked (sticky for this release: it may step down and up again meanwhile)
          if (primary) primaryMode = true;
          if (primaryMode) {
            // unlocking below
          } else if (uncertain > 0 && !o.interruptibleMutex)
            throw new Unresolvable(
              'an fsyncUnlock of ours got no reply and the member is still fsync-locked; before 7.0 the lock count cannot be read without a lock that could outlive us, so whether this lock is ours is unknown: not unlocking blindly',
            );
          else if (uncertain > 0 && exact && remaining - uncertain >= 1) {
            // A lock surely ours is left (a count read's own): no new count read (each would stack one more lock of
            // ours after every lost reply). Its unlock's reply says the count, which settles the unanswered unlock
            // (the count before it is exact, and its maxTimeMS has passed: it can no longer apply after ours).
          } else if (uncertain > 0 && (countReads >= MAX_COUNT_READS || !exact))
            throw new Unresolvable(
              'an fsyncUnlock of ours got no reply and the member is still fsync-locked, and the lock count cannot be compared: not unlocking blindly',
            );
          else if (countReads < MAX_COUNT_READS) {
            countReads++;
            let held: number;
            try {
              held = numberOf((await conn.command(lockCmd(o), bound(o.mutexWaitMs + o.commandTimeoutMs))).lockCount) ?? 1;
            } catch (e) {
              if (isServerError(e) || isNotSent(e)) throw e; // refused or never sent: nothing taken
              throw new Unresolvable(`the lock count read got no reply (it may hold a lock): ${o.redactor.error(e)}`);
            }
            if (uncertain > 0) settle(held - 1);
            // the count read's own lock is ours to give back; from here the count is exact
            remaining++;
            known = held;
            exact = true;
          }
        }
      }
      // 3. our unlocks: those we surely still own; on a locked PRIMARY, until it is unlocked
      while (primaryMode ? !allUnlocked : remaining > 0 && remaining - uncertain >= 1) {
        try {
          const r = await conn.command(unlockCmd(o), unlockBound());
          const c = numberOf(r.lockCount);
          // an exact count: the uncertain unlocks before this one are settled by it (the count before this one was c + 1)
          if (uncertain > 0 && c !== undefined && !primaryMode) settle(c + 1);
          if (primaryMode && remaining - uncertain <= 0)
            o.log.error('unlock', `${host} is PRIMARY: releasing a lock that may not be ours (a PRIMARY is never left fsync-locked)`, {
              member: host,
              lockCount: c,
            });
          remaining = Math.max(0, remaining - 1);
          res.unlocked++;
          res.releasedAt = now();
          known = c;
          exact = c !== undefined;
          res.lockCountAfter = known;
          // nothing locked any more: nothing of ours either
          if (c === 0) allUnlocked = true;
          if (allUnlocked) remaining = uncertain = 0;
          o.log.info('unlock', 'fsyncUnlock done', { member: host, lockCount: known });
        } catch (e) {
          if (isNotLockedError(e)) {
            // "fsyncUnlock called when not locked": nothing of ours is left
            if (res.unlocked === 0 && uncertain === 0) res.lockWasLost = true;
            remaining = 0;
            uncertain = 0;
            known = 0;
            allUnlocked = true;
            res.lockCountAfter = 0;
            res.releasedAt = now();
            o.log.warn('unlock', 'member was not locked any more when we unlocked it', { member: host });
          } else if (isServerError(e) || isNotSent(e)) {
            throw e; // refused (MaxTimeMSExpired: the fsync mutex stayed busy) or never sent: not applied, retry
          } else {
            uncertain++; // no reply: it may have happened (or may still); `known` stays the count before it
            uncertainSentAt = now();
            throw e;
          }
        }
      }
      if (remaining > 0 && ambiguous)
        throw new Unresolvable(
          `an fsyncUnlock of ours got no reply and the member is still fsync-locked; ${ambiguous}: whether a lock of ours is left cannot be told, not unlocking blindly`,
        );
      if (remaining > 0) continue;
      // hello re-checked before success (writes are unblocked already): a member elected PRIMARY while locked fails the run
      if (!res.wasPrimary) {
        try {
          if ((await hello(conn, bound(o.commandTimeoutMs))).isWritablePrimary) {
            res.wasPrimary = true;
            o.log.error('unlock', `${host} was PRIMARY when we unlocked it`, { member: host });
            if (known === undefined || known > 0) {
              // still locked (by someone else, or the count is unknown): a PRIMARY is never left locked
              primaryMode = true;
              continue;
            }
          }
        } catch (e) {
          res.stateUnknown = true;
          o.log.warn('unlock', 'unlocked, but hello after the unlock failed: the member state is not confirmed', {
            member: host,
            error: o.redactor.error(e),
          });
        }
      }
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
      if (conn) void conn.close();
      conn = undefined;
      if (e instanceof Unresolvable) {
        o.log.error('unlock', msg, { member: host });
        break;
      }
      o.onRetry?.(res.attempts, msg);
      const l = left();
      if (l <= 0) break;
      o.log.warn('unlock', `unlock attempt ${res.attempts} failed, retrying in ${Math.min(backoff, l).toFixed(0)}ms`, {
        member: host,
        error: msg,
        remainingLocks: remaining,
      });
      await sleep(Math.min(backoff, l));
      backoff = Math.min(backoff * 2, 5000);
    }
  }
  if (conn) void conn.close();
  // the count reads' own locks were given back too: `unlocked` counts only the locks we were asked to release
  res.unlocked = Math.min(res.unlocked, count);
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
