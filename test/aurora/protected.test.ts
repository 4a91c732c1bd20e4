// Attack on issue 28 (high): ACK deletes the AWS resource when its object is deleted
// (rds-controller@v1.11.1 pkg/resource/db_cluster/hooks.go setDeleteDBClusterInput), and Aurora
// DBInstances have no deletion protection. Argo CD's automated prune of a cluster, environment or
// standby dropped from the fleet must not reach them: they carry Prune=false like every stateful kind,
// and removing one is a DANGER in `dbfleet plan`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { PROTECTED_SYNC_OPTIONS, SYNC_OPTIONS_ANNOTATION } from '../../lib/gitops/sync-policy';
import { buildApp, renderObjects } from '../../lib/output/render';
import { DANGER_RULES, type DangerContext, type Transition } from '../../lib/plan/dangers';

const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'aurora-dr.yaml'), 'utf8');
const rendered = renderObjects(buildApp(parseFleet(FIXTURE, 'fleet.yaml')));
const STATEFUL = ['DBCluster', 'DBInstance', 'GlobalCluster'];

describe('Aurora objects are never pruned', () => {
  const stateful = rendered.filter((r) => r.object.apiVersion.startsWith('rds.services.k8s.aws/') && STATEFUL.includes(r.object.kind));

  it('every DBCluster, DBInstance and GlobalCluster carries Prune=false and Delete=false', () => {
    expect(new Set(stateful.map((r) => r.object.kind))).toEqual(new Set(STATEFUL));
    for (const r of stateful) {
      const options = (r.object.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '').split(',');
      for (const option of PROTECTED_SYNC_OPTIONS.split(',')) expect(options, r.path).toContain(option);
    }
  });

  it('removing one is a DANGER in the plan', () => {
    for (const r of stateful) {
      const environment = r.path.split('/')[0];
      const transition: Transition = { type: 'removed', environment, before: r.object };
      const context: DangerContext = { transitions: [transition], headObjects: () => [] };
      const dangers = DANGER_RULES.flatMap((rule) => rule.check(transition, context));
      expect(dangers.length, r.path).toBeGreaterThan(0);
    }
  });
});
