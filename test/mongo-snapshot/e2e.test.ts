/**
 * End-to-end: the BUILT bundle (build/ops/mongo-snapshot.cjs) against the simulated replica set, through
 * run-wrapper.mjs, with a fake make-vm-snapshot that records its argument and timestamps.
 * Every scenario uses its own loopback addresses (127.0.1xx.y), and every run free ports (helpers.ts), so runs
 * are concurrent, also with other checkouts running the suite on the same machine.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBundle } from './build-once';
import { checkCommon, expectNothingLocked, expectSnapshotOf } from './checks';
import {
  assertLockedDuring,
  CLI,
  events,
  isAlive,
  runCli,
  runCliDirect,
  simAvailable,
  SIM_DIR,
  uriFor,
  loadScenario,
  type RunResult,
} from './helpers';

const CANARY = 'S3cr3t-canary-pw';

// runs that share a scenario queue up (see helpers.ts): give each test room on a loaded CI machine
vi.setConfig({ testTimeout: 180_000 });

if (!simAvailable) {
  console.warn(`mongo-snapshot e2e: SKIPPED, simulator not found at ${SIM_DIR} (set MONGO_SIM_DIR); CI always has it`);
}

describe.skipIf(!simAvailable).concurrent('mongo-snapshot end-to-end (simulator)', () => {
  beforeAll(async () => {
    await buildBundle();
  });

  it('healthy set: picks the hidden secondary, locks it for the whole snapshot, unlocks', async () => {
    const r = await runCli({ scenario: 'healthy' });
    expectSnapshotOf(r, '127.0.101.3:27017');
    expect(r.report.stderr).toMatch(/candidate #1 127\.0\.101\.3:27017/);
    expect(r.report.stderr).toMatch(/rejected 127\.0\.101\.1:27017: state PRIMARY/);
    expect(r.report.stderr).toMatch(/writesBlockedMs=/);
    expect(r.report.stdout).toContain('fake-make-vm-snapshot: snapshotting 127.0.101.3');
  });

  it('the bundle is self-contained: a copy outside the repository (no node_modules) does a full run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-snapshot-bundle-'));
    const copy = path.join(dir, 'mongo-snapshot.cjs');
    fs.copyFileSync(CLI, copy);
    try {
      expect(fs.readFileSync(copy, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
      const r = await runCli({ scenario: 'healthy', cli: copy });
      expectSnapshotOf(r, '127.0.101.3:27017');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the connection string from MONGODB_URI and logs JSON lines with --log-format json', async () => {
    const sc = loadScenario('healthy');
    const r = await runCli({ scenario: 'healthy', uri: null, env: { MONGODB_URI: uriFor(sc) }, args: ['--log-format', 'json'] });
    expectSnapshotOf(r, '127.0.101.3:27017');
    const lines = r.report.stderr.trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as { step: string; level: string; msg: string });
    expect(parsed.map((p) => p.step)).toEqual(
      expect.arrayContaining(['start', 'discover', 'select', 'lock', 'snapshot', 'unlock', 'done']),
    );
    const unlocked = parsed.find((p) => p.step === 'unlock' && p.msg.startsWith('unlocked')) as unknown as {
      writesBlockedMs: number;
      snapshotMs: number;
    };
    expect(unlocked.writesBlockedMs).toBeGreaterThanOrEqual(unlocked.snapshotMs);
  });

  it('--dry-run prints the plan and locks nothing', async () => {
    const r = await runCli({ scenario: 'healthy', args: ['--dry-run'] });
    expectNothingLocked(r, 0);
    expect(r.report.stdout).toMatch(/#1 127\.0\.101\.3:27017 .*would be locked/);
    expect(r.report.stdout).toMatch(/would lock 127\.0\.101\.3:27017 and run: .*fake-make-vm-snapshot\.mjs 127\.0\.101\.3/);
    const j = await runCli({ scenario: 'healthy', args: ['--dry-run', '--log-format', 'json'] });
    expectNothingLocked(j, 0);
    const plan = JSON.parse(j.report.stdout) as { selected: string; candidates: Array<{ member: string; eligible: boolean }> };
    expect(plan.selected).toBe('127.0.101.3:27017');
    expect(plan.candidates.map((c) => [c.member, c.eligible])).toEqual([
      ['127.0.101.3:27017', true],
      ['127.0.101.2:27017', true],
      ['127.0.101.1:27017', false],
    ]);
  });

  it('--member forces an eligible member; a primary or unknown --member is refused (exit 4)', async () => {
    const r = await runCli({ scenario: 'healthy-b', args: ['--member', '127.0.125.2'] });
    expectSnapshotOf(r, '127.0.125.2:27017');
    const p = await runCli({ scenario: 'healthy-b', args: ['--member', '127.0.125.1:27017'] });
    expectNothingLocked(p, 4);
    expect(p.report.stderr).toMatch(/not eligible: state PRIMARY/);
    const u = await runCli({ scenario: 'healthy-b', args: ['--member', '127.0.125.9'] });
    expectNothingLocked(u, 4);
    expect(u.report.stderr).toMatch(/not a member of the replica set/);
  });

  it('preference: hidden before passive before the rest, then least lag, then host name', async () => {
    const r = await runCli({ scenario: 'preference' });
    expectSnapshotOf(r, '127.0.102.5:27017');
    const order = [...r.report.stderr.matchAll(/candidate #(\d) (\S+)/g)].map((m) => m[2]);
    expect(order).toEqual(['127.0.102.5:27017', '127.0.102.6:27017', '127.0.102.4:27017', '127.0.102.3:27017', '127.0.102.2:27017']);
  });

  it('a passive (priority 0) member is preferred over a fresher ordinary secondary', async () => {
    const r = await runCli({ scenario: 'passive' });
    expectSnapshotOf(r, '127.0.103.3:27017');
  });

  it('lag over --max-lag-seconds is rejected; a tight limit leaves nothing eligible (exit 4)', async () => {
    // (the lagging member cannot acknowledge majority writes either: this test is about the lag limit)
    const r = await runCli({ scenario: 'lag', args: ['--allow-majority-stall'] });
    expectSnapshotOf(r, '127.0.104.3:27017');
    expect(r.report.stderr).toMatch(/rejected 127\.0\.104\.2:27017: lag 1\d\ds > --max-lag-seconds 60/);
    const t = await runCli({ scenario: 'lag', args: ['--max-lag-seconds', '1'] });
    expectNothingLocked(t, 4);
  });

  it('a delayed member is skipped unless --allow-delayed (then only lag beyond the delay counts)', async () => {
    // (a delayed member acknowledges majority writes only after its delay: these tests are about the delay)
    const r = await runCli({ scenario: 'delayed', args: ['--allow-majority-stall'] });
    expectSnapshotOf(r, '127.0.105.3:27017');
    expect(r.report.stderr).toMatch(/rejected 127\.0\.105\.2:27017: delayed member/);
    const a = await runCli({ scenario: 'delayed', args: ['--allow-delayed', '--allow-majority-stall'] });
    expectSnapshotOf(a, '127.0.105.2:27017');
  });

  it('a member someone else has locked is never touched, and its lock count stays 1', async () => {
    // (the member locked by someone else cannot acknowledge writes: the availability rule is tested in server.test.ts)
    const r = await runCli({ scenario: 'already-locked', args: ['--allow-majority-stall'] });
    expectSnapshotOf(r, '127.0.106.3:27017');
    expect(r.report.finalLocks['127.0.106.2:27017']).toBe(1);
    expect(events(r, '127.0.106.2:27017').filter((e) => /^fsync/i.test(e.cmd))).toEqual([]);
    expect(r.report.stderr).toMatch(/rejected 127\.0\.106\.2:27017: already fsync-locked/);
    const m = await runCli({ scenario: 'already-locked', args: ['--member', '127.0.106.2'] });
    expectNothingLocked(m, 4);
    expect(m.report.finalLocks['127.0.106.2:27017']).toBe(1);
  });

  it('DOWN, ARBITER, RECOVERING and STARTUP2 members are rejected (DOWN first in the seed list)', async () => {
    const r = await runCli({ scenario: 'states', args: ['--allow-majority-stall'] });
    expectSnapshotOf(r, '127.0.107.6:27017');
    for (const [h, why] of [
      ['1', 'DOWN or unreachable'],
      ['2', 'state ARBITER'],
      ['3', 'state RECOVERING'],
      ['4', 'state STARTUP2'],
      ['5', 'state PRIMARY'],
    ]) {
      expect(r.report.stderr).toMatch(new RegExp(`rejected 127\\.0\\.107\\.${h}:27017: ${why}`));
    }
  });

  it('no eligible secondary: exit 4, nothing locked', async () => {
    const r = await runCli({ scenario: 'no-eligible' });
    expectNothingLocked(r, 4);
    expect(r.report.stderr).toMatch(/no eligible secondary/);
  });

  it('failLockOn: falls back to the next candidate; with --member it stops with exit 5', async () => {
    const r = await runCli({ scenario: 'fail-lock' });
    expectSnapshotOf(r, '127.0.109.3:27017');
    expect(events(r, '127.0.109.2:27017', 'fsync').map((e) => e.fault)).toEqual(['failLock']);
    const m = await runCli({ scenario: 'fail-lock', args: ['--member', '127.0.109.2'] });
    expectNothingLocked(m, 5);
  });

  it('dropConnectionAfterLockOn (noReply): sees the lock was taken, releases it, falls back', async () => {
    const r = await runCli({ scenario: 'drop-noreply' });
    expect(r.report.exitCode, r.report.stderr).toBe(0);
    checkCommon(r);
    const hidden = '127.0.110.2:27017';
    const lock = events(r, hidden, 'fsync');
    expect(lock[0]!.fault).toBe('dropAfterLock');
    const unl = events(r, hidden, 'fsyncUnlock');
    // every lock taken there (ours, and the nested one that reads the count) was given back (finalLocks: 0)
    expect(unl.filter((e) => e.ok === 1).length).toBeGreaterThanOrEqual(1);
    // released before anything else was locked
    const otherLock = events(r, '127.0.110.3:27017', 'fsync')[0]!;
    expect(unl[0]!.t).toBeLessThan(otherLock.t);
    const start = r.records.find((x) => x.event === 'start')!;
    expect(start.argv).toEqual(['127.0.110.3']);
    assertLockedDuring(r.report.events, '127.0.110.3:27017', start.t, r.records.find((x) => x.event === 'end')!.t, 0);
    const m = await runCli({ scenario: 'drop-noreply', args: ['--member', '127.0.110.2'] });
    expect(m.report.exitCode, m.report.stderr).toBe(5);
    checkCommon(m);
    expect(m.records).toEqual([]);
    expect(m.report.stderr).toMatch(/the lock had been taken and was released/);
  });

  it('dropConnectionAfterLockOn (afterReply): confirms the lock on a fresh connection and snapshots', async () => {
    const r = await runCli({ scenario: 'drop-afterreply' });
    expect(r.report.exitCode, r.report.stderr).toBe(0);
    checkCommon(r);
    const hidden = '127.0.111.2:27017';
    const start = r.records.find((x) => x.event === 'start')!;
    const end = r.records.find((x) => x.event === 'end')!;
    expect(start.argv).toEqual(['127.0.111.2']);
    assertLockedDuring(r.report.events, hidden, start.t, end.t, 0);
    expect(events(r, hidden, 'fsyncUnlock').filter((e) => e.ok === 1).length).toBeGreaterThanOrEqual(1);
  });

  it('failUnlockTimes: retries fsyncUnlock on fresh connections until unlocked (exactly one real unlock)', async () => {
    const r = await runCli({ scenario: 'fail-unlock' });
    expectSnapshotOf(r, '127.0.112.2:27017');
    const unl = events(r, '127.0.112.2:27017', 'fsyncUnlock');
    expect(unl.filter((e) => e.fault === 'failUnlock')).toHaveLength(2);
    expect(new Set(unl.map((e) => e.conn)).size).toBeGreaterThanOrEqual(3); // fresh connections
  });

  it('unlock keeps failing: exit 7 after --unlock-deadline, names the member and how to unlock by hand', async () => {
    const r = await runCli({ scenario: 'unlock-fails', args: ['--unlock-deadline', '2s'] });
    expect(r.report.exitCode, r.report.stderr).toBe(7);
    checkCommon(r);
    // what exit 7 means: still locked. On 7.0+ a nested lock that read the lock count may be held too (at most one
    // per lost unlock reply, bounded), answered like ours by the hint (repeat fsyncUnlock until its lockCount is what
    // others hold)
    expect(r.report.finalLocks['127.0.113.2:27017']).toBeGreaterThanOrEqual(1);
    expect(r.report.finalLocks['127.0.113.2:27017']).toBeLessThanOrEqual(4);
    expect(r.report.stderr).toMatch(/UNLOCK FAILED.*127\.0\.113\.2:27017 MAY STILL BE FSYNC-LOCKED/);
    expect(r.report.stderr).toMatch(
      /mongosh 'mongodb:\/\/127\.0\.113\.2:27017\/admin\?directConnection=true' --username 'admin' --eval 'db\.adminCommand\(\{fsyncUnlock: 1\}\)'/,
    );
    // current mongosh's db.currentOp() has no fsyncLock field: the hint asks the server itself, and reads lockCount
    expect(r.report.stderr).toContain('db.adminCommand({currentOp: 1, $ownOps: true}).fsyncLock');
    expect(r.report.stderr).toMatch(/lockCount is the number of locks left/);
    expect(r.report.stderr).not.toContain('db.currentOp().fsyncLock');
    // a lost unlock reply is waited out (it may still apply until its maxTimeMS) before anything else is sent
    expect(events(r, '127.0.113.2:27017', 'fsyncUnlock').length).toBeGreaterThanOrEqual(1);
    const start = r.records.find((x) => x.event === 'start')!;
    assertLockedDuring(r.report.events, '127.0.113.2:27017', start.t, r.records.find((x) => x.event === 'end')!.t, 0);
  });

  it('slowCommandsMs: still correct with every reply 50 ms late', async () => {
    const r = await runCli({ scenario: 'slow' });
    expectSnapshotOf(r, '127.0.114.2:27017');
  });

  it('SCRAM-SHA-1 only, no speculative auth, port 27018 (with and without authMechanism in the URI)', async () => {
    const sc = loadScenario('scram-sha1-port');
    const r = await runCli({ scenario: 'scram-sha1-port' });
    expectSnapshotOf(r, '127.0.115.2:27018');
    const m = await runCli({ scenario: 'scram-sha1-port', uri: uriFor(sc, { extra: '&authMechanism=SCRAM-SHA-1&authSource=admin' }) });
    expectSnapshotOf(m, '127.0.115.2:27018');
  });

  it('non-default ports, seeds with and without a port: the command gets the host name alone', async () => {
    const sc = loadScenario('mixed-ports');
    // a seed without a port means 27017: this scenario keeps the ports of its file
    const r = await runCli({ scenario: 'mixed-ports', keepPorts: true, uri: uriFor(sc, { seeds: ['127.0.116.1:27101', '127.0.116.2'] }) });
    expectSnapshotOf(r, '127.0.116.3:27103');
  });

  it('wrong password: exit 3, and neither password appears anywhere', async () => {
    const sc = loadScenario('healthy-b');
    const wrong = 'Wr0ng-pw:@/%canary';
    const r = await runCli({ scenario: 'healthy-b', uri: uriFor(sc, { password: wrong }) });
    expectNothingLocked(r, 3);
    checkCommon(r, { passwords: [wrong] });
    expect(r.report.stderr).toMatch(/authentication failed/i);
  });

  it('percent-encoded user and password with @:/%: works, and no form of the password is printed', async () => {
    const r = await runCli({ scenario: 'encoded-password' });
    expectSnapshotOf(r, '127.0.117.2:27017');
    expect((r.scenario.auth as { password: string }).password).toMatch(/[@:/%]/);
    expect(r.report.stderr).toContain('mongodb://***@');
  });

  it('replicaSet in the URI that does not match: exit 3 with a clear message', async () => {
    const sc = loadScenario('healthy-b');
    const r = await runCli({ scenario: 'healthy-b', uri: uriFor(sc).replace('replicaSet=rs-healthy-b', 'replicaSet=other') });
    expectNothingLocked(r, 3);
    expect(r.report.stderr).toMatch(/belongs to replica set "rs-healthy-b", not "other"/);
  });

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig} during the snapshot: kills the command's process group, unlocks, exits ${sig === 'SIGTERM' ? 143 : 130}`, async () => {
      // the fake snapshot command signals the CLI once it runs: during the snapshot, however loaded the machine
      const r = await runCli({ scenario: 'signals', fake: { mode: 'hang', child: true, signalParent: sig } });
      expect(r.report.exitCode, r.report.stderr).toBe(sig === 'SIGTERM' ? 143 : 130);
      checkCommon(r);
      const start = r.records.find((x) => x.event === 'start');
      expect(start!.argv).toEqual(['127.0.118.2']);
      const term = r.records.find((x) => x.event === 'signal-parent')!.t;
      expect(start!.t).toBeLessThan(term);
      assertLockedDuring(r.report.events, '127.0.118.2:27017', start!.t, term, 0);
      const unlock = events(r, '127.0.118.2:27017', 'fsyncUnlock').find((e) => e.ok === 1)!;
      expect(unlock.t).toBeGreaterThan(term);
      expect(r.records.some((x) => x.event === 'sigterm')).toBe(true);
      const grandchild = r.records.find((x) => x.event === 'grandchild');
      expect(grandchild).toBeDefined();
      expect(isAlive(start!.pid!)).toBe(false);
      expect(isAlive(grandchild!.pid!)).toBe(false);
    });
  }

  it('SIGTERM before anything is locked (slow discovery): exit 143 at once, nothing locked, nothing run', async () => {
    // Discovery takes > 6 s here (every reply 1.5 s late). On a loaded machine node may not have loaded the CLI
    // when the signal comes (then the signal kills it, exit code null): try again with a later signal.
    let r: RunResult | undefined;
    for (const delay of [1500, 3000, 4500]) {
      r = await runCli({ scenario: 'slow-discovery', termAfterMs: delay, args: ['--connect-timeout', '20s'] });
      if (r.report.exitCode !== null || /\[start\]/.test(r.report.stderr)) break;
    }
    r = r!;
    expectNothingLocked(r, 143);
    expect(r.report.stderr).toMatch(/SIGTERM received .*stopping \(nothing locked\)/);
    expect(r.report.durationMs - (r.report.termSentAt! - r.report.startedAt)).toBeLessThan(3000);
  });

  it('a failing snapshot command: exit 6, member unlocked', async () => {
    const r = await runCli({ scenario: 'snapshot-failures', fake: { mode: 'fail', ms: 200 } });
    expect(r.report.exitCode, r.report.stderr).toBe(6);
    checkCommon(r);
    const start = r.records.find((x) => x.event === 'start')!;
    const end = r.records.find((x) => x.event === 'end')!;
    assertLockedDuring(r.report.events, '127.0.120.2:27017', start.t, end.t, 0);
    expect(r.report.stderr).toContain('fake-make-vm-snapshot: simulated failure');
  });

  it('a hanging snapshot command: killed at --snapshot-timeout (SIGKILL if it ignores SIGTERM), exit 6, unlocked', async () => {
    const r = await runCli({
      scenario: 'snapshot-failures',
      fake: { mode: 'hang', ignoreTerm: true, child: true },
      args: ['--snapshot-timeout', '4s'],
    });
    expect(r.report.exitCode, r.report.stderr).toBe(6);
    checkCommon(r);
    const start = r.records.find((x) => x.event === 'start')!;
    const term = r.records.find((x) => x.event === 'sigterm')!;
    expect(term.t - start.t).toBeGreaterThan(500);
    assertLockedDuring(r.report.events, '127.0.120.2:27017', start.t, term.t, 0);
    expect(isAlive(start.pid!)).toBe(false);
    expect(isAlive(r.records.find((x) => x.event === 'grandchild')!.pid!)).toBe(false);
    expect(r.report.stderr).toMatch(/SIGKILL/);
  });

  it('a snapshot command that does not exist: exit 2 before anything is locked', async () => {
    const r = await runCli({ scenario: 'snapshot-failures', args: ['--snapshot-command', '/nonexistent/make-vm-snapshot'] });
    expectNothingLocked(r, 2);
    expect(r.report.stderr).toMatch(/snapshot command \/nonexistent\/make-vm-snapshot not found or not executable: nothing was locked/);
    expect(r.report.events.filter((e) => e.cmd !== 'ismaster')).toEqual([]);
  });

  it('a DOWN member first in the seed list costs no connect timeout', async () => {
    const r = await runCli({ scenario: 'down-first', args: ['--connect-timeout', '10s', '--allow-majority-stall'] });
    expectSnapshotOf(r, '127.0.122.4:27017');
    expect(r.report.durationMs).toBeLessThan(8000); // waiting for the DOWN seed would cost the 10 s connect timeout
  });

  it('no primary: lag is measured against the freshest member', async () => {
    const r = await runCli({ scenario: 'no-primary', args: ['--max-lag-seconds', '10', '--allow-majority-stall'] });
    expectSnapshotOf(r, '127.0.123.2:27017');
    expect(r.report.stderr).toMatch(/no primary in the status/);
    expect(r.report.stderr).toMatch(/rejected 127\.0\.123\.4:27017: lag 2\ds > --max-lag-seconds 10/);
  });

  it('a member left locked (and lagging because of it) is reported, in the log and the pushed metrics, and not touched', async () => {
    const got: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        // the set's group only (the members' "may be locked" groups: issue26-renewal.test.ts)
        if (!req.url!.includes('/member/')) got.push(`${req.method} ${body}`);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await runCli({
        scenario: 'locked-lagging',
        args: ['--allow-majority-stall', '--pushgateway', `http://127.0.0.1:${(server.address() as AddressInfo).port}`],
      });
      expectSnapshotOf(r, '127.0.126.3:27017');
      expect(r.report.finalLocks['127.0.126.2:27017']).toBe(1);
      // a locked member's optime stands still: its lag grows while the run goes on
      expect(r.report.stderr).toMatch(/rejected 127\.0\.126\.2:27017: lag 6\d\ds/);
      expect(r.report.stderr).toMatch(/fsync-locked by someone else .*: 127\.0\.126\.2:27017/);
      expect(events(r, '127.0.126.2:27017').filter((e) => /^fsync/i.test(e.cmd))).toEqual([]);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatch(/^PUT /);
      expect(r.toScenario(got[0]!)).toContain('mongo_snapshot_fsync_locked_members{member="127.0.126.3:27017"} 1');
    } finally {
      server.close();
    }
  });

  it('pushes metrics to the Pushgateway: PUT on success, POST (no last-success) on failure; a dead gateway changes nothing', async () => {
    const got: Array<{ method: string; url: string; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        // the set's group only (the members' "may be locked" groups: issue26-renewal.test.ts)
        if (!req.url!.includes('/member/')) got.push({ method: req.method!, url: req.url!, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await runCli({ scenario: 'passive', args: ['--pushgateway', url] });
      expectSnapshotOf(ok, '127.0.103.3:27017');
      const bad = await runCli({ scenario: 'passive', env: { PUSHGATEWAY_URL: url }, args: ['--member', '127.0.103.1'] });
      expectNothingLocked(bad, 4);
      expect(got).toHaveLength(2);
      got[0]!.body = ok.toScenario(got[0]!.body);
      got[1]!.body = bad.toScenario(got[1]!.body);
      expect(got[0]!.method).toBe('PUT');
      expect(got[0]!.url).toBe('/metrics/job/mongo-snapshot/replica_set/rs-passive');
      const m = 'member="127.0.103.3:27017"';
      expect(got[0]!.body).toContain(`mongo_snapshot_last_exit_code{${m}} 0`);
      expect(got[0]!.body).toMatch(new RegExp(`mongo_snapshot_last_success_timestamp_seconds\\{${m}\\} \\d{10}`));
      // held at least as long as the 300 ms fake snapshot (longer on a loaded machine)
      expect(Number(new RegExp(`mongo_snapshot_lock_held_seconds\\{${m}\\} ([\\d.]+)`).exec(got[0]!.body)?.[1])).toBeGreaterThanOrEqual(
        0.3,
      );
      expect(got[0]!.body).toContain(`mongo_snapshot_member_locked{${m}} 0`);
      expect(got[0]!.body).toContain(`mongo_snapshot_fsync_locked_members{${m}} 0`);
      expect(got[0]!.body).toMatch(/mongo_snapshot_last_run_timestamp_seconds\{member="127.0.103.3:27017"\} \d{10}/);
      expect(got[1]!.method).toBe('POST');
      expect(got[1]!.body).toContain('mongo_snapshot_last_exit_code{member="127.0.103.1:27017"} 4');
      expect(got[1]!.body).not.toContain('mongo_snapshot_last_success_timestamp_seconds');
    } finally {
      server.close();
    }
    const dead = await runCli({ scenario: 'passive', args: ['--pushgateway', 'http://127.0.0.1:9'] });
    expectSnapshotOf(dead, '127.0.103.3:27017');
    expect(dead.report.stderr).toMatch(/push failed/);
  });
});

describe('mongo-snapshot usage errors (built CLI, no simulator needed)', () => {
  beforeAll(async () => {
    await buildBundle();
  });

  it('no connection string, a malformed one, a bad duration: exit 2 without the password', async () => {
    const none = await runCliDirect([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing connection string/);
    for (const bad of [
      `mongodb://admin:${CANARY}@`,
      `http://admin:${CANARY}@host/`,
      `mongodb://admin:${CANARY}:x@host/`,
      `mongodb://admin:${CANARY}@host/?tls=maybe`,
    ]) {
      const r = await runCliDirect([bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/invalid connection string/);
      expect(r.stdout + r.stderr).not.toContain(CANARY);
    }
    const env = await runCliDirect([], { MONGODB_URI: `mongodb://admin:${CANARY}@` });
    expect(env.code).toBe(2);
    expect(env.stdout + env.stderr).not.toContain(CANARY);
    const d = await runCliDirect([`mongodb://admin:${CANARY}@h1/?replicaSet=rs0`, '--snapshot-timeout', '10x']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/invalid duration/);
    expect(d.stdout + d.stderr).not.toContain(CANARY);
    const extra = await runCliDirect([`mongodb://admin:${CANARY}@h1/`, `mongodb://admin:${CANARY}@h2/`]);
    expect(extra.code).toBe(2);
    expect(extra.stdout + extra.stderr).not.toContain(CANARY);
  });

  it('usage errors are one JSON line with --log-format json', async () => {
    const r = await runCliDirect([`mongodb://admin:${CANARY}@h1/?replicaSet=rs0`, '--log-format', 'json', '--unlock-deadline', 'never']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'error',
      step: 'usage',
      exitCode: 2,
      msg: expect.stringMatching(/unlock-deadline.*invalid duration/),
    });
    expect(r.stderr).not.toContain(CANARY);
  });

  it('--help lists the flags and the exit codes', async () => {
    const r = await runCliDirect(['--help']);
    expect(r.code).toBe(0);
    for (const f of [
      '--max-lag-seconds',
      '--member',
      '--allow-delayed',
      '--dry-run',
      '--snapshot-command',
      '--snapshot-timeout',
      '--unlock-deadline',
      '--connect-timeout',
      '--log-format',
      '--pushgateway',
    ]) {
      expect(r.stdout).toContain(f);
    }
    for (const c of [
      '0  snapshot taken',
      '2  usage error',
      '3  cannot connect',
      '4  no eligible',
      '5  lock failed',
      '6  snapshot command failed',
      '7  UNLOCK FAILED',
      '130  interrupted by SIGINT',
      '143  interrupted by SIGTERM',
    ]) {
      expect(r.stdout).toContain(c);
    }
  });
});
