// Zalando postgres-operator environments: config rules, the rendered objects, and that every one
// of them validates against the v2.0.1 CRD (and the other schemas), from a fixture fleet.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { zalandoCredentialSecretName } from '../../lib/backends/zalando/zalando-cluster';
import { loadValidator } from '../../lib/validate';
import { configErrors, lineOf } from '../support/fleet';

const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'zalando.yaml'), 'utf8');
const fleet = parseFleet(FIXTURE, 'fleet.yaml');
const rendered = renderObjects(buildApp(fleet));
type Obj = KubernetesObject & { spec: any; data?: any };
const inEnv = (env: string) => rendered.filter((o) => o.path.startsWith(`${env}/`)).map((o) => o.object as Obj);
const find = (env: string, kind: string, name: string): Obj => {
  const object = inEnv(env).find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`${env}: no ${kind} ${name}`);
  return object;
};
const names = (env: string, kind: string) =>
  inEnv(env)
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();

describe('config', () => {
  const zalandoEnv = (extra: string) =>
    FIXTURE.replace(
      '    operator: zalando\n    zalando: { teamId: shop, operatorNamespace: zalando-operator }\n',
      `    operator: zalando\n    zalando: { teamId: shop, operatorNamespace: zalando-operator }\n${extra}`,
    );

  it('operator defaults to cloudnative-pg; zalando settings resolve with defaults', () => {
    const byName = Object.fromEntries(fleet.environments.map((e) => [e.name, e]));
    expect(byName.dev.operator).toBe('cloudnative-pg');
    expect(byName.dev.zalando).toBeUndefined();
    expect(byName.staging.zalando).toEqual({
      teamId: 'shop',
      operatorNamespace: 'zalando-operator',
      dockerImage: undefined,
      exporterImage: 'quay.io/prometheuscommunity/postgres-exporter:v0.20.1',
    });
    expect(byName.live.zalando).toMatchObject({ teamId: 'shop', operatorNamespace: 'postgres-operator' });
  });

  it('walStorage has no Zalando meaning: an error at the key, in the environment and in an override', () => {
    const text = zalandoEnv('    walStorage: 5Gi\n').replace(
      '      live: { instances: 5, storage: 50Gi }',
      '      live: { instances: 5, storage: 50Gi, walStorage: 5Gi }',
    );
    const errors = configErrors(text);
    expect(errors).toContain(
      `fleet.yaml:${lineOf(text, 'walStorage: 5Gi')}: environments.staging.walStorage: has no meaning on operator: zalando (Spilo keeps the WAL on the data volume; size storage for both)`,
    );
    expect(
      errors.some((e) =>
        e.startsWith(
          `fleet.yaml:${lineOf(text, 'walStorage', 2)}: services[0].overrides.live.walStorage: has no meaning on operator: zalando`,
        ),
      ),
    ).toBe(true);
  });

  it('CloudNativePG backup methods are errors on zalando; logical is an error on cloudnative-pg', () => {
    const text = FIXTURE.replace('method: logical', 'method: volumeSnapshot');
    expect(configErrors(text)).toContain(
      `fleet.yaml:${lineOf(text, 'method: volumeSnapshot')}: environments.staging.backups.postgres.method: volumeSnapshot has no meaning on operator: zalando (it takes neither CloudNativePG volume snapshots nor CNPG-I plugin backups); use method: logical for the operator's logical backups, and WAL-G archiving through the operator configuration (docs/zalando.md)`,
    );
    const cnpg = FIXTURE.replace(
      '    operator: cloudnative-pg\n',
      '    operator: cloudnative-pg\n    backups: { postgres: { schedule: "0 0 2 * * *", method: logical } }\n',
    );
    expect(configErrors(cnpg)).toContain(
      `fleet.yaml:${lineOf(cnpg, 'method: logical }')}: environments.dev.backups.postgres.method: logical is the Zalando operator's logical backup; on cloudnative-pg use volumeSnapshot or plugin`,
    );
    const seconds = FIXTURE.replace('"0 30 1 * * *"', '"15 30 1 * * *"');
    expect(configErrors(seconds)).toContain(
      `fleet.yaml:${lineOf(seconds, '15 30 1')}: environments.staging.backups.postgres.schedule: "15 30 1 * * *": the logical backup CronJob runs on whole minutes, so the seconds field must be 0`,
    );
  });

  it('retention is an error that says what Zalando offers instead; the object store is WAL-G (pitr.test.ts), the restore drill clones from it (restore-drill.test.ts)', () => {
    const text = FIXTURE.replace(
      '      postgres: { schedule: "0 30 1 * * *", method: logical }\n',
      `      postgres: { schedule: "0 30 1 * * *", method: logical, retention: { keep: 3 } }
      objectStore: { destinationPath: s3://bucket/x, schedule: "0 0 3 * * *", credentials: { remoteKey: s3 } }
      restoreDrill: { schedule: "0 5 * * 0" }
`,
    ).replace('name: shop\n', 'name: shop\nopsImage: registry.example.com/dbfleet-ops:1\n');
    const errors = configErrors(text);
    expect(errors.filter((e) => e.includes('environments.staging.backups.objectStore'))).toEqual([]);
    expect(errors.filter((e) => e.includes('backups.restoreDrill'))).toEqual([]);
    expect(errors.some((e) => e.includes('environments.staging.backups.postgres.retention: has no meaning on operator: zalando'))).toBe(
      true,
    );
  });

  it('zalando settings on a cloudnative-pg environment, PostgreSQL 13, reserved and unaccepted role names', () => {
    const text = FIXTURE.replace('    operator: cloudnative-pg\n', '    operator: cloudnative-pg\n    zalando: { teamId: x }\n');
    expect(configErrors(text)).toContain(
      `fleet.yaml:${lineOf(text, 'zalando: { teamId: x }')}: environments.dev.zalando: only applies to operator: zalando (this environment runs cloudnative-pg)`,
    );
    const v13 = FIXTURE.replace('version: 16', 'version: 13');
    expect(configErrors(v13)).toContain(
      `fleet.yaml:${lineOf(v13, 'version: 13')}: postgres.version: 13 is not offered by Zalando's postgres-operator 2.0.1 (environment live; it accepts 14, 15, 16, 17, 18)`,
    );
    const admin = FIXTURE.replace('  - name: payments\n', '  - name: payments\n    role: admin\n');
    expect(configErrors(admin)).toContain(
      `fleet.yaml:${lineOf(admin, 'role: admin')}: services[1].role: role name "admin" is reserved by Zalando's postgres-operator, Spilo or dbfleet's exporter (environment live)`,
    );
    const underscore = FIXTURE.replace('  - name: payments\n', '  - name: payments\n    role: payments_\n');
    expect(configErrors(underscore)).toContain(
      `fleet.yaml:${lineOf(underscore, 'role: payments_')}: services[1].role: role name "payments_" must start and end with a letter or digit on operator: zalando (environment live)`,
    );
  });

  it('teamIdPrefix names every cluster <teamId>-<name> (enable_team_id_clustername_prefix)', () => {
    const text = FIXTURE.replace(
      'zalando: { teamId: shop, operatorNamespace: zalando-operator }',
      'zalando: { teamId: shop, teamIdPrefix: true }',
    );
    const staging = parseFleet(text, 'fleet.yaml').environments.find((e) => e.name === 'staging')!;
    expect(staging.clusters.map((c) => c.name)).toEqual(['shop-commerce', 'shop-identity']);
  });
});

describe('rendered postgresql objects', () => {
  it('one postgresql per cluster, no CloudNativePG objects, protected from prune and delete', () => {
    expect(names('staging', 'postgresql')).toEqual(['commerce', 'identity']);
    expect(names('live', 'postgresql')).toEqual(['customer-profiles', 'orders', 'payments']);
    for (const env of ['staging', 'live']) {
      expect(inEnv(env).filter((o) => o.apiVersion.startsWith('postgresql.cnpg.io/'))).toEqual([]);
      for (const pg of inEnv(env).filter((o) => o.kind === 'postgresql')) {
        expect(pg.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
      }
    }
  });

  it('databases map to their owners; users carry the least flags', () => {
    const pg = find('staging', 'postgresql', 'commerce');
    expect(pg.spec).toMatchObject({ teamId: 'shop', numberOfInstances: 2, postgresql: { version: '16' }, volume: { size: '10Gi' } });
    expect(pg.spec.databases).toEqual({ orders: 'orders', payments: 'payments' });
    expect(pg.spec.users).toEqual({ dbfleet_exporter: [], dev_alice: [], dev_bob: [], developers: ['nologin'], orders: [], payments: [] });
    expect(find('live', 'postgresql', 'orders').spec).toMatchObject({ numberOfInstances: 5, volume: { size: '50Gi' } });
  });

  it('instances spread over nodes (refused stacking) and zones (best effort) when there is more than one', () => {
    const spread = find('staging', 'postgresql', 'commerce').spec.topologySpreadConstraints;
    expect(spread.map((c: any) => [c.topologyKey, c.whenUnsatisfiable, c.labelSelector.matchLabels])).toEqual([
      ['kubernetes.io/hostname', 'DoNotSchedule', { application: 'spilo', 'cluster-name': 'commerce' }],
      ['topology.kubernetes.io/zone', 'ScheduleAnyway', { application: 'spilo', 'cluster-name': 'commerce' }],
    ]);
  });

  it('the exporter sidecar logs in as its own role, never the injected superuser', () => {
    const [sidecar] = find('staging', 'postgresql', 'commerce').spec.sidecars;
    expect(sidecar.ports).toEqual([{ name: 'metrics', containerPort: 9187, protocol: 'TCP' }]);
    const env = Object.fromEntries(sidecar.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.DATA_SOURCE_USER).toBe('dbfleet_exporter');
    expect(env.DATA_SOURCE_PASS).toEqual({
      secretKeyRef: { name: 'dbfleet-exporter.commerce.credentials.postgresql.acid.zalan.do', key: 'password' },
    });
    expect(JSON.stringify(sidecar)).not.toContain('POSTGRES_PASSWORD');
  });

  it('resources and postgresql parameters map to the Spilo container and spec.postgresql.parameters', () => {
    const text = FIXTURE.replace(
      '    operator: zalando\n    zalando: { teamId: shop, operatorNamespace: zalando-operator }\n',
      '    operator: zalando\n    zalando: { teamId: shop, operatorNamespace: zalando-operator }\n    resources: { cpu: 500m, memory: 1Gi }\n    postgres: { parameters: { max_connections: 200, log_min_duration_statement: "1000" } }\n',
    );
    const objects = renderObjects(buildApp(parseFleet(text, 'fleet.yaml')))
      .filter((o) => o.path.startsWith('staging/'))
      .map((o) => o.object as Obj);
    const pg = objects.find((o) => o.kind === 'postgresql' && o.metadata.name === 'commerce')!;
    expect(pg.spec.postgresql).toEqual({ version: '16', parameters: { log_min_duration_statement: '1000', max_connections: '200' } });
    expect(pg.spec.resources).toEqual(expect.objectContaining({ requests: expect.objectContaining({ cpu: '500m', memory: '1Gi' }) }));
    expect(pg.spec.resources.limits.memory).toBe('1Gi');
    expect(loadValidator({ unvalidatedKinds: [] }).validateObject(pg, { file: 'staging/postgresql-commerce.yaml' })).toEqual([]);
  });

  it('logical backups: the operator CronJob on the schedule without seconds', () => {
    expect(find('staging', 'postgresql', 'commerce').spec).toMatchObject({
      enableLogicalBackup: true,
      logicalBackupSchedule: '30 1 * * *',
    });
    expect(find('live', 'postgresql', 'orders').spec.enableLogicalBackup).toBeUndefined();
  });

  it('the database namespace enforces baseline (Spilo pods cannot pass restricted) and warns on restricted', () => {
    expect(find('staging', 'Namespace', 'databases').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    expect(find('dev', 'Namespace', 'databases').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });
});

describe('Velero', () => {
  it("selects the operator's objects by cluster-name, which it puts on every pod, PVC and Secret", () => {
    const text = FIXTURE.replace(
      '      postgres: { schedule: "0 30 1 * * *", method: logical }\n',
      '      postgres: { schedule: "0 30 1 * * *", method: logical }\n      velero: { schedule: "0 4 * * *" }\n',
    );
    const objects = renderObjects(buildApp(parseFleet(text, 'fleet.yaml')))
      .filter((o) => o.path.startsWith('staging/'))
      .map((o) => o.object as Obj);
    const schedule = objects.find((o) => o.kind === 'Schedule')!;
    expect(schedule.spec.template.orLabelSelectors).toEqual([
      { matchLabels: { 'app.kubernetes.io/part-of': 'shop' } },
      { matchExpressions: [{ key: 'cluster-name', operator: 'In', values: ['commerce', 'identity'] }] },
    ]);
  });
});

describe('credentials', () => {
  it("the operator's Secret names, pre-created from the store (Orphan, Opaque, username fixed)", () => {
    expect(zalandoCredentialSecretName('customer_profiles', 'identity')).toBe(
      'customer-profiles.identity.credentials.postgresql.acid.zalan.do',
    );
    const es = find('staging', 'ExternalSecret', 'customer-profiles.identity.credentials.postgresql.acid.zalan.do');
    expect(es.metadata.namespace).toBe('databases');
    expect(es.spec.target).toMatchObject({
      creationPolicy: 'Orphan',
      deletionPolicy: 'Retain',
      template: { type: 'Opaque', data: { username: 'customer_profiles', password: '{{ .password }}' } },
    });
    expect(es.spec.data).toEqual([
      { secretKey: 'password', remoteRef: { key: 'databases/staging/services/customer-profiles', property: 'password' } },
    ]);
  });

  it("a developer's password per cluster, from the environment's developer key", () => {
    expect(names('staging', 'ExternalSecret').filter((n) => n.startsWith('dev-'))).toEqual([
      'dev-alice.commerce.credentials.postgresql.acid.zalan.do',
      'dev-alice.identity.credentials.postgresql.acid.zalan.do',
      'dev-bob.commerce.credentials.postgresql.acid.zalan.do',
      'dev-bob.identity.credentials.postgresql.acid.zalan.do',
    ]);
    expect(find('staging', 'ExternalSecret', 'dev-bob.identity.credentials.postgresql.acid.zalan.do').spec.data[0].remoteRef).toEqual({
      key: 'databases/staging/platform/developers/bob',
      property: 'password',
    });
  });

  it("the app's Secret in its own namespace has the CloudNativePG keys and the master Service as host", () => {
    const secret = find('staging', 'ExternalSecret', 'orders-db');
    expect(secret.metadata.namespace).toBe('orders');
    expect(Object.keys(secret.spec.target.template.data).sort()).toEqual(
      Object.keys(find('dev', 'ExternalSecret', 'orders-db').spec.target.template.data).sort(),
    );
    expect(secret.spec.target.template.data).toMatchObject({
      host: 'commerce.databases.svc',
      port: '5432',
      dbname: 'orders',
      username: 'orders',
    });
  });
});

describe('networking and monitoring', () => {
  it('Spilo pods admit services on 5432, members and the operator on 5432 and Patroni 8008, monitoring on 9187', () => {
    const policy = find('staging', 'NetworkPolicy', 'commerce-ingress');
    expect(policy.spec.podSelector).toEqual({ matchLabels: { application: 'spilo', 'cluster-name': 'commerce' } });
    const rules = policy.spec.ingress.map((r: any) => [r.from, r.ports.map((p: any) => p.port)]);
    expect(rules).toContainEqual([[{ podSelector: { matchLabels: { application: 'spilo', 'cluster-name': 'commerce' } } }], [5432, 8008]]);
    expect(rules).toContainEqual([
      [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'zalando-operator' } } }],
      [5432, 8008],
    ]);
    expect(rules).toContainEqual([[{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], [9187]]);
    expect(rules).toContainEqual([
      [
        { podSelector: { matchLabels: { 'dbfleet.io/access-client': 'commerce' } } },
        { podSelector: { matchLabels: { application: 'spilo-logical-backup', 'cluster-name': 'commerce' } } },
      ],
      [5432],
    ]);
  });

  it('a PodMonitor selects the Spilo pods and labels series with the cluster-name', () => {
    const monitor = find('staging', 'PodMonitor', 'commerce');
    expect(monitor.spec.selector).toEqual({ matchLabels: { application: 'spilo', 'cluster-name': 'commerce' } });
    expect(monitor.spec.podMetricsEndpoints[0]).toMatchObject({
      port: 'metrics',
      relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_label_cluster_name'], targetLabel: 'cluster' }],
    });
  });
});

describe('validation', () => {
  it('every rendered object validates against its schema (the postgresql CRD of v2.0.1 included)', () => {
    const validator = loadValidator({ unvalidatedKinds: [] });
    const zalandoObjects = rendered.filter((o) => (o.object as Obj).kind === 'postgresql');
    expect(zalandoObjects.length).toBe(5);
    const issues = rendered
      .flatMap((o) => validator.validateObject(o.object, { file: o.path }))
      // The AppProject has no CRD here (issue #13 adds it); nothing of this fleet renders one.
      .map((i) => `${i.file}: ${i.path}: ${i.message}`);
    expect(issues).toEqual([]);
  });
});
