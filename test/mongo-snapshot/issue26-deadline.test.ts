/**
 * End-to-end tests for issue #26 defect 6 (one overall deadline, SIGTERM budget, SIGKILL evidence, handlers in every
 * entry point) and the medium findings of the last attack (stacked count-read locks, a watch closing the shared
 * connection): the built bundle against the simulator.
 *
 * Each test was run once against the bundle without its fix (MONGO_SNAPSHOT_CLI=<old bundle>, or the source
 * mutated) and failed there; the report of the change lists which.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBudget } from '../../lib/mongo-snapshot/budget';
import { buildBundle } from './build-once';
import { FakePushgateway } from './pushgateway-fake';
import { checkCommon } from './checks';
import { events, repoRoot, runCli, simAvailable, type RunOptions, type RunResult, type SimEvent } from './helpers';

vi.setConfig({ testTimeout: 300_000 });

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

describe.skipIf(!simAvailable).concurrent('issue #26 defect 6 and the last attack: one deadline, evidence that survives', () => {
  const gateways: FakePushgateway[] = [];
  beforeAll(async () => {
    await buildBundle();
  });
  afterAll(() => {
    for (const g of gateways) g.stop();
  });

  // Defect 6: after SIGTERM during the lock (a 15 s flush), the run waited for the lock reply, then gave the lock
  // back: lockTimeout + flush + unlock deadline after the signal, far past the grace period (SIGKILL mid-unlock, no
  // exit 7, no metrics). Now everything after SIGTERM ends within the snapshot stop + the unlock deadline, the
  // budget the CronJob's terminationGracePeriodSeconds is derived from; what cannot be given back by then is exit 7.
  for (const version of ['5.0.26', '7.0.14']) {
    it(`${version}: SIGTERM during a 25 s flush: the run ends inside the grace period the CronJob derives (exit 7 or 143, never killed)`, async () => {
      const unlockDeadlineSeconds = 3;
      const grace = runBudget({ lockTimeoutSeconds: 30, snapshotTimeoutSeconds: 60, unlockDeadlineSeconds }).terminationGracePeriodSeconds;
      const slow = '127.0.151.2:27017';
      // the signal must come after the lock was sent (a loaded machine starts the CLI late): later tries send it later
      let r: RunResult | undefined;
      for (const termAfterMs of [3500, 6000, 9000, 12000]) {
        r = await runCli({
          scenario: 'i26-slow-flush',
          version,
          args: [
            '--member',
            '127.0.151.2',
            '--lock-timeout',
            '30s',
            '--unlock-deadline',
            `${unlockDeadlineSeconds}s`,
            '--snapshot-timeout',
            '60s',
          ],
          termAfterMs,
          timeoutMs: 60_000,
          // a 25 s flush: waiting for the lock reply after the signal would be far past the budget
          patch: (sc) => void ((sc.members[1] as { lockFlushMs?: number }).lockFlushMs = 25_000),
        });
        if (/locking 127\.0\.151\.2/.test(r.report.stderr)) break;
      }
      r = r!;
      // (the lock itself is not in the simulator's log: its reply never went out before the simulator stopped)
      const termAt = r.report.termSentAt!;
      expect(r.report.stderr).toMatch(/locking 127\.0\.151\.2:27017/);
      expect(r.report.stderr).not.toMatch(/lock acquired/); // the signal came during the flush
      expect(events(r, slow, 'fsyncUnlock').filter((e) => e.ok === 1)).toEqual([]);
      expect(r.report.signal).toBeNull();
      expect([7, 143]).toContain(r.report.exitCode);
      const afterTerm = r.report.startedAt + r.report.durationMs - termAt;
      // the tool's own budget after a signal: snapshot stop (7 s) + unlock deadline; the grace period adds the push
      expect(afterTerm).toBeLessThan((7 + unlockDeadlineSeconds) * 1000 + 2500);
      expect(afterTerm).toBeLessThan(grace * 1000);
      if (r.report.exitCode === 7) expect(r.report.stderr).toMatch(/MAY STILL BE FSYNC-LOCKED/);
      else checkCommon(r);
    });
  }

  // (The "may be locked" signal after a SIGKILL, its renewal and the per-run flags: issue26-renewal.test.ts.)

  // Defect 6: the handlers are installed when the image's dispatcher (/app/ops.cjs) loads the bundle: a SIGTERM
  // after the run (during the final Pushgateway push) must not kill the process with the default action.
  it("through the ops dispatcher: SIGTERM during the final push is noted, the push completes, the exit code is the run's", async () => {
    const gw = new FakePushgateway();
    gateways.push(gw);
    const url = await gw.start();
    // the CLI's pid: sh writes its own and execs the dispatcher (same pid)
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'i26-dispatcher-')), 'pid');
    // when the final push arrives: SIGTERM to the CLI, the reply 1.5 s later (within the push's 3 s timeout)
    gw.delay = {
      match: /\/replica_set\/rs-passive$/,
      ms: 1500,
      then: () => process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM'),
    };
    const r = await runCli({
      scenario: 'passive',
      args: ['--pushgateway', url],
      command: ({ cliArgs }) => [
        'sh',
        '-c',
        'echo $$ > "$0"; exec "$@"',
        pidFile,
        process.execPath,
        path.join(repoRoot, 'build', 'ops', 'ops.cjs'),
        'mongo-snapshot',
        ...cliArgs,
      ],
      timeoutMs: 30_000,
    });
    fs.rmSync(path.dirname(pidFile), { recursive: true, force: true });
    const push = gw.requests.find((q) => /\/replica_set\/rs-passive$/.test(q.url));
    expect(push, r.report.stderr).toBeDefined();
    expect(r.report.signal, r.report.stderr).toBeNull();
    expect(r.report.exitCode, r.report.stderr).toBe(0);
    expect(r.report.stderr).toMatch(/metrics pushed/);
    expect(gw.value('/replica_set/rs-passive', 'mongo_snapshot_last_exit_code')).toBe(0);
  });

  // Attack, medium (b): the watch ran on the lock's connection. A check still in flight when the snapshot ended (the
  // member partitioned) closed that client at its deadline, under the release's fsyncUnlock: the unlock went through
  // when the partition healed, but its reply was lost, and with someone else's lock on the member the run could not
  // tell whose lock was left (exit 7), or unlocked again (their lock). The watch now has a connection of its own.
  for (const version of ['5.0.26', '8.0.4']) {
    it(`${version}: a watch check in flight at the end of the snapshot does not close the connection the release unlocks on`, async () => {
      const m = '127.0.162.2:27017';
      const r = await timed(
        { scenario: 'i26c-watch-partition', version, args: ['--member', '127.0.162.2'], fake: { ms: 6000 }, timeoutMs: 90_000 },
        [2500, 3500, 4500, 2000, 6000],
        (run, ev) => {
          const start = run.records.find((x) => x.event === 'start');
          // someone else locks 0.5-2.5 s into the snapshot; the partition (0.5 s later) holds a watch check, and the
          // snapshot ends (6 s) before it heals (7 s later)
          return !!start && ev.t > start.t + 500 && ev.t < start.t + 2500;
        },
      );
      expect(r.report.exitCode, r.report.stderr).toBe(0);
      checkCommon(r, { finalLocks: { [m]: 1 } }); // their lock is left alone
      expect(events(r, m, 'fsyncUnlock').filter((e) => e.ok === 1)).toHaveLength(1);
      expect(r.report.stderr).toMatch(/still fsync-locked by someone else/);
    });
  }

  // Attack, medium (a): every lost fsyncUnlock reply was followed by a count read (a nested lock of ours); after
  // MAX_COUNT_READS of them the release gave up with exit 7 and our stacked locks on the member (count 4). A count
  // read is now needed only when no lock surely ours is left: the next unlock's reply says the count.
  for (const version of ['7.0.14', '8.0.4']) {
    it(`${version}: four lost fsyncUnlock replies: our locks (and count reads) are all given back, exit 0, count 0`, async () => {
      const m = '127.0.160.2:27017';
      const r = await runCli({
        scenario: 'i26c-lost-replies',
        version,
        args: ['--member', '127.0.160.2', '--lock-timeout', '1s'],
        timeoutMs: 120_000,
      });
      expect(r.report.exitCode, r.report.stderr).toBe(0);
      checkCommon(r);
      expect(r.report.finalLocks[m]).toBe(0);
      expect(events(r, m, 'fsyncUnlock').filter((e) => e.fault === 'failUnlock')).toHaveLength(4);
      // our lock and at most two count reads
      expect(events(r, m, 'fsync').filter(isLock).length).toBeLessThanOrEqual(3);
    });
  }
});
