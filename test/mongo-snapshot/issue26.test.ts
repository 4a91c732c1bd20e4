/**
 * End-to-end tests for issue #26 (and issue #33's mongo-snapshot items): the built bundle against the simulator, per
 * server version where mongod differs (4.4/5.0/6.0: maxTimeMS does not end the wait for the fsync mutex, 7.0/8.0:
 * it does; 4.4/5.0 answer "not locked" without a code, 6.0+ with code 20).
 *
 * Each test was run once against the bundle of the commit before the fix (MONGO_SNAPSHOT_CLI=<old bundle>) and
 * failed there; the report of the change lists which.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBundle } from './build-once';
import { checkCommon, expectNothingLocked, expectSnapshotOf } from './checks';
import { events, runCli, simAvailable, type RunOptions, type RunResult, type SimEvent } from './helpers';

vi.setConfig({ testTimeout: 300_000 });

/** Every release series the simulator models. */
const ALL = ['4.4.0', '5.0.26', '6.0.19', '7.0.14', '8.0.4'] as const;

const isLock = (e: SimEvent) => e.cmd === 'fsync' && (e.args as { lock?: boolean } | undefined)?.lock === true;

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

describe.skipIf(!simAvailable).concurrent('issue #26: mongo-snapshot never leaves a primary locked, never reports a blind success', () => {
  beforeAll(async () => {
    await buildBundle();
  });

  // defect 1: the watch went blind after one slow reply (a command timeout closed the whole MongoClient, which the
  // driver then refuses to use) and never reconnected: partitioned for 6 s, then elected PRIMARY, it stayed locked
  // as PRIMARY until the snapshot ended, exit 0.
  for (const version of ['5.0.26', '8.0.4']) {
    it(`${version}: partitioned for 6 s during the snapshot, then elected PRIMARY: the watch reconnects, unlocks within seconds, exit 6`, async () => {
      const m = '127.0.150.2:27017';
      const r = await timed(
        { scenario: 'i26-partition-elected', version, args: ['--member', '127.0.150.2'], fake: { ms: 40_000 } },
        [5000, 9000, 14000],
        (run, ev) => {
          const start = run.records.find((x) => x.event === 'start');
          return !!start && ev.t > start.t + 2500; // the watch has looked at least once before the partition
        },
      );
      expect(r.report.exitCode, r.report.stderr).toBe(6);
      checkCommon(r);
      const elected = r.report.events.find((e) => e.cmd === '@timeline' && e.action === 'becomePrimary')!;
      const unlock = events(r, m, 'fsyncUnlock').find((e) => e.ok === 1)!;
      expect(unlock).toBeDefined();
      // unlocked within seconds of the election (watch interval + reconnect), not at the end of the 40 s snapshot
      expect(unlock.t - elected.t).toBeLessThan(9000);
      expect(r.records.find((x) => x.event === 'end')).toBeUndefined(); // the snapshot was stopped
      expect(r.report.stderr).toMatch(/PRIMARY|did not answer/);
    });
  }

  // defect 2 (all versions) and defect 3 (4.4/5.0/6.0: the count-read locks given up by the client applied later)
  for (const version of ALL) {
    it(`${version}: a 15 s flush with --lock-timeout 1s: the lock is given back after the flush, the next member is snapshotted (exit 0)`, async () => {
      const slow = '127.0.151.2:27017';
      const r = await runCli({ scenario: 'i26-slow-flush', version, args: ['--lock-timeout', '1s', '--unlock-deadline', '40s'] });
      expectSnapshotOfAfterFallback(r, '127.0.151.3:27017', slow);
      const lock = events(r, slow, 'fsync')[0]!;
      const unlock = events(r, slow, 'fsyncUnlock').filter((e) => e.ok === 1);
      expect(unlock).toHaveLength(1);
      expect(unlock[0]!.tReply! - lock.t).toBeGreaterThanOrEqual(14_900); // waited for the flush
      // one lock only: no nested "count read" lock was ever sent to the slow member (below 7.0 such a lock, given
      // up by the client, still applies after the flush and becomes an orphan)
      expect(events(r, slow, 'fsync').filter(isLock)).toHaveLength(1);
      expect(r.report.stderr).toMatch(/more than --lock-timeout.*given back/);
    });
  }

  // defect 4: the release path locked before looking (a fresh lock, with its flush, on a member that had been
  // unlocked by someone else, possibly a new PRIMARY). Issue #33: the "not locked" answer of each version (text
  // only on 4.4/5.0, code 20 on 6.0+) must be recognised, or the run would retry until exit 7.
  for (const version of ALL) {
    it(`${version}: someone else unlocks during the snapshot: no lock is sent to find out, exit 6, nothing left locked`, async () => {
      const m = '127.0.152.2:27017';
      const r = await runCli({
        scenario: 'i26-foreign-unlock',
        version,
        // shorter than the watch interval: the release path is the first to find out
        fake: { ms: 800, foreign: { member: m, commands: [{ fsyncUnlock: 1 }] } },
      });
      expect(r.report.exitCode, r.report.stderr).toBe(6);
      checkCommon(r);
      expect(r.records.find((x) => x.event === 'foreign')).toMatchObject({ ok: 1, lockCount: 0 });
      expect(events(r, m, 'fsync').filter(isLock)).toHaveLength(1); // ours only
      expect(r.report.stderr).toMatch(/not locked any more/);
      expect(r.report.stderr).not.toMatch(/UNLOCK FAILED/);
    });
  }

  // issue #33: the "still a secondary?" check right after the lock (an election during the flush)
  for (const version of ['4.4.0', '7.0.14']) {
    it(`${version}: elected PRIMARY during the lock's flush: unlocked at once, no snapshot, exit 6`, async () => {
      const m = '127.0.153.2:27017';
      const r = await timed(
        { scenario: 'i26-elected-during-flush', version, args: ['--member', '127.0.153.2'] },
        [4000, 7000, 10000, 13000],
        (run, ev) => {
          const lock = events(run, m, 'fsync').find(isLock);
          return !!lock && ev.t > lock.t + 200 && ev.t < lock.t + 7500;
        },
      );
      // a lock on a PRIMARY blocked every write: not "lock failed" (5) but a failed run (6)
      expectNothingLockedButTried(r, 6);
      expect(r.report.stderr).toMatch(/became PRIMARY.*unlocked at once/);
    });
  }

  // issue #33: the "still a secondary?" check right before the lock (elected while another candidate was tried)
  for (const version of ['5.0.26', '8.0.4']) {
    it(`${version}: the next candidate was elected PRIMARY meanwhile: it is never sent a lock (exit 5)`, async () => {
      const r = await timed({ scenario: 'i26-elected-before-lock', version }, [4000, 7000, 10000, 13000], (run, ev) => {
        const lock = events(run, '127.0.154.2:27017', 'fsync').find(isLock);
        return !!lock && ev.t > lock.t + 200 && ev.t < lock.t + 7500;
      });
      expectNothingLockedButTried(r, 5);
      expect(events(r, '127.0.154.3:27017', 'fsync')).toEqual([]);
      expect(r.report.stderr).toMatch(/127\.0\.154\.3:27017: member is now PRIMARY/);
    });
  }

  // defect 5: the availability rule counted any SECONDARY as able to acknowledge, and never read the default
  // write concern
  it('a voter 900 s behind cannot acknowledge: locking the only fresh secondary is refused (exit 4), one line says why', async () => {
    const r = await runCli({ scenario: 'i26-lagging-voter' });
    expectNothingLocked(r, 4);
    expect(r.report.stderr).toMatch(
      /rejected 127\.0\.155\.2:27017: .*writeMajorityCount 2 .*127\.0\.155\.3:27017 lag 9\d\ds.*--allow-majority-stall/,
    );
    const f = await runCli({ scenario: 'i26-lagging-voter', args: ['--allow-majority-stall'] });
    expectSnapshotOf(f, '127.0.155.2:27017');
  });

  it('the default write concern w: 3 needs every data-bearing member: nothing is locked (exit 4) unless --allow-majority-stall', async () => {
    const r = await runCli({ scenario: 'i26-default-w3' });
    expectNothingLocked(r, 4);
    expect(r.report.stderr).toMatch(/default write concern w: 3/);
    const f = await runCli({ scenario: 'i26-default-w3', args: ['--allow-majority-stall'] });
    expectSnapshotOf(f, '127.0.156.2:27017');
  });
});

/** Exit 0 with a snapshot of `member`, after `skipped` was locked and given back; every lock count back to 0. */
function expectSnapshotOfAfterFallback(r: RunResult, member: string, skipped: string) {
  expect(r.report.exitCode, r.report.stderr).toBe(0);
  checkCommon(r);
  expect(r.records.find((x) => x.event === 'start')?.argv).toEqual([member.replace(/:\d+$/, '')]);
  expect(r.report.finalLocks[skipped]).toBe(0);
  expect(r.report.finalLocks[member]).toBe(0);
}

/** A lock was tried (and given back): nothing left locked, no snapshot. */
function expectNothingLockedButTried(r: RunResult, code: number) {
  expect(r.report.exitCode, r.report.stderr).toBe(code);
  checkCommon(r);
  expect(r.records).toEqual([]);
  for (const [m, n] of Object.entries(r.report.finalLocks)) expect(n, m).toBe(0);
}
