// Issue 29 review mends: a standby's own pooler settings, overrides.<standby>, and backup schedules
// too sparse to be the replica-site alert's heartbeat are config errors (file:line:path, all at
// once), never silently dropped or turned into a permanent page.
import { describe, expect, it } from 'vitest';
import { buildApp, renderObjects } from '../../lib/output/render';
import { drFleet } from '../support/dr-fleet';
import { configErrors, fleetOf, lineOf } from '../support/fleet';

const POOLER = '    pooler: { rw: { instances: 2, poolMode: transaction } }';
const poolers = (text: string) =>
  renderObjects(buildApp(fleetOf(text)))
    .filter((o) => o.object.kind === 'Pooler')
    .map((o) => o.path)
    .sort();

describe("a standby's pooler", () => {
  it('set only at the standby is refused at its line, naming where a DR pair pools', () => {
    const text = drFleet('shared', POOLER);
    expect(configErrors(text)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^fleet\\.yaml:${lineOf(text, POOLER)}: environments\\.main-dr\\.pooler: is set, but main does not pool: a DR pair's poolers are set at the source \\(environments\\.main\\.pooler\\)`,
        ),
      ),
    ]);
  });

  it("differing from the source's, or removed with null, is refused; the same settings (or none) render the source's poolers at both sites", () => {
    const other = drFleet('shared', '    pooler: { rw: { instances: 3, poolMode: transaction } }', POOLER);
    expect(configErrors(other)).toEqual([
      expect.stringMatching(
        new RegExp(`^fleet\\.yaml:${lineOf(other, 'instances: 3, poolMode')}: environments\\.main-dr\\.pooler: differs from main's`),
      ),
    ]);
    const removed = drFleet('shared', '    pooler: null', POOLER);
    expect(configErrors(removed)).toEqual([
      expect.stringMatching(
        new RegExp(`^fleet\\.yaml:${lineOf(removed, 'pooler: null')}: environments\\.main-dr\\.pooler: differs from main's`),
      ),
    ]);
    const both = [
      'main-dr/pooler-acme-pooler-ro.yaml',
      'main-dr/pooler-acme-pooler-rw.yaml',
      'main/pooler-acme-pooler-ro.yaml',
      'main/pooler-acme-pooler-rw.yaml',
    ];
    const pool = '    pooler: { rw: { instances: 2, poolMode: transaction }, ro: { instances: 2 } }';
    expect(poolers(drFleet('shared', '', pool))).toEqual(both);
    expect(poolers(drFleet('shared', pool, pool))).toEqual(both);
  });

  it("overrides.<standby> (services and groups) are refused: the standby's clusters are the source's", () => {
    const text = drFleet('grouped')
      .replace(
        'groups: { commerce: {}, storefront: {} }',
        'groups: { commerce: { overrides: { main-dr: { pooler: { rw: {} } } } }, storefront: {} }',
      )
      .replace('      main: { storage: 200Gi', '      main-dr: { storage: 900Gi }\n      main: { storage: 200Gi');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'groups:')}: groups.commerce.overrides.main-dr: main-dr is a standby of main: its clusters are physical copies of main's (sizes, parameters, poolers), so set this in overrides.main; per site only environments.main-dr.instances and storageClass differ`,
      `fleet.yaml:${lineOf(text, 'main-dr: { storage')}: services[0].overrides.main-dr: main-dr is a standby of main: its clusters are physical copies of main's (sizes, parameters, poolers), so set this in overrides.main; per site only environments.main-dr.instances and storageClass differ`,
    ]);
  });
});

describe('the WAL heartbeat of a DR pair', () => {
  const sourceSchedule = (text: string, schedule: string) => text.replace('schedule: "0 0 1 * * *"', `schedule: "${schedule}"`);
  it("a source's backup schedule too sparse to be the heartbeat is refused at its line (29 February: one run in up to 8 years)", () => {
    const text = sourceSchedule(drFleet('per-service'), '0 0 0 29 2 *');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, '0 0 0 29 2 *')}: environments.main.backups.objectStore.schedule: "0 0 0 29 2 *" leaves up to 2921 days between backups on main's primary: in a DR pair each such backup is the heartbeat that tells the standby site a quiet source from a broken link, and its alert (…ReplicaSiteWALStale, docs/disaster-recovery.md) would wait 1.5 × that; schedule one at least every 7 days (e.g. "0 0 2 * * *", daily)`,
    ]);
    // Monthly is too sparse too; weekly is the sparsest accepted.
    expect(configErrors(sourceSchedule(drFleet('per-service'), '0 0 1 1 * *')).join('\n')).toMatch(/leaves up to 31 days between backups/);
    expect(() => fleetOf(sourceSchedule(drFleet('per-service'), '0 0 1 * * 0'))).not.toThrow();
  });

  it("a daily volume snapshot on the primary is heartbeat enough; a standby's own sparse schedule counts too (it is the source after a switchover)", () => {
    const snapshots = '    backups:\n      postgres: { schedule: "0 0 2 * * *", method: volumeSnapshot, volumeSnapshotClass: csi }';
    const withSnapshots = sourceSchedule(drFleet('per-service'), '0 0 1 1 * *').replace(
      '        schedule: "0 0 1 1 * *"\n',
      `        schedule: "0 0 1 1 * *"\n${snapshots.split('\n').slice(1).join('\n')}\n`,
    );
    expect(() => fleetOf(withSnapshots)).not.toThrow();
    const standby = drFleet('per-service').replace('schedule: "0 0 3 * * *"', 'schedule: "0 0 3 1 * *"');
    expect(configErrors(standby)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^fleet\\.yaml:${lineOf(standby, '"0 0 3 1 * *"')}: environments\\.main-dr\\.backups\\.objectStore\\.schedule: "0 0 3 1 \\* \\*" leaves up to 31 days between backups on main-dr's primary: in a DR pair each such backup is the heartbeat that tells the other site`,
        ),
      ),
    ]);
  });

  it('every problem at once: a standby-only pooler, an override of the standby and a sparse source schedule', () => {
    const text = sourceSchedule(drFleet('per-service', POOLER), '0 0 0 29 2 *').replace(
      '      main: { storage: 200Gi',
      '      main-dr: { instances: 5 }\n      main: { storage: 200Gi',
    );
    const errors = configErrors(text);
    expect(errors.map((e) => e.split(': ')[1]).sort()).toEqual([
      'environments.main-dr.pooler',
      'environments.main.backups.objectStore.schedule',
      'services[0].overrides.main-dr',
    ]);
  });
});
