/**
 * End-to-end against the simulator's faithful server behaviour (issue #20): version profiles (4.4.0 without hello,
 * "not locked" without a code on 4.4/5.0, code 20 on 6.0+), roles and privileges, a lock flush that takes time,
 * timeline events during a run (foreign unlock or lock, restart, election, partition), majority figures,
 * buildIndexes, and an unlock applied whose reply is lost.
 *
 * Timeline events fire at a fixed time after the simulator starts; on a loaded machine the CLI may not have
 * locked by then. Such tests check where the event fell and, if it was not during the snapshot, run again with
 * the event later (eventDuringSnapshot).
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBundle } from './build-once';
import { checkCommon, expectNothingLocked, expectSnapshotOf } from './checks';
import {
  events,
  loadScenario,
  runCli,
  runCliDirect,
  simAvailable,
  uriFor,
  type RunOptions,
  type RunResult,
  type Scenario,
} from './helpers';

vi.setConfig({ testTimeout: 240_000 });

/**
 * The release series the suite runs against (4.4.0: no hello; 4.4/5.0: "not locked" has no code; 4.4-6.0: the wait for
 * the fsync mutex ignores maxTimeMS).
 */
export const VERSIONS = ['4.4.0', '5.0.26', '6.0.19', '7.0.14', '8.0.4'] as const;
const BEFORE_7_0 = new Set<string>(['4.4.0', '5.0.26', '6.0.19']);

/**
 * Runs with the scenario's timeline moved to `atMs` (and the snapshot lasting `snapshotMs`) until the event fell
 * between the start and the end of the snapshot command (or the run ended before it could).
 */
async function eventDuringSnapshot(o: RunOptions, at: number[] = [4000, 8000, 14000]): Promise<RunResult> {
  let r: RunResult | undefined;
  for (const atMs of at) {
    r = await runCli({
      ...o,
      fake: { ms: atMs + 3000, ...o.fake },
      patch: (sc) => {
        for (const e of sc.timeline ?? []) e.atMs = atMs;
      },
    });
    const start = r.records.find((x) => x.event === 'start');
    const ev = r.report.events.find((e) => e.cmd === '@timeline');
    if (start && ev && ev.t > start.t) return r;
  }
  throw new Error(`the timeline event never fell during the snapshot:\n${r!.report.stderr}`);
}

describe.skipIf(!simAvailable).concurrent('mongo-snapshot against faithful server behaviour', () => {
  beforeAll(async () => {
    await buildBundle();
  });

  for (const version of VERSIONS) {
    describe.concurrent(`server ${version}`, () => {
      it('healthy set: snapshot of the hidden secondary (4.4.0: isMaster instead of hello)', async () => {
        const r = await runCli({ scenario: 'healthy', version });
        expectSnapshotOf(r, '127.0.101.3:27017');
        if (version === '4.4.0') expect(r.report.events.some((e) => e.cmd === 'isMaster' || e.cmd === 'ismaster')).toBe(true);
      });

      it('the lock disappears during the snapshot (someone else unlocks): exit 6, not 0', async () => {
        const r = await eventDuringSnapshot({ scenario: 'lost-lock', version });
        expect(r.report.exitCode, r.report.stderr).toBe(6);
        checkCommon(r);
        expect(r.report.stderr).toMatch(/lost|not locked any more/i);
        expect(r.report.stderr).not.toMatch(/UNLOCK FAILED/);
      });

      it('the member restarts during the snapshot: exit 6, nothing locked', async () => {
        const r = await eventDuringSnapshot({ scenario: 'restart-during', version });
        expect(r.report.exitCode, r.report.stderr).toBe(6);
        checkCommon(r);
      });

      // KNOWN DEFECT on 7.0+ (docs/mongo-snapshot.md, "known limit"): since the release stopped reading the
      // count with a nested lock on every run (review of #26, finding 6), an unlock that went through but
      // whose reply was lost, followed by someone else's lock, is repeated and releases their lock. Kept as
      // `it.fails` so that the assertion of the right behaviour stays here and flips when it is fixed.
      (BEFORE_7_0.has(version) ? it : it.fails)(
        "an unlock applied whose reply is lost is not repeated: someone else's lock taken meanwhile stays",
        async () => {
          const r = await eventDuringSnapshot({ scenario: 'applied-noreply', version });
          const m = '127.0.140.2:27017';
          expect(events(r, m, 'fsyncUnlock').filter((e) => e.fault === 'failUnlock')).toHaveLength(1);
          expect(r.report.finalLocks[m]).toBe(1); // theirs, never released
          if (BEFORE_7_0.has(version)) {
            // before 7.0 no lock count can be read safely (a nested lock could outlive us): the member is still locked
            // and whether by us is unknown, so the run says so (exit 7) instead of guessing
            expect(r.report.exitCode, r.report.stderr).toBe(7);
            expect(r.report.stderr).toMatch(/before 7\.0 the lock count cannot be read.*not unlocking blindly/);
            expect(events(r, m, 'fsync').filter((e) => (e.args as { lock?: boolean })?.lock)).toHaveLength(1); // ours only
          } else {
            expect(r.report.exitCode, r.report.stderr).toBe(0);
            checkCommon(r, { finalLocks: { [m]: 1 } }); // theirs
            expect(r.report.stderr).toMatch(/had gone through/);
          }
        },
      );

      it('privileges are checked before locking: exit 3 naming the missing actions; hostManager + clusterMonitor suffice', async () => {
        const sc = loadScenario('roles');
        const uri = (user: string) => uriFor({ ...sc, auth: { user, password: 'S3cr3t-canary-pw' } });
        const ok = await runCli({ scenario: 'roles', version, uri: uri('ops') });
        expectSnapshotOf(ok, '127.0.132.2:27017');
        for (const [user, missing] of [
          ['monitor', /fsync \(for.*unlock \(for/],
          ['host', /replSetGetStatus \(for.*replSetGetConfig \(for/],
          ['backup', /replSetGetStatus.*replSetGetConfig.*fsync.*unlock/],
        ] as const) {
          const r = await runCli({ scenario: 'roles', version, uri: uri(user) });
          expectNothingLocked(r, 3);
          expect(r.report.stderr).toMatch(new RegExp(`user ${user}@admin .*lacks the cluster actions`));
          expect(r.report.stderr).toMatch(missing);
          expect(r.report.stderr).toMatch(/hostManager and clusterMonitor/);
          expect(r.report.events.filter((e) => /^fsync/i.test(e.cmd))).toEqual([]);
        }
      });

      it('primary + secondary + arbiter: locking the only other data-bearing voter is refused (exit 4) unless --allow-majority-stall', async () => {
        const r = await runCli({ scenario: 'psa', version });
        expectNothingLocked(r, 4);
        expect(r.report.stderr).toMatch(
          /rejected 127\.0\.133\.2:27017: a voter: locking it would leave 1 healthy data-bearing voter\(s\), fewer than writeMajorityCount 2/,
        );
        const f = await runCli({ scenario: 'psa', version, args: ['--allow-majority-stall'] });
        expectSnapshotOf(f, '127.0.133.2:27017');
      });
    });
  }

  it('a member DOWN: the last healthy secondary voter is not locked (exit 4)', async () => {
    const r = await runCli({ scenario: 'one-down' });
    expectNothingLocked(r, 4);
    expect(r.report.stderr).toMatch(/rejected 127\.0\.134\.2:27017: a voter: locking it would leave 1 healthy/);
  });

  it('votes: 0 members are preferred over hidden voting ones (even with more lag)', async () => {
    const r = await runCli({ scenario: 'votes' });
    expectSnapshotOf(r, '127.0.135.4:27017');
    const order = [...r.report.stderr.matchAll(/candidate #(\d) (\S+)/g)].map((m) => m[2]);
    expect(order).toEqual(['127.0.135.4:27017', '127.0.135.2:27017', '127.0.135.3:27017']);
  });

  it('buildIndexes: false is rejected; with --allow-no-indexes it is ranked last', async () => {
    const r = await runCli({ scenario: 'no-indexes' });
    expectSnapshotOf(r, '127.0.136.3:27017');
    expect(r.report.stderr).toMatch(/rejected 127\.0\.136\.2:27017: buildIndexes: false/);
    const a = await runCli({ scenario: 'no-indexes', args: ['--allow-no-indexes', '--dry-run'] });
    expectNothingLocked(a, 0);
    expect(a.report.stdout).toMatch(/#3 127\.0\.136\.2:27017/);
    const only = await runCli({ scenario: 'no-indexes', args: ['--allow-no-indexes', '--member', '127.0.136.2'] });
    expectSnapshotOf(only, '127.0.136.2:27017');
  });

  it('the member is partitioned during the snapshot (requests time out): exit 7 within --unlock-deadline, never a hang', async () => {
    const r = await eventDuringSnapshot({ scenario: 'partition', args: ['--unlock-deadline', '4s', '--connect-timeout', '1s'] });
    expect(r.report.exitCode, r.report.stderr).toBe(7);
    const end = r.records.find((x) => x.event === 'end')!;
    // the process ended within the deadline (plus start-up and room), not after the wrapper's kill
    expect(r.report.startedAt + r.report.durationMs - end.t).toBeLessThan(12_000);
    expect(r.report.stderr).toMatch(/UNLOCK FAILED.*127\.0\.137\.2:27017 MAY STILL BE FSYNC-LOCKED/);
  });

  it('no reply to the lock within --lock-timeout during a slow flush: the lock is seen, released after the flush, next member', async () => {
    const r = await runCli({ scenario: 'slow-flush', args: ['--lock-timeout', '1s'] });
    expect(r.report.exitCode, r.report.stderr).toBe(0);
    checkCommon(r);
    // the lock's reply is awaited past --lock-timeout (never given up: issue #26), then the lock is given back
    expect(r.report.stderr).toMatch(/more than --lock-timeout .*given back/);
    expect(r.records.find((x) => x.event === 'start')!.argv).toEqual(['127.0.138.3']);
    const unl = events(r, '127.0.138.2:27017', 'fsyncUnlock').filter((e) => e.ok === 1);
    const lock = events(r, '127.0.138.2:27017', 'fsync')[0]!;
    expect(unl.length).toBeGreaterThanOrEqual(1);
    expect(unl[0]!.tReply! - lock.t).toBeGreaterThanOrEqual(2900); // the unlock waited for the 3 s flush
  });

  it('the member is elected primary during the snapshot: the snapshot is stopped and the member unlocked at once (exit 6)', async () => {
    const r = await eventDuringSnapshot({ scenario: 'elected' });
    expect(r.report.exitCode, r.report.stderr).toBe(6);
    checkCommon(r);
    expect(r.report.stderr).toMatch(/PRIMARY/);
    const ev = r.report.events.find((e) => e.cmd === '@timeline')!;
    const unlock = events(r, '127.0.139.2:27017', 'fsyncUnlock')
      .filter((e) => e.ok === 1)
      .at(-1)!;
    expect(unlock.t - ev.t).toBeLessThan(5000); // not at the end of the (long) snapshot
  });

  it('a password with an unencoded @: exit 2 with the percent-encoding hint; the password is never printed', async () => {
    const r = await runCliDirect(['mongodb://admin:p@ssw0rd-canary@h1,h2/admin?replicaSet=rs0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/percent-encoded.*%40/);
    expect(r.stdout + r.stderr).not.toMatch(/ssw0rd-canary/);
  });

  it('a wrong password is reported as an authentication failure, not as an unreachable seed', async () => {
    const sc = loadScenario('healthy-b');
    const r = await runCli({ scenario: 'healthy-b', uri: uriFor(sc, { password: 'wrong-canary' }) });
    expectNothingLocked(r, 3);
    expect(r.report.stderr).toMatch(/authentication failed/i);
    expect(r.report.stderr).not.toMatch(/seed not reachable/);
  });

  it('--help shows the connection-string example unredacted', async () => {
    const r = await runCliDirect(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mongodb://backup:<password>@vm-hostname1');
    expect(r.stdout).not.toContain('***');
  });
});

export type { Scenario };
