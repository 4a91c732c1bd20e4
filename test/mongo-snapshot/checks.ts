/** Assertions shared by the mongo-snapshot end-to-end suites. */
import { expect } from 'vitest';
import { assertLockedDuring, events, memberNames, secretForms, type RunResult } from './helpers';

/** Initial lock counts from the scenario (0, or what someone else holds). */
export function initialLocks(r: RunResult): Record<string, number> {
  const names = memberNames(r.scenario);
  return Object.fromEntries(r.scenario.members.map((m, i) => [names[i]!, m.lockCount ?? 0]));
}

/** Checks for every run: no password anywhere, locks back to what they were (unless the run says exit 7). */
export function checkCommon(r: RunResult, opts: { passwords?: string[]; finalLocks?: Record<string, number> } = {}) {
  const auth = r.scenario.auth;
  const own = Array.isArray(auth) ? auth.map((a) => a.password) : auth ? [auth.password] : [];
  for (const pw of [...(opts.passwords ?? []), ...own]) {
    for (const form of secretForms(pw)) {
      expect(r.output.includes(form), `password form ${JSON.stringify(form.slice(0, 3))}… leaked`).toBe(false);
    }
  }
  expect(r.report.timedOut).toBe(false);
  if (r.report.exitCode !== 7) expect(r.report.finalLocks).toEqual({ ...initialLocks(r), ...opts.finalLocks });
  const start = r.records.find((x) => x.event === 'start');
  if (start) expect(start.hasMongoUri).toBe(false);
}

/** Exit 0, the snapshot command got `host` (no port), and the member was locked for the whole snapshot. */
export function expectSnapshotOf(r: RunResult, member: string) {
  expect(r.report.exitCode, r.report.stderr).toBe(0);
  checkCommon(r);
  const start = r.records.find((x) => x.event === 'start');
  const end = r.records.find((x) => x.event === 'end');
  expect(start?.argv).toEqual([member.replace(/:\d+$/, '')]);
  expect(end).toBeDefined();
  const initial = initialLocks(r)[member] ?? 0;
  assertLockedDuring(r.report.events, member, start!.t, end!.t, initial);
  // our lock was taken before the snapshot, and given back after it
  const locks = events(r, member, 'fsync').filter((e) => e.ok === 1 && (e.args as { lock?: boolean })?.lock);
  expect(locks.filter((e) => e.t < start!.t).length).toBeGreaterThanOrEqual(1);
  // every lock we took (the lock, and the nested one that reads the count before the unlock) was given back
  const unlocks = events(r, member, 'fsyncUnlock').filter((e) => e.ok === 1);
  expect(unlocks).toHaveLength(locks.length);
  expect(unlocks.at(-1)!.t).toBeGreaterThan(end!.t);
  // no other member was locked
  for (const e of r.report.events)
    if (e.member !== member && e.cmd === 'fsync' && e.ok === 1 && (e.args as { lock?: boolean })?.lock)
      throw new Error(`unexpected fsync lock on ${e.member}`);
}

/** Nothing was locked and nothing was run. */
export function expectNothingLocked(r: RunResult, code: number) {
  expect(r.report.exitCode, r.report.stderr).toBe(code);
  checkCommon(r);
  expect(r.records).toEqual([]);
  expect(r.report.events.filter((e) => e.cmd === 'fsync' && e.ok === 1)).toEqual([]);
}
