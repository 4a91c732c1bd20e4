// Continuous archiving on Zalando: WAL-G in Spilo, configured through the `postgresql`'s own `env`
// from the same `backups.objectStore` settings that drive the Barman Cloud plugin on CloudNativePG.
// Kept free of constructs: the config layer (traits.ts) checks what Spilo cannot take.
//
// Upstream (zalando/postgres-operator@v2.0.1):
// - docs/reference/cluster_manifest.md `env` and pkg/apis/acid.zalan.do/v1/postgresql_type.go
//   (`Env []v1.EnvVar`): plain Kubernetes EnvVars, so `valueFrom.secretKeyRef` works.
// - pkg/cluster/k8sres.go generateSpiloPodEnvVars: `spec.env` is appended first with
//   appendEnvVars (first name wins), so it overrides the pod environment ConfigMap/Secret and the
//   operator's own WAL_S3_BUCKET / WAL_BUCKET_SCOPE_* (docs/administrator.md "Custom Pod
//   Environment Variables": only WAL_ and LOG_ names of the operator's may be overridden; the
//   others set here are not the operator's).
// - docs/administrator.md "WAL archiving and physical basebackups": Spilo's defaults
//   (BACKUP_NUM_TO_RETAIN 5, BACKUP_SCHEDULE '00 01 * * *', USE_WALG_BACKUP false) and the prefix
//   `WALE_S3_PREFIX=$WAL_S3_BUCKET/spilo/{WAL_BUCKET_SCOPE_PREFIX}{SCOPE}{WAL_BUCKET_SCOPE_SUFFIX}/wal/{PGVERSION}`
//   (WALG_S3_PREFIX identical); "If both AWS_REGION and AWS_ENDPOINT … backups with WAL-E will
//   fail … switching to WAL-G with USE_WALG_BACKUP" — dbfleet always uses WAL-G.
import type { ObjectStoreBackup } from '../../config/model';

/** Keys of the credentials Secret (the same Secret and keys as CloudNativePG's ObjectStore reads). */
export const WALG_ACCESS_KEY_ID = 'ACCESS_KEY_ID';
export const WALG_SECRET_ACCESS_KEY = 'ACCESS_SECRET_KEY';

/**
 * WAL-G's compression. CloudNativePG's ObjectStore uses gzip, which WAL-G does not offer
 * (lz4, lzma, zstd, brotli); lz4 is WAL-G's own default, set explicitly so Spilo's image changes
 * nothing.
 */
export const WALG_COMPRESSION = 'lz4';

/** A Kubernetes EnvVar as the `postgresql` CRD takes it. */
export interface SpiloEnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
}

const DAY = 86_400;
/** Seconds of one unit of a recovery window (`m` counted as 31 days: never keep too little). */
const WINDOW_UNITS: Record<string, number> = { d: DAY, w: 7 * DAY, m: 31 * DAY };

/** What Spilo's WAL-G cannot take from an object store, per key (`destinationPath`, `schedule`). */
export function walgObjectStoreProblems(o: { destinationPath: string; schedule: string }): Array<{ key: string; message: string }> {
  const problems: Array<{ key: string; message: string }> = [];
  if (!o.destinationPath.startsWith('s3://'))
    problems.push({
      key: 'destinationPath',
      message:
        `"${o.destinationPath}": on operator: zalando dbfleet renders WAL-G to s3:// (AWS or S3-compatible with endpointURL) only. ` +
        "Spilo's gs:// needs a service-account key file (GOOGLE_APPLICATION_CREDENTIALS) and Azure a storage account, neither an access key pair; " +
        "use the store's S3 interface (GCS: https://storage.googleapis.com with HMAC keys)",
    });
  const fields = o.schedule.trim().split(/\s+/);
  if (fields.length === 6 && fields[0] !== '0')
    problems.push({
      key: 'schedule',
      message: `"${o.schedule}": Spilo takes base backups from its crontab (BACKUP_SCHEDULE), on whole minutes, so the seconds field must be 0`,
    });
  return problems;
}

/** `s3://bucket/path` → `bucket/path`: Spilo builds `s3://{WAL_S3_BUCKET}/spilo/…` from it. */
export function walS3Bucket(destinationPath: string): string {
  return destinationPath.replace(/^s3:\/\//, '').replace(/\/+$/, '');
}

/**
 * Where Spilo archives a cluster: `<destinationPath>/spilo/<cluster>/wal/<major>` (the prefix
 * above with both scope affixes empty). The drill's clone reads this path (`clone.s3_wal_path`).
 */
export function walgPrefix(destinationPath: string, cluster: string, postgresVersion: number | string): string {
  return `s3://${walS3Bucket(destinationPath)}/spilo/${cluster}/wal/${postgresVersion}`;
}

/** The 6-field schedule (seconds 0, checked) as the 5-field crontab line Spilo installs. */
export function spiloBackupSchedule(schedule: string): string {
  return schedule.trim().split(/\s+/).slice(1).join(' ');
}

/**
 * How many base backups Spilo keeps for a recovery window: WAL-G deletes all but the newest
 * BACKUP_NUM_TO_RETAIN (and the WAL before the oldest kept). Every point within the window stays
 * reachable when the oldest kept backup is older than the window even at the densest schedule:
 * ⌈window / shortest gap⌉ + 1.
 */
export function backupsToRetain(retention: string, minIntervalSeconds: number): number {
  const m = /^([1-9][0-9]*)([dwm])$/.exec(retention);
  if (!m) throw new Error(`recovery window "${retention}" is not <n>d, <n>w or <n>m`);
  const window = Number(m[1]) * WINDOW_UNITS[m[2]];
  return Math.ceil(window / Math.max(1, minIntervalSeconds)) + 1;
}

/** `https://s3.<region>.amazonaws.com` → `<region>`; undefined for another endpoint. */
export function awsRegionOf(endpointURL: string | undefined): string | undefined {
  if (!endpointURL) return undefined;
  return /^https?:\/\/s3[.-]([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?::\d+)?\/?$/.exec(endpointURL)?.[1];
}

/** The S3 connection settings Spilo passes to WAL-G, with `prefix` (`''` or `CLONE_`). */
export function walgConnectionEnv(o: ObjectStoreBackup, credentialsSecret: string, prefix = ''): SpiloEnvVar[] {
  const region = awsRegionOf(o.endpointURL);
  const secretRef = (key: string) => ({ secretKeyRef: { name: credentialsSecret, key } });
  return [
    { name: `${prefix}AWS_ACCESS_KEY_ID`, valueFrom: secretRef(WALG_ACCESS_KEY_ID) },
    { name: `${prefix}AWS_SECRET_ACCESS_KEY`, valueFrom: secretRef(WALG_SECRET_ACCESS_KEY) },
    ...(o.endpointURL ? [{ name: `${prefix}AWS_ENDPOINT`, value: o.endpointURL }] : []),
    ...(region ? [{ name: `${prefix}AWS_REGION`, value: region }] : []),
    // An S3-compatible store (MinIO, Ceph, …) is addressed by path, not by virtual host.
    ...(o.endpointURL && !region ? [{ name: `${prefix}AWS_S3_FORCE_PATH_STYLE`, value: 'true' }] : []),
  ];
}

/**
 * The `env` of a `postgresql` archiving to `o` with WAL-G: WAL continuously, base backups on
 * `o.schedule`, kept for `o.retention`; credentials from `credentialsSecret` (never a value).
 */
export function walgEnvironment(o: ObjectStoreBackup, credentialsSecret: string, minIntervalSeconds: number): SpiloEnvVar[] {
  return [
    { name: 'WAL_S3_BUCKET', value: walS3Bucket(o.destinationPath) },
    // Empty affixes: the path is `<bucket path>/spilo/<cluster>/wal/<major>`, found again by the
    // drill's clone without the source's UID (CloudNativePG: `<destinationPath>/<cluster>`).
    { name: 'WAL_BUCKET_SCOPE_PREFIX', value: '' },
    { name: 'WAL_BUCKET_SCOPE_SUFFIX', value: '' },
    { name: 'USE_WALG_BACKUP', value: 'true' },
    { name: 'USE_WALG_RESTORE', value: 'true' },
    { name: 'WALG_COMPRESSION_METHOD', value: WALG_COMPRESSION },
    { name: 'WALG_BACKUP_COMPRESSION_METHOD', value: WALG_COMPRESSION },
    { name: 'BACKUP_SCHEDULE', value: spiloBackupSchedule(o.schedule) },
    { name: 'BACKUP_NUM_TO_RETAIN', value: String(backupsToRetain(o.retention, minIntervalSeconds)) },
    ...walgConnectionEnv(o, credentialsSecret),
  ];
}
