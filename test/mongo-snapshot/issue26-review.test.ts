/**
 * End-to-end tests for the review of the issue #26 fix: the built bundle against the simulator.
 *
 * Each test was run once against the bundle of the commit before these fixes (MONGO_SNAPSHOT_CLI=<old bundle>) and
 * failed there; the report of the change lists which.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBundle } from './build-once';
import { checkCommon, expectSnapshotOf } from './checks';
import { events, runCli, simAvailable, type RunOptions, type RunResult, type SimEvent } from './helpers';

vi.setConfig({ testTimeout: 300_000 });

const isLock = (e: SimEvent) => e.cmd === 'fsync' && (e.args as { lock?: boolean } | undefined)?.lock === true;
/** the fsyncUnlock whose reply the simulator dropped (faults.failUnlockTimes) */
const lostUnlock = (r: RunResult, m: string) => events(r, m, 'fsyncUnlock').find((e) => e.fault === 'failUnlock');

/**
 * Runs with the scenario's timeline shifted so that its first event is at each `at` in turn, until `fell(r, ev)`
 * says the first event fell where the test needs it (machine load moves the CLI's own timing).
 */
async function timed(o: RunOptions, at: number[], fell: (r: RunResult, ev: SimEvent) => boolean): Promise<RunResult> {
  let r: RunResult | undefined;
  for (const atMs of at) {
    r = await runCli({
      ...o,
      patch: (sc) => {
        const first = Math.min(...(sc.timeline ?? []).map((e) => e.atMs));
        for (const e of sc.timeline ?? []) e.atMs = atMs + (e.atMs - first);
      },
    });
    const ev = r.report.events.find((e) => e.cmd === '@timeline');
    if (ev && fell(r, ev)) return r;
  }
  throw new Error(`the timeline event never fell where it was needed:\n${r!.report.stderr}`);
}

describe.skipIf(!simAvailable).concurrent('issue #26 review: a PRIMARY is never left locked, no success with a lock of ours left', () => {
  beforeAll(async () => {
    await buildBundle();
  });

  // finding 1 (critical): one lost fsyncUnlock reply, and the member is PRIMARY when the release looks again: the
  // release refused to unlock "blindly" (below 7.0: the count cannot be read; 7.0+: no count read on a primary) and
  // exited 7 with the PRIMARY fsync-locked. On a PRIMARY unlocking wins.
  for (const [version, fakeMs, at] of [
    // 5.0: the release looks again at once, so the election must come before the lost unlock (during the snapshot)
    ['5.0.26', 2000, [2600, 3500, 2000, 4500]],
    // 7.0: the release waits out the lost unlock's maxTimeMS (+1 s) before it looks: the election falls in that wait
    ['7.0.14', 1000, [4500, 6000, 3500, 7500]],
  ] as const) {
    it(`${version}: an fsyncUnlock reply is lost and the member is PRIMARY: it is unlocked anyway (exit 6), never left locked`, async () => {
      const m = '127.0.157.2:27017';
      const r = await timed(
        {
          scenario: 'i26b-unlock-lost-elected',
          version,
          args: ['--member', '127.0.157.2', '--unlock-deadline', '60s'],
          fake: { ms: fakeMs },
        },
        [...at],
        (run, ev) => {
          const lock = events(run, m, 'fsync').find(isLock);
          const lost = lostUnlock(run, m);
          if (!lock || !lost || ev.t < lock.t) return false;
          return version.startsWith('5.') ? ev.t < lost.t : ev.t > lost.t && ev.t < lost.t + 5000;
        },
      );
      expect(r.report.exitCode, r.report.stderr).toBe(6);
      checkCommon(r); // every lock count back to 0
      expect(r.report.finalLocks[m]).toBe(0);
      const lost = lostUnlock(r, m)!;
      expect(events(r, m, 'fsyncUnlock').filter((e) => e.ok === 1 && e.t > lost.t)).toHaveLength(1);
      // no lock is ever sent to a PRIMARY (no count read)
      expect(events(r, m, 'fsync').filter(isLock)).toHaveLength(1);
      expect(r.report.stderr).toMatch(/PRIMARY and fsync-locked.*unlocking it at once/);
      expect(r.report.stderr).not.toMatch(/UNLOCK FAILED/);
    });
  }

  // finding 4: elected PRIMARY during the lock's flush, with other candidates left: the member was unlocked, but the
  // run went on to the next candidate and exited 0 although it had blocked every write on a PRIMARY.
  for (const version of ['5.0.26', '7.0.14']) {
    it(`${version}: elected PRIMARY during the lock's flush: unlocked at once, no other member locked, exit 6`, async () => {
      const m = '127.0.158.2:27017';
      const r = await timed({ scenario: 'i26b-elected-during-flush-fallback', version }, [3500, 6000, 9000, 12000], (run, ev) => {
        const lock = events(run, m, 'fsync').find(isLock);
        return !!lock && ev.t > lock.t + 200 && ev.t < lock.t + 7500;
      });
      expect(r.report.exitCode, r.report.stderr).toBe(6);
      checkCommon(r);
      expect(r.records).toEqual([]); // no snapshot
      for (const e of r.report.events) if (isLock(e)) expect(e.member).toBe(m); // no other candidate was locked
      expect(r.report.stderr).toMatch(/elected PRIMARY while our lock was on it: unlocked at once/);
    });
  }

  // finding 6: the release was called without the lock reply's count, so every healthy 7.0+ release sent a nested
  // "count read" lock (a second fsync lock, and a second unlock, while writes are blocked)
  for (const version of ['7.0.14', '8.0.4']) {
    it(`${version}: a healthy run sends one fsync lock and one fsyncUnlock, nothing else`, async () => {
      const r = await runCli({ scenario: 'healthy', version });
      const m = '127.0.101.3:27017';
      expectSnapshotOf(r, m);
      expect(events(r, m, 'fsync').filter(isLock)).toHaveLength(1);
      expect(events(r, m, 'fsyncUnlock')).toHaveLength(1);
    });
  }

  // finding 2: someone else locks during the snapshot, our unlock's reply is lost (not applied), then they unlock: the
  // count drop was taken for our unlock and the run exited 0 with our lock left on the member.
  it('7.0.14: a foreign lock and unlock around a lost fsyncUnlock reply: our lock is not left behind with exit 0', async () => {
    const m = '127.0.159.2:27017';
    const r = await timed(
      {
        scenario: 'i26b-foreign-lock-unlock',
        version: '7.0.14',
        args: ['--member', '127.0.159.2'],
        fake: { ms: 600, foreign: { member: m, commands: [{ fsync: 1, lock: true }] } },
      },
      [7500, 5500, 9500, 11500],
      (run, ev) => {
        const lost = lostUnlock(run, m);
        return !!lost && ev.t > lost.t && ev.t < lost.t + 5500; // before the release looks again
      },
    );
    expect(r.records.find((x) => x.event === 'foreign')).toMatchObject({ ok: 1, lockCount: 2 });
    // the only safe outcomes: every lock released (exit 0), or exit 7 ("may still be locked")
    if (r.report.exitCode === 7) expect(r.report.stderr).toMatch(/cannot be told/);
    else {
      expect(r.report.exitCode, r.report.stderr).toBe(0);
      checkCommon(r);
      expect(r.report.finalLocks[m]).toBe(0);
    }
  });
});
