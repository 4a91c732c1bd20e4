// The restore drill of a Zalando cluster (operator: zalando): a scratch `postgresql` cloned from the
// source's WAL-G archive to a point in time, through runDrill's states (drill.ts):
//   find-backup (choose the recovery target) → clear-leftover → create → wait-ready → check → cleanup
//
// The clone (zalando/postgres-operator@v2.0.1 docs/reference/cluster_manifest.md "Parameters
// defining how to clone the cluster from another one"; pkg/cluster/k8sres.go
// generateCloneEnvironment): `clone.cluster` + `clone.timestamp` make Spilo bootstrap with
// clone_with_wale (CLONE_METHOD CLONE_WITH_WALE, CLONE_TARGET_TIME); `s3_wal_path` becomes
// CLONE_WALE_S3_PREFIX, the source's archive path exactly (`uid` only matters without it, so it is
// not set); `s3_endpoint` → CLONE_AWS_ENDPOINT/CLONE_WALE_S3_ENDPOINT; `s3_force_path_style`.
// The access keys are NOT `s3_access_key_id`/`s3_secret_access_key` (plain values in the
// manifest): the scratch's `env` takes CLONE_AWS_ACCESS_KEY_ID/CLONE_AWS_SECRET_ACCESS_KEY by
// secretKeyRef from the source's own credentials Secret (spec.env comes before the clone variables,
// generateSpiloPodEnvVars). Spilo (zalando/spilo@4.0-p3, unchanged at 7cb50bd) writes the CLONE_*
// names into the clone's envdir (configure_spilo.py write_wale_environment with prefix CLONE_),
// and bootstrap/clone_with_wale.py choose_backup takes the newest base backup listed before the
// target time. The timestamp is chosen so recovery reaches it (recovery-target.ts).
//
// The scratch cluster never archives: spec.env sets every archive destination Spilo reads to ''
// (spec.env wins over the pod environment ConfigMap/Secret and the operator's wal_s3_bucket,
// generateSpiloPodEnvVars appendEnvVars), so archive_command is /bin/true and no backup is
// scheduled (configure_spilo.py USE_WALE). It has no users, databases, sidecars or pooler of its
// own: the restored roles (with their password hashes) are the source's, and each database is
// checked as its owner.
import { KubeApiError, SECRETS, type KubeObject, type Resource } from '../kube/client';
import { chooseRecoveryTarget, type RecoveryTarget, type RecoveryTargetOptions, type SourceLogin } from './recovery-target';
import { interrupted, runDrill, type DrillDeps, type DrillResult, type DrillTarget } from './drill';

export const ZALANDO_POSTGRESQLS: Resource = { group: 'acid.zalan.do', version: 'v1', plural: 'postgresqls' };

/** Archive destinations Spilo reads (configure_spilo.py AUTO_ENABLE_WALG_RESTORE and USE_WALE): '' in the scratch. */
export const SCRATCH_NO_ARCHIVE_ENV = [
  'WAL_S3_BUCKET',
  'WALE_S3_PREFIX',
  'WALG_S3_PREFIX',
  'WAL_GS_BUCKET',
  'WAL_GCS_BUCKET',
  'WALE_GS_PREFIX',
  'WALG_GS_PREFIX',
  'WALG_AZ_PREFIX',
  'WALG_SSH_PREFIX',
  'WAL_SWIFT_BUCKET',
  'WALE_SWIFT_PREFIX',
] as const;

/** The source's S3 connection settings the clone takes, under CLONE_ (zalando-wal-g.ts walgConnectionEnv). */
export const CLONE_CREDENTIAL_ENV = ['CLONE_AWS_ACCESS_KEY_ID', 'CLONE_AWS_SECRET_ACCESS_KEY'] as const;

/** Operator statuses after which the scratch cluster does not come up (postgres-operator@v2.0.1 pkg/apis/acid.zalan.do/v1/const.go). */
export const ZALANDO_FAILED_STATUSES = ['Invalid'];

export interface ZalandoCloneSettings {
  readonly namespace: string;
  readonly scratchCluster: string;
  /** Database → Secret (username, password) of its owner, in the namespace. */
  readonly ownerSecrets: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  /** @default 10 s */
  readonly pollSeconds?: number;
  /** How long to wait for the scratch cluster to disappear. @default 600 s */
  readonly deleteTimeoutSeconds?: number;
  /** TLS with channel binding to the source when marking the target. @default true */
  readonly ssl?: boolean;
}

export interface ZalandoDrillDeps extends DrillDeps {
  /** @default chooseRecoveryTarget (real PostgreSQL) */
  readonly chooseTarget?: (login: SourceLogin, options: RecoveryTargetOptions) => Promise<RecoveryTarget>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the postgresql spec as the API server returned it
type Env = { name: string; value?: string; valueFrom?: any };

/**
 * The scratch `postgresql`: one instance of the source's image, version, parameters, pg_hba,
 * volume and resources, cloned from its WAL-G archive to `timestamp`. Fails on a source that does
 * not archive through its own env (the drill has no other way to learn where the archive is).
 */
export function zalandoScratchManifest(
  settings: Pick<ZalandoCloneSettings, 'namespace' | 'scratchCluster'>,
  source: KubeObject,
  timestamp: string,
): KubeObject {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Env
  const s: any = source.spec ?? {};
  const env: Env[] = s.env ?? [];
  const get = (name: string) => env.find((e) => e.name === name);
  const bucket = get('WAL_S3_BUCKET')?.value;
  const version: string | undefined = s.postgresql?.version;
  if (!bucket || !version)
    throw new Error(
      `${source.metadata.name} does not archive with WAL-G through its spec.env (WAL_S3_BUCKET), or has no postgresql.version`,
    );
  for (const affix of ['WAL_BUCKET_SCOPE_PREFIX', 'WAL_BUCKET_SCOPE_SUFFIX'])
    if (get(affix)?.value !== '')
      throw new Error(`${source.metadata.name}: ${affix} is not '' (dbfleet archives to <bucket>/spilo/<cluster>/wal/<major>)`);
  const credentials = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].map((name) => get(name));
  if (credentials.some((c) => !c?.valueFrom?.secretKeyRef))
    throw new Error(`${source.metadata.name}: the object store's access keys are not taken from a Secret in spec.env`);
  const endpoint = get('AWS_ENDPOINT')?.value;
  const region = get('AWS_REGION')?.value;
  const pathStyle = get('AWS_S3_FORCE_PATH_STYLE')?.value;
  const hba: string[] | undefined = s.patroni?.pg_hba;
  return {
    apiVersion: 'acid.zalan.do/v1',
    kind: 'postgresql',
    metadata: {
      name: settings.scratchCluster,
      namespace: settings.namespace,
      labels: {
        'app.kubernetes.io/managed-by': 'dbfleet',
        'app.kubernetes.io/name': 'restore-drill',
        'app.kubernetes.io/component': 'backup',
        'dbfleet.io/restore-drill-of': source.metadata.name,
      },
    },
    spec: {
      teamId: s.teamId,
      numberOfInstances: 1,
      ...(s.dockerImage ? { dockerImage: s.dockerImage } : {}),
      postgresql: { version, ...(s.postgresql?.parameters ? { parameters: s.postgresql.parameters } : {}) },
      volume: { size: s.volume?.size, ...(s.volume?.storageClass ? { storageClass: s.volume.storageClass } : {}) },
      ...(s.resources ? { resources: s.resources } : {}),
      ...(hba ? { patroni: { pg_hba: hba } } : {}),
      ...(s.spiloRunAsUser !== undefined ? { spiloRunAsUser: s.spiloRunAsUser } : {}),
      ...(s.spiloRunAsGroup !== undefined ? { spiloRunAsGroup: s.spiloRunAsGroup } : {}),
      ...(s.spiloFsGroup !== undefined ? { spiloFsGroup: s.spiloFsGroup } : {}),
      clone: {
        cluster: source.metadata.name,
        timestamp,
        s3_wal_path: `s3://${bucket}/spilo/${source.metadata.name}/wal/${version}`,
        ...(endpoint ? { s3_endpoint: endpoint } : {}),
        ...(pathStyle === 'true' ? { s3_force_path_style: true } : {}),
      },
      env: [
        ...SCRATCH_NO_ARCHIVE_ENV.map((name) => ({ name, value: '' })),
        ...CLONE_CREDENTIAL_ENV.map((name, i) => ({
          name,
          valueFrom: {
            secretKeyRef: { name: credentials[i]!.valueFrom.secretKeyRef.name, key: credentials[i]!.valueFrom.secretKeyRef.key },
          },
        })),
        ...(region ? [{ name: 'CLONE_AWS_REGION', value: region }] : []),
      ],
    },
  };
}

export async function drillZalandoCluster(
  target: DrillTarget,
  settings: ZalandoCloneSettings,
  deps: ZalandoDrillDeps,
): Promise<DrillResult> {
  const { client } = deps;
  const ns = settings.namespace;
  let source: KubeObject | undefined;
  let recovery: RecoveryTarget | undefined;
  return runDrill(target, settings, deps, {
    async prepare() {
      source = await client.get(ZALANDO_POSTGRESQLS, ns, target.cluster);
      // The target is marked as the first database's owner, on the source's primary (master Service).
      const database = target.databases[0];
      const secret = await client.get(SECRETS, ns, settings.ownerSecrets[database]);
      const decode = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
      recovery = await (deps.chooseTarget ?? chooseRecoveryTarget)(
        {
          host: `${target.cluster}.${ns}.svc`,
          port: 5432,
          user: decode('username'),
          password: decode('password'),
          database,
          ssl: settings.ssl,
        },
        {
          timeoutMs: settings.timeoutSeconds * 1000,
          pollMs: (settings.pollSeconds ?? 10) * 1000,
          now: deps.now,
          sleep: deps.sleep,
          signal: deps.signal,
        },
      );
      deps.log.log('info', 'recovery-target', { cluster: target.cluster, timestamp: recovery.timestamp, walFile: recovery.walFile });
      // Checked before anything is created: a source the clone cannot read fails here.
      zalandoScratchManifest(settings, source, recovery.timestamp);
      return { recoveredTimestamp: recovery.epochSeconds };
    },
    exists: async () => !!(await client.find(ZALANDO_POSTGRESQLS, ns, settings.scratchCluster)),
    create: async () => void (await client.create(ZALANDO_POSTGRESQLS, ns, zalandoScratchManifest(settings, source!, recovery!.timestamp))),
    async waitReady() {
      await waitReady(settings, deps);
      // The master Service, named after the cluster: Patroni points it at the leader once the
      // clone has bootstrapped and promoted.
      return `${settings.scratchCluster}.${ns}.svc`;
    },
    remove: (d) => deleteAndWait(settings, d),
  });
}

/**
 * Until the operator reports the scratch cluster Running. It does so once the pod carries the
 * master role label (pkg/cluster/cluster.go Create → waitStatefulsetPodsReady), which Patroni sets
 * after the clone bootstrapped and promoted. CreateFailed (a bootstrap longer than the operator's
 * pod_label_wait_timeout) is not final: the next sync sets Running; only the timeout ends the wait.
 */
async function waitReady(settings: ZalandoCloneSettings, deps: DrillDeps): Promise<void> {
  const deadline = deps.now() + settings.timeoutSeconds * 1000;
  for (;;) {
    interrupted(deps.signal);
    const pg = await deps.client.find(ZALANDO_POSTGRESQLS, settings.namespace, settings.scratchCluster);
    if (!pg) throw new Error(`scratch cluster ${settings.scratchCluster} disappeared`);
    const status: string = pg.status?.PostgresClusterStatus ?? '';
    if (status === 'Running') return;
    if (ZALANDO_FAILED_STATUSES.includes(status)) throw new Error(`the operator reports the scratch cluster "${status}"`);
    if (deps.now() >= deadline) throw new Error(`not ready within ${settings.timeoutSeconds}s (status "${status || 'none'}")`);
    await deps.sleep(Math.min((settings.pollSeconds ?? 10) * 1000, Math.max(0, deadline - deps.now())), deps.signal);
  }
}

async function deleteAndWait(settings: ZalandoCloneSettings, deps: DrillDeps): Promise<void> {
  const timeout = settings.deleteTimeoutSeconds ?? 600;
  const deadline = deps.now() + timeout * 1000;
  await deps.client.delete(ZALANDO_POSTGRESQLS, settings.namespace, settings.scratchCluster);
  for (;;) {
    let exists: boolean;
    try {
      exists = !!(await deps.client.find(ZALANDO_POSTGRESQLS, settings.namespace, settings.scratchCluster));
    } catch (error) {
      if (!(error instanceof KubeApiError) || deps.now() >= deadline) throw error;
      exists = true;
    }
    if (!exists) return;
    if (deps.now() >= deadline) throw new Error(`scratch cluster ${settings.scratchCluster} still exists ${timeout}s after its deletion`);
    await deps.sleep((settings.pollSeconds ?? 10) * 1000);
  }
}
