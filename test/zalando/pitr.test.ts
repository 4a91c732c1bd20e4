// Issue 30 part 2: point-in-time recovery on Zalando from the same `backups.objectStore` settings as
// CloudNativePG — WAL-G in Spilo through the `postgresql`'s env, its access keys from the store
// (the same key, Secret name and keys as CloudNativePG's ObjectStore), never a literal value.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { loadValidator } from '../../lib/validate';
import { awsRegionOf, backupsToRetain, walgPrefix } from '../../lib/backends/zalando/zalando-wal-g';
import { configErrors, lineOf } from '../support/fleet';

const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'zalando-full.yaml'), 'utf8');
type Obj = KubernetesObject & { spec: any };
const render = (text: string) => renderObjects(buildApp(parseFleet(text, 'fleet.yaml')));
const rendered = render(FIXTURE);
const inEnv = (env: string) => rendered.filter((o) => o.path.startsWith(`${env}/`)).map((o) => o.object as Obj);
const find = (env: string, kind: string, name: string): Obj => {
  const object = inEnv(env).find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`${env}: no ${kind} ${name}`);
  return object;
};

describe('Zalando: WAL-G archiving from backups.objectStore', () => {
  it("every postgresql archives with WAL-G through Spilo's env: bucket path, schedule, retention, endpoint, keys by reference", () => {
    for (const cluster of ['orders', 'payments']) {
      expect(find('live', 'postgresql', cluster).spec.env).toEqual([
        { name: 'WAL_S3_BUCKET', value: 'shop-postgres-backups/live' },
        { name: 'WAL_BUCKET_SCOPE_PREFIX', value: '' },
        { name: 'WAL_BUCKET_SCOPE_SUFFIX', value: '' },
        { name: 'USE_WALG_BACKUP', value: 'true' },
        { name: 'USE_WALG_RESTORE', value: 'true' },
        { name: 'WALG_COMPRESSION_METHOD', value: 'lz4' },
        { name: 'WALG_BACKUP_COMPRESSION_METHOD', value: 'lz4' },
        // "0 30 1 * * *" without its seconds: Spilo's crontab line.
        { name: 'BACKUP_SCHEDULE', value: '30 1 * * *' },
        // 14 days of daily base backups, plus the one that reaches back before the window.
        { name: 'BACKUP_NUM_TO_RETAIN', value: '15' },
        { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'shop-object-store-credentials', key: 'ACCESS_KEY_ID' } } },
        {
          name: 'AWS_SECRET_ACCESS_KEY',
          valueFrom: { secretKeyRef: { name: 'shop-object-store-credentials', key: 'ACCESS_SECRET_KEY' } },
        },
        { name: 'AWS_ENDPOINT', value: 'https://s3.eu-central-1.amazonaws.com' },
        { name: 'AWS_REGION', value: 'eu-central-1' },
      ]);
    }
  });

  it("the access keys come from the object store's store key into the Secret CloudNativePG's ObjectStore reads", () => {
    const es = find('live', 'ExternalSecret', 'shop-object-store-credentials');
    expect(es.metadata.namespace).toBe('dbs');
    expect(es.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'vault' });
    expect(es.spec.data).toEqual([
      { secretKey: 'ACCESS_KEY_ID', remoteRef: { key: 'databases/live/platform/object-store', property: 'accessKeyId' } },
      { secretKey: 'ACCESS_SECRET_KEY', remoteRef: { key: 'databases/live/platform/object-store', property: 'secretAccessKey' } },
    ]);
    // The same Secret name and keys on the CloudNativePG environment of the same fleet, when it has an object store.
    const cnpg = render(
      FIXTURE.replace(
        '    developerAccess: read-write\n',
        '    developerAccess: read-write\n    backups:\n      objectStore: { destinationPath: s3://shop-postgres-backups/dev, credentials: { remoteKey: databases/dev/platform/object-store }, schedule: "0 0 2 * * *" }\n',
      ),
    )
      .filter((o) => o.path.startsWith('dev/'))
      .map((o) => o.object as Obj);
    const store = cnpg.find((o) => o.kind === 'ObjectStore')!;
    expect(store.spec.configuration.s3Credentials).toEqual({
      accessKeyId: { name: 'shop-object-store-credentials', key: 'ACCESS_KEY_ID' },
      secretAccessKey: { name: 'shop-object-store-credentials', key: 'ACCESS_SECRET_KEY' },
    });
  });

  it('no access key in git: every AWS_* key of every postgresql is a secretKeyRef', () => {
    for (const pg of inEnv('live').filter((o) => o.kind === 'postgresql')) {
      for (const e of pg.spec.env as Array<{ name: string; value?: string }>) {
        if (/ACCESS_KEY/.test(e.name)) expect(e.value).toBeUndefined();
      }
    }
  });

  it('an S3-compatible store (not AWS): endpoint by path, no region', () => {
    const text = FIXTURE.replace('endpointURL: https://s3.eu-central-1.amazonaws.com', 'endpointURL: https://minio.storage.svc:9000');
    const env = (render(text).find((o) => (o.object as Obj).kind === 'postgresql' && o.path.startsWith('live/'))!.object as Obj).spec
      .env as Array<{ name: string; value?: string }>;
    expect(env.filter((e) => e.name.startsWith('AWS_') && e.value !== undefined)).toEqual([
      { name: 'AWS_ENDPOINT', value: 'https://minio.storage.svc:9000' },
      { name: 'AWS_S3_FORCE_PATH_STYLE', value: 'true' },
    ]);
  });

  it('renders and validates: schemas and the repository’s Zalando admission rules', () => {
    const validator = loadValidator({ unvalidatedKinds: [] });
    const issues = rendered
      .flatMap((o) => validator.validateObject(o.object, { file: o.path }))
      .map((i) => `${i.file}: ${i.path}: ${i.message}`);
    expect(issues).toEqual([]);
  });
});

describe('Zalando: what WAL-G in Spilo cannot take is a config error at the key', () => {
  it('gs:// and https:// destinations, and base backups off whole minutes', () => {
    for (const [path, schedule] of [
      ['gs://bucket/live', '0 30 1 * * *'],
      ['https://account.blob.core.windows.net/container/live', '15 30 1 * * *'],
    ]) {
      const text = FIXTURE.replace('s3://shop-postgres-backups/live', path).replace('schedule: "0 30 1 * * *"', `schedule: "${schedule}"`);
      const errors = configErrors(text);
      expect(errors).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^fleet.yaml:${lineOf(text, 'destinationPath:')}: environments.live.backups.objectStore.destinationPath: "${path.replace(/[.]/g, '\\.')}": on operator: zalando dbfleet renders WAL-G to s3://`,
          ),
        ),
      );
      if (schedule.startsWith('15'))
        expect(errors).toContain(
          `fleet.yaml:${lineOf(text, `schedule: "${schedule}"`)}: environments.live.backups.objectStore.schedule: "${schedule}": Spilo takes base backups from its crontab (BACKUP_SCHEDULE), on whole minutes, so the seconds field must be 0`,
        );
    }
  });
});

describe('WAL-G settings', () => {
  it('keeps enough base backups to reach back over the whole window at the densest schedule', () => {
    expect(backupsToRetain('30d', 86_400)).toBe(31);
    expect(backupsToRetain('4w', 7 * 86_400)).toBe(5);
    expect(backupsToRetain('1m', 86_400)).toBe(32);
    expect(backupsToRetain('1d', 3_600)).toBe(25);
    expect(() => backupsToRetain('30x', 86_400)).toThrow(/30x/);
  });

  it("the archive path Spilo builds, which the drill's clone reads", () => {
    expect(walgPrefix('s3://b/live/', 'orders', 16)).toBe('s3://b/live/spilo/orders/wal/16');
  });

  it('the AWS region from an AWS endpoint only', () => {
    expect(awsRegionOf('https://s3.eu-central-1.amazonaws.com')).toBe('eu-central-1');
    expect(awsRegionOf('https://s3.us-gov-west-1.amazonaws.com:443')).toBe('us-gov-west-1');
    expect(awsRegionOf('https://minio.local:9000')).toBeUndefined();
    expect(awsRegionOf(undefined)).toBeUndefined();
  });
});
