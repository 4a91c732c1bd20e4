// Issue 29: a Zalando DR standby site (`standbyOf` on operator: zalando). Each postgresql at the
// standby carries a `standby` section whose s3_wal_path is the source's own WAL-G archive of the
// cluster of the same name (derived from the source's objectStore, never typed again), read with the
// source bucket's READ-ONLY key through the STANDBY_ env; promotion is removing `standbyOf`, a
// DANGER in the plan; the keys that would move the primary site in place are config errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { loadValidator } from '../../lib/validate';
import { makePlan } from '../../lib/plan/plan';
import { environmentAlertGroups } from '../../lib/monitoring/alert-rules';
import { fleetStoreKeys } from '../../lib/secrets/store-keys';
import { zalandoPromotion } from '../../lib/backends/zalando/zalando-promotion';
import { configErrors, lineOf } from '../support/fleet';

const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'zalando-standby.yaml'), 'utf8');
type Obj = KubernetesObject & { spec: any };
const render = (text: string) => renderObjects(buildApp(parseFleet(text, 'fleet.yaml')));
const rendered = render(FIXTURE);
const inEnv = (r: typeof rendered, env: string) => r.filter((o) => o.path.startsWith(`${env}/`)).map((o) => o.object as Obj);
const find = (r: typeof rendered, env: string, kind: string, name: string): Obj => {
  const object = inEnv(r, env).find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`${env}: no ${kind} ${name}`);
  return object;
};
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
const envOf = (o: Obj) => o.spec.env as EnvVar[];
const value = (o: Obj, name: string) => envOf(o).find((e) => e.name === name)?.value;

/** The fixture's standby promoted: standbyOf removed, what it inherited written out. */
const PROMOTED = FIXTURE.replace(
  '    standbyOf: live\n',
  [
    '    namespace: dbs',
    '    topology: per-service',
    '    storage: 20Gi',
    '    developerAccess: read-only',
    '    operator: zalando',
    '    zalando: { teamId: shop, operatorNamespace: zalando-operator }',
    '    pooler:',
    '      rw: { instances: 2, poolMode: transaction, parameters: { max_db_connections: 40 } }',
    '',
  ].join('\n'),
).replace(
  '        credentials: { remoteKey: databases/live-dr/platform/object-store }\n',
  '        credentials: { remoteKey: databases/live-dr/platform/object-store }\n        retention: 14d\n        schedule: "0 30 1 * * *"\n',
);

describe("Zalando standby: the postgresql's standby section", () => {
  it("s3_wal_path is the source's own WAL-G archive of the same cluster, as the source's env makes Spilo write it", () => {
    for (const cluster of ['orders', 'payments']) {
      const source = find(rendered, 'live', 'postgresql', cluster);
      const standby = find(rendered, 'live-dr', 'postgresql', cluster);
      // Spilo's prefix at the source: s3://{WAL_S3_BUCKET}/spilo/{prefix}{cluster}{suffix}/wal/{major}
      // (zalando/spilo@4.0-p3 configure_spilo.py write_wale_environment), from the source's rendered env.
      const archive = `s3://${value(source, 'WAL_S3_BUCKET')}/spilo/${value(source, 'WAL_BUCKET_SCOPE_PREFIX')}${cluster}${value(source, 'WAL_BUCKET_SCOPE_SUFFIX')}/wal/${source.spec.postgresql.version}`;
      expect(standby.spec.standby).toEqual({ s3_wal_path: archive });
      expect(archive).toBe(`s3://shop-postgres-backups/live/spilo/${cluster}/wal/16`);
      // The source is an ordinary primary.
      expect(source.spec.standby).toBeUndefined();
      // Same major at both sites (a standby cannot replay across majors).
      expect(standby.spec.postgresql.version).toBe(source.spec.postgresql.version);
    }
  });

  it('the source bucket is read with its READ-ONLY key, into the STANDBY_ env only; the standby archives to its own bucket', () => {
    const standby = find(rendered, 'live-dr', 'postgresql', 'orders');
    const env = envOf(standby);
    const ro = 'shop-object-store-live-credentials';
    expect(env.filter((e) => e.name.startsWith('STANDBY_'))).toEqual([
      { name: 'STANDBY_AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: ro, key: 'ACCESS_KEY_ID' } } },
      { name: 'STANDBY_AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: ro, key: 'ACCESS_SECRET_KEY' } } },
      // The source's endpoint and region, not the DR site's MinIO.
      { name: 'STANDBY_AWS_ENDPOINT', value: 'https://s3.eu-central-1.amazonaws.com' },
      { name: 'STANDBY_AWS_REGION', value: 'eu-central-1' },
    ]);
    // Its own archive: its own bucket, its own read-write key.
    expect(value(standby, 'WAL_S3_BUCKET')).toBe('shop-postgres-dr/live-dr');
    expect(value(standby, 'AWS_ENDPOINT')).toBe('https://minio.dr.shop.example');
    expect(find(rendered, 'live-dr', 'ExternalSecret', ro).spec.data.map((d: any) => d.remoteRef.key)).toEqual([
      'databases/live/platform/object-store-read-only',
      'databases/live/platform/object-store-read-only',
    ]);
    // Nothing at the DR site reads the source's read-write key.
    expect(JSON.stringify(inEnv(rendered, 'live-dr'))).not.toContain('databases/live/platform/object-store"');
    // The source reads nothing of its standby's bucket (no switchover on Zalando).
    expect(JSON.stringify(inEnv(rendered, 'live'))).not.toContain('live-dr');
    expect(fleetStoreKeys(parseFleet(FIXTURE, 'fleet.yaml')).filter((k) => k.owner.kind === 'object-store-read-only')).toEqual([
      expect.objectContaining({
        environment: 'live-dr',
        remoteKey: 'databases/live/platform/object-store-read-only',
        property: 'accessKeyId',
      }),
      expect.objectContaining({
        environment: 'live-dr',
        remoteKey: 'databases/live/platform/object-store-read-only',
        property: 'secretAccessKey',
      }),
    ]);
  });

  it("takes its own base backups while in recovery (Spilo's postgres_backup.sh skips them unless WALG_BACKUP_FROM_REPLICA=true); the source backs up on its leader", () => {
    for (const name of ['orders', 'payments']) {
      expect(value(find(rendered, 'live-dr', 'postgresql', name), 'WALG_BACKUP_FROM_REPLICA')).toBe('true');
      expect(value(find(rendered, 'live-dr', 'postgresql', name), 'BACKUP_SCHEDULE')).toBeDefined();
      expect(value(find(rendered, 'live', 'postgresql', name), 'WALG_BACKUP_FROM_REPLICA')).toBeUndefined();
    }
  });

  it('re-archives what it restores (archive_mode = always: the cross-site alert reads it); no access Jobs at the standby', () => {
    expect(find(rendered, 'live-dr', 'postgresql', 'orders').spec.postgresql.parameters).toEqual({ archive_mode: 'always' });
    expect(find(rendered, 'live', 'postgresql', 'orders').spec.postgresql.parameters?.archive_mode).toBeUndefined();
    expect(inEnv(rendered, 'live-dr').filter((o) => o.kind === 'CronJob' || o.kind === 'Job')).toEqual([]);
    // Passwords: the source's keys (roles arrive physically from the source).
    const key = (env: string) =>
      find(rendered, env, 'ExternalSecret', 'orders.orders.credentials.postgresql.acid.zalan.do').spec.data[0].remoteRef.key;
    expect(key('live-dr')).toBe(key('live'));
  });

  it("validates against the operator's CRD and the repository's admission rules", () => {
    const validator = loadValidator({ unvalidatedKinds: [] });
    const issues = rendered
      .flatMap((o) => validator.validateObject(o.object, { file: o.path }))
      .map((i) => `${i.file}: ${i.path}: ${i.message}`);
    expect(issues).toEqual([]);
  });
});

describe('Zalando standby: config errors at the key', () => {
  it('primarySite, switchoverTo and promotionTokens: Zalando cannot move the primary site in place', () => {
    for (const line of ['    primarySite: live-dr', '    switchoverTo: live-dr', '    promotionTokens: { orders: abc }']) {
      const text = FIXTURE.replace('    standbyOf: live\n', `    standbyOf: live\n${line}\n`);
      const key = line.trim().split(':')[0];
      expect(configErrors(text)).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `fleet\\.yaml:${lineOf(text, line.trim())}.*environments\\.live-dr\\.${key}.*promote the standby by removing its standbyOf`,
          ),
        ),
      );
    }
    // The default, written out, is no error.
    expect(() =>
      parseFleet(FIXTURE.replace('    standbyOf: live\n', '    standbyOf: live\n    primarySite: live\n'), 'fleet.yaml'),
    ).not.toThrow();
  });

  it('replicas at the standby (written, or inherited from the source) are refused: the `standby` role password is the source’s', () => {
    const written = FIXTURE.replace(/ {4}instances: 1 .*\n/, '    instances: 2\n');
    expect(configErrors(written)).toContainEqual(
      expect.stringMatching(
        /environments\.live-dr\.instances.*is 2 for orders, payments: a Zalando standby cluster runs its standby leader only/,
      ),
    );
    const inherited = FIXTURE.replace(/ {4}instances: 1 .*\n/, '');
    expect(configErrors(inherited)).toContainEqual(expect.stringMatching(/environments\.live-dr\.instances.*is 3 for orders, payments/));
  });

  it('the source must archive to s3:// (WAL-G) for the standby to read it', () => {
    const text = FIXTURE.replace('s3://shop-postgres-backups/live', 'gs://shop-postgres-backups/live');
    expect(configErrors(text).join('\n')).toMatch(/environments\.live\.backups\.objectStore\.destinationPath.*s3:\/\//);
  });
});

describe('Zalando standby: promotion is a reviewed change', () => {
  const promoted = render(PROMOTED);
  const manifests = (r: typeof rendered) => new Map(r.map((o) => [o.path, o.object]));

  it('removing standbyOf removes the standby section and the archive_mode override, nothing else of the postgresql', () => {
    const before = find(rendered, 'live-dr', 'postgresql', 'orders');
    const after = find(promoted, 'live-dr', 'postgresql', 'orders');
    expect(after.spec.standby).toBeUndefined();
    const { standby: _s, env: envBefore, postgresql: pgBefore, ...restBefore } = before.spec;
    const { env: envAfter, postgresql: pgAfter, ...restAfter } = after.spec;
    expect(restAfter).toEqual(restBefore);
    expect(pgAfter).toEqual({ version: pgBefore.version });
    expect(envAfter).toEqual(
      (envBefore as EnvVar[]).filter((e) => !e.name.startsWith('STANDBY_') && e.name !== 'WALG_BACKUP_FROM_REPLICA'),
    );
    // Promoted, it backs up on its leader again (Spilo skips a leader's backup while the variable is true).
    expect(value(after, 'WALG_BACKUP_FROM_REPLICA')).toBeUndefined();
  });

  it('`plan` marks it DANGER for each cluster, naming the runbook', () => {
    const plan = makePlan(manifests(rendered), manifests(promoted));
    const dangers = plan.dangers.filter((d) => d.rule === 'zalando-standby');
    expect(dangers.map((d) => d.object).sort()).toEqual(['postgresql dbs/orders', 'postgresql dbs/payments']);
    for (const d of dangers) {
      expect(d.environment).toBe('live-dr');
      expect(d.message).toMatch(/^PROMOTES the Zalando standby cluster (orders|payments) at live-dr/);
      expect(d.message).toContain('s3://shop-postgres-backups/live/spilo/');
      expect(d.message).toContain('docs/runbooks/zalando-promote-standby.md');
    }
  });

  it('adding a standby section to a running cluster is DANGER too (the operator never makes it replay)', () => {
    const before = find(promoted, 'live-dr', 'postgresql', 'orders');
    const after = find(rendered, 'live-dr', 'postgresql', 'orders');
    const found = zalandoPromotion.check(
      { type: 'changed', environment: 'live-dr', before, after },
      { transitions: [], headObjects: () => [] },
    );
    expect(found.join()).toMatch(/turns the running Zalando cluster orders at live-dr into a standby.*never replays the source/);
    // Nor re-archives anything from the other site: the cross-site alert would fire until the cluster is rebuilt.
    expect(found.join()).toMatch(/archive_mode = always.*restart.*ZalandoReplicaSiteWALStale alert fires at this site until it is rebuilt/);
    // A new standby (added) is not dangerous.
    expect(zalandoPromotion.check({ type: 'added', environment: 'live-dr', after }, { transitions: [], headObjects: () => [] })).toEqual(
      [],
    );
  });
});

describe('Zalando standby: alerts', () => {
  const fleet = parseFleet(FIXTURE, 'fleet.yaml');
  const alerts = (env: string) =>
    environmentAlertGroups(
      fleet,
      fleet.environments.find((e) => e.name === env)!,
    )
      .flatMap((g) => g.rules)
      .map((r) => r.alert);
  it('the standby site watches the WAL arriving from the source, not the in-site lag; the source keeps its lag alert', () => {
    expect(alerts('live-dr')).toContain('ZalandoReplicaSiteWALStale');
    expect(alerts('live-dr')).not.toContain('ZalandoClusterHighReplicationLag');
    expect(alerts('live')).toContain('ZalandoClusterHighReplicationLag');
    expect(alerts('live')).not.toContain('ZalandoReplicaSiteWALStale');
  });
  it('after promotion, the site is an ordinary one again', () => {
    const p = parseFleet(PROMOTED, 'fleet.yaml');
    const names = environmentAlertGroups(
      p,
      p.environments.find((e) => e.name === 'live-dr')!,
    ).flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toContain('ZalandoClusterHighReplicationLag');
    expect(names).not.toContain('ZalandoReplicaSiteWALStale');
  });
});
