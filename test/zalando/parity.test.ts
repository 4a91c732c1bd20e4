// Parity: a fleet rendered with each environment on CloudNativePG and again on Zalando's operator
// gives, per environment, the same services, databases and owners, developer roles, app Secret
// keys, reachable (source, port) pairs and alert names — modulo the differences docs/zalando.md
// lists, each normalised here by name and nowhere else:
// - keys with no Zalando meaning are dropped from both renderings (walStorage, restoreDrill,
//   retention, and an objectStore WAL-G cannot take: not s3://, or base backups off whole
//   minutes), and backups.postgres is `method: logical` on Zalando and `volumeSnapshot` on
//   CloudNativePG;
// - point-in-time recovery: each cluster archives to the same bucket path on both (Barman Cloud's
//   ObjectStore, WAL-G's WAL_S3_BUCKET); CloudNativePG's two object-store alerts watch metrics
//   Zalando's exporter has no twin for (CNPGClusterWALArchivingFailing, CNPGClusterObjectStoreBackupNotRecent);
// - alerts are `Zalando*` for `CNPG*`;
// - the operator's status port is 8000 on CloudNativePG and Patroni's 8008 on Zalando;
// - Zalando has the exporter's own role (`dbfleet_exporter`), and admits its logical backup pods;
// - poolers: only max_db_connections among the PgBouncer parameters (the rest are dropped from both
//   renderings), and the two PgBouncer-level alerts Zalando's pooler has no signal for
//   (CNPGPoolerClientsWaiting, CNPGPoolerMaxClientConnections) are dropped from CloudNativePG's.
// Checked on the example fleet.yaml (parity holds for any fleet) and on the Zalando fixture.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { ZALANDO_EXPORTER_ROLE, ZALANDO_ROTATION_ROLE } from '../../lib/backends/zalando/zalando-cluster';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec: any };
type Operator = 'cloudnative-pg' | 'zalando';

/** The fleet's YAML with every environment on `operator`, dropping what has no meaning there. */
function onOperator(text: string, operator: Operator): string {
  const doc = parse(text);
  // Both renderings start from the features both operators have, so what is compared is the operator.
  // DR standby sites (standbyOf) are CloudNativePG-only (docs/disaster-recovery.md).
  for (const [name, env] of Object.entries(doc.environments as Record<string, any>)) if (env.standbyOf) delete doc.environments[name];
  for (const env of Object.values(doc.environments as Record<string, any>)) {
    env.operator = operator;
    delete env.walStorage;
    keepSharedPoolerSettings(env.pooler);
    if (operator === 'cloudnative-pg') delete env.zalando;
    if (env.backups) {
      const o = env.backups.objectStore;
      if (o && (!String(o.destinationPath).startsWith('s3://') || String(o.schedule).trim().split(/\s+/)[0] !== '0'))
        delete env.backups.objectStore;
      delete env.backups.restoreDrill;
      if (env.backups.postgres) {
        env.backups.postgres = { schedule: env.backups.postgres.schedule, method: operator === 'zalando' ? 'logical' : 'volumeSnapshot' };
      }
    }
  }
  for (const service of doc.services ?? []) {
    for (const o of Object.values((service.overrides ?? {}) as Record<string, any>)) {
      delete o.walStorage;
      keepSharedPoolerSettings(o.pooler);
    }
  }
  return stringify(doc);
}

/** Pooler parameters both operators take (docs/zalando.md "Pooling"); rw and ro alike on both. */
function keepSharedPoolerSettings(pooler: Record<string, any> | undefined): void {
  if (!pooler) return;
  for (const type of ['rw', 'ro']) {
    const p = pooler[type];
    if (!p?.parameters) continue;
    p.parameters = Object.fromEntries(Object.entries(p.parameters as Record<string, unknown>).filter(([k]) => k === 'max_db_connections'));
  }
}

/** CloudNativePG's exporter-based pooler alerts, which Zalando's pooler has no metrics for. */
const NO_SIGNAL_ON_ZALANDO = new Set([
  'CNPGPoolerClientsWaiting',
  'CNPGPoolerMaxClientConnections',
  // pg_stat_archiver and the Barman Cloud plugin's backup gauge (docs/zalando.md "Point-in-time recovery").
  'CNPGClusterWALArchivingFailing',
  'CNPGClusterObjectStoreBackupNotRecent',
]);

/**
 * Zalando's alerts with no CloudNativePG twin: the rotation keeper CronJob exists only there (on
 * CloudNativePG the operator itself makes a retired login NOLOGIN; docs/zalando.md "Rotation").
 */
const ZALANDO_ONLY = new Set(['ZalandoRotationNotRetired']);

interface Facts {
  services: string[];
  databases: string[];
  developerRoles: string[];
  appSecretKeys: Record<string, string[]>;
  /** Per app Secret: which of its endpoints go through a pooler (`uri`, `ro-uri`). */
  pooled: Record<string, string[]>;
  reachable: Record<string, string[]>;
  /** Per cluster, where its WAL and base backups go (the object store's path), if anywhere. */
  archive: Record<string, string>;
  alerts: string[];
}

const PORT_ROLE: Record<number, string> = { 5432: 'postgres', 8000: 'operator-api', 8008: 'operator-api', 9187: 'metrics' };

function facts(objects: Obj[], environment: { name: string; operatorNamespace: string; clusters: readonly { name: string }[] }): Facts {
  const clusterNames = new Set(environment.clusters.map((c) => c.name));
  const appSecrets = objects.filter((o) => o.kind === 'ExternalSecret' && o.spec.target?.template?.data?.dbname !== undefined);
  const databases = objects.some((o) => o.kind === 'postgresql')
    ? objects
        .filter((o) => o.kind === 'postgresql')
        .flatMap((o) =>
          Object.entries(o.spec.databases as Record<string, string>).map(([db, owner]) => `${o.metadata.name}/${db}:${owner}`),
        )
    : objects.filter((o) => o.kind === 'Database').map((o) => `${o.spec.cluster.name}/${o.spec.name}:${o.spec.owner}`);
  const owners = new Set(databases.map((d) => d.split(':')[1]));
  const roles = objects.some((o) => o.kind === 'postgresql')
    ? objects
        .filter((o) => o.kind === 'postgresql')
        .flatMap((o) => Object.keys(o.spec.users).map((u) => `${o.metadata.name}/${u}`))
        // the operator-only logins docs/zalando.md "Differences" lists: the exporter's, and the
        // rotation keeper's (a cluster with a service under rotation)
        .filter((r) => !r.endsWith(`/${ZALANDO_EXPORTER_ROLE}`) && !r.endsWith(`/${ZALANDO_ROTATION_ROLE}`))
    : [
        ...objects
          .filter((o) => o.kind === 'Cluster')
          .flatMap((o) =>
            ((o.spec.managed?.roles ?? []) as Array<{ name: string; ensure?: string }>)
              .filter((r) => r.ensure !== 'absent')
              .map((r) => `${o.metadata.name}/${r.name}`),
          ),
        // Roles as their own objects (DatabaseRole), where the chart renders them so.
        ...objects.filter((o) => o.kind === 'DatabaseRole').map((o) => `${o.spec.cluster?.name}/${o.spec.name}`),
      ];
  const reachable: Record<string, string[]> = {};
  for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy' && clusterNames.has(o.metadata.name.replace(/-ingress$/, '')))) {
    const cluster = policy.metadata.name.replace(/-ingress$/, '');
    const own = JSON.stringify(policy.spec.podSelector.matchLabels);
    const pairs = new Set<string>();
    for (const rule of policy.spec.ingress) {
      for (const peer of rule.from) {
        let source: string;
        const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
        if (ns) source = ns === environment.operatorNamespace ? 'operator namespace' : `namespace ${ns}`;
        else if (peer.podSelector?.matchLabels?.['dbfleet.io/access-client']) source = 'access jobs';
        else if (peer.podSelector?.matchLabels?.application === 'spilo-logical-backup')
          continue; // Zalando only: its logical backup pods
        else if (
          peer.podSelector &&
          (JSON.stringify(peer.podSelector.matchLabels) === own || peer.podSelector.matchLabels['cnpg.io/cluster'] === cluster)
        )
          source = 'own members';
        else source = JSON.stringify(peer);
        for (const port of rule.ports) pairs.add(`${source} → ${PORT_ROLE[port.port] ?? port.port}`);
      }
    }
    reachable[cluster] = [...pairs].sort();
  }
  const archive: Record<string, string> = {};
  for (const o of objects.filter((x) => x.kind === 'postgresql')) {
    const bucket = ((o.spec.env ?? []) as Array<{ name: string; value?: string }>).find((e) => e.name === 'WAL_S3_BUCKET')?.value;
    if (bucket) archive[o.metadata.name] = `s3://${bucket}`;
  }
  for (const o of objects.filter((x) => x.kind === 'Cluster')) {
    const store = ((o.spec.plugins ?? []) as Array<{ isWALArchiver?: boolean; parameters?: Record<string, string> }>).find(
      (p) => p.isWALArchiver,
    )?.parameters?.barmanObjectName;
    const path = objects.find((x) => x.kind === 'ObjectStore' && x.metadata.name === store)?.spec.configuration.destinationPath;
    if (path) archive[o.metadata.name] = String(path).replace(/\/+$/, '');
  }
  const rule = objects.find((o) => o.kind === 'PrometheusRule');
  return {
    services: appSecrets.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort(),
    databases: databases.sort(),
    developerRoles: roles.filter((r) => !owners.has(r.split('/')[1])).sort(),
    appSecretKeys: Object.fromEntries(appSecrets.map((o) => [o.metadata.name, Object.keys(o.spec.target.template.data).sort()])),
    pooled: Object.fromEntries(
      appSecrets.map((o) => [
        o.metadata.name,
        Object.entries(o.spec.target.template.data as Record<string, string>)
          .filter(([, v]) => /-pooler[-.]/.test(v))
          .map(([k]) => k)
          .sort(),
      ]),
    ),
    reachable,
    archive,
    alerts: [
      ...new Set(
        ((rule?.spec.groups ?? []) as Array<{ rules: Array<{ alert: string }> }>).flatMap((g) =>
          g.rules.filter((r) => !ZALANDO_ONLY.has(r.alert)).map((r) => r.alert.replace(/^Zalando/, 'CNPG')),
        ),
      ),
    ]
      .filter((a) => !NO_SIGNAL_ON_ZALANDO.has(a))
      .sort(),
  };
}

function render(text: string): Map<string, Facts> {
  const fleet = parseFleet(text, 'fleet.yaml');
  const rendered = renderObjects(buildApp(fleet));
  return new Map(
    fleet.environments.map((env) => [
      env.name,
      facts(
        rendered.filter((o) => o.path.startsWith(`${env.name}/`)).map((o) => o.object as unknown as Obj),
        {
          name: env.name,
          operatorNamespace: env.operator === 'zalando' ? env.zalando!.operatorNamespace : fleet.operatorNamespace,
          clusters: env.clusters,
        },
      ),
    ]),
  );
}

describe.each([
  ['the example fleet.yaml', join(__dirname, '..', '..', 'fleet.yaml')],
  ['the Zalando fixture', join(__dirname, '..', 'fixtures', 'fleets', 'zalando.yaml')],
  ['the full Zalando fixture (pooling, PITR)', join(__dirname, '..', 'fixtures', 'fleets', 'zalando-full.yaml')],
])('parity on %s', (_name, file) => {
  const text = readFileSync(file, 'utf8');
  const cnpg = render(onOperator(text, 'cloudnative-pg'));
  const zalando = render(onOperator(text, 'zalando'));

  it('renders the same environments on both operators', () => {
    expect([...zalando.keys()]).toEqual([...cnpg.keys()]);
  });

  for (const environment of [...cnpg.keys()]) {
    describe(environment, () => {
      it('the same services, databases and owners, developer roles and app Secret keys', () => {
        const c = cnpg.get(environment)!;
        const z = zalando.get(environment)!;
        expect(c.services.length).toBeGreaterThan(0);
        expect(z.services).toEqual(c.services);
        expect(z.databases).toEqual(c.databases);
        // A rotation's second login (`<role>_alt`) is a role dbfleet declares on CloudNativePG and
        // the operator creates as the owner's rotation user on Zalando (zalando-rotation.ts).
        const declared = (roles: string[]) => roles.filter((r) => !r.endsWith('_alt'));
        expect(declared(z.developerRoles)).toEqual(declared(c.developerRoles));
        expect(z.appSecretKeys).toEqual(c.appSecretKeys);
        expect(z.pooled).toEqual(c.pooled);
      });

      it('the same reachable (source, port) pairs per cluster', () => {
        const c = cnpg.get(environment)!.reachable;
        expect(Object.keys(c).length).toBeGreaterThan(0);
        expect(zalando.get(environment)!.reachable).toEqual(c);
      });

      it('point-in-time recovery: every cluster archives to the same object-store path', () => {
        expect(zalando.get(environment)!.archive).toEqual(cnpg.get(environment)!.archive);
      });

      it('the same alerts', () => {
        const c = cnpg.get(environment)!.alerts;
        expect(c.length).toBeGreaterThan(0);
        expect(zalando.get(environment)!.alerts).toEqual(c);
      });
    });
  }

  it('can fail: a Zalando rendering that lost a database or an alert is told apart', () => {
    const z = zalando.get([...zalando.keys()][0])!;
    const c = cnpg.get([...cnpg.keys()][0])!;
    expect({ ...z, databases: z.databases.slice(1) }).not.toEqual(c);
    expect(z.alerts.slice(1)).not.toEqual(c.alerts);
  });
});

describe('the normalised facts themselves', () => {
  it('name what each cluster admits, on either operator', () => {
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'zalando.yaml'), 'utf8');
    for (const operator of ['cloudnative-pg', 'zalando'] as const) {
      const live = render(onOperator(text, operator)).get('live')!;
      expect(live.reachable.orders).toEqual([
        'access jobs → postgres',
        'namespace monitoring → metrics',
        'namespace orders → postgres',
        'operator namespace → operator-api',
        'operator namespace → postgres',
        'own members → operator-api',
        'own members → postgres',
      ]);
      expect(live.developerRoles).toEqual([
        'customer-profiles/dev_alice',
        'customer-profiles/dev_bob',
        'customer-profiles/developers',
        'orders/dev_alice',
        'orders/dev_bob',
        'orders/developers',
        'payments/dev_alice',
        'payments/dev_bob',
        'payments/developers',
      ]);
      expect(live.alerts).toContain('CNPGClusterHAWarning');
    }
  });
});
