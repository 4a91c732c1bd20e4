// Self-checks of two invariants over pods: no-superuser-jobs looks at every pod-bearing kind (issue
// 24 attack, low: Deployments were skipped), and egress-default-deny (issue 24 item 7).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type RenderedObject } from '../../lib/output/render';
import { checkInvariants, egressDefaultDeny, noSuperuserJobs } from '../support/invariants';
import { fleetOf } from '../support/fleet';

const podSpec = {
  containers: [
    { name: 'c', image: 'x', env: [{ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'orders-superuser', key: 'password' } } }] },
  ],
};

describe('no-superuser-jobs', () => {
  it.each([
    ['Deployment', { template: { spec: podSpec } }],
    ['StatefulSet', { template: { spec: podSpec } }],
    ['DaemonSet', { template: { spec: podSpec } }],
    ['Pod', podSpec],
  ])('sees a %s whose pod reads a superuser Secret', (kind, spec) => {
    const object = { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, metadata: { name: 'exporter', namespace: 'databases' }, spec };
    const objects: RenderedObject[] = [{ path: `test/${kind.toLowerCase()}-exporter.yaml`, object }];
    const violations = checkInvariants({ fleet: fleetOf(), objects }, [noSuperuserJobs]);
    expect(violations.map((v) => v.message)).toEqual(['its pod reads the superuser Secret orders-superuser']);
  });
});

describe('egress-default-deny', () => {
  const fleet = parseFleet(readFileSync(join(__dirname, '..', '..', 'fleet.yaml'), 'utf8'), 'fleet.yaml');
  const objects = renderObjects(buildApp(fleet));
  it('holds for the example fleet (egress on in production and production-dr)', () => {
    expect(checkInvariants({ fleet, objects }, [egressDefaultDeny])).toEqual([]);
  });
  it('names every pod-bearing object of a namespace whose default-deny egress policy is missing', () => {
    const without = objects.filter((r) => r.path !== 'production/networkpolicy-backups-default-deny-egress.yaml');
    expect(checkInvariants({ fleet, objects: without }, [egressDefaultDeny]).map((v) => v.object)).toEqual([
      'production/cronjob-mongo-snapshot-catalog-mongo.yaml',
    ]);
  });
});
