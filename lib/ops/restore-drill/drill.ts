// One restore drill of one cluster, as a sequence of states that always ends with the scratch
// cluster deleted:
//   find-backup → clear-leftover → create → wait-ready → check → (report) → cleanup
// Any state may fail (no backup, create refused, timeout, a failing phase, a database missing or
// unreadable, SIGTERM); cleanup runs in every case, and its own failure is reported separately
// (a scratch cluster left behind costs storage, and blocks the next drill until deleted).
import { Buffer } from 'node:buffer';
import { CNPG_BACKUPS, CNPG_CLUSTERS, KubeApiError, SECRETS, type KubeClient, type KubeObject } from '../kube/client';
import type { OpsLogger } from '../common/log';
import type { Checker, DatabaseResult } from './check';

export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';
const HEALTHY = 'Cluster in healthy state';
/**
 * Phases after which a Cluster does not get ready without someone acting
 * (cloudnative-pg@v1.30.0 api/v1/cluster_types.go). Plugin errors can be transient while the
 * plugin starts, so every one must persist for `failingPhaseGraceSeconds` before the drill gives up.
 */
export const FAILING_PHASES = [
  'Cluster cannot proceed to reconciliation due to an unknown plugin being required',
  'Cluster cannot proceed to reconciliation due to an error while interacting with plugins',
  'Cluster has incomplete or invalid image catalog',
  'Cluster is unrecoverable and needs manual intervention',
  'Unable to create required cluster objects',
  'Invalid cluster definition',
];

export type Source = 'volumeSnapshot' | 'objectStore';

export interface DrillSettings {
  readonly namespace: string;
  readonly source: Source;
  /** The environment's ObjectStore (source objectStore). */
  readonly objectStore?: string;
  readonly scratchCluster: string;
  /**
   * Database → Secret (username, password) of the login its access Job uses as its owner, in the
   * namespace. The scratch cluster is a physical restore: the source's roles and password hashes
   * come with it, so each database is checked as its owner and the drill needs no superuser.
   */
  readonly ownerSecrets: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  /** @default 10 s */
  readonly pollSeconds?: number;
  /** @default 120 s */
  readonly failingPhaseGraceSeconds?: number;
  /** How long to wait for the scratch cluster to disappear. @default 600 s */
  readonly deleteTimeoutSeconds?: number;
}

export interface DrillTarget {
  readonly cluster: string;
  readonly databases: readonly string[];
}

export type DrillState = 'find-backup' | 'clear-leftover' | 'create' | 'wait-ready' | 'check' | 'done';

export interface DrillResult {
  readonly cluster: string;
  readonly success: boolean;
  /** The state the drill failed in. */
  readonly failedIn?: DrillState;
  readonly error?: string;
  readonly backup?: string;
  /** Seconds from the start of the drill of this cluster to the end of the check. */
  readonly durationSeconds: number;
  /** Lower bound of the recovered point in time (epoch s): the end of the restored base backup. */
  readonly recoveredTimestamp?: number;
  readonly databases: readonly DatabaseResult[];
  /** The scratch cluster could not be deleted. */
  readonly cleanupFailed: boolean;
}

export interface DrillDeps {
  readonly client: KubeClient;
  readonly check: Checker;
  readonly log: OpsLogger;
  /** Epoch ms. */
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborted on SIGTERM: the drill stops waiting and cleans up. */
  readonly signal?: AbortSignal;
}

const time = (iso?: string) => (iso ? Date.parse(iso) : Number.NaN);

/** The newest completed Backup of a cluster made by the method the source restores from. */
export function latestBackup(backups: readonly KubeObject[], cluster: string, source: Source): KubeObject | undefined {
  const method = source === 'volumeSnapshot' ? 'volumeSnapshot' : 'plugin';
  return backups
    .filter((b) => (b.spec?.cluster?.name ?? b.metadata.labels?.['cnpg.io/cluster']) === cluster)
    .filter((b) => b.status?.phase === 'completed' && !b.metadata.deletionTimestamp)
    .filter((b) => (b.status?.method ?? b.spec?.method) === method)
    .filter((b) => method !== 'plugin' || (b.spec?.pluginConfiguration?.name ?? BARMAN_CLOUD_PLUGIN) === BARMAN_CLOUD_PLUGIN)
    .sort(
      (a, b) => (time(b.status?.stoppedAt) || 0) - (time(a.status?.stoppedAt) || 0) || b.metadata.name.localeCompare(a.metadata.name),
    )[0];
}

/** The scratch Cluster restoring `source`'s backup: one instance, sized and versioned like the source, no WAL archive. */
export function scratchClusterSpec(settings: DrillSettings, source: KubeObject, backup: KubeObject): KubeObject {
  const s = source.spec ?? {};
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a storage stanza of the source Cluster as the API server returned it
  const volume = (v: any) => (v ? { size: v.size, ...(v.storageClass ? { storageClass: v.storageClass } : {}) } : undefined);
  const recovery =
    settings.source === 'volumeSnapshot'
      ? // The Backup names its VolumeSnapshots (data, and WAL when separate); they live in this namespace.
        { backup: { name: backup.metadata.name } }
      : // Base backup and WAL from the object store, replayed to the end of the archive.
        { source: 'origin' };
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
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
      instances: 1,
      // CloudNativePG defaults enablePDB to true (cloudnative-pg@v1.30.0 api/v1/cluster_funcs.go
      // GetEnablePDB; the CRD's +kubebuilder:default:=true): a 1-instance primary PDB with
      // minAvailable 1 would block every drain of the scratch cluster's node for the whole drill.
      enablePDB: false,
      ...(s.imageName ? { imageName: s.imageName } : {}),
      ...(s.imageCatalogRef ? { imageCatalogRef: s.imageCatalogRef } : {}),
      // Settings a standby must match or exceed (max_connections, …) come along with the rest.
      ...(s.postgresql?.parameters ? { postgresql: { parameters: s.postgresql.parameters } } : {}),
      // No superuser login (issue 24): the check logs in as each database's owner, whose role and
      // password hash the physical restore brings along. With access disabled the instance manager
      // sets the postgres password to NULL (cloudnative-pg@v1.30.0
      // internal/management/controller/instance_controller.go reconcileSuperuserPassword); the
      // webhook has no rule tying it to the bootstrap method.
      enableSuperuserAccess: false,
      storage: volume(s.storage),
      ...(s.walStorage ? { walStorage: volume(s.walStorage) } : {}),
      bootstrap: { recovery },
      ...(settings.source === 'objectStore'
        ? {
            externalClusters: [
              {
                name: 'origin',
                plugin: {
                  name: BARMAN_CLOUD_PLUGIN,
                  parameters: { barmanObjectName: settings.objectStore, serverName: source.metadata.name },
                },
              },
            ],
          }
        : {}),
    },
  };
}

/**
 * What one backend does in each state of its drill; `runDrill` owns the order, SIGTERM, the check
 * as each database's owner, the cleanup and the result, so the three backends (CloudNativePG here,
 * Aurora in aurora-drill.ts, Zalando in zalando-drill.ts) share one state machine. A step fails by
 * throwing; the drill fails in the state it was in.
 */
export interface DrillSteps {
  /**
   * find-backup: what the scratch cluster will restore (CloudNativePG: the newest Backup; Zalando:
   * the recovery target). Absent: the drill starts at clear-leftover (Aurora).
   */
  readonly prepare?: () => Promise<{ readonly backup?: string; readonly recoveredTimestamp?: number }>;
  /** Whether a scratch object exists (a leftover of a run killed before its cleanup). */
  readonly exists: () => Promise<boolean>;
  readonly create: () => Promise<void>;
  /** Waits until the scratch cluster takes connections; returns the host to check. */
  readonly waitReady: () => Promise<string>;
  /** Deletes the scratch objects and waits until they are gone (`signal` unset during cleanup). */
  readonly remove: (deps: DrillDeps) => Promise<void>;
  /** The recovered point in time (epoch s) when `prepare` gives none, from the drill's start (epoch ms). */
  readonly recoveredTimestamp?: (startedMs: number) => number | undefined;
}

class DrillFailure extends Error {
  constructor(
    readonly state: DrillState,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown by a step when the drill was interrupted (SIGTERM). */
export function interrupted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('interrupted (SIGTERM)');
}

/** One drill: prepare → clear-leftover → create → wait-ready → check → done, then cleanup whatever happened. */
export async function runDrill(
  target: DrillTarget,
  settings: { readonly namespace: string; readonly scratchCluster: string; readonly ownerSecrets: Readonly<Record<string, string>> },
  deps: DrillDeps,
  steps: DrillSteps,
): Promise<DrillResult> {
  const { client, log, now } = deps;
  const started = now();
  let state: DrillState = steps.prepare ? 'find-backup' : 'clear-leftover';
  let prepared: { backup?: string; recoveredTimestamp?: number } = {};
  let databases: DatabaseResult[] = [];
  let failure: DrillFailure | undefined;
  let created = false;
  const enter = (next: DrillState) => {
    state = next;
    log.log('info', 'state', { cluster: target.cluster, state });
  };
  const missingOwners = target.databases.filter((d) => !settings.ownerSecrets[d]);

  try {
    log.log('info', 'state', { cluster: target.cluster, state });
    if (missingOwners.length > 0) throw new DrillFailure(state, `no owner Secret for database(s) ${missingOwners.join(', ')}`);
    if (steps.prepare) {
      prepared = await steps.prepare();
      interrupted(deps.signal);
      enter('clear-leftover');
    }
    if (await steps.exists()) {
      log.log('warn', 'leftover', { cluster: target.cluster, scratch: settings.scratchCluster });
      await steps.remove(deps);
    }
    interrupted(deps.signal);

    enter('create');
    // A failed create may have created the object anyway (a timeout, a 409 from a concurrent
    // drill): cleanup runs after a failure in this state too.
    await steps.create();
    created = true;

    enter('wait-ready');
    const host = await steps.waitReady();

    enter('check');
    // Each database as its owner (the login its access Job uses), not as a superuser: a table the
    // owner cannot read is a finding too.
    databases = [];
    for (const database of target.databases) {
      const secret = await client.get(SECRETS, settings.namespace, settings.ownerSecrets[database]);
      const decode = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
      databases.push(
        ...(await deps.check({ host, port: 5432, user: decode('username'), password: decode('password'), databases: [database] })),
      );
    }
    const bad = databases.filter((d) => !d.ok);
    if (bad.length > 0) throw new DrillFailure(state, bad.map((d) => `database ${d.database}: ${d.error}`).join('; '));
    enter('done');
  } catch (error) {
    failure = error instanceof DrillFailure ? error : new DrillFailure(state, (error as Error).message);
    log.log('error', 'failed', { cluster: target.cluster, state: failure.state, message: failure.message });
  }
  const durationSeconds = (now() - started) / 1000;

  // Cleanup, whatever happened: also when creation failed (it may have been created anyway).
  let cleanupFailed = false;
  if (created || failure?.state === 'create') {
    try {
      await steps.remove({ ...deps, signal: undefined });
      log.log('info', 'cleaned-up', { cluster: target.cluster, scratch: settings.scratchCluster });
    } catch (error) {
      cleanupFailed = true;
      log.log('error', 'cleanup-failed', { cluster: target.cluster, scratch: settings.scratchCluster, message: (error as Error).message });
    }
  }
  const recovered = prepared.recoveredTimestamp ?? steps.recoveredTimestamp?.(started);
  return {
    cluster: target.cluster,
    success: !failure,
    failedIn: failure?.state,
    error: failure?.message,
    backup: prepared.backup,
    durationSeconds,
    recoveredTimestamp: failure || recovered === undefined || Number.isNaN(recovered) ? undefined : recovered,
    databases,
    cleanupFailed,
  };
}

/** The drill of a CloudNativePG cluster: its newest Backup restored into a scratch Cluster. */
export async function drillCluster(target: DrillTarget, settings: DrillSettings, deps: DrillDeps): Promise<DrillResult> {
  const { client } = deps;
  const ns = settings.namespace;
  let source: KubeObject | undefined;
  let backup: KubeObject | undefined;
  return runDrill(target, settings, deps, {
    async prepare() {
      source = await client.get(CNPG_CLUSTERS, ns, target.cluster);
      backup = latestBackup(await client.list(CNPG_BACKUPS, ns, `cnpg.io/cluster=${target.cluster}`), target.cluster, settings.source);
      if (!backup)
        throw new Error(
          `no completed ${settings.source === 'volumeSnapshot' ? 'volume-snapshot' : 'object-store'} backup of ${target.cluster}`,
        );
      return { backup: backup.metadata.name, recoveredTimestamp: time(backup.status?.stoppedAt) / 1000 };
    },
    exists: async () => !!(await client.find(CNPG_CLUSTERS, ns, settings.scratchCluster)),
    // 409: something else holds the name (a leftover we could not see, or a concurrent drill).
    create: async () => void (await client.create(CNPG_CLUSTERS, ns, scratchClusterSpec(settings, source!, backup!))),
    async waitReady() {
      await waitReady(settings, deps);
      return `${settings.scratchCluster}-rw.${ns}.svc`;
    },
    remove: (d) => deleteAndWait(settings, d),
  });
}

async function waitReady(settings: DrillSettings, deps: DrillDeps): Promise<void> {
  const deadline = deps.now() + settings.timeoutSeconds * 1000;
  const grace = (settings.failingPhaseGraceSeconds ?? 120) * 1000;
  let failingSince: number | undefined;
  for (;;) {
    interrupted(deps.signal);
    const cluster = await deps.client.find(CNPG_CLUSTERS, settings.namespace, settings.scratchCluster);
    if (!cluster) throw new Error(`scratch cluster ${settings.scratchCluster} disappeared`);
    const phase: string = cluster.status?.phase ?? '';
    if (phase === HEALTHY && (cluster.status?.readyInstances ?? 0) >= 1) return;
    if (FAILING_PHASES.includes(phase)) {
      failingSince ??= deps.now();
      if (deps.now() - failingSince >= grace)
        throw new Error(`phase "${phase}"${cluster.status?.phaseReason ? `: ${cluster.status.phaseReason}` : ''}`);
    } else {
      failingSince = undefined;
    }
    if (deps.now() >= deadline) throw new Error(`not ready within ${settings.timeoutSeconds}s (phase "${phase || 'none'}")`);
    await deps.sleep(Math.min((settings.pollSeconds ?? 10) * 1000, Math.max(0, deadline - deps.now())), deps.signal);
  }
}

async function deleteAndWait(settings: DrillSettings, deps: DrillDeps): Promise<void> {
  const deadline = deps.now() + (settings.deleteTimeoutSeconds ?? 600) * 1000;
  await deps.client.delete(CNPG_CLUSTERS, settings.namespace, settings.scratchCluster);
  for (;;) {
    let exists: boolean;
    try {
      exists = !!(await deps.client.find(CNPG_CLUSTERS, settings.namespace, settings.scratchCluster));
    } catch (error) {
      if (!(error instanceof KubeApiError) || deps.now() >= deadline) throw error;
      exists = true;
    }
    if (!exists) return;
    if (deps.now() >= deadline)
      throw new Error(
        `scratch cluster ${settings.scratchCluster} still exists ${settings.deleteTimeoutSeconds ?? 600}s after its deletion`,
      );
    await deps.sleep((settings.pollSeconds ?? 10) * 1000);
  }
}
