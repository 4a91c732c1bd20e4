// The DANGER rules that no fleet.yaml change can produce today (dbfleet always renders
// databaseReclaimPolicy: retain and the protection annotation): checked on hand-made manifests,
// as they would appear in a hand-edited dist/ or after a future change to the constructs.
import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '../../lib/output/render';
import { findDangers as findDangersOf, postgresMajor, type DangerContext, type Transition } from '../../lib/plan/dangers';
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

// Each rule of lib/plan/dangers.ts on hand-made transitions, one claim per `it`, with its exact messages:
// a rule that stops firing, fires where it should not, or names the wrong values fails here (the
// mutation run of docs/mutation-testing.md found most of them unchecked by the plan scenarios above).
const OWN_RULES = new Set([
  'login-revoked',
  'store-key-moved',
  'removed-data-bearing',
  'moved-data-bearing',
  'lost-protection',
  'volume-shrink',
  'single-instance',
  'major-version',
  'developer-access',
  'database',
  'rejected-update',
  'network-policy-removed',
  'network-policy-widened',
  'pool-mode',
  'application-changed',
]);

function object(apiVersion: string, kind: string, name: string, spec: Record<string, unknown> = {}, meta: object = {}): KubernetesObject {
  return { apiVersion, kind, metadata: { name, namespace: 'databases', ...meta }, spec } as KubernetesObject;
}
const cluster = (spec: Record<string, unknown>, meta: object = {}) => object('postgresql.cnpg.io/v1', 'Cluster', 'orders', spec, meta);
const zalando = (spec: Record<string, unknown>) => object('acid.zalan.do/v1', 'postgresql', 'orders', spec);
const changed = (before: KubernetesObject, after: KubernetesObject, environment = 'production'): Transition => ({
  type: 'changed',
  environment,
  before,
  after,
});

/** The dangers this file's rules find, as `rule: message` (other files' rules, e.g. admission, left out). */
function found(transitions: Transition[], extra: Partial<DangerContext> = {}): string[] {
  return findDangersOf({ transitions, headObjects: () => [], ...extra })
    .filter((d) => OWN_RULES.has(d.rule))
    .map((d) => `${d.rule}: ${d.message}`);
}

describe('each DANGER rule of lib/plan/dangers.ts', () => {
  it('the object a danger names is the removed, moved or changed one as it was, or the added one', () => {
    const before = cluster({ instances: 3 });
    const dangers = findDangersOf({
      transitions: [
        { type: 'removed', environment: 'test', before },
        { type: 'changed', environment: 'production', before, after: { ...cluster({ instances: 1 }), metadata: { name: 'renamed' } } },
        {
          type: 'added',
          environment: 'staging',
          after: object('postgresql.cnpg.io/v1', 'Pooler', 'orders-rw', {
            cluster: { name: 'orders' },
            pgbouncer: { poolMode: 'transaction' },
          }),
        },
      ],
      headObjects: () => [],
    }).filter((d) => OWN_RULES.has(d.rule));
    expect(dangers.map(({ environment, object, rule }) => `${environment} ${object} ${rule}`)).toEqual([
      'test Cluster databases/orders removed-data-bearing',
      'production Cluster databases/orders single-instance',
      'staging Pooler databases/orders-rw pool-mode',
    ]);
  });

  it('removed-data-bearing: a protected kind removed, not a ConfigMap, not a NetworkPolicy (its own rule), not a change', () => {
    // With the protection annotation: rules about changes (lost-protection) must not read its missing `after`.
    const kept = cluster({}, { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } });
    expect(found([{ type: 'removed', environment: 'test', before: kept }])).toEqual([
      'removed-data-bearing: is removed: Argo CD will not prune it (Prune=false), but it is no longer managed and its data is orphaned',
    ]);
    expect(found([{ type: 'removed', environment: 'test', before: object('v1', 'ConfigMap', 'c') }])).toEqual([]);
    expect(
      found([{ type: 'removed', environment: 'test', before: object('networking.k8s.io/v1', 'NetworkPolicy', 'p', { podSelector: {} }) }]),
    ).toEqual([
      'network-policy-removed: is removed: it denied all ingress in namespace databases; pods no other policy selects now accept traffic from anywhere',
    ]);
    expect(found([{ type: 'added', environment: 'test', after: cluster({}) }])).toEqual([]);
  });

  it('moved-data-bearing: to another namespace, or renamed; not for an unprotected kind or a change', () => {
    const from = cluster({});
    expect(
      found([{ type: 'moved', environment: 'test', before: from, after: { ...from, metadata: { name: 'orders', namespace: 'db2' } } }]),
    ).toEqual([
      'moved-data-bearing: moves from namespace databases to db2: Kubernetes cannot move an object, so Cluster db2/orders is a new, empty Cluster, and the old one stays, unmanaged, with its data',
    ]);
    expect(
      found([
        { type: 'moved', environment: 'test', before: from, after: { ...from, metadata: { name: 'sales', namespace: 'databases' } } },
      ]),
    ).toEqual([
      'moved-data-bearing: is renamed to sales: a rename creates a new, empty Cluster (Cluster databases/sales) and leaves the old one unmanaged with its data',
    ]);
    const map = object('v1', 'ConfigMap', 'c');
    expect(
      found([{ type: 'moved', environment: 'test', before: map, after: { ...map, metadata: { name: 'd', namespace: 'databases' } } }]),
    ).toEqual([]);
    expect(found([{ type: 'moved', environment: 'test', before: from }])).toEqual([]);
    // A moved cluster is a new, empty one: the rules about changes in place (shrink, instances, major,
    // access, protection) say nothing about it.
    const big = cluster(
      { instances: 3, storage: { size: '10Gi' }, imageName: 'ghcr.io/cloudnative-pg/postgresql:16.10' },
      { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'dbfleet.io/developer-access': 'none' } },
    );
    const small = {
      ...cluster({ instances: 1, storage: { size: '1Gi' }, imageName: 'ghcr.io/cloudnative-pg/postgresql:17.6' }),
      metadata: { name: 'sales', namespace: 'databases', annotations: { 'dbfleet.io/developer-access': 'read-write' } },
    };
    expect(found([{ type: 'moved', environment: 'test', before: big, after: small }])).toEqual([
      'moved-data-bearing: is renamed to sales: a rename creates a new, empty Cluster (Cluster databases/sales) and leaves the old one unmanaged with its data',
    ]);
  });

  it('lost-protection: only a protected object that had the protection and lost it', () => {
    const protectedMeta = { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } };
    const message = 'lost-protection: loses its "Prune=false,Delete=false" sync options: a later sync could delete it';
    expect(
      found([changed(cluster({}, protectedMeta), cluster({}, { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false' } }))]),
    ).toEqual([message]);
    expect(found([changed(cluster({}, protectedMeta), cluster({}, protectedMeta))])).toEqual([]);
    expect(found([changed(cluster({}, protectedMeta), { ...cluster({}), metadata: { name: 'orders', namespace: 'databases' } })])).toEqual([
      message,
    ]);
    expect(found([changed(cluster({}), cluster({ instances: 1 }))])).toEqual([]);
    const map = object('v1', 'ConfigMap', 'c', {}, protectedMeta);
    expect(found([changed(map, object('v1', 'ConfigMap', 'c'))])).toEqual([]);
  });

  it('volume-shrink: storage, WAL and Zalando volume sizes that shrink; a WAL volume dropped; not growth, not other kinds', () => {
    expect(
      found([
        changed(
          cluster({ storage: { size: '10Gi' }, walStorage: { size: '2Gi' } }),
          cluster({ storage: { size: '9Gi' }, walStorage: { size: '1Gi' } }),
        ),
      ]),
    ).toEqual([
      'volume-shrink: spec.storage.size shrinks from 10Gi to 9Gi: volumes cannot shrink, and the operator will refuse or fail',
      'volume-shrink: spec.walStorage.size shrinks from 2Gi to 1Gi: volumes cannot shrink, and the operator will refuse or fail',
    ]);
    expect(
      found([changed(cluster({ storage: { size: '10Gi' }, walStorage: { size: '2Gi' } }), cluster({ storage: { size: '10Gi' } }))]),
    ).toEqual(['volume-shrink: loses its separate WAL volume (2Gi): changing the WAL layout of a running cluster is not supported']);
    expect(found([changed(zalando({ volume: { size: '10Gi' } }), zalando({ volume: { size: '1000Mi' } }))])).toEqual([
      'volume-shrink: spec.volume.size shrinks from 10Gi to 1000Mi: volumes cannot shrink, and the operator will refuse or fail',
    ]);
    // Growing, equal, or a size no longer set (the storage, not the WAL volume) is not a shrink.
    expect(
      found([changed(cluster({ storage: { size: '10Gi' } }), cluster({ storage: { size: '20Gi' }, walStorage: { size: '1Gi' } }))]),
    ).toEqual([]);
    expect(found([changed(cluster({ storage: { size: '10Gi' } }), cluster({ storage: { size: '10Gi' }, instances: 2 }))])).toEqual([]);
    expect(found([changed(cluster({ storage: { size: '10Gi' } }), cluster({}))])).toEqual([]);
    const pvc = (size: string) => object('v1', 'PersistentVolumeClaim', 'c', { storage: { size } });
    expect(found([changed(pvc('10Gi'), pvc('1Gi'))])).toEqual([]);
  });

  it('single-instance: from 2 or more to fewer than 2, CloudNativePG or Zalando', () => {
    const message = (from: number, to: number) =>
      `single-instance: instances drop from ${from} to ${to}: no standby is left to fail over to, and the dropped instances' volumes are deleted`;
    expect(found([changed(cluster({ instances: 2 }), cluster({ instances: 1 }))])).toEqual([message(2, 1)]);
    expect(found([changed(zalando({ numberOfInstances: 3 }), zalando({ numberOfInstances: 1 }))])).toEqual([message(3, 1)]);
    expect(found([changed(cluster({ instances: 3 }), cluster({ instances: 2 }))])).toEqual([]);
    expect(found([changed(cluster({ instances: 1 }), cluster({ instances: 0 }))])).toEqual([]);
    expect(found([changed(cluster({ instances: 1 }), cluster({ instances: 3 }))])).toEqual([]);
    const other = (instances: number) => object('postgresql.cnpg.io/v1', 'Pooler', 'p', { instances });
    expect(found([changed(other(3), other(1))])).toEqual([]);
  });

  it('postgresMajor: Zalando version, image catalog major, image tag; undefined where none is known', () => {
    expect(postgresMajor(zalando({ postgresql: { version: '17' } }))).toBe(17);
    expect(postgresMajor(zalando({}))).toBeUndefined();
    expect(postgresMajor(cluster({ imageCatalogRef: { major: 16 }, imageName: 'ghcr.io/cloudnative-pg/postgresql:17.2' }))).toBe(16);
    expect(postgresMajor(cluster({ imageName: 'ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie' }))).toBe(16);
    expect(postgresMajor(cluster({ imageName: 'ghcr.io/cloudnative-pg/postgresql' }))).toBeUndefined();
    expect(postgresMajor(cluster({ imageName: 'ghcr.io/cloudnative-pg/postgresql:latest' }))).toBeUndefined();
    expect(postgresMajor(cluster({}))).toBeUndefined();
    expect(postgresMajor(undefined)).toBeUndefined();
  });

  it('major-version: up is the offline pg_upgrade, down is refused; nothing when equal or unknown', () => {
    const image = (tag: string) => cluster({ imageName: `ghcr.io/cloudnative-pg/postgresql:${tag}` });
    expect(found([changed(image('16.10'), image('17.6'))])).toEqual([
      'major-version: PostgreSQL major version 16 → 17: CloudNativePG runs an offline in-place upgrade (pg_upgrade --link in a Job): the whole cluster, replicas included, is down while it runs, replicas are re-cloned afterwards, and backups taken before cannot restore to a point in time after it. Back up first and run the upgrade in a test environment first (docs/postgres-upgrades.md)',
    ]);
    expect(found([changed(image('17.6'), image('16.10'))])).toEqual([
      'major-version: PostgreSQL major version goes down from 17 to 16: CloudNativePG refuses it ("can\'t downgrade from major 17 to 16"); going back needs a dump and restore into a new cluster',
    ]);
    expect(found([changed(image('16.10'), image('16.11'))])).toEqual([]);
    expect(found([changed(cluster({}), image('17.6'))])).toEqual([]);
    expect(found([changed(image('16.10'), cluster({}))])).toEqual([]);
  });

  it('developer-access: only a widening between two known levels', () => {
    const access = (level: string) => cluster({}, { annotations: { 'dbfleet.io/developer-access': level } });
    expect(found([changed(access('none'), access('read-only'))])).toEqual([
      'developer-access: developer access widens from none to read-only',
    ]);
    expect(found([changed(access('read-only'), access('read-write'))])).toEqual([
      'developer-access: developer access widens from read-only to read-write',
    ]);
    expect(found([changed(access('read-write'), access('read-only'))])).toEqual([]);
    expect(found([changed(access('read-only'), access('read-only'))])).toEqual([]);
    expect(found([changed(cluster({}), access('read-write'))])).toEqual([]);
    expect(found([changed(access('none'), cluster({}))])).toEqual([]);
  });

  it('database: a new database name; reclaim policy delete only when it becomes delete', () => {
    const db = (spec: Record<string, unknown>) => object('postgresql.cnpg.io/v1', 'Database', 'orders', spec);
    expect(found([changed(db({ name: 'orders' }), db({ name: 'sales' }))])).toEqual([
      'database: database name changes from "orders" to "sales": the operator creates a new, empty database',
    ]);
    expect(
      found([
        changed(
          db({ name: 'orders', databaseReclaimPolicy: 'delete' }),
          db({ name: 'orders', databaseReclaimPolicy: 'delete', owner: 'x' }),
        ),
      ]),
    ).toEqual([]);
    expect(found([changed(cluster({ name: 'a' }), cluster({ name: 'b', databaseReclaimPolicy: 'delete' }))])).toEqual([]);
  });

  it('rejected-update: each violation the CRD rules report, named by path; nothing without the check', () => {
    const rejectedUpdate = () => [
      { path: 'spec.cluster', message: 'cluster is immutable' },
      { path: '', message: 'whole object' },
    ];
    const t = changed(cluster({ instances: 3 }), cluster({ instances: 3, x: 1 }));
    expect(found([t], { rejectedUpdate })).toEqual([
      'rejected-update: the API server will reject this update: "cluster is immutable" (spec.cluster, a CRD transition rule): the sync fails here, after the objects of earlier waves (e.g. connection Secrets) are already applied',
      'rejected-update: the API server will reject this update: "whole object" (the object, a CRD transition rule): the sync fails here, after the objects of earlier waves (e.g. connection Secrets) are already applied',
    ]);
    expect(found([t])).toEqual([]);
    expect(found([{ type: 'added', environment: 'production', after: cluster({}) }], { rejectedUpdate })).toEqual([]);
  });

  const policy = (spec: Record<string, unknown>, name = 'p', meta: object = {}) =>
    object('networking.k8s.io/v1', 'NetworkPolicy', name, spec, meta);
  const removed = (before: KubernetesObject): Transition => ({ type: 'removed', environment: 'test', before });

  it('network-policy-removed: a kept policy, a default-deny, an allow policy with or without a default-deny left', () => {
    expect(
      found([
        removed(policy({ podSelector: {} }, 'p', { annotations: { 'argocd.argoproj.io/sync-options': 'Delete=false,Prune=false' } })),
      ]),
    ).toEqual([
      'network-policy-removed: is removed: Argo CD keeps it as it is (Prune=false), but it is no longer managed; delete it by hand once its cluster is gone',
    ]);
    const deny =
      'network-policy-removed: is removed: it denied all ingress in namespace databases; pods no other policy selects now accept traffic from anywhere';
    // A selector whose parts are all empty selects every pod; policyTypes with Ingress.
    expect(found([removed(policy({ podSelector: { matchLabels: {} }, policyTypes: ['Ingress', 'Egress'] }))])).toEqual([deny]);
    // Not a default-deny: it selects some pods, or it is an egress policy, or it allows something.
    const allowNothing = (spec: Record<string, unknown>) => [
      found([removed(policy(spec))]),
      found([removed(policy(spec))], { headObjects: () => [policy({ podSelector: {} }, 'deny')] }),
    ];
    const noDeny =
      'network-policy-removed: is removed: the pods it selected are no longer restricted by it (nothing was allowed); without a default-deny they may accept traffic from anywhere';
    const denyKept =
      "network-policy-removed: is removed: it only allowed traffic (nothing); the namespace's default-deny remains, so that traffic is CUT";
    expect(allowNothing({ podSelector: { matchLabels: { app: 'x' } } })).toEqual([[noDeny], [denyKept]]);
    expect(allowNothing({ podSelector: {}, policyTypes: ['Egress'] })).toEqual([[noDeny], [denyKept]]);
    // The default-deny that remains must be one, in the same namespace.
    const allow = policy({ podSelector: {}, ingress: [{ ports: [{ port: 5432 }] }] });
    expect(found([removed(allow)], { headObjects: () => [policy({ podSelector: {}, ingress: [{}] }, 'not-deny')] })).toEqual([
      'network-policy-removed: is removed: the pods it selected are no longer restricted by it (traffic from anywhere on TCP 5432 was allowed); without a default-deny they may accept traffic from anywhere',
    ]);
    expect(
      found([removed(allow)], {
        headObjects: () => [{ ...policy({ podSelector: {} }, 'deny'), metadata: { name: 'deny', namespace: 'other' } } as KubernetesObject],
      }),
    ).toEqual([
      'network-policy-removed: is removed: the pods it selected are no longer restricted by it (traffic from anywhere on TCP 5432 was allowed); without a default-deny they may accept traffic from anywhere',
    ]);
    expect(found([{ type: 'removed', environment: 'test', before: cluster({}) }]).filter((m) => m.startsWith('network'))).toEqual([]);
    // Each environment's own default-deny: one kept in test says nothing about production.
    const removedIn = (environment: string): Transition => ({ type: 'removed', environment, before: allow });
    expect(
      found([removedIn('test'), removedIn('production')], {
        headObjects: (environment) => (environment === 'test' ? [policy({ podSelector: {} }, 'deny')] : []),
      }),
    ).toEqual([
      "network-policy-removed: is removed: it only allowed traffic (traffic from anywhere on TCP 5432); the namespace's default-deny remains, so that traffic is CUT",
      'network-policy-removed: is removed: the pods it selected are no longer restricted by it (traffic from anywhere on TCP 5432 was allowed); without a default-deny they may accept traffic from anywhere',
    ]);
  });

  it('network-policy-widened: each new grant (peers, ports, protocols, IP blocks, namespaces listed with In) and a new pod selector', () => {
    const ingress = (...rules: unknown[]) => policy({ podSelector: { matchLabels: { 'cnpg.io/cluster': 'orders' } }, ingress: rules });
    const byName = (...names: string[]) => ({
      from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: names }] } }],
      ports: [{ port: 5432, protocol: 'TCP' }],
    });
    expect(found([changed(ingress(byName('a', 'b')), ingress(byName('a', 'b', 'c')))])).toEqual([
      'network-policy-widened: now also allows namespaces {"matchLabels":{"kubernetes.io/metadata.name":"c"}} on TCP 5432',
    ]);
    expect(found([changed(ingress(byName('a', 'b')), ingress(byName('b', 'a')))])).toEqual([]);
    expect(
      found([
        changed(
          ingress(),
          ingress(
            { from: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 5432, protocol: 'UDP' }] },
            { from: [{ podSelector: { matchLabels: { app: 'x' } }, namespaceSelector: { matchLabels: { team: 'y' } } }] },
            // Not a list of names: compared as it is.
            {
              from: [
                { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] } },
                { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['a'] }] } },
                {
                  namespaceSelector: {
                    matchLabels: { team: 'a' },
                    matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['a'] }],
                  },
                },
              ],
              ports: [{ port: 9187 }],
            },
          ),
        ),
      ]),
    ).toEqual([
      'network-policy-widened: now also allows ipBlock 10.0.0.0/8 on UDP 5432',
      'network-policy-widened: now also allows namespaces {"matchLabels":{"team":"y"}} and pods {"matchLabels":{"app":"x"}} on TCP any port',
      'network-policy-widened: now also allows namespaces {"matchExpressions":[{"key":"team","operator":"In","values":["a"]}]} on TCP 9187',
      'network-policy-widened: now also allows namespaces {"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["a"]}]} on TCP 9187',
      'network-policy-widened: now also allows namespaces {"matchLabels":{"team":"a"},"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"In","values":["a"]}]} on TCP 9187',
    ]);
    expect(found([changed(ingress(), policy({ podSelector: { matchLabels: { 'cnpg.io/cluster': 'sales' } }, ingress: [] }))])).toEqual([
      'network-policy-widened: selects other pods: review which pods lose or gain protection',
    ]);
    expect(found([changed(object('v1', 'ConfigMap', 'p', { ingress: [] }), object('v1', 'ConfigMap', 'p', { ingress: [{}] }))])).toEqual(
      [],
    );
  });

  it('network-policy-widened: a service added in this change opening its cluster to its own namespace is not a widening', () => {
    // CloudNativePG's instance label, or Zalando's.
    const ingressFor = (label: string, namespaces: string[]) =>
      policy({
        podSelector: { matchLabels: { [label]: 'orders' } },
        ingress: namespaces.map((ns) => ({
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }],
          ports: [{ port: 5432, protocol: 'TCP' }],
        })),
      });
    const ingress = (...namespaces: string[]) => ingressFor('cnpg.io/cluster', namespaces);
    const zalandoIngress = (...namespaces: string[]) => ingressFor('cluster-name', namespaces);
    const secret = (namespace: string, data: Record<string, string>, name = 'orders-db') =>
      ({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name, namespace },
        spec: { target: { template: { data } } },
      }) as KubernetesObject;
    const added = (after: KubernetesObject, environment = 'production'): Transition => ({ type: 'added', environment, after });
    const widened = 'network-policy-widened: now also allows namespaces {"matchLabels":{"kubernetes.io/metadata.name":"shop"}} on TCP 5432';
    // CloudNativePG: direct-host names the cluster's -rw Service even when host is a pooler's.
    expect(
      found([
        changed(ingress(), ingress('shop')),
        added(secret('shop', { host: 'orders-pooler-rw.databases.svc', 'direct-host': 'orders-rw.databases.svc' })),
      ]),
    ).toEqual([]);
    expect(found([changed(ingress(), ingress('shop')), added(secret('shop', { host: 'orders-rw.databases.svc' }))])).toEqual([]);
    // Zalando: the master Service is the cluster's name.
    expect(found([changed(zalandoIngress(), zalandoIngress('shop')), added(secret('shop', { host: 'orders.databases.svc' }))])).toEqual([]);
    // Another cluster's secret, another namespace's, one without a host, or a service that moved here from elsewhere: a widening.
    expect(found([changed(ingress(), ingress('shop')), added(secret('shop', { host: 'sales-rw.databases.svc' }))])).toEqual([widened]);
    expect(found([changed(ingress(), ingress('shop')), added(secret('other', { host: 'orders-rw.databases.svc' }))])).toEqual([widened]);
    expect(found([changed(ingress(), ingress('shop')), added(secret('shop', {}))])).toEqual([widened]);
    expect(
      found([
        changed(ingress(), ingress('shop')),
        added(secret('shop', { host: 'orders-rw.databases.svc' })),
        { type: 'removed', environment: 'production', before: secret('old', { host: 'orders-rw.databases.svc' }) },
      ]),
    ).toEqual([widened]);
    // A namespace-less secret names no namespace.
    expect(
      found([
        changed(ingress(), ingress('shop')),
        added({ ...secret('shop', { host: 'orders-rw.databases.svc' }), metadata: { name: 'orders-db' } } as KubernetesObject),
      ]),
    ).toEqual([widened]);
    expect(
      found([
        changed(ingress(), ingress('shop')),
        added(secret('shop', { host: 'orders-rw.databases.svc' })),
        { type: 'removed', environment: 'test', before: secret('old', { host: 'orders-rw.databases.svc' }) },
        { type: 'removed', environment: 'production', before: object('v1', 'Secret', 'orders-db') },
      ]),
    ).toEqual([]);
  });

  it('pool-mode: session to transaction, or a transaction pooler added before an existing cluster; not with its new cluster', () => {
    const pooler = (poolMode?: string) =>
      object('postgresql.cnpg.io/v1', 'Pooler', 'orders-rw', { cluster: { name: 'orders' }, pgbouncer: poolMode ? { poolMode } : {} });
    const breaks = 'SET, session advisory locks, LISTEN, temporary tables, SQL PREPARE';
    expect(found([changed(pooler(), pooler('transaction'))])).toEqual([
      `pool-mode: pool mode changes from session to transaction: session state (${breaks}) no longer survives between transactions for the apps of cluster orders — check them first (docs/pooling.md)`,
    ]);
    expect(
      found([
        changed(pooler('transaction'), { ...pooler('transaction'), metadata: { name: 'orders-rw', namespace: 'databases', labels: {} } }),
      ]),
    ).toEqual([]);
    expect(found([changed(pooler('transaction'), pooler('session'))])).toEqual([]);
    const added: Transition = { type: 'added', environment: 'production', after: pooler('transaction') };
    const existing = `pool-mode: is added in transaction mode in front of the existing cluster orders: its apps' endpoint moves from a session connection to transaction pooling (${breaks} break) — check them first (docs/pooling.md)`;
    expect(found([added])).toEqual([existing]);
    expect(found([added, { type: 'added', environment: 'production', after: cluster({}) }])).toEqual([]);
    // Only the same environment's, namespace's and name's cluster is new with it.
    expect(found([added, { type: 'added', environment: 'test', after: cluster({}) }])).toEqual([existing]);
    expect(
      found([added, { type: 'added', environment: 'production', after: { ...cluster({}), metadata: { name: 'orders', namespace: 'x' } } }]),
    ).toEqual([existing]);
    expect(found([added, { type: 'changed', environment: 'production', before: cluster({}), after: cluster({ instances: 2 }) }])).toEqual([
      existing,
    ]);
    expect(
      found([added, { type: 'added', environment: 'production', after: object('postgresql.cnpg.io/v1', 'Database', 'orders') }]),
    ).toEqual([existing]);
    expect(found([{ type: 'added', environment: 'production', after: pooler() }])).toEqual([]);
  });

  it('login-revoked: a LOGIN role of a DatabaseRole or a Cluster that can no longer log in', () => {
    const role = (login: boolean | undefined, name = 'orders') =>
      object('postgresql.cnpg.io/v1', 'DatabaseRole', name, login === undefined ? { name } : { name, login });
    const message = (role: string) =>
      `login-revoked: role ${role} can no longer log in: connections with its credentials fail from this sync on; first check that none remain ` +
      `(SELECT count(*) FROM pg_stat_activity WHERE usename = '${role}') — the app's pods must have restarted with the new Secret`;
    expect(found([changed(role(true), role(false))])).toEqual([message('orders')]);
    expect(found([changed(role(false), role(false, 'orders'))])).toEqual([]);
    expect(found([changed(role(undefined), role(false))])).toEqual([]);
    expect(found([changed(role(true), role(true, 'orders'))])).toEqual([]);
    const roles = (...r: Array<{ name: string; login?: boolean }>) => cluster({ managed: { roles: r } });
    expect(
      found([
        changed(
          roles({ name: 'a', login: true }, { name: 'b', login: true }, { name: 'c', login: true }, { name: 'd' }),
          roles({ name: 'a', login: false }, { name: 'b', login: true }, { name: 'd', login: false }),
        ),
      ]),
    ).toEqual([message('a')]);
    expect(found([changed(cluster({}), cluster({ instances: 1 }))])).toEqual([]);
    const other = (login: boolean) => object('v1', 'ConfigMap', 'c', { name: 'x', login });
    expect(found([changed(other(true), other(false))])).toEqual([]);
  });

  it('store-key-moved: an ExternalSecret or PushSecret moved onto the services/platform layout; not other key changes', () => {
    const external = (...keys: string[]) =>
      object('external-secrets.io/v1', 'ExternalSecret', 'orders', {
        data: keys.map((key) => ({ secretKey: 'password', remoteRef: { key } })),
      });
    const push = (...keys: string[]) =>
      object('external-secrets.io/v1alpha1', 'PushSecret', 'orders', {
        data: keys.map((remoteKey) => ({ match: { remoteRef: { remoteKey } } })),
      });
    const message = (verb: string, key: string, legacy: string) =>
      `store-key-moved: ${verb} store key ${key} instead of ${legacy} (the services/platform key layout, docs/security.md): ` +
      `copy the value once before this syncs (e.g. \`vault kv get -format=json ${legacy}\` then \`vault kv put ${key} password=…\`; every key: \`dbfleet secrets\`), ` +
      `or the PushSecret generates a new password at the empty key and the role's password changes under running apps (passwords: existing: the ExternalSecret fails to read). Delete ${legacy} after the sync.`;
    expect(found([changed(external('dbfleet/production/orders'), external('dbfleet/production/services/orders'))])).toEqual([
      message('reads', 'dbfleet/production/services/orders', 'dbfleet/production/orders'),
    ]);
    expect(found([changed(push('dbfleet/production/dbfleet-access'), push('dbfleet/production/platform/dbfleet-access'))])).toEqual([
      message('pushes to', 'dbfleet/production/platform/dbfleet-access', 'dbfleet/production/dbfleet-access'),
    ]);
    // A rotation's new key, a key that was already there, a move from a key the object did not read: not flagged.
    expect(
      found([changed(external('dbfleet/production/services/orders'), external('dbfleet/production/services/orders/rotation-2'))]),
    ).toEqual([]);
    expect(
      found([
        changed(
          external('dbfleet/production/services/orders', 'dbfleet/production/orders'),
          external('dbfleet/production/services/orders'),
        ),
      ]),
    ).toEqual([]);
    expect(found([changed(external('dbfleet/production/sales'), external('dbfleet/production/services/orders'))])).toEqual([]);
    expect(
      found([
        changed(
          object('v1', 'ConfigMap', 'orders', { data: [{ remoteRef: { key: 'a/b' } }] }),
          object('v1', 'ConfigMap', 'orders', { data: [{ remoteRef: { key: 'a/services/b' } }] }),
        ),
      ]),
    ).toEqual([]);
    expect(found([{ type: 'added', environment: 'production', after: external('dbfleet/production/services/orders') }])).toEqual([]);
    // Entries without a key are skipped, not read as a key.
    expect(
      found([changed(object('external-secrets.io/v1', 'ExternalSecret', 'orders', { data: [{ secretKey: 'x' }] }), external('services/'))]),
    ).toEqual([]);
  });
});
// issue 24 item 9: the connection ExternalSecrets move from dist/<env>/ (the database
// Application) to dist/<env>/services/ (the services Application). The old Application prunes
// the live object unless the live object already carries Prune=false (gitops-engine pruneObject
// reads the live object), i.e. unless the base revision's object did.
describe('an object that changes Application', () => {
  const externalSecret = (annotations: Record<string, string>): KubernetesObject =>
    ({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'orders-db', namespace: 'orders', annotations },
      spec: { refreshInterval: '1h' },
    }) as KubernetesObject;
  const prune = { 'argocd.argoproj.io/sync-options': 'Prune=false', 'argocd.argoproj.io/sync-wave': '-1' };

  it('is a DANGER when the synced (base) object lacks Prune=false, though the new one has it', () => {
    const dangers = findDangers(
      manifests(['production/externalsecret-orders-db.yaml', externalSecret({ 'argocd.argoproj.io/sync-wave': '-1' })]),
      manifests(['production/services/externalsecret-orders-db.yaml', externalSecret(prune)]),
    );
    expect(dangers).toHaveLength(1);
    expect(dangers[0]).toMatchObject({ environment: 'production', object: 'ExternalSecret orders/orders-db' });
    expect(dangers[0].message).toMatch(
      /dist\/production\/ to the Application of dist\/production\/services\/.*Prune=false.*garbage-collected/,
    );
  });

  it('is no DANGER when the base object already carries Prune=false', () => {
    const changed = { ...prune, 'argocd.argoproj.io/sync-wave': '-2' };
    expect(
      findDangers(
        manifests(['production/externalsecret-orders-db.yaml', externalSecret(prune)]),
        manifests(['production/services/externalsecret-orders-db.yaml', externalSecret(changed)]),
      ),
    ).toEqual([]);
  });

  it('is no DANGER when only the file name changes inside one folder', () => {
    expect(
      findDangers(
        manifests(['production/externalsecret-orders-db.yaml', externalSecret({})]),
        manifests(['production/externalsecret-orders-db-x.yaml', externalSecret({ a: 'b' })]),
      ),
    ).toEqual([]);
  });
});
