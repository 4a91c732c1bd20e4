// The restore drill of an Aurora cluster (operator: aws-aurora): a copy-on-write clone, as a
// sequence of states that always ends with the scratch objects deleted:
//   clear-leftover → create → wait-ready → check → (report) → cleanup
// The clone is declared as ACK rds-controller v1.11.1 objects in the database namespace:
// - a DBCluster with sourceDBClusterIdentifier is created with RestoreDBClusterToPointInTime
//   (aws-controllers-k8s/rds-controller@v1.11.1 pkg/resource/db_cluster/sdk.go sdkCreate,
//   newRestoreDBClusterToPointInTimeInput: restoreType, useLatestRestorableTime, dbSubnetGroupName,
//   vpcSecurityGroupIDs, serverlessV2ScalingConfiguration, deletionProtection are passed on);
// - a clone has no instance: one DBInstance in it to connect to;
// - both carry rds.services.k8s.aws/skip-final-snapshot "true" and delete-automated-backups "true"
//   (apis/v1alpha1/annotation.go): a scratch clone needs no final snapshot nor kept backups.
// The clone has the source's roles and passwords: each database is checked as its owner (the owner
// Secrets of the database namespace), by the same check as on CloudNativePG.
import { Buffer } from 'node:buffer';
import { KubeApiError, SECRETS, type KubeObject, type Resource } from '../kube/client';
import type { Checker, DatabaseResult } from './check';
import type { DrillDeps, DrillResult, DrillState, DrillTarget } from './drill';

export const ACK_DB_CLUSTERS: Resource = { group: 'rds.services.k8s.aws', version: 'v1alpha1', plural: 'dbclusters' };
export const ACK_DB_INSTANCES: Resource = { group: 'rds.services.k8s.aws', version: 'v1alpha1', plural: 'dbinstances' };

/** aws-controllers-k8s/rds-controller@v1.11.1 apis/v1alpha1/annotation.go. */
export const SKIP_FINAL_SNAPSHOT_ANNOTATION = 'rds.services.k8s.aws/skip-final-snapshot';
export const DELETE_AUTOMATED_BACKUPS_ANNOTATION = 'rds.services.k8s.aws/delete-automated-backups';

/** DB cluster statuses after which the clone does not become available (rds-controller@v1.11.1 pkg/resource/db_cluster/hooks.go). */
export const FAILED_CLUSTER_STATUSES = ['failed', 'restore-failed', 'incompatible-restore', 'inaccessible-encryption-credentials'];
/** DB instance statuses after which the instance does not become available (RDS DB instance status list). */
export const FAILED_INSTANCE_STATUSES = [
  'failed',
  'incompatible-parameters',
  'incompatible-restore',
  'inaccessible-encryption-credentials',
  'storage-full',
];

export interface AuroraCloneSettings {
  readonly namespace: string;
  /** Kubernetes name of the scratch DBCluster; its DBInstance is `<name>-1`. */
  readonly scratchCluster: string;
  /** `<fleet>-<environment>-`: a source cluster's RDS identifier is this + its name, the clone's this + scratchCluster. */
  readonly identifierPrefix: string;
  readonly securityGroupIDs: readonly string[];
  /** `db.serverless` with `serverless`, else the source's instance class. */
  readonly instanceClass: string;
  readonly serverless?: { readonly minCapacity: number; readonly maxCapacity: number };
  /** Database → Secret (username, password) of its owner, in the namespace. */
  readonly ownerSecrets: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  /** @default 10 s */
  readonly pollSeconds?: number;
  /** How long to wait for the scratch objects to disappear. @default 1800 s */
  readonly deleteTimeoutSeconds?: number;
}

export function scratchInstanceName(settings: Pick<AuroraCloneSettings, 'scratchCluster'>): string {
  return `${settings.scratchCluster}-1`;
}

/**
 * The scratch DBCluster (a copy-on-write clone of `cluster` at its latest restorable time) and
 * its one DBInstance. dbfleet renders nothing of this; the unit tests validate it against the ACK
 * CRDs and the admission policy admits exactly this shape.
 */
export function auroraScratchManifests(settings: AuroraCloneSettings, cluster: string): { dbCluster: KubeObject; dbInstance: KubeObject } {
  const source = `${settings.identifierPrefix}${cluster}`;
  const identifier = `${settings.identifierPrefix}${settings.scratchCluster}`;
  const metadata = (name: string) => ({
    name,
    namespace: settings.namespace,
    labels: {
      'app.kubernetes.io/managed-by': 'dbfleet',
      'app.kubernetes.io/name': 'restore-drill',
      'app.kubernetes.io/component': 'backup',
      'dbfleet.io/restore-drill-of': cluster,
    },
    annotations: { [SKIP_FINAL_SNAPSHOT_ANNOTATION]: 'true', [DELETE_AUTOMATED_BACKUPS_ANNOTATION]: 'true' },
  });
  const tags = [
    { key: 'dbfleet.io/restore-drill-of', value: source },
    { key: 'app.kubernetes.io/managed-by', value: 'dbfleet' },
  ];
  return {
    dbCluster: {
      apiVersion: 'rds.services.k8s.aws/v1alpha1',
      kind: 'DBCluster',
      metadata: metadata(settings.scratchCluster),
      spec: {
        dbClusterIdentifier: identifier,
        engine: 'aurora-postgresql',
        sourceDBClusterIdentifier: source,
        restoreType: 'copy-on-write',
        useLatestRestorableTime: true,
        // The source's subnet group and parameter group (AuroraCluster names both by the identifier).
        dbSubnetGroupName: source,
        dbClusterParameterGroupName: source,
        vpcSecurityGroupIDs: [...settings.securityGroupIDs],
        publiclyAccessible: false,
        deletionProtection: false,
        copyTagsToSnapshot: false,
        ...(settings.serverless ? { serverlessV2ScalingConfiguration: { ...settings.serverless } } : {}),
        tags,
      },
    },
    dbInstance: {
      apiVersion: 'rds.services.k8s.aws/v1alpha1',
      kind: 'DBInstance',
      metadata: metadata(scratchInstanceName(settings)),
      spec: {
        dbInstanceIdentifier: `${identifier}-1`,
        dbClusterIdentifier: identifier,
        dbInstanceClass: settings.instanceClass,
        engine: 'aurora-postgresql',
        publiclyAccessible: false,
        tags,
      },
    },
  };
}

class DrillFailure extends Error {
  constructor(
    readonly state: DrillState,
    message: string,
  ) {
    super(message);
  }
}

/** ACK's terminal condition (the controller gave up on the object). */
function terminal(object: KubeObject): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ACK status conditions
  const c = (object.status?.conditions ?? []).find((x: any) => x.type === 'ACK.Terminal' && x.status === 'True');
  return c ? `ACK.Terminal: ${c.message ?? c.reason ?? ''}` : undefined;
}

export async function drillAuroraCluster(target: DrillTarget, settings: AuroraCloneSettings, deps: DrillDeps): Promise<DrillResult> {
  const { client, log, now } = deps;
  const ns = settings.namespace;
  const started = now();
  let state: DrillState = 'clear-leftover';
  let databases: DatabaseResult[] = [];
  let failure: DrillFailure | undefined;
  let created = false;
  const instanceName = scratchInstanceName(settings);
  const enter = (next: DrillState) => {
    state = next;
    log.log('info', 'state', { cluster: target.cluster, state });
  };
  const aborted = () => {
    if (deps.signal?.aborted) throw new DrillFailure(state, 'interrupted (SIGTERM)');
  };
  const missingOwners = target.databases.filter((d) => !settings.ownerSecrets[d]);

  try {
    log.log('info', 'state', { cluster: target.cluster, state });
    if (missingOwners.length > 0) throw new DrillFailure(state, `no owner Secret for database(s) ${missingOwners.join(', ')}`);
    // A run killed before its cleanup leaves the clone: remove it first.
    if ((await client.find(ACK_DB_CLUSTERS, ns, settings.scratchCluster)) || (await client.find(ACK_DB_INSTANCES, ns, instanceName))) {
      log.log('warn', 'leftover', { cluster: target.cluster, scratch: settings.scratchCluster });
      await deleteAndWait(settings, deps);
    }
    aborted();

    enter('create');
    const { dbCluster, dbInstance } = auroraScratchManifests(settings, target.cluster);
    try {
      await client.create(ACK_DB_CLUSTERS, ns, dbCluster);
      created = true;
      await client.create(ACK_DB_INSTANCES, ns, dbInstance);
    } catch (error) {
      throw new DrillFailure(state, (error as Error).message);
    }

    enter('wait-ready');
    const host = await waitReady(settings, deps, () => state);

    enter('check');
    databases = [];
    for (const database of target.databases) {
      const secret = await client.get(SECRETS, ns, settings.ownerSecrets[database]);
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
  const finished = now();
  const durationSeconds = (finished - started) / 1000;

  let cleanupFailed = false;
  if (created || failure?.state === 'create') {
    try {
      await deleteAndWait(settings, { ...deps, signal: undefined });
      log.log('info', 'cleaned-up', { cluster: target.cluster, scratch: settings.scratchCluster });
    } catch (error) {
      cleanupFailed = true;
      log.log('error', 'cleanup-failed', { cluster: target.cluster, scratch: settings.scratchCluster, message: (error as Error).message });
    }
  }
  return {
    cluster: target.cluster,
    success: !failure,
    failedIn: failure?.state,
    error: failure?.message,
    durationSeconds,
    // The clone is of the latest restorable time, at most a few minutes before its creation:
    // the creation time is the bound reported (no backup object to read it from).
    recoveredTimestamp: failure ? undefined : started / 1000,
    databases,
    cleanupFailed,
  };
}

/** Waits for the clone and its instance to be available; returns the clone's writer endpoint. */
async function waitReady(settings: AuroraCloneSettings, deps: DrillDeps, state: () => DrillState): Promise<string> {
  const deadline = deps.now() + settings.timeoutSeconds * 1000;
  const ns = settings.namespace;
  for (;;) {
    if (deps.signal?.aborted) throw new DrillFailure(state(), 'interrupted (SIGTERM)');
    const cluster = await deps.client.find(ACK_DB_CLUSTERS, ns, settings.scratchCluster);
    const instance = await deps.client.find(ACK_DB_INSTANCES, ns, scratchInstanceName(settings));
    if (!cluster || !instance) throw new DrillFailure(state(), `scratch ${cluster ? 'DBInstance' : 'DBCluster'} disappeared`);
    const cs: string = cluster.status?.status ?? '';
    const is: string = instance.status?.dbInstanceStatus ?? '';
    const problem =
      terminal(cluster) ??
      terminal(instance) ??
      (FAILED_CLUSTER_STATUSES.includes(cs) ? `DBCluster status "${cs}"` : undefined) ??
      (FAILED_INSTANCE_STATUSES.includes(is) ? `DBInstance status "${is}"` : undefined);
    if (problem) throw new DrillFailure(state(), problem);
    if (cs === 'available' && is === 'available' && cluster.status?.endpoint) return cluster.status.endpoint as string;
    if (deps.now() >= deadline)
      throw new DrillFailure(
        state(),
        `not available within ${settings.timeoutSeconds}s (DBCluster "${cs || 'none'}", DBInstance "${is || 'none'}")`,
      );
    await deps.sleep(Math.min((settings.pollSeconds ?? 10) * 1000, Math.max(0, deadline - deps.now())), deps.signal);
  }
}

/** Deletes the instance, then the clone (RDS refuses to delete a cluster that still has instances; ACK retries). */
async function deleteAndWait(settings: AuroraCloneSettings, deps: DrillDeps): Promise<void> {
  const timeout = settings.deleteTimeoutSeconds ?? 1800;
  const deadline = deps.now() + timeout * 1000;
  const ns = settings.namespace;
  const objects: Array<[Resource, string]> = [
    [ACK_DB_INSTANCES, scratchInstanceName(settings)],
    [ACK_DB_CLUSTERS, settings.scratchCluster],
  ];
  for (const [resource, name] of objects) await deps.client.delete(resource, ns, name);
  for (;;) {
    let left = 0;
    for (const [resource, name] of objects) {
      try {
        if (await deps.client.find(resource, ns, name)) left++;
      } catch (error) {
        if (!(error instanceof KubeApiError) || deps.now() >= deadline) throw error;
        left++;
      }
    }
    if (left === 0) return;
    if (deps.now() >= deadline) throw new Error(`scratch ${settings.scratchCluster} still exists ${timeout}s after its deletion`);
    await deps.sleep((settings.pollSeconds ?? 10) * 1000);
  }
}

export type { Checker };
