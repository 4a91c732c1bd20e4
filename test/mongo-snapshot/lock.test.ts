import { Long, MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { acquireLock, MAX_COUNT_READS, numberOf, releaseLock, type LockContext } from '../../lib/mongo-snapshot/lock';
import { Logger, Redactor } from '../../lib/mongo-snapshot/log';
import { CommandTimeoutError, NotSentError, type AdminConn } from '../../lib/mongo-snapshot/mongo';

/** An in-memory member with mongod's fsync semantics and injectable faults. */
class FakeMember {
  lockCount = 0;
  state: 'SECONDARY' | 'PRIMARY' | 'RECOVERING' | 'ARBITER' = 'SECONDARY';
  setName = 'rs0';
  /** the next N locks are taken but get no reply (network error) */
  dropLockReply = 0;
  /** becomes PRIMARY right after the next lock */
  electedOnLock = false;
  /** no `hello` (4.4.0/4.4.1): CommandNotFound, isMaster answers */
  legacy = false;
  /** someone else locks on top right after our next lock */
  foreignLockOnLock = false;
  /** lock is refused by the server */
  refuseLock = false;
  /** the next N unlocks: socket closed, no unlock */
  failUnlocks = 0;
  /** the next N unlocks: unlock done, reply lost */
  loseUnlockReplies = 0;
  /** connecting fails */
  down = false;
  /** how "not locked" is answered: 4.4/5.0 send the text only, 6.0+ code 20 (never 125) */
  notLockedReply: 'text-only' | 'code-20' = 'code-20';
  /** the next lock is taken at once, its reply comes this many (real) ms later: a slow flush */
  lockReplyDelayMs = 0;
  /** the bound of a command sent without timeoutMs (run.ts gives directConnector its commandTimeoutMs) */
  defaultTimeoutMs = 1000;
  /** currentOp does not show a lock (as if it had vanished right after the reply) */
  currentOpHidesLock = false;
  /** the connection that sends the next lock dies right after the lock's reply: its later commands fail */
  connDiesAfterLock = false;
  /** the next N locks get no reply and were not taken (the connection died before the command ran) */
  loseLockUntaken = 0;
  /** every command sent, with the client-side bound it was given (`fsync:1500`; `hello:-` without one) */
  bounds: string[] = [];
  /** the next N unlocks are refused: the fsync mutex stayed busy for maxTimeMS (MaxTimeMSExpired, nothing done) */
  refuseUnlocks = 0;
  /** hello fails once an unlock went through (the member stops answering right after) */
  helloFailsAfterUnlock = false;
  private unlocked = false;
  /** called as each fsyncUnlock arrives (an election meanwhile, ...) */
  onUnlock?: () => void;
  /** connections opened, and closed */
  opened = 0;
  closed = 0;
  log: string[] = [];

  conn(): AdminConn {
    this.opened++;
    let dead = false;
    let closed = false;
    return {
      host: 'm:27017',
      close: async () => {
        if (!closed) this.closed++;
        closed = true;
      },
      command: async (cmd, opts) => {
        const name = Object.keys(cmd)[0]!;
        // as the real AdminConn: a closed connection sends nothing
        if (closed) throw new NotSentError(name, 'm:27017');
        this.log.push(name);
        this.bounds.push(`${name}:${opts?.timeoutMs ?? '-'}`);
        if (dead) throw new MongoNetworkError('connection reset');
        // fsync without `lock: true` flushes and locks nothing (mongod's reply has no lockCount then)
        if (name === 'fsync' && cmd.lock !== true) return { numFiles: 1, ok: 1 };
        if (name === 'fsync' && this.loseLockUntaken > 0) {
          this.loseLockUntaken--;
          throw new MongoNetworkError('connection closed');
        }
        if (name === 'fsync' && this.connDiesAfterLock) {
          this.connDiesAfterLock = false;
          dead = true;
        }
        if (name === 'fsync' && this.lockReplyDelayMs > 0) {
          // as the real AdminConn (mongo.ts directConnector): a reply later than timeoutMs is lost, and without
          // timeoutMs the connection's own bound (run.ts: commandTimeoutMs) applies
          this.lockCount++;
          if (this.electedOnLock) {
            this.electedOnLock = false;
            this.state = 'PRIMARY';
          }
          const delay = this.lockReplyDelayMs;
          this.lockReplyDelayMs = 0;
          const ms = opts?.timeoutMs ?? this.defaultTimeoutMs;
          let timer: NodeJS.Timeout | undefined;
          const replied = await Promise.race([
            new Promise<boolean>((r) => setTimeout(() => r(true), delay)),
            new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
          ]);
          clearTimeout(timer);
          if (!replied) {
            dead = true;
            throw new CommandTimeoutError('fsync', ms);
          }
          return { lockCount: this.lockCount, ok: 1 };
        }
        if (name === 'hello' && this.helloFailsAfterUnlock && this.unlocked) throw new MongoNetworkError('connection reset');
        if (name === 'hello' && this.legacy)
          throw new MongoServerError({
            ok: 0,
            code: 59,
            codeName: 'CommandNotFound',
            errmsg: "no such command: 'hello'",
          });
        if (name === 'hello')
          return {
            setName: this.setName,
            secondary: this.state === 'SECONDARY',
            isWritablePrimary: this.state === 'PRIMARY',
            ...(this.state === 'ARBITER' ? { arbiterOnly: true } : {}),
          };
        if (name === 'isMaster')
          return {
            setName: this.setName,
            secondary: this.state === 'SECONDARY',
            ismaster: this.state === 'PRIMARY',
          };
        if (name === 'currentOp') return this.lockCount > 0 && !this.currentOpHidesLock ? { inprog: [], fsyncLock: true } : { inprog: [] };
        if (name === 'fsync') {
          if (this.refuseLock)
            throw new MongoServerError({
              ok: 0,
              code: 1,
              errmsg: 'fsync lock failed',
            });
          this.lockCount++;
          if (this.electedOnLock) {
            this.electedOnLock = false;
            this.state = 'PRIMARY';
          }
          if (this.foreignLockOnLock) {
            this.foreignLockOnLock = false;
            this.lockCount++;
            return { lockCount: this.lockCount - 1, ok: 1 };
          }
          if (this.dropLockReply > 0) {
            this.dropLockReply--;
            throw new MongoNetworkError('connection closed');
          }
          return { lockCount: this.lockCount, ok: 1 };
        }
        if (name === 'fsyncUnlock') {
          this.onUnlock?.();
          if (this.refuseUnlocks > 0) {
            this.refuseUnlocks--;
            throw new MongoServerError({
              ok: 0,
              code: 50,
              codeName: 'MaxTimeMSExpired',
              errmsg: 'operation exceeded time limit',
            });
          }
          if (this.failUnlocks > 0) {
            this.failUnlocks--;
            throw new MongoNetworkError('connection closed');
          }
          if (this.lockCount <= 0) {
            throw new MongoServerError(
              this.notLockedReply === 'code-20'
                ? {
                    ok: 0,
                    code: 20,
                    codeName: 'IllegalOperation',
                    errmsg: 'fsyncUnlock called when not locked',
                  }
                : { ok: 0, errmsg: 'fsyncUnlock called when not locked' },
            );
          }
          this.lockCount--;
          this.unlocked = true;
          if (this.loseUnlockReplies > 0) {
            this.loseUnlockReplies--;
            throw new MongoNetworkError('connection closed');
          }
          return { lockCount: this.lockCount, ok: 1 };
        }
        throw new Error(`unexpected ${name}`);
      },
    };
  }
}

function ctx(m: FakeMember, over: Partial<LockContext> = {}): LockContext {
  let t = 0;
  return {
    connect: async () => {
      if (m.down) throw new MongoNetworkError('connect ECONNREFUSED');
      return m.conn();
    },
    log: new Logger(new Redactor(), 'json', { write: () => undefined }),
    redactor: new Redactor(),
    setName: 'rs0',
    connectTimeoutMs: 100,
    lockTimeoutMs: 1000,
    mutexWaitMs: 500,
    commandTimeoutMs: 1000,
    unlockDeadlineMs: 5000,
    interruptibleMutex: true,
    now: () => t,
    sleep: async (ms) => void (t += ms),
    ...over,
  };
}

const count = (m: FakeMember, name: string) => m.log.filter((x) => x === name).length;

/** A fake clock that starts away from 0 (so `a - now()` and `a + now()` differ) and records every sleep. */
class Clock {
  t = 10_000;
  sleeps: number[] = [];
  now = () => this.t;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

describe('acquireLock', () => {
  it('locks after hello and currentOp checks, and confirms with currentOp', async () => {
    const m = new FakeMember();
    const r = await acquireLock('m:27017', undefined, ctx(m));
    expect(r.kind).toBe('locked');
    // what the run later unlocks and reports: one lock of ours on this member, the count the server gave
    expect(r.kind === 'locked' && r.lock).toMatchObject({
      host: 'm:27017',
      count: 1,
      lockCountAfter: 1,
    });
    expect(m.log).toEqual(['hello', 'currentOp', 'fsync', 'currentOp', 'hello']);
    expect(m.lockCount).toBe(1);
  });

  it('a member elected PRIMARY right after the lock is unlocked at once', async () => {
    const m = new FakeMember();
    m.electedOnLock = true;
    const r = await acquireLock('m:27017', undefined, ctx(m));
    // wasPrimary: writes were blocked on a PRIMARY, which ends the run (exit 6) instead of trying the next member
    expect(r).toMatchObject({
      kind: 'not-taken',
      reason: expect.stringMatching(/PRIMARY.*unlocked at once/),
      wasPrimary: true,
    });
    expect(m.lockCount).toBe(0);
  });

  it('4.4.0/4.4.1 (no hello): isMaster is used instead', async () => {
    const m = new FakeMember();
    m.legacy = true;
    const r = await acquireLock('m:27017', undefined, ctx(m));
    expect(r.kind).toBe('locked');
    expect(m.log).toContain('isMaster');
  });

  it('no reply to the lock and no lock seen: looks again until the lock can no longer be waiting on the server', async () => {
    const m = new FakeMember();
    m.dropLockReply = 1;
    m.refuseLock = false;
    let t = 0;
    const c = ctx(m, { now: () => t, sleep: async (ms) => void (t += ms) });
    // the lock was not taken after all (the fake drops the reply after taking it: undo it to model "not taken")
    const realConn = m.conn.bind(m);
    m.conn = () => {
      const cn = realConn();
      return {
        ...cn,
        command: async (cmd) => {
          const r = await cn.command(cmd).catch((e) => {
            if (Object.keys(cmd)[0] === 'fsync' && m.lockCount === 1 && count(m, 'fsync') === 1) m.lockCount = 0;
            throw e;
          });
          return r;
        },
      };
    };
    const r = await acquireLock('m:27017', undefined, {
      ...c,
      connect: async () => m.conn(),
    });
    expect(r).toMatchObject({
      kind: 'not-taken',
      reason: expect.stringMatching(/had not been taken/),
    });
    expect(t).toBeGreaterThanOrEqual(c.mutexWaitMs); // not concluded on the first look
    expect(count(m, 'currentOp')).toBeGreaterThan(2);
  });

  it('a member that became PRIMARY, or belongs to another set, is not locked', async () => {
    const m = new FakeMember();
    m.state = 'PRIMARY';
    expect(await acquireLock('m:27017', undefined, ctx(m))).toMatchObject({
      kind: 'not-taken',
      reason: expect.stringMatching(/PRIMARY/),
    });
    m.state = 'SECONDARY';
    m.setName = 'other';
    expect(await acquireLock('m:27017', undefined, ctx(m))).toMatchObject({
      kind: 'not-taken',
      reason: expect.stringMatching(/other/),
    });
    expect(count(m, 'fsync')).toBe(0);
  });

  // Mutation run (docs/mutation-testing.md): `h.secondary !== true` could be dropped from the pre-lock check
  // and only a PRIMARY was refused; a RECOVERING (or STARTUP2, ROLLBACK) member was locked.
  it('a member that is neither SECONDARY nor PRIMARY (recovering, an arbiter) is not locked, and the reason says what it is', async () => {
    const m = new FakeMember();
    m.state = 'RECOVERING';
    expect(await acquireLock('m:27017', undefined, ctx(m))).toEqual({
      kind: 'not-taken',
      reason: 'member is now not SECONDARY: never locked',
    });
    m.state = 'ARBITER';
    expect(await acquireLock('m:27017', undefined, ctx(m))).toEqual({
      kind: 'not-taken',
      reason: 'member is now ARBITER: never locked',
    });
    m.state = 'PRIMARY';
    expect(await acquireLock('m:27017', undefined, ctx(m))).toEqual({
      kind: 'not-taken',
      reason: 'member is now PRIMARY: never locked',
    });
    expect(count(m, 'fsync')).toBe(0);
  });

  // Mutation run (docs/mutation-testing.md): these early exits had no test of their own.
  it('no lock is sent when the member cannot be reached, its checks fail, or a stop was asked for before the lock', async () => {
    const m = new FakeMember();
    m.down = true;
    expect(await acquireLock('m:27017', undefined, ctx(m))).toEqual({
      kind: 'not-taken',
      reason: expect.stringMatching(/^cannot connect: .*ECONNREFUSED/),
    });
    m.down = false;
    const dropped = m.conn();
    const failing: AdminConn = {
      ...dropped,
      command: async () => Promise.reject(new MongoNetworkError('connection reset')),
    };
    expect(await acquireLock('m:27017', failing, ctx(m))).toEqual({
      kind: 'not-taken',
      reason: expect.stringMatching(/^pre-lock check failed: .*connection reset/),
    });
    expect(await acquireLock('m:27017', undefined, ctx(m, { stopRequested: () => 'SIGTERM' }))).toEqual({
      kind: 'not-taken',
      reason: 'SIGTERM before the lock was sent: never locked',
    });
    expect(m.log).toEqual(['hello', 'currentOp']); // the third attempt's checks; no fsync at all
    expect(m.lockCount).toBe(0);
  });

  it("someone else's lock is never touched", async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    expect(await acquireLock('m:27017', undefined, ctx(m))).toEqual({
      kind: 'not-taken',
      reason: 'member became fsync-locked by someone else: not touched',
    });
    expect(m.lockCount).toBe(1);
    expect(count(m, 'fsync') + count(m, 'fsyncUnlock')).toBe(0);
  });

  it('a refused lock leaves nothing behind and calls no unlock', async () => {
    const m = new FakeMember();
    m.refuseLock = true;
    expect(await acquireLock('m:27017', undefined, ctx(m))).toMatchObject({
      kind: 'not-taken',
      reason: expect.stringMatching(/refused/),
    });
    expect(count(m, 'fsyncUnlock')).toBe(0);
  });

  it('network error on the lock, lock taken: looks, releases it, reports not-taken', async () => {
    const m = new FakeMember();
    m.dropLockReply = 1;
    const r = await acquireLock('m:27017', undefined, ctx(m));
    expect(r).toMatchObject({
      kind: 'not-taken',
      reason: expect.stringMatching(/had been taken and was released/),
    });
    expect(m.lockCount).toBe(0);
    expect(count(m, 'fsyncUnlock')).toBe(count(m, 'fsync'));
  });

  it('network error on the lock, cleanup impossible: unlock-failed (exit 7 path)', async () => {
    const m = new FakeMember();
    m.dropLockReply = 1;
    m.failUnlocks = 1_000;
    const r = await acquireLock('m:27017', undefined, ctx(m, { unlockDeadlineMs: 2000 }));
    expect(r.kind).toBe('unlock-failed');
    // the release's own error, said (mutation run: `unlock.error ?? 'unknown'` → `&&` said "unknown")
    expect(r.kind === 'unlock-failed' && r.reason).toBe(
      `lock state unknown after a network error on the lock, and the cleanup failed: ${r.kind === 'unlock-failed' && r.unlock.error}`,
    );
    expect(r.kind === 'unlock-failed' && r.unlock.error).toMatch(/connection closed|deadline/);
    expect(m.lockCount).toBeGreaterThanOrEqual(1); // still locked: exit 7 (the count probes are bounded, 2 at most)
    expect(m.lockCount).toBeLessThanOrEqual(3);
  });

  // Mutation run (docs/mutation-testing.md, "acquireLock"): the paths below had no unit test. Real time here (the
  // --lock-timeout timer and the cut-off poller are real timers), so the clock is performance.now.
  const realTime = { now: undefined, sleep: undefined };

  // 181 `lockTimeoutMs + unlockDeadlineMs` → `-`, or the bound dropped (the connection's own commandTimeoutMs):
  // a lock reply later than --lock-timeout was given up, and the lock treated as lost.
  it('a lock reply later than --lock-timeout is still awaited on its connection, and that lock is given back at once', async () => {
    const m = new FakeMember();
    m.lockReplyDelayMs = 300;
    m.defaultTimeoutMs = 200;
    const c = ctx(m, {
      ...realTime,
      lockTimeoutMs: 100,
      commandTimeoutMs: 200,
      unlockDeadlineMs: 1500,
    });
    const r = await acquireLock('m:27017', undefined, c);
    expect(r).toEqual({
      kind: 'not-taken',
      reason: expect.stringMatching(/^the fsync lock took [\d.]+ ms, more than --lock-timeout \(100 ms\): given back$/),
    });
    // on the connection that took it, with the count its reply said: no look, no count read
    expect(m.log).toEqual(['hello', 'currentOp', 'fsync', 'fsyncUnlock', 'hello']);
    expect([m.lockCount, m.opened]).toEqual([0, 1]);
    // elected meanwhile: a PRIMARY had every write blocked, which ends the run (exit 6)
    const p = new FakeMember();
    p.lockReplyDelayMs = 300;
    p.electedOnLock = true;
    expect(
      await acquireLock('m:27017', undefined, {
        ...c,
        connect: async () => p.conn(),
      }),
    ).toEqual({
      kind: 'not-taken',
      reason: expect.stringMatching(/: given back; it was PRIMARY while locked$/),
      wasPrimary: true,
    });
    expect(p.lockCount).toBe(0);
  });

  // 188 the cut-off poller stopped before it started: the run's deadline (or a signal) no longer cut the wait for a
  // slow lock reply short, and the time left for giving the lock back was spent waiting.
  it('the run must stop waiting for the lock reply: the lock is looked for on a fresh connection and given back', async () => {
    const m = new FakeMember();
    m.lockReplyDelayMs = 1500;
    const start = performance.now();
    const c = ctx(m, {
      ...realTime,
      lockTimeoutMs: 10_000,
      unlockDeadlineMs: 2000,
      lockWaitCutoff: () => start + 100,
    });
    expect(await acquireLock('m:27017', undefined, c)).toEqual({
      kind: 'not-taken',
      reason: 'network error on the lock command (no reply before the deadline); the lock had been taken and was released',
    });
    expect(performance.now() - start).toBeLessThan(1500);
    expect(m.lockCount).toBe(0);
    // a cut-off still far away (the run always has one: run.ts lockWaitCutoff) changes nothing: 136 `left <= 0` →
    // `true` cut every lock short at once
    const far = new FakeMember();
    const r = await acquireLock('m:27017', undefined, {
      ...ctx(far),
      lockWaitCutoff: () => performance.now() + 60_000,
    });
    expect([r.kind, far.lockCount]).toEqual(['locked', 1]);
  });

  // 255–262 the retry on a fresh connection emptied, or its connection not closed: a lock whose connection died
  // right after the reply was given back instead of confirmed elsewhere.
  it('the checks after the lock fail on its connection: they are repeated on a fresh one, which then holds the lock', async () => {
    const m = new FakeMember();
    m.connDiesAfterLock = true;
    const r = await acquireLock('m:27017', undefined, ctx(m));
    expect(r).toMatchObject({
      kind: 'locked',
      lock: { host: 'm:27017', count: 1, lockCountAfter: 1 },
    });
    expect(m.log).toEqual(['hello', 'currentOp', 'fsync', 'currentOp', 'hello', 'currentOp', 'hello']);
    expect([m.opened, m.closed, m.lockCount]).toEqual([2, 1, 1]);
    // the lock is held through the fresh connection: the run unlocks with it
    expect(r.kind === 'locked' && (await r.lock.conn.command({ fsyncUnlock: 1 }))).toMatchObject({ lockCount: 0 });
  });

  // 246 `primaryNow = false` → `true`, 266 `confirmed === true` → `true`, 270–272 the reasons, 277 `wasPrimary` → `true`:
  // the confirmation after the lock failing, or saying "not locked".
  it('a lock that cannot be confirmed is never held: it is given back, with why, and PRIMARY only if the member was one', async () => {
    // the lock's connection dies after the reply, and the fresh one cannot be opened
    const unreachable = (m: FakeMember) => {
      let first = true;
      return ctx(m, {
        connect: async () => {
          if (first) {
            first = false;
            throw new MongoNetworkError('connect ECONNREFUSED');
          }
          return m.conn();
        },
      });
    };
    const m = new FakeMember();
    m.connDiesAfterLock = true;
    expect(await acquireLock('m:27017', m.conn(), unreachable(m))).toEqual({
      kind: 'not-taken',
      reason: 'the lock could not be confirmed',
    });
    expect(m.lockCount).toBe(0);
    // the same, and the member was elected while locked: the release sees it (exit 6, not "try the next member")
    const p = new FakeMember();
    p.connDiesAfterLock = true;
    p.electedOnLock = true;
    expect(await acquireLock('m:27017', p.conn(), unreachable(p))).toEqual({
      kind: 'not-taken',
      reason: 'the lock could not be confirmed',
      wasPrimary: true,
    });
    expect(p.lockCount).toBe(0);
    // currentOp does not show the lock the reply announced
    const h = new FakeMember();
    h.currentOpHidesLock = true;
    expect(await acquireLock('m:27017', undefined, ctx(h))).toEqual({
      kind: 'not-taken',
      reason: 'currentOp does not show the lock right after taking it',
    });
    expect([h.lockCount, count(h, 'fsyncUnlock')]).toEqual([0, 1]);
  });

  // 275 `!unlock.ok` → `false`: a member elected while locked, whose unlock then failed, was reported "not taken"
  // (try the next member) while it stayed a locked PRIMARY. It must fail the run as possibly locked (exit 7).
  it('elected PRIMARY while being locked and the unlock fails: unlock-failed, never "not taken"', async () => {
    const m = new FakeMember();
    m.electedOnLock = true;
    m.failUnlocks = 1_000;
    const r = await acquireLock('m:27017', undefined, ctx(m, { unlockDeadlineMs: 2000 }));
    expect(r).toMatchObject({
      kind: 'unlock-failed',
      reason: expect.stringMatching(
        /^member became PRIMARY \(elected\) while it was being locked: unlocked at once, and the unlock failed: /,
      ),
      unlock: { ok: false, wasPrimary: true },
    });
    expect(m.lockCount).toBe(1);
  });
});

describe('releaseLock', () => {
  it('unlocks exactly once and verifies', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      deadlineMs: 10_000,
    });
    expect(r).toMatchObject({
      ok: true,
      attempts: 1,
      lockWasLost: false,
      stillLockedByOthers: false,
      lockCountAfter: 0,
    });
    // 7.0+: look, read the count (a nested lock, given back first), our unlock, then hello (still a secondary?)
    expect(m.log).toEqual(['currentOp', 'hello', 'fsync', 'fsyncUnlock', 'fsyncUnlock', 'hello']);
    // before 7.0: no lock at all, the unlock's reply says the count
    const old = new FakeMember();
    old.lockCount = 1;
    const o = await releaseLock('m:27017', 1, {
      ...ctx(old, { interruptibleMutex: false }),
      deadlineMs: 10_000,
    });
    expect(o).toMatchObject({
      ok: true,
      attempts: 1,
      lockWasLost: false,
      lockCountAfter: 0,
    });
    expect(old.log).toEqual(['fsyncUnlock', 'hello']);
  });

  it('retries on fresh connections with backoff after network errors', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.failUnlocks = 2;
    const sleeps: number[] = [];
    const c = ctx(m);
    const r = await releaseLock('m:27017', 1, {
      ...c,
      deadlineMs: 10_000,
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect(r.ok).toBe(true);
    expect(m.lockCount).toBe(0);
    // exponential backoff; each lost reply is also waited out (maxTimeMS + room) before the count is read again
    expect(sleeps.filter((ms) => ms < c.mutexWaitMs)).toEqual([100, 200]);
    expect(sleeps.filter((ms) => ms >= c.mutexWaitMs)).toHaveLength(2);
  });

  it('an unlock whose reply was lost is not repeated (currentOp shows it went through)', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.loseUnlockReplies = 1;
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      deadlineMs: 10_000,
    });
    // unlocked: 1 (mutation run: the settled unlock counted as -1 said "nothing of ours was released", which
    // settleLostLock reports as "the lock had not been taken")
    expect(r).toMatchObject({ ok: true, unlocked: 1 });
    expect(m.lockCount).toBe(0); // ours and the count probe's, each given back once
  });

  it("an unlock applied whose reply is lost, with someone else's lock on top: not repeated, and not called a success", async () => {
    const m = new FakeMember();
    m.lockCount = 2; // ours, then theirs
    m.loseUnlockReplies = 2; // the count probe's unlock, and ours
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      deadlineMs: 10_000,
    });
    // the count dropped by one: our unlock, or theirs (then ours is still there): counts cannot tell, exit 7
    expect(r).toMatchObject({
      ok: false,
      error: expect.stringMatching(/someone else held 1 fsync lock.*cannot be told/),
    });
    expect(m.lockCount).toBe(1); // theirs: never released
  });

  it('an unlock that did not go through (reply lost, count unchanged) is sent again', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.failUnlocks = 2;
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      deadlineMs: 10_000,
    });
    expect(r).toMatchObject({ ok: true, stillLockedByOthers: false });
    expect(m.lockCount).toBe(0);
  });

  it("never releases someone else's nested lock", async () => {
    const m = new FakeMember();
    m.lockCount = 2; // ours + theirs, taken after ours
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      deadlineMs: 10_000,
    });
    expect(r).toMatchObject({
      ok: true,
      unlocked: 1,
      stillLockedByOthers: true,
    });
    expect(m.lockCount).toBe(1);
  });

  for (const reply of ['text-only', 'code-20'] as const) {
    it(`reports a lock that vanished while held (mongod restart), "not locked" answered ${reply}`, async () => {
      const m = new FakeMember();
      m.lockCount = 0;
      m.notLockedReply = reply;
      // knownCount: the unlock goes out without a look first (as right after a lock reply), and gets "not locked"
      const r = await releaseLock('m:27017', 1, {
        ...ctx(m),
        knownCount: 1,
        deadlineMs: 10_000,
      });
      expect(r).toMatchObject({ ok: true, lockWasLost: true, attempts: 1 });
      expect(count(m, 'fsyncUnlock')).toBe(1);
    });
  }

  it('a lock that vanished is seen by the look before anything is sent: no lock, no unlock', async () => {
    const m = new FakeMember();
    m.lockCount = 0;
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      deadlineMs: 10_000,
    });
    expect(r).toMatchObject({ ok: true, lockWasLost: true });
    expect(count(m, 'fsync') + count(m, 'fsyncUnlock')).toBe(0);
    expect(m.lockCount).toBe(0);
  });

  it('before 7.0 a lost unlock reply with the member still locked is never guessed: exit 7 path, no lock sent', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.failUnlocks = 1;
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m, { interruptibleMutex: false }),
      deadlineMs: 10_000,
    });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/before 7\.0.*not unlocking blindly/);
    expect(count(m, 'fsync')).toBe(0);
  });

  it('a locked PRIMARY is unlocked at once and never gets a count-read lock', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.state = 'PRIMARY';
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      deadlineMs: 10_000,
    });
    expect(r).toMatchObject({ ok: true, wasPrimary: true });
    expect(count(m, 'fsync')).toBe(0);
    expect(m.lockCount).toBe(0);
  });

  it('gives up at the deadline and says so', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.down = true;
    const k = new Clock();
    const connects: number[] = [];
    const c = ctx(m, { now: k.now, sleep: k.sleep, connectTimeoutMs: 10_000 });
    const connect = async (host: string, ms: number) => {
      connects.push(ms);
      return c.connect(host, ms);
    };
    const r = await releaseLock('m:27017', 1, {
      ...c,
      connect,
      deadlineMs: 3000,
    });
    // mutation run: the deadline check before a connect (`left() <= 0` → `false` / `< 0`) and the connect's bound
    expect(r).toEqual({
      ok: false,
      unlocked: 0,
      attempts: 6,
      lockWasLost: false,
      stillLockedByOthers: false,
      error: 'unlock deadline passed',
    });
    expect(connects).toEqual([3000, 2900, 2700, 2300, 1500]); // each within what is left, none at the deadline
    expect(k.sleeps).toEqual([100, 200, 400, 800, 1500]);
    expect(m.lockCount).toBe(1);
  });

  // 468–470 the wait for a lost unlock's maxTimeMS (`+ now()`, `- mutexWaitMs`, `wait > left()` → `false`, `&&` → `||`)
  it('a lost unlock reply is waited out (its maxTimeMS + 1 s) before the count is read again, unless the member is PRIMARY now', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.failUnlocks = 2;
    const k = new Clock();
    expect(
      await releaseLock('m:27017', 1, {
        ...ctx(m, { now: k.now, sleep: k.sleep }),
        deadlineMs: 10_000,
      }),
    ).toMatchObject({
      ok: true,
      unlocked: 1,
    });
    // backoff 100, the first lost unlock waited out (sent at 10 000, applies no later than 11 500), backoff 200, the second
    expect(k.sleeps).toEqual([100, 1400, 200, 1300]);
    expect(m.lockCount).toBe(0);
    // the wait would end past the deadline: not waited (retried while time is left: an election would end it), and
    // at the deadline exit 7 with the member still locked; nothing awaited past it
    const d = new FakeMember();
    d.lockCount = 1;
    d.failUnlocks = 1;
    const kd = new Clock();
    expect(
      await releaseLock('m:27017', 1, {
        ...ctx(d, { now: kd.now, sleep: kd.sleep }),
        knownCount: 1,
        deadlineMs: 1000,
      }),
    ).toMatchObject({
      ok: false,
      error: 'unlock deadline passed',
    });
    expect(kd.sleeps).toEqual([100, 200, 400, 300]);
    expect([kd.t, d.lockCount, count(d, 'fsyncUnlock')]).toEqual([11_000, 1, 1]);
    // elected after the lost unlock: a locked PRIMARY is unlocked at once, not after the wait
    const p = new FakeMember();
    p.lockCount = 1;
    p.failUnlocks = 1;
    p.onUnlock = () => void (p.state = 'PRIMARY');
    const kp = new Clock();
    expect(
      await releaseLock('m:27017', 1, {
        ...ctx(p, { now: kp.now, sleep: kp.sleep }),
        knownCount: 1,
        deadlineMs: 10_000,
      }),
    ).toMatchObject({
      ok: true,
      wasPrimary: true,
    });
    expect(kp.sleeps).toEqual([100]);
    expect(p.lockCount).toBe(0);
  });
});

// Mutation run of the rest of lock.ts (docs/mutation-testing.md, "releaseLock, settleLostLock"): what was not proven.
describe('a lost lock reply, and the bounds of every wait', () => {
  const lost = 'network error on the lock command (MongoNetworkError: connection closed)';

  // 291 settledAt `+` → `-`, 327 the pause between looks (`min` → `max`, `settledAt - now()` → `+`): the look that
  // finds no lock was trusted before a lock still waiting for the mutex could no longer apply, or looked too late.
  it('no reply to the lock, not taken: looks every 500 ms until maxTimeMS + 1 s after it was sent, then not-taken', async () => {
    const m = new FakeMember();
    m.loseLockUntaken = 1;
    const k = new Clock();
    const r = await acquireLock('m:27017', undefined, ctx(m, { now: k.now, sleep: k.sleep, mutexWaitMs: 700 }));
    expect(r).toEqual({
      kind: 'not-taken',
      reason: `${lost}; the lock had not been taken`,
    });
    expect(k.sleeps).toEqual([500, 500, 500, 200]);
    expect(k.t).toBe(10_000 + 700 + 1000);
    expect(count(m, 'currentOp')).toBe(1 + 5); // the pre-lock check, then five looks
  });

  // 292 the deadline `+` → `-`, 299/301/303 the bounds of the connect, the look and the release, 329–330 the
  // failed look's connection: the member not reachable at first after a lost lock reply.
  it('the member cannot be looked at right after a lost lock reply: retried with backoff, every wait within the unlock deadline', async () => {
    const m = new FakeMember();
    m.dropLockReply = 1;
    const k = new Clock();
    const connects: number[] = [];
    const c = ctx(m, {
      now: k.now,
      sleep: k.sleep,
      connectTimeoutMs: 10_000,
      commandTimeoutMs: 10_000,
      unlockDeadlineMs: 5000,
      connect: async (_host, ms) => {
        connects.push(ms);
        if (connects.length === 1) throw new MongoNetworkError('connect ECONNREFUSED');
        const cn = m.conn();
        // the second connection dies before the look's reply
        return connects.length === 2
          ? {
              ...cn,
              command: async () => Promise.reject(new MongoNetworkError('connection reset')),
            }
          : cn;
      },
    });
    expect(await acquireLock('m:27017', m.conn(), c)).toEqual({
      kind: 'not-taken',
      reason: `${lost}; the lock had been taken and was released`,
    });
    expect(k.sleeps).toEqual([100, 200]);
    expect(connects).toEqual([5000, 4900, 4700]);
    expect(m.bounds).toEqual([
      // the lock: --lock-timeout + --unlock-deadline
      'hello:10000',
      'currentOp:10000',
      'fsync:6000',
      // the look, then the release (a count read, its unlock and ours): all within what is left (4.7 s)
      'currentOp:4700',
      'currentOp:4700',
      'hello:4700',
      'fsync:4700',
      'fsyncUnlock:4700',
      'fsyncUnlock:4700',
      'hello:4700',
    ]);
    expect([m.lockCount, m.opened, m.closed]).toEqual([0, 3, 3]);
  });

  // 329–350 (uncovered): the member never reachable after a lost lock reply.
  it('the member is never reachable after a lost lock reply: unlock-failed at the unlock deadline, with why', async () => {
    const m = new FakeMember();
    m.dropLockReply = 1;
    const first = m.conn();
    m.down = true;
    const k = new Clock();
    const r = await acquireLock('m:27017', first, ctx(m, { now: k.now, sleep: k.sleep, unlockDeadlineMs: 5000 }));
    const error = 'MongoNetworkError: connect ECONNREFUSED';
    expect(r).toEqual({
      kind: 'unlock-failed',
      reason: `lock state unknown after a network error on the lock: the member could not be checked (${error})`,
      unlock: {
        ok: false,
        unlocked: 0,
        attempts: 0,
        lockWasLost: false,
        stillLockedByOthers: false,
        error,
      },
    });
    expect(k.sleeps).toEqual([100, 200, 400, 800, 1600, 1900]);
    expect(k.t).toBe(15_000);
    expect(m.lockCount).toBe(1);
  });

  // 311 `unlock.unlocked > 0` and 314 the PRIMARY suffix: the reasons of a lost lock reply whose lock was taken.
  it('a lost lock reply whose lock was taken: released, and PRIMARY said when the member was elected meanwhile (exit 6)', async () => {
    const m = new FakeMember();
    m.dropLockReply = 1;
    expect(await acquireLock('m:27017', undefined, ctx(m))).toEqual({
      kind: 'not-taken',
      reason: `${lost}; the lock had been taken and was released`,
    });
    const p = new FakeMember();
    p.dropLockReply = 1;
    p.electedOnLock = true;
    expect(await acquireLock('m:27017', undefined, ctx(p))).toEqual({
      kind: 'not-taken',
      reason: `${lost}; the lock had been taken and was released; it was PRIMARY while locked`,
      wasPrimary: true,
    });
    expect([m.lockCount, p.lockCount]).toEqual([0, 0]);
  });

  // 398 `bound` and 401 `unlockBound`: the client-side bound of each command of a release.
  it('every command of a release is bounded by what is left of its deadline (never below 200 ms); before 7.0 the unlock gets all of it', async () => {
    const bounds = async (deadlineMs: number, over: Partial<LockContext> = {}) => {
      const m = new FakeMember();
      m.lockCount = 1;
      expect(await releaseLock('m:27017', 1, { ...ctx(m, over), deadlineMs })).toMatchObject({ ok: true });
      return m.bounds;
    };
    // 7.0+: hello and currentOp 1 s (commandTimeoutMs); the count read and the unlocks maxTimeMS 500 ms + 1 s
    expect(await bounds(10_000)).toEqual([
      'currentOp:1000',
      'hello:1000',
      'fsync:1500',
      'fsyncUnlock:1500',
      'fsyncUnlock:1500',
      'hello:1000',
    ]);
    expect(await bounds(100)).toEqual(['currentOp:200', 'hello:200', 'fsync:200', 'fsyncUnlock:200', 'fsyncUnlock:200', 'hello:200']);
    // before 7.0 an unlock waiting for the fsync mutex may still apply after the client gave up: never given up
    expect(await bounds(10_000, { interruptibleMutex: false })).toEqual(['fsyncUnlock:10000', 'hello:1000']);
  });
});

// Mutation run of the rest of lock.ts: the release's rules after a lost reply, a PRIMARY, someone else's lock.
describe('releaseLock: what the mutation run found unproven', () => {
  // 491–492 `wasPrimary` from the look (→ `false`, the block emptied), 488 `allUnlocked = true` → `false`
  it('a member seen PRIMARY and locked is reported PRIMARY even if it stepped down by the end; an unlock seen done is not repeated', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.state = 'PRIMARY';
    m.onUnlock = () => void (m.state = 'SECONDARY');
    expect(await releaseLock('m:27017', 1, { ...ctx(m), deadlineMs: 10_000 })).toMatchObject({ ok: true, wasPrimary: true, unlocked: 1 });
    // the reply said 0: nothing locked any more, no second unlock (548 `c === 0` → `false` sent one)
    expect(count(m, 'fsyncUnlock')).toBe(1);
    const p = new FakeMember();
    p.lockCount = 1;
    p.state = 'PRIMARY';
    p.loseUnlockReplies = 1;
    expect(await releaseLock('m:27017', 1, { ...ctx(p), deadlineMs: 10_000 })).toMatchObject({ ok: true, wasPrimary: true, unlocked: 1 });
    // the look after the lost reply shows no lock: no second unlock
    expect([p.lockCount, count(p, 'fsyncUnlock')]).toEqual([0, 1]);
  });

  // 482 `res.unlocked += …` → `-=`: an unlock whose reply was lost, seen done by the look, was counted as -1
  it('an unlock whose reply was lost and which the look shows done counts as released', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.loseUnlockReplies = 1;
    expect(
      await releaseLock('m:27017', 1, {
        ...ctx(m),
        knownCount: 1,
        deadlineMs: 10_000,
      }),
    ).toMatchObject({ ok: true, unlocked: 1, lockWasLost: false });
  });

  // 508 the bound on count reads (→ `false`, `&&`, `>`), 513 `countReads++` → `--`
  it(`a server that loses every unlock reply: at most ${MAX_COUNT_READS} count reads (nested locks), then exit 7 without guessing`, async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.failUnlocks = 1_000;
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      deadlineMs: 600_000,
    });
    expect(r).toMatchObject({
      ok: false,
      error: expect.stringMatching(/the lock count cannot be compared: not unlocking blindly$/),
    });
    expect(count(m, 'fsync')).toBe(MAX_COUNT_READS);
  });

  // 517–519 (uncovered): the count read's own reply lost
  it('a count read whose reply is lost may hold a lock: exit 7 at once, nothing guessed', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.dropLockReply = 1;
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      deadlineMs: 10_000,
    });
    expect(r).toMatchObject({
      ok: false,
      attempts: 1,
      error: 'the lock count read got no reply (it may hold a lock): MongoNetworkError: connection closed',
    });
    expect([count(m, 'fsync'), count(m, 'fsyncUnlock')]).toEqual([1, 0]);
  });

  // 562 (uncovered): an unlock refused by the server (MaxTimeMSExpired: the mutex stayed busy) is retried
  it('an unlock refused because the fsync mutex stayed busy is retried until it goes through', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.refuseUnlocks = 2;
    expect(
      await releaseLock('m:27017', 1, {
        ...ctx(m),
        knownCount: 1,
        deadlineMs: 10_000,
      }),
    ).toMatchObject({ ok: true, unlocked: 1, attempts: 3 });
    expect(m.lockCount).toBe(0);
  });

  // 582–589 (uncovered): elected after our unlock with someone else's lock still on it; hello failing after it
  it("a member elected while someone else's lock is still on it is unlocked too (a PRIMARY is never left locked); a failed last hello is said", async () => {
    const m = new FakeMember();
    m.lockCount = 2; // ours, and someone else's
    m.onUnlock = () => void (m.state = 'PRIMARY');
    expect(
      await releaseLock('m:27017', 1, {
        ...ctx(m),
        knownCount: 2,
        deadlineMs: 10_000,
      }),
    ).toMatchObject({
      ok: true,
      wasPrimary: true,
      stillLockedByOthers: false,
    });
    expect(m.lockCount).toBe(0);
    const h = new FakeMember();
    h.lockCount = 1;
    h.helloFailsAfterUnlock = true;
    const r = await releaseLock('m:27017', 1, {
      ...ctx(h),
      knownCount: 1,
      deadlineMs: 10_000,
    });
    expect(r).toMatchObject({ ok: true, stateUnknown: true, unlocked: 1 });
    expect(r.wasPrimary).toBeUndefined();
  });

  // 422 `c > known` → `false`: someone else locked while our unlock's reply was lost; the count read shows more
  // locks than before, which counts cannot attribute: their lock must not be released as ours
  it("someone else locks while our unlock's reply is lost: exit 7, their lock never released", async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.failUnlocks = 1;
    m.onUnlock = () => {
      m.onUnlock = undefined;
      m.lockCount++; // theirs, taken meanwhile
    };
    const r = await releaseLock('m:27017', 1, {
      ...ctx(m),
      knownCount: 1,
      deadlineMs: 10_000,
    });
    expect(r).toMatchObject({
      ok: false,
      error: expect.stringMatching(/the lock count went from 1 to 2, more than our unanswered unlock explains/),
    });
    expect(m.lockCount).toBeGreaterThanOrEqual(2); // ours and theirs (the count read's own was given back)
  });

  // 504 a lock surely ours is left: no new count read (→ `false`, `||`, `> 1`, ...)
  it('after a lost unlock reply, while a lock surely ours is left, no new count read is taken', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.failUnlocks = 1;
    expect(await releaseLock('m:27017', 1, { ...ctx(m), deadlineMs: 10_000 })).toMatchObject({ ok: true, unlocked: 1 });
    // one count read (before the first unlock); after the lost reply the count read's lock or ours is surely left
    expect([count(m, 'fsync'), count(m, 'fsyncUnlock'), m.lockCount]).toEqual([1, 3, 0]);
  });

  // 639–644 (uncovered): lock counts as the driver may hand them over
  it('numberOf: a number, a bigint, a Long; anything else is unknown', () => {
    expect([numberOf(2), numberOf(3n), numberOf(Long.fromNumber(4)), numberOf('5'), numberOf(undefined), numberOf({})]).toEqual([
      2,
      3,
      4,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
