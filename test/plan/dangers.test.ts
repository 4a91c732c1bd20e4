// The DANGER rules that no fleet.yaml change can produce today (dbfleet always renders
// databaseReclaimPolicy: retain and the protection annotation): checked on hand-made manifests,
// as they would appear in a hand-edited dist/ or after a future change to the constructs.
import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '../../lib/output/render';
import { findDangers } from '../../lib/plan/dangers';
import type { Manifests } from '../../lib/plan/manifests';

const protectedMeta = { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } };
const database = (spec: Record<string, unknown>, meta: object = protectedMeta): KubernetesObject =>
  ({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Database', metadata: { name: 'orders', namespace: 'databases', ...meta }, spec } as KubernetesObject);
const manifests = (...entries: Array<[string, KubernetesObject]>): Manifests => new Map(entries);

describe('findDangers', () => {
  it('a reclaim policy switched to delete', () => {
    const dangers = findDangers(
      manifests(['production/database-orders.yaml', database({ name: 'orders', databaseReclaimPolicy: 'retain' })]),
      manifests(['production/database-orders.yaml', database({ name: 'orders', databaseReclaimPolicy: 'delete' })]),
    );
    expect(dangers).toEqual([{ environment: 'production', object: 'Database databases/orders', message: 'databaseReclaimPolicy becomes delete: deleting the object will drop the database' }]);
  });

  it('a stateful object losing its prune protection', () => {
    const dangers = findDangers(
      manifests(['test/database-orders.yaml', database({ name: 'orders' })]),
      manifests(['test/database-orders.yaml', database({ name: 'orders' }, { annotations: {} })]),
    );
    expect(dangers.map((d) => d.message)).toEqual(['loses its "Prune=false,Delete=false" sync options: a later sync could delete it']);
  });

  it('a NetworkPolicy removed, and one opened to everyone', () => {
    const policy = (ingress: unknown[]): KubernetesObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'databases' }, spec: { podSelector: {}, ingress } } as KubernetesObject);
    expect(findDangers(manifests(['test/networkpolicy-p.yaml', policy([])]), manifests()).map((d) => d.message))
      .toEqual(['is removed: the traffic it restricted is no longer restricted by it']);
    expect(findDangers(manifests(['test/networkpolicy-p.yaml', policy([])]), manifests(['test/networkpolicy-p.yaml', policy([{ ports: [{ port: 5432, protocol: 'TCP' }] }])])).map((d) => d.message))
      .toEqual(['now also allows traffic from anywhere on TCP 5432']);
  });

  it('nothing for an unchanged object', () => {
    const same = manifests(['test/database-orders.yaml', database({ name: 'orders', databaseReclaimPolicy: 'retain' })]);
    expect(findDangers(same, same)).toEqual([]);
  });
});
