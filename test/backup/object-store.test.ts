// Object-store backups (Barman Cloud plugin) and the backup jobs, rendered from fixture fleets
// built here: every combination of methods gets a complete plugin configuration, and every
// rendered object validates against the real CRDs.
import { describe, expect, it } from 'vitest';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { loadValidator } from '../../lib/validate';
import { configErrors, fleetOf } from '../support/fleet';

type Obj = KubernetesObject & { spec: any; rules?: any[] };

const OBJECT_STORE = `      objectStore:
        destinationPath: s3://bucket/fleet
        endpointURL: https://minio.example.com
        credentials: { remoteKey: databases/object-store }
        retention: 14d
        schedule: "0 0 1 * * *"`;

/** A two-environment fleet whose environments carry `backups` (YAML lines, indented 4). */
function fleetWith(backups: string, extra = 'opsImage: registry.example.com/dbfleet/ops:1.0.0\n'): string {
  return `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
${extra}environments:
  test:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: read-write
    backups:
${backups}
  production:
    namespace: db
    topology: per-service
    instances: 3
    storage: 50Gi
    walStorage: 10Gi
    developerAccess: read-only
    backups:
${backups}
services:
  - name: orders
  - name: customer-profiles
`;
}

function render(text: string): Obj[] {
  return renderObjects(buildApp(fleetOf(text))).map((o) => o.object as Obj);
}

const COMBINATIONS: Record<string, string> = {
  'object store only': OBJECT_STORE,
  'snapshots + object store': `      postgres: { schedule: "0 0 2 * * *", method: volumeSnapshot, volumeSnapshotClass: snap }\n${OBJECT_STORE}`,
  'method plugin + object store': `      postgres: { schedule: "0 0 2 * * *", method: plugin }\n${OBJECT_STORE}`,
  'method plugin, plugin named': `      postgres: { schedule: "0 0 2 * * *", method: plugin, pluginName: barman-cloud.cloudnative-pg.io }\n${OBJECT_STORE}`,
  'snapshots only': '      postgres: { schedule: "0 0 2 * * *" }',
};

describe('every plugin backup has a complete plugin configuration (regression: method plugin without spec.plugins)', () => {
  for (const [name, backups] of Object.entries(COMBINATIONS)) {
    it(name, () => {
      const objects = render(fleetWith(backups));
      const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
      const scheduled = byKind('ScheduledBackup');
      expect(scheduled.length).toBeGreaterThan(0);
      for (const backup of scheduled) {
        const cluster = byKind('Cluster').find(
          (c) => c.metadata.name === backup.spec.cluster.name && c.metadata.namespace === backup.metadata.namespace,
        );
        expect(cluster, `${backup.metadata.name}: its cluster`).toBeDefined();
        if (backup.spec.method === 'volumeSnapshot') {
          expect(cluster!.spec.backup.volumeSnapshot).toMatchObject({ online: true, snapshotOwnerReference: 'backup' });
          continue;
        }
        expect(backup.spec.method).toBe('plugin');
        const plugin = cluster!.spec.plugins?.find((p: any) => p.name === backup.spec.pluginConfiguration?.name);
        expect(plugin, `${backup.metadata.name}: the cluster lists plugin ${backup.spec.pluginConfiguration?.name}`).toMatchObject({
          name: 'barman-cloud.cloudnative-pg.io',
          enabled: true,
          isWALArchiver: true,
        });
        const store = byKind('ObjectStore').find(
          (s) => s.metadata.name === plugin.parameters.barmanObjectName && s.metadata.namespace === cluster!.metadata.namespace,
        );
        expect(store, `ObjectStore ${plugin.parameters.barmanObjectName} in ${cluster!.metadata.namespace}`).toBeDefined();
        const secretName = store!.spec.configuration.s3Credentials.accessKeyId.name;
        expect(store!.spec.configuration.s3Credentials.secretAccessKey.name).toBe(secretName);
        const credentials = byKind('ExternalSecret').find(
          (e) => e.metadata.name === secretName && e.metadata.namespace === store!.metadata.namespace,
        );
        expect(credentials, `ExternalSecret ${secretName}`).toBeDefined();
        expect(credentials!.spec.data.map((d: any) => d.remoteRef)).toEqual([
          { key: 'databases/object-store', property: 'accessKeyId' },
          { key: 'databases/object-store', property: 'secretAccessKey' },
        ]);
      }
      // No cluster lists a plugin without an ObjectStore, and none archives WAL twice.
      for (const cluster of byKind('Cluster')) {
        const archivers = (cluster.spec.plugins ?? []).filter((p: any) => p.isWALArchiver);
        expect(archivers.length).toBeLessThanOrEqual(1);
        expect(archivers.length).toBe(backups.includes('objectStore') ? 1 : 0);
      }
    });
  }

  it('the ObjectStore: one per environment, recovery window, credentials by reference, valid against the CRD', () => {
    const objects = render(fleetWith(COMBINATIONS['snapshots + object store']));
    const stores = objects.filter((o) => o.kind === 'ObjectStore');
    expect(stores.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).sort()).toEqual([
      'databases/acme-object-store',
      'db/acme-object-store',
    ]);
    expect(stores[0].spec).toEqual({
      retentionPolicy: '14d',
      configuration: {
        destinationPath: 's3://bucket/fleet',
        endpointURL: 'https://minio.example.com',
        s3Credentials: {
          accessKeyId: { name: 'acme-object-store-credentials', key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: 'acme-object-store-credentials', key: 'ACCESS_SECRET_KEY' },
        },
        wal: { compression: 'gzip' },
      },
    });
    const base = objects.filter((o) => o.kind === 'ScheduledBackup' && o.metadata.name.endsWith('-object-store'));
    expect(base.map((b) => b.metadata.name).sort()).toEqual(['acme-object-store', 'customer-profiles-object-store', 'orders-object-store']);
    expect(base[0].spec).toMatchObject({
      schedule: '0 0 1 * * *',
      method: 'plugin',
      backupOwnerReference: 'none',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
    });
    const validator = loadValidator({ unvalidatedKinds: [] });
    const issues = objects
      .filter((o) => o.kind !== 'AppProject')
      .flatMap((o) => validator.validateObject(o, { file: `${o.kind}/${o.metadata.name}` }));
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([]);
  });

  it('Velero also selects the Backup objects of the ScheduledBackups (they lack the inherited labels)', () => {
    const objects = render(fleetWith(`      velero: { schedule: "0 3 * * *" }\n${COMBINATIONS['snapshots + object store']}`));
    const schedule = objects.find((o) => o.kind === 'Schedule' && o.metadata.name === 'acme-production-databases')!;
    expect(schedule.spec.template.labelSelector).toBeUndefined();
    expect(schedule.spec.template.orLabelSelectors).toEqual([
      { matchLabels: { 'app.kubernetes.io/part-of': 'acme' } },
      {
        matchExpressions: [
          {
            key: 'cnpg.io/scheduled-backup',
            operator: 'In',
            values: ['customer-profiles', 'customer-profiles-object-store', 'orders', 'orders-object-store'],
          },
        ],
      },
    ]);
  });
});

describe('backup config errors', () => {
  it('method plugin needs the object store, and only the Barman Cloud plugin is configured', () => {
    const noStore = fleetWith('      postgres: { schedule: "0 0 2 * * *", method: plugin }');
    expect(configErrors(noStore).join('\n')).toMatch(
      /fleet\.yaml:\d+: environments\.production\.backups\.postgres\.method: plugin backups go to the Barman Cloud plugin's object store: configure environments\.production\.backups\.objectStore/,
    );
    const other = fleetWith(
      `      postgres: { schedule: "0 0 2 * * *", method: plugin, pluginName: acme.example.com/backup }\n${OBJECT_STORE}`,
    );
    expect(configErrors(other).join('\n')).toMatch(
      /backups\.postgres\.pluginName: "acme\.example\.com\/backup" is not configured by dbfleet/,
    );
  });

  it('object store: URL, recovery window and a 6-field schedule', () => {
    const bad = fleetWith(OBJECT_STORE.replace('s3://bucket/fleet', 'bucket/fleet').replace('14d', '2 weeks'));
    const errors = configErrors(bad).join('\n');
    expect(errors).toMatch(
      /fleet\.yaml:14: environments\.test\.backups\.objectStore\.destinationPath: "bucket\/fleet" is not an object store URL/,
    );
    expect(errors).toMatch(
      /fleet\.yaml:17: environments\.test\.backups\.objectStore\.retention: "2 weeks" is not a recovery window like 30d/,
    );
    expect(configErrors(fleetWith(OBJECT_STORE.replace('"0 0 1 * * *"', '"0 1 * * *"'))).join('\n')).toMatch(
      /fleet\.yaml:18: environments\.test\.backups\.objectStore\.schedule: "0 1 \* \* \*" has 5 fields; CloudNativePG schedules take 6/,
    );
  });

  it('retention: keep or maxAge, volume snapshots only, and the ops image', () => {
    expect(configErrors(fleetWith('      postgres: { schedule: "0 0 2 * * *", retention: {} }')).join('\n')).toMatch(
      /backups\.postgres\.retention: needs keep, maxAge or both/,
    );
    expect(
      configErrors(fleetWith(`      postgres: { schedule: "0 0 2 * * *", method: plugin, retention: { keep: 3 } }\n${OBJECT_STORE}`)).join(
        '\n',
      ),
    ).toMatch(/backups\.postgres\.retention: applies to method volumeSnapshot/);
    expect(configErrors(fleetWith('      postgres: { schedule: "0 0 2 * * *", retention: { keep: 3 } }', '')).join('\n')).toMatch(
      /backups\.postgres: retention runs dbfleet's ops image: set the top-level opsImage/,
    );
  });

  it('restore drill: a source that exists and a deadline that fits the schedule', () => {
    expect(configErrors(fleetWith('      restoreDrill: { schedule: "0 5 * * 6" }')).join('\n')).toMatch(
      /backups\.restoreDrill\.schedule: restoring from volume snapshots needs environments\.test\.backups\.postgres with method volumeSnapshot/,
    );
    expect(
      configErrors(
        fleetWith('      postgres: { schedule: "0 0 2 * * *" }\n      restoreDrill: { schedule: "0 5 * * 6", source: objectStore }'),
      ).join('\n'),
    ).toMatch(/backups\.restoreDrill\.source: objectStore needs environments\.test\.backups\.objectStore/);
    expect(
      configErrors(
        fleetWith('      postgres: { schedule: "0 0 2 * * *" }\n      restoreDrill: { schedule: "0 * * * *", timeout: 1h }'),
      ).join('\n'),
    ).toMatch(
      /backups\.restoreDrill\.timeout: 2 cluster\(s\) × \(1h \+ 900s for the check and cleanup\) is 9000s, longer than the 3600s between two runs/,
    );
  });

  it('retention drives CloudNativePG objects: refused on a zalando environment (the object store is WAL-G there, and the drill clones from it)', () => {
    const text = fleetWith(
      `      postgres: { schedule: "0 0 2 * * *", retention: { keep: 3 } }\n${OBJECT_STORE}\n      restoreDrill: { schedule: "0 5 * * 6" }`,
    ).replace('    topology: shared\n', '    topology: shared\n    operator: zalando\n');
    const errors = configErrors(text).join('\n');
    // backups.objectStore is WAL-G in Spilo on Zalando (issue 30, test/zalando/pitr.test.ts).
    expect(errors).not.toMatch(/backups\.objectStore: has no meaning/);
    // The restore drill clones from the WAL-G archive there (test/zalando/restore-drill.test.ts).
    expect(errors).not.toMatch(/backups\.restoreDrill/);
    for (const key of ['postgres.retention']) {
      // The wording is the Zalando mapping's (docs/zalando.md): what the operator offers instead.
      expect(errors).toMatch(new RegExp(`environments\\.test\\.backups\\.${key.replace('.', '\\.')}: has no meaning on operator: zalando`));
    }
  });

  it('cluster names the backup jobs use are reserved', () => {
    const text = fleetWith('      postgres: { schedule: "0 0 2 * * *", retention: { keep: 3 } }').replace(
      '  - name: orders',
      '  - name: prune-backups',
    );
    expect(configErrors(text).join('\n')).toMatch(/cluster name "prune-backups" is reserved for the backup jobs/);
  });
});

describe('backup jobs: least privilege', () => {
  const objects = render(
    fleetWith(`      postgres: { schedule: "0 0 2 * * *", retention: { keep: 7, maxAge: 240h } }
      restoreDrill: { schedule: "0 5 * * 6", timeout: 30m, pushgateway: http://pushgateway.monitoring:9091 }`),
  );
  const inProduction = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === 'db')!;

  it('prune-backups lists and deletes Backups, nothing else', () => {
    expect(inProduction('Role', 'prune-backups').rules).toEqual([
      { apiGroups: ['postgresql.cnpg.io'], resources: ['backups'], verbs: ['list', 'delete'] },
    ]);
    expect(inProduction('RoleBinding', 'prune-backups')).toMatchObject({
      roleRef: { kind: 'Role', name: 'prune-backups' },
      subjects: [{ kind: 'ServiceAccount', name: 'prune-backups', namespace: 'db' }],
    });
    const job = inProduction('CronJob', 'prune-backups');
    const pod = job.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe('prune-backups');
    expect(pod.containers[0].args).toEqual([
      'prune-backups',
      '--namespace',
      'db',
      '--cluster',
      'customer-profiles',
      '--cluster',
      'orders',
      '--keep',
      '7',
      '--max-age',
      '864000s',
    ]);
    expect(pod.containers[0].image).toBe('registry.example.com/dbfleet/ops:1.0.0');
    expect(pod.containers[0].command).toEqual(['/nodejs/bin/node', '/app/ops.cjs']);
    expect(pod.containers[0].securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(job.spec.concurrencyPolicy).toBe('Forbid');
    expect(inProduction('ServiceAccount', 'prune-backups').automountServiceAccountToken).toBe(false);
  });

  it("restore-drill: creates clusters, reads and deletes only its scratch cluster, reads only the owners' Secrets", () => {
    expect(inProduction('Role', 'restore-drill').rules).toEqual([
      { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['create'] },
      {
        apiGroups: ['postgresql.cnpg.io'],
        resources: ['clusters'],
        verbs: ['get'],
        resourceNames: ['customer-profiles', 'orders', 'restore-drill-scratch'],
      },
      { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['delete'], resourceNames: ['restore-drill-scratch'] },
      { apiGroups: ['postgresql.cnpg.io'], resources: ['backups'], verbs: ['list'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get'],
        resourceNames: ['customer-profiles-db-credentials', 'orders-db-credentials'],
      },
    ]);
    const job = inProduction('CronJob', 'restore-drill');
    expect(job.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 2 * (1800 + 900) });
    expect(job.spec.jobTemplate.spec.template.spec.containers[0].args).toEqual([
      'restore-drill',
      '--namespace',
      'db',
      '--environment',
      'production',
      '--source',
      'volumeSnapshot',
      '--scratch-cluster',
      'restore-drill-scratch',
      '--timeout',
      '1800s',
      '--pushgateway',
      'http://pushgateway.monitoring:9091',
      // Each database checked as its owner (issue 24): the access Jobs' owner logins.
      '--owner-secret',
      'customer_profiles=customer-profiles-db-credentials',
      '--owner-secret',
      'orders=orders-db-credentials',
      // Clusters in name order (output independent of the order of services).
      '--cluster',
      'customer-profiles:customer_profiles',
      '--cluster',
      'orders:orders',
    ]);
    // Only the scratch cluster is opened, to the operator, itself and the drill's pod.
    const policy = inProduction('NetworkPolicy', 'restore-drill-ingress');
    expect(policy.spec.podSelector).toEqual({ matchLabels: { 'cnpg.io/cluster': 'restore-drill-scratch' } });
    expect(job.spec.jobTemplate.spec.template.metadata.labels['dbfleet.io/access-client']).toBe('restore-drill-scratch');
  });
});
