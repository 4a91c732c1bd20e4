// The objects pooling renders, from a fleet built here (not the repo's fleet.yaml): Poolers,
// PodDisruptionBudgets, PodMonitors, NetworkPolicies (as reachability: which namespaces reach
// which ports), and every key of the app's connection Secret with and without poolers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { BASE_FLEET, fleetOf } from '../support/fleet';
import { mayReach, type Pod } from './reachability';

// test/fixtures/fleets/pooling.yaml — production: per-service, 3 instances (orders 5), pooling on
// (rw transaction, ro session) with an override for payments; test: shared, 1 instance, pooling
// off. A third service, `reports`, in its own namespace shows what another tenant may not reach.
const FLEET = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'pooling.yaml'), 'utf8');
const rendered = renderObjects(buildApp(fleetOf(FLEET)));
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

describe('Pooler', () => {
  it('one read-write and one read-only pooler per production cluster, none in test', () => {
    expect(names('production', 'Pooler')).toEqual([
      'orders-pooler-ro',
      'orders-pooler-rw',
      'payments-pooler-ro',
      'payments-pooler-rw',
      'reports-pooler-ro',
      'reports-pooler-rw',
    ]);
    expect(names('test', 'Pooler')).toEqual([]);
    expect(names('test', 'PodDisruptionBudget')).toEqual([]);
  });

  it('points at its cluster with the configured type, size, pool mode and parameters', () => {
    const rw = find('production', 'Pooler', 'orders-pooler-rw');
    expect(rw.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(rw.metadata.namespace).toBe('databases');
    expect(rw.spec).toMatchObject({
      cluster: { name: 'orders' },
      type: 'rw',
      instances: 2,
      pgbouncer: { poolMode: 'transaction', parameters: { default_pool_size: '20', max_client_conn: '800' } },
    });
    // dbfleet never sets what would turn off the operator's auth integration, nor the deprecated PodMonitor.
    expect(rw.spec.pgbouncer).not.toHaveProperty('authQuerySecret');
    expect(rw.spec.pgbouncer).not.toHaveProperty('authQuery');
    expect(rw.spec.pgbouncer).not.toHaveProperty('serverTLSSecret');
    expect(rw.spec).not.toHaveProperty('monitoring');
    const ro = find('production', 'Pooler', 'orders-pooler-ro');
    expect(ro.spec).toMatchObject({ cluster: { name: 'orders' }, type: 'ro', instances: 3, pgbouncer: { poolMode: 'session' } });
    expect(ro.spec.pgbouncer).not.toHaveProperty('parameters');
    // The override: payments' read-write pooler keeps session mode; its instances are raised to the environment's 2.
    expect(find('production', 'Pooler', 'payments-pooler-rw').spec).toMatchObject({ instances: 2, pgbouncer: { poolMode: 'session' } });
  });

  it('spreads its pods over nodes and zones and names the pgbouncer container', () => {
    const spec = find('production', 'Pooler', 'orders-pooler-rw').spec.template.spec;
    const byPooler = { matchLabels: { 'cnpg.io/poolerName': 'orders-pooler-rw' } };
    expect(spec.containers).toEqual([
      { name: 'pgbouncer', resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } } },
    ]);
    expect(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      { weight: 100, podAffinityTerm: { labelSelector: byPooler, topologyKey: 'kubernetes.io/hostname' } },
    ]);
    expect(spec.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: byPooler },
    ]);
  });

  it('has a PodDisruptionBudget of one pod at a time', () => {
    expect(names('production', 'PodDisruptionBudget')).toEqual(names('production', 'Pooler'));
    expect(find('production', 'PodDisruptionBudget', 'orders-pooler-ro').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'cnpg.io/poolerName': 'orders-pooler-ro' } },
    });
  });

  it('a single-pod pooler gets no budget (it would only block drains) and no spreading', () => {
    const text = FLEET.replace('rw: { instances: 2, poolMode: transaction', 'rw: { instances: 1, poolMode: transaction').replace(
      'production: { pooler: { rw: { instances: 1, poolMode: session } } }',
      'production: { storage: 1Gi }',
    );
    const objects = renderObjects(buildApp(fleetOf(text))).map((o) => o.object as KubernetesObject & { spec: any });
    const rw = objects.find((o) => o.kind === 'Pooler' && o.metadata.name === 'orders-pooler-rw')!;
    expect(rw.spec.instances).toBe(1);
    expect(rw.spec.template.spec).not.toHaveProperty('affinity');
    expect(
      objects
        .filter((o) => o.kind === 'PodDisruptionBudget')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['orders-pooler-ro', 'payments-pooler-ro', 'reports-pooler-ro']);
  });
});

describe('PodMonitor per pooler', () => {
  it("scrapes the metrics port of the pooler's pods and labels series with pooler (not cluster: instance alerts select on it)", () => {
    const pm = find('production', 'PodMonitor', 'payments-pooler-ro');
    expect(pm.metadata.namespace).toBe('databases');
    expect(pm.spec.selector).toEqual({ matchLabels: { 'cnpg.io/poolerName': 'payments-pooler-ro' } });
    expect(pm.spec.podMetricsEndpoints).toEqual([
      {
        port: 'metrics',
        relabelings: [{ action: 'replace', sourceLabels: ['__meta_kubernetes_pod_label_cnpg_io_poolerName'], targetLabel: 'pooler' }],
      },
    ]);
    expect(names('production', 'PodMonitor')).toEqual([...names('production', 'Cluster'), ...names('production', 'Pooler')].sort());
  });
});

describe('connection Secret keys', () => {
  const data = (env: string, service: string) =>
    find(env, 'ExternalSecret', `${service}-db`).spec.target.template.data as Record<string, string>;
  const uri = (host: string, db: string) => `postgresql://${db}:{{ .password | urlquery | replace "+" "%20" }}@${host}:5432/${db}`;
  const jdbc = (host: string, db: string) => `jdbc:postgresql://${host}:5432/${db}?password={{ .password | urlquery }}&user=${db}`;

  it('with poolers: host/uri/jdbc-uri go through the rw pooler, ro-* through the ro pooler, direct-* to the cluster', () => {
    const rw = 'orders-pooler-rw.databases.svc';
    const ro = 'orders-pooler-ro.databases.svc';
    expect(data('production', 'orders')).toEqual({
      username: 'orders',
      user: 'orders',
      password: '{{ .password }}',
      dbname: 'orders',
      port: '5432',
      host: rw,
      uri: uri(rw, 'orders'),
      'jdbc-uri': jdbc(rw, 'orders'),
      'fqdn-uri': uri(`${rw}.cluster.local`, 'orders'),
      'fqdn-jdbc-uri': jdbc(`${rw}.cluster.local`, 'orders'),
      'ro-host': ro,
      'ro-uri': uri(ro, 'orders'),
      'ro-jdbc-uri': jdbc(ro, 'orders'),
      'direct-host': 'orders-rw.databases.svc',
      'direct-uri': uri('orders-rw.databases.svc', 'orders'),
      'direct-jdbc-uri': jdbc('orders-rw.databases.svc', 'orders'),
      'direct-ro-host': 'orders-ro.databases.svc',
      'direct-ro-uri': uri('orders-ro.databases.svc', 'orders'),
      'direct-ro-jdbc-uri': jdbc('orders-ro.databases.svc', 'orders'),
      pgpass: [rw, ro, 'orders-rw.databases.svc', 'orders-ro.databases.svc']
        .map((h) => `${h}:5432:orders:orders:{{ .password }}\n`)
        .join(''),
    });
  });

  it("without poolers and without replicas: every endpoint is the primary's Service (-ro would have no endpoints)", () => {
    const d = data('test', 'payments');
    for (const prefix of ['', 'ro-', 'direct-', 'direct-ro-']) {
      expect(d[`${prefix}host`], prefix).toBe('acme-rw.databases.svc');
      expect(d[`${prefix}uri`], prefix).toBe(uri('acme-rw.databases.svc', 'payments'));
      expect(d[`${prefix}jdbc-uri`], prefix).toBe(jdbc('acme-rw.databases.svc', 'payments'));
    }
    expect(d.pgpass).toBe('acme-rw.databases.svc:5432:payments:payments:{{ .password }}\n');
  });

  it('without poolers, with replicas: ro-* is the -ro Service', () => {
    const text = BASE_FLEET.replace('    instances: 1\n', '    instances: 2\n');
    const d = renderObjects(buildApp(fleetOf(text)))
      .map((o) => o.object as any)
      .find(
        (o) =>
          o.kind === 'ExternalSecret' &&
          o.metadata.name === 'orders-db' &&
          o.spec.data[0].remoteRef.key === 'databases/test/services/orders',
      ).spec.target.template.data;
    expect([d.host, d['ro-host'], d['direct-host'], d['direct-ro-host']]).toEqual([
      'acme-rw.databases.svc',
      'acme-ro.databases.svc',
      'acme-rw.databases.svc',
      'acme-ro.databases.svc',
    ]);
  });
});

describe('NetworkPolicies: who reaches which port', () => {
  const policies = inEnv('production').filter((o) => o.kind === 'NetworkPolicy');
  const db = 'databases';
  const pooler = (name: string, cluster: string): Pod => ({
    namespace: db,
    labels: { 'cnpg.io/poolerName': name, 'cnpg.io/cluster': cluster, 'cnpg.io/podRole': 'pooler' },
  });
  const instance = (cluster: string): Pod => ({ namespace: db, labels: { 'cnpg.io/cluster': cluster, 'cnpg.io/podRole': 'instance' } });
  const app = (namespace: string): Pod => ({ namespace, labels: { app: 'x' } });

  it('an app reaches the poolers of its own cluster on 5432 only', () => {
    for (const p of ['orders-pooler-rw', 'orders-pooler-ro']) {
      expect(mayReach(policies, app('orders'), pooler(p, 'orders'), 5432), p).toBe(true);
      expect(mayReach(policies, app('orders'), pooler(p, 'orders'), 9127), p).toBe(false);
    }
    // reports (its own namespace `reports`) and payments may not use orders' poolers.
    expect(mayReach(policies, app('reports'), pooler('orders-pooler-rw', 'orders'), 5432)).toBe(false);
    expect(mayReach(policies, app('payments'), pooler('orders-pooler-ro', 'orders'), 5432)).toBe(false);
    expect(mayReach(policies, app('reports'), pooler('reports-pooler-rw', 'reports'), 5432)).toBe(true);
  });

  it('apps keep their direct path to their own instances (direct-* keys), and only to their own', () => {
    expect(mayReach(policies, app('orders'), instance('orders'), 5432)).toBe(true);
    expect(mayReach(policies, app('orders'), instance('payments'), 5432)).toBe(false);
  });

  it("poolers reach their own cluster's instances on 5432, not another cluster's", () => {
    expect(mayReach(policies, pooler('orders-pooler-rw', 'orders'), instance('orders'), 5432)).toBe(true);
    expect(mayReach(policies, pooler('orders-pooler-ro', 'orders'), instance('orders'), 5432)).toBe(true);
    expect(mayReach(policies, pooler('orders-pooler-rw', 'orders'), instance('payments'), 5432)).toBe(false);
    // The explicit policy alone grants it (not only the cluster policy's own-pods rule).
    const fromPoolers = policies.filter((p) => p.metadata.name === 'orders-from-poolers');
    expect(mayReach(fromPoolers, pooler('orders-pooler-ro', 'orders'), instance('orders'), 5432)).toBe(true);
    expect(mayReach(fromPoolers, pooler('payments-pooler-ro', 'payments'), instance('orders'), 5432)).toBe(false);
  });

  it('monitoring reaches the exporter on 9127 and not PgBouncer; the operator and others reach nothing on a pooler', () => {
    const target = pooler('payments-pooler-rw', 'payments');
    expect(mayReach(policies, app('monitoring'), target, 9127)).toBe(true);
    expect(mayReach(policies, app('monitoring'), target, 5432)).toBe(false);
    for (const ns of ['cnpg-system', 'default', 'kube-system']) {
      for (const port of [5432, 9127, 8000]) expect(mayReach(policies, app(ns), target, port), `${ns}:${port}`).toBe(false);
    }
    // Pods in the database namespace that are not its service's apps get nothing either.
    expect(mayReach(policies, { namespace: db, labels: {} }, target, 5432)).toBe(false);
  });
});
