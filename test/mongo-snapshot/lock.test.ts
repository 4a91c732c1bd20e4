import { MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { acquireLock, releaseLock, type LockContext } from '../../lib/mongo-snapshot/lock';
import { Logger, Redactor } from '../../lib/mongo-snapshot/log';
import type { AdminConn } from '../../lib/mongo-snapshot/mongo';

/** An in-memory member with mongod's fsync semantics and injectable faults. */
class FakeMember {
  lockCount = 0;
  state: 'SECONDARY' | 'PRIMARY' = 'SECONDARY';
  setName = 'rs0';
  /** lock is taken but no reply (network error) */
  dropLockReply = false;
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
  log: string[] = [];

  conn(): AdminConn {
    return {
      host: 'm:27017',
      close: async () => undefined,
      command: async (cmd) => {
        const name = Object.keys(cmd)[0]!;
        this.log.push(name);
        if (name === 'hello') return { setName: this.setName, secondary: this.state === 'SECONDARY', isWritablePrimary: this.state === 'PRIMARY' };
        if (name === 'currentOp') return this.lockCount > 0 ? { inprog: [], fsyncLock: true } : { inprog: [] };
        if (name === 'fsync') {
          if (this.refuseLock) throw new MongoServerError({ ok: 0, code: 1, errmsg: 'fsync lock failed' });
          this.lockCount++;
          if (this.dropLockReply) throw new MongoNetworkError('connection closed');
          return { lockCount: this.lockCount, ok: 1 };
        }
        if (name === 'fsyncUnlock') {
          if (this.failUnlocks > 0) {
            this.failUnlocks--;
            throw new MongoNetworkError('connection closed');
          }
          if (this.lockCount <= 0) {
            throw new MongoServerError(this.notLockedReply === 'code-20'
              ? { ok: 0, code: 20, codeName: 'IllegalOperation', errmsg: 'fsyncUnlock called when not locked' }
              : { ok: 0, errmsg: 'fsyncUnlock called when not locked' });
          }
          this.lockCount--;
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
    unlockDeadlineMs: 5000,
    now: () => t,
    sleep: async (ms) => void (t += ms),
    ...over,
  };
}

const count = (m: FakeMember, name: string) => m.log.filter((x) => x === name).length;

describe('acquireLock', () => {
  it('locks after hello and currentOp checks, and confirms with currentOp', async () => {
    const m = new FakeMember();
    const r = await acquireLock('m:27017', undefined, ctx(m));
    expect(r.kind).toBe('locked');
    expect(m.log).toEqual(['hello', 'currentOp', 'fsync', 'currentOp']);
    expect(m.lockCount).toBe(1);
  });

  it('a member that became PRIMARY, or belongs to another set, is not locked', async () => {
    const m = new FakeMember();
    m.state = 'PRIMARY';
    expect(await acquireLock('m:27017', undefined, ctx(m))).toMatchObject({ kind: 'not-taken', reason: expect.stringMatching(/PRIMARY/) });
    m.state = 'SECONDARY';
    m.setName = 'other';
    expect(await acquireLock('m:27017', undefined, ctx(m))).toMatchObject({ kind: 'not-taken', reason: expect.stringMatching(/other/) });
    expect(count(m, 'fsync')).toBe(0);
  });

  it("someone else's lock is never touched", async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    expect(await acquireLock('m:27017', undefined, ctx(m))).toMatchObject({ kind: 'not-taken' });
    expect(m.lockCount).toBe(1);
    expect(count(m, 'fsync') + count(m, 'fsyncUnlock')).toBe(0);
  });

  it('a refused lock leaves nothing behind and calls no unlock', async () => {
    const m = new FakeMember();
    m.refuseLock = true;
    expect(await acquireLock('m:27017', undefined, ctx(m))).toMatchObject({ kind: 'not-taken', reason: expect.stringMatching(/refused/) });
    expect(count(m, 'fsyncUnlock')).toBe(0);
  });

  it('network error on the lock, lock taken: looks, releases it, reports not-taken', async () => {
    const m = new FakeMember();
    m.dropLockReply = true;
    const r = await acquireLock('m:27017', undefined, ctx(m));
    expect(r).toMatchObject({ kind: 'not-taken', reason: expect.stringMatching(/had been taken and was released/) });
    expect(m.lockCount).toBe(0);
    expect(count(m, 'fsyncUnlock')).toBe(1);
  });

  it('network error on the lock, cleanup impossible: unlock-failed (exit 7 path)', async () => {
    const m = new FakeMember();
    m.dropLockReply = true;
    m.failUnlocks = 1_000;
    const r = await acquireLock('m:27017', undefined, ctx(m, { unlockDeadlineMs: 2000 }));
    expect(r.kind).toBe('unlock-failed');
    expect(m.lockCount).toBe(1);
  });
});

describe('releaseLock', () => {
  it('unlocks exactly once and verifies', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    const r = await releaseLock('m:27017', 1, { ...ctx(m), deadlineMs: 10_000 });
    expect(r).toMatchObject({ ok: true, unlocked: 1, attempts: 1, lockWasLost: false, stillLockedByOthers: false });
    expect(m.log).toEqual(['fsyncUnlock', 'currentOp']);
  });

  it('retries on fresh connections with backoff after network errors', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.failUnlocks = 3;
    const sleeps: number[] = [];
    const c = ctx(m);
    const r = await releaseLock('m:27017', 1, { ...c, deadlineMs: 10_000, sleep: async (ms) => void sleeps.push(ms) });
    expect(r).toMatchObject({ ok: true, unlocked: 1, attempts: 4 });
    expect(m.lockCount).toBe(0);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('an unlock whose reply was lost is not repeated (currentOp shows it went through)', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.loseUnlockReplies = 1;
    const r = await releaseLock('m:27017', 1, { ...ctx(m), deadlineMs: 10_000 });
    expect(r.ok).toBe(true);
    expect(count(m, 'fsyncUnlock')).toBe(1);
    expect(m.lockCount).toBe(0);
  });

  it("never releases someone else's nested lock", async () => {
    const m = new FakeMember();
    m.lockCount = 2; // ours + theirs, taken after ours
    const r = await releaseLock('m:27017', 1, { ...ctx(m), deadlineMs: 10_000 });
    expect(r).toMatchObject({ ok: true, unlocked: 1, stillLockedByOthers: true });
    expect(m.lockCount).toBe(1);
  });

  for (const reply of ['text-only', 'code-20'] as const) {
    it(`reports a lock that vanished while held (mongod restart), "not locked" answered ${reply}`, async () => {
      const m = new FakeMember();
      m.lockCount = 0;
      m.notLockedReply = reply;
      const r = await releaseLock('m:27017', 1, { ...ctx(m), deadlineMs: 10_000 });
      expect(r).toMatchObject({ ok: true, lockWasLost: true, attempts: 1 });
      expect(count(m, 'fsyncUnlock')).toBe(1);
    });
  }

  it('gives up at the deadline and says so', async () => {
    const m = new FakeMember();
    m.lockCount = 1;
    m.down = true;
    const r = await releaseLock('m:27017', 1, { ...ctx(m), deadlineMs: 3000 });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ECONNREFUSED|deadline/);
    expect(m.lockCount).toBe(1);
  });
});
