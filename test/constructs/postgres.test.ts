import { describe, expect, it } from 'vitest';
import { CnpgCluster } from '../../lib/backends/cloudnative-pg/cnpg-cluster';
import { CnpgDatabase } from '../../lib/backends/cloudnative-pg/cnpg-database';
import type { PostgresClusterProps } from '../../lib/postgres/postgres-cluster';
import { objectsOf, only, testChart } from '../support/synth';

const props: PostgresClusterProps = {
  name: 'orders',
  namespace: 'databases',
  instances: 3,
  storage: '50Gi',
  imageName: 'ghcr.io/cloudnative-pg/postgresql:16',
  databases: [{ service: 'orders', database: 'orders', owner: 'orders', ownerSecret: 'orders-db-credentials', extensions: ['pgcrypto'] }],
  labels: { 'app.kubernetes.io/name': 'postgres' },
};

describe('CnpgCluster', () => {
  it('renders a Cluster that lists no role, and one DatabaseRole per role with every defaulted field', () => {
    const chart = testChart();
    const cluster = new CnpgCluster(chart, 'Cluster', {
      ...props,
      roles: [
        { name: 'developers', login: false },
        { name: 'dev_alice', login: true, inRoles: ['developers'], passwordSecret: 'developer-alice', reclaim: 'delete' },
      ],
    });
    const objects = objectsOf(chart);
    const object = only(objects, 'Cluster');
    expect(object.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(object.metadata).toMatchObject({ name: 'orders', namespace: 'databases' });
    expect(object.spec).toMatchObject({
      instances: 3,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:16',
      storage: { size: '50Gi' },
      enableSuperuserAccess: false,
      enablePDB: true,
    });
    expect(object.spec.managed).toBeUndefined();
    const roles = objects.filter((o) => o.kind === 'DatabaseRole');
    const same = { namespace: 'databases' };
    expect(roles.map((r) => [r.metadata.name, r.metadata.namespace])).toEqual([
      ['orders', 'databases'],
      ['orders.developers', 'databases'],
      ['orders.dev-alice', 'databases'],
    ]);
    const common = {
      cluster: { name: 'orders' },
      superuser: false,
      createdb: false,
      createrole: false,
      replication: false,
      bypassrls: false,
      inherit: true,
      connectionLimit: -1,
    };
    expect(roles.map((r) => (r as any).spec)).toEqual([
      {
        ...common,
        name: 'orders',
        comment: 'owner of the orders database',
        login: true,
        passwordSecret: { name: 'orders-db-credentials' },
        databaseRoleReclaimPolicy: 'retain',
      },
      { ...common, name: 'developers', login: false, disablePassword: true, databaseRoleReclaimPolicy: 'retain' },
      {
        ...common,
        name: 'dev_alice',
        login: true,
        inRoles: ['developers'],
        passwordSecret: { name: 'developer-alice' },
        databaseRoleReclaimPolicy: 'delete',
      },
    ]);
    expect(same.namespace).toBe(object.metadata.namespace);
    expect(cluster.readWriteHost).toBe('orders-rw.databases.svc');
    expect(cluster.monitoringRoles).toEqual(['cnpg_metrics_exporter']);
    expect(cluster.instanceSelector).toEqual({ 'cnpg.io/cluster': 'orders', 'cnpg.io/podRole': 'instance' });
  });

  it('defect 1: a single instance gets no PodDisruptionBudget (enablePDB false); more than one keeps it', () => {
    for (const [instances, enabled] of [
      [1, false],
      [2, true],
      [3, true],
    ] as const) {
      const chart = testChart();
      new CnpgCluster(chart, 'Cluster', { ...props, instances });
      expect(only(objectsOf(chart), 'Cluster').spec.enablePDB).toBe(enabled);
    }
  });

  it('spreads more than one instance over nodes (required) and zones (best effort)', () => {
    const chart = testChart();
    new CnpgCluster(chart, 'Cluster', props);
    const { spec } = only(objectsOf(chart), 'Cluster');
    expect(spec.affinity).toEqual({ enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' });
    expect(spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'cnpg.io/cluster': 'orders', 'cnpg.io/podRole': 'instance' } },
      },
    ]);
  });

  it('a single instance has no spreading rules', () => {
    const chart = testChart();
    new CnpgCluster(chart, 'Cluster', { ...props, instances: 1 });
    const { spec } = only(objectsOf(chart), 'Cluster');
    expect(spec.affinity).toBeUndefined();
    expect(spec.topologySpreadConstraints).toBeUndefined();
  });

  it('a WAL volume, a storage class, volume snapshot backups and inherited labels', () => {
    const chart = testChart();
    new CnpgCluster(chart, 'Cluster', {
      ...props,
      walStorage: '10Gi',
      storageClass: 'fast',
      volumeSnapshotBackup: { className: 'csi-snapclass' },
      inheritedLabels: { 'app.kubernetes.io/part-of': 'acme' },
    });
    const { spec } = only(objectsOf(chart), 'Cluster');
    expect(spec.storage).toEqual({ size: '50Gi', storageClass: 'fast' });
    expect(spec.walStorage).toEqual({ size: '10Gi', storageClass: 'fast' });
    expect(spec.backup).toEqual({
      target: 'prefer-standby',
      volumeSnapshot: { className: 'csi-snapclass', online: true, snapshotOwnerReference: 'backup' },
    });
    expect(spec.inheritedMetadata).toEqual({ labels: { 'app.kubernetes.io/part-of': 'acme' } });
  });

  it('one Database per service, retained on deletion', () => {
    const chart = testChart();
    new CnpgCluster(chart, 'Cluster', {
      ...props,
      databases: [
        ...props.databases,
        { service: 'payments', database: 'payments', owner: 'payments', ownerSecret: 'payments-db-credentials', extensions: [] },
      ],
    });
    const objects = objectsOf(chart);
    expect(only(objects, 'Database', 'orders').spec).toEqual({
      name: 'orders',
      owner: 'orders',
      cluster: { name: 'orders' },
      ensure: 'present',
      databaseReclaimPolicy: 'retain',
      extensions: [{ name: 'pgcrypto', ensure: 'present' }],
      schemas: [{ name: 'public', owner: 'orders', ensure: 'present' }],
    });
    expect(only(objects, 'Database', 'payments').spec.extensions).toBeUndefined();
  });
});

describe('CnpgDatabase', () => {
  it('labels the database with its service', () => {
    const chart = testChart();
    new CnpgDatabase(chart, 'Db', {
      name: 'orders',
      namespace: 'databases',
      cluster: 'shared',
      database: 'orders',
      owner: 'orders',
      labels: { a: 'b' },
    });
    const db = only(objectsOf(chart), 'Database');
    expect(db.metadata).toEqual({ name: 'orders', namespace: 'databases', labels: { a: 'b' } });
    expect(db.spec.cluster).toEqual({ name: 'shared' });
  });
});
