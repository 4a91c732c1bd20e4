// The DANGER rules that no fleet.yaml change can produce today (dbfleet always renders
// databaseReclaimPolicy: retain and the protection annotation): checked on hand-made manifests,
// as they would appear in a hand-edited dist/ or after a future change to the constructs.
import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '../../lib/output/render';
import type { Manifests } from '../../lib/plan/manifests';
import { makePlan } from '../../lib/plan/plan';

const findDangers = (base: Manifests, head: Manifests) => makePlan(base, head).dangers.map(({ rule: _rule, ...d }) => d);

const protectedMeta = { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } };
const database = (spec: Record<string, unknown>, meta: object = protectedMeta): KubernetesObject =>
  ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Database',
    metadata: { name: 'orders', namespace: 'databases', ...meta },
    spec,
  }) as KubernetesObject;
const manifests = (...entries: Array<[string, KubernetesObject]>): Manifests => new Map(entries);

describe('findDangers', () => {
  it('a reclaim policy switched to delete', () => {
    const dangers = findDangers(
      manifests(['production/database-orders.yaml', database({ name: 'orders', databaseReclaimPolicy: 'retain' })]),
      manifests(['production/database-orders.yaml', database({ name: 'orders', databaseReclaimPolicy: 'delete' })]),
    );
    expect(dangers).toEqual([
      {
        environment: 'production',
        object: 'Database databases/orders',
        message: 'databaseReclaimPolicy becomes delete: deleting the object will drop the database',
      },
    ]);
  });

  it('a stateful object losing its prune protection', () => {
    const dangers = findDangers(
      manifests(['test/database-orders.yaml', database({ name: 'orders' })]),
      manifests(['test/database-orders.yaml', database({ name: 'orders' }, { annotations: {} })]),
    );
    expect(dangers.map((d) => d.message)).toEqual(['loses its "Prune=false,Delete=false" sync options: a later sync could delete it']);
  });

  it('a NetworkPolicy removed, and one opened to everyone', () => {
    const policy = (ingress: unknown[], name = 'p', podSelector: object = {}): KubernetesObject =>
      ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name, namespace: 'databases' },
        spec: { podSelector, ingress },
      }) as KubernetesObject;
    // The default-deny itself: removing it opens the namespace.
    expect(findDangers(manifests(['test/networkpolicy-p.yaml', policy([])]), manifests()).map((d) => d.message)).toEqual([
      'is removed: it denied all ingress in namespace databases; pods no other policy selects now accept traffic from anywhere',
    ]);
    // An allow policy with the default-deny still there: removing it CUTS the traffic it allowed.
    const deny = policy([], 'default-deny-ingress');
    const allow = policy(
      [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } } }],
          ports: [{ port: 5432, protocol: 'TCP' }],
        },
      ],
      'orders-ingress',
      { matchLabels: { 'cnpg.io/cluster': 'orders' } },
    );
    expect(
      findDangers(
        manifests(['test/networkpolicy-default-deny-ingress.yaml', deny], ['test/networkpolicy-orders-ingress.yaml', allow]),
        manifests(['test/networkpolicy-default-deny-ingress.yaml', deny]),
      ),
    ).toEqual([
      {
        environment: 'test',
        object: 'NetworkPolicy databases/orders-ingress',
        message:
          'is removed: it only allowed traffic (namespaces {"matchLabels":{"kubernetes.io/metadata.name":"orders"}} on TCP 5432); the namespace\'s default-deny remains, so that traffic is CUT',
      },
    ]);
    expect(
      findDangers(
        manifests(['test/networkpolicy-p.yaml', policy([])]),
        manifests(['test/networkpolicy-p.yaml', policy([{ ports: [{ port: 5432, protocol: 'TCP' }] }])]),
      ).map((d) => d.message),
    ).toEqual(['now also allows traffic from anywhere on TCP 5432']);
  });

  it('nothing for an unchanged object', () => {
    const same = manifests(['test/database-orders.yaml', database({ name: 'orders', databaseReclaimPolicy: 'retain' })]);
    expect(findDangers(same, same)).toEqual([]);
  });
});
