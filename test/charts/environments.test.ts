// The example fleet (its fixture copy, test/fixtures/fleets/example.yaml), rendered: literal expectations for the fields that matter.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { BASE_FLEET, fleetOf } from '../support/fleet';

const rendered = renderObjects(buildApp(loadFleet(join(__dirname, '..', 'fixtures', 'fleets', 'example.yaml'))));
const inEnv = (env: string) =>
  rendered.filter((o) => o.path.startsWith(`${env}/`)).map((o) => o.object as KubernetesObject & { spec: any });
const find = (env: string, kind: string, name: string) => {
  const object = inEnv(env).find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`${env}: no ${kind} ${name}`);
  return object;
};
const names = (env: string, kind: string) =>
  inEnv(env)
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();

describe('test environment (topology: shared)', () => {
  it('one cluster holds every service database', () => {
    expect(names('test', 'Cluster')).toEqual(['acme']);
    const cluster = find('test', 'Cluster', 'acme');
    expect(cluster.spec).toMatchObject({
      instances: 1,
      storage: { size: '5Gi' },
      imageName:
        'ghcr.io/cloudnative-pg/postgresql:16.15-202608170814-system-trixie@sha256:9715665844fb088ba6e17181cfc2e2505b3a711e7a293ac721490175f9515233',
      enableSuperuserAccess: false,
      enablePDB: false,
    });
    expect(cluster.metadata.annotations).toMatchObject({ 'dbfleet.io/developer-access': 'read-write' });
    expect(names('test', 'Database')).toEqual(['catalog', 'customer-profiles', 'inventory', 'orders', 'payments']);
    expect(find('test', 'Database', 'customer-profiles').spec).toMatchObject({
      name: 'customer_profiles',
      owner: 'customer_profiles',
      cluster: { name: 'acme' },
      databaseReclaimPolicy: 'retain',
      extensions: [{ name: 'citext', ensure: 'present' }],
    });
    // The retired access role (a member of every owner, issue 24) is dropped by the operator.
    expect(cluster.spec.managed).toEqual({ roles: [{ name: 'dbfleet_access', ensure: 'absent' }] });
    const roles = names('test', 'DatabaseRole').map((n) => find('test', 'DatabaseRole', n).spec.name);
    expect(roles).toEqual(expect.arrayContaining(['orders', 'payments', 'catalog', 'inventory', 'customer_profiles']));
    expect(roles).not.toContain('dbfleet_access');
  });

  it('credentials come from the store under <keyPrefix>/test/services/<service>', () => {
    expect(find('test', 'ExternalSecret', 'orders-db-credentials').spec.data[0].remoteRef).toEqual({
      key: 'databases/test/services/orders',
      property: 'password',
    });
    const connection = find('test', 'ExternalSecret', 'orders-db');
    expect(connection.metadata.namespace).toBe('orders');
    expect(connection.spec.target.template.data.host).toBe('acme-rw.databases.svc');
  });

  it('the cluster accepts Postgres from every service namespace', () => {
    const from = find('test', 'NetworkPolicy', 'acme-ingress').spec.ingress[0].from.flatMap(
      (f: any) => f.namespaceSelector.matchExpressions[0].values,
    );
    expect(from).toEqual(['catalog', 'customers', 'inventory', 'orders', 'payments']);
    expect(names('test', 'NetworkPolicy')).toEqual(['acme-ingress', 'default-deny-ingress', 'restore-drill-ingress']);
  });

  it('backs up with Velero and volume snapshots, and has no MongoDB snapshot', () => {
    expect(find('test', 'Schedule', 'acme-test-databases').spec.template).toMatchObject({ ttl: '72h', includedNamespaces: ['databases'] });
    expect(find('test', 'ScheduledBackup', 'acme').spec).toMatchObject({ schedule: '0 0 2 * * *', method: 'volumeSnapshot' });
    expect(names('test', 'CronJob').filter((n) => n.startsWith('mongo-snapshot'))).toEqual([]);
  });
});

describe('production environment (topology: per-service)', () => {
  it('one cluster per service, sized by overrides', () => {
    expect(names('production', 'Cluster')).toEqual(['catalog', 'customer-profiles', 'inventory', 'orders', 'payments']);
    expect(find('production', 'Cluster', 'orders').spec).toMatchObject({
      instances: 5,
      storage: { size: '200Gi' },
      walStorage: { size: '10Gi' },
    });
    expect(find('production', 'Cluster', 'payments').spec).toMatchObject({ instances: 3, storage: { size: '50Gi' } });
    expect(find('production', 'Cluster', 'payments').metadata.annotations).toMatchObject({ 'dbfleet.io/developer-access': 'read-only' });
  });

  it('each cluster accepts Postgres only from its own service namespace', () => {
    const from = find('production', 'NetworkPolicy', 'customer-profiles-ingress').spec.ingress[0].from;
    expect(from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'customers' } } }]);
  });

  it('runs the MongoDB snapshot in its own restricted namespace', () => {
    expect(find('production', 'CronJob', 'mongo-snapshot-catalog-mongo').metadata.namespace).toBe('backups');
    expect(find('production', 'Namespace', 'backups').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    expect(find('production', 'Schedule', 'acme-production-services').spec.template.includedNamespaces).toEqual([
      'catalog',
      'customers',
      'inventory',
      'orders',
      'payments',
    ]);
  });
});

describe('changes stay local', () => {
  const paths = (text: string) => new Map(renderObjects(buildApp(fleetOf(text))).map((o) => [o.path, JSON.stringify(o.object)]));
  it('adding a service changes only files that concern it', () => {
    const before = paths(BASE_FLEET);
    const after = paths(`${BASE_FLEET}  - name: shipping\n    namespace: logistics\n`);
    const changed = [...after.keys()].filter((p) => before.get(p) !== after.get(p)).sort();
    expect([...before.keys()].filter((p) => !after.has(p))).toEqual([]);
    for (const path of changed)
      expect(path, `${path} changed`).toMatch(/shipping|test\/cluster-acme|test\/networkpolicy-acme-ingress|access|argocd|prometheusrule-/);
    expect(changed).toEqual(
      expect.arrayContaining(['production/cluster-shipping.yaml', 'production/database-shipping.yaml', 'test/database-shipping.yaml']),
    );
  });
});
