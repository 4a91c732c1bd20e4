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
import { KubeApiError, type KubeObject, type Resource } from '../kube/client';
import type { Checker } from './check';
import { interrupted, runDrill, type DrillDeps, type DrillResult, type DrillTarget } from './drill';

export const ACK_DB_CLUSTERS: Resource = { group: 'rds.services.k8s.aws', version: 'v1alpha1', plural: 'dbclusters' };
export const ACK_DB_INSTANCES: Resource = { group: 'rds.services.k8s.aws', version: 'v1alpha1', plural: 'dbinstances' };

/** aws-controllers-k8s/rds-controller@v1.11.1 apis/v1alpha1/annotation.go. */
export const SKIP_FINAL_SNAPSHOT_ANNOTATION = 'rds.services.k8s.aws/skip-final-snapshot';
export const DELETE_AUTOMATED_BACKUPS_ANNOTATION = 'rds.services.k8s.aws/delete-automated-backups';
/**
 * The AWS region an ACK resource is created in. aws-controllers-k8s/runtime@v0.61.0 (the mirror's
 * newest tag; HEAD 95428e7, after which rds-controller v1.11.1 pins v0.62.0, has the same code)
 * apis/core/v1alpha1/annotations.go AnnotationRegion, and pkg/runtime/reconciler.go getRegion: the
 * region already recorded in status.ackResourceMetadata, else this annotation, else the namespace's
 * services.k8s.aws/default-region, else the controller's --aws-region. regionDrifted: an object
 * whose annotation names another region than the one it exists in fails with a terminal error
 * (ACK never moves a resource).
 */
export const ACK_REGION_ANNOTATION = 'services.k8s.aws/region';

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
  /** The environment's aws.region: the clone is made where its source is (ACK_REGION_ANNOTATION). */
  readonly region: string;
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
    annotations: {
      [SKIP_FINAL_SNAPSHOT_ANNOTATION]: 'true',
      [DELETE_AUTOMATED_BACKUPS_ANNOTATION]: 'true',
      [ACK_REGION_ANNOTATION]: settings.region,
    },
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

/** ACK's terminal condition (the controller gave up on the object). */
function terminal(object: KubeObject): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ACK status conditions
  const c = (object.status?.conditions ?? []).find((x: any) => x.type === 'ACK.Terminal' && x.status === 'True');
  return c ? `ACK.Terminal: ${c.message ?? c.reason ?? ''}` : undefined;
}

export async function drillAuroraCluster(target: DrillTarget, settings: AuroraCloneSettings, deps: DrillDeps): Promise<DrillResult> {
  const { client } = deps;
  const ns = settings.namespace;
  return runDrill(target, settings, deps, {
    exists: async () =>
      !!(await client.find(ACK_DB_CLUSTERS, ns, settings.scratchCluster)) ||
      !!(await client.find(ACK_DB_INSTANCES, ns, scratchInstanceName(settings))),
    async create() {
      const { dbCluster, dbInstance } = auroraScratchManifests(settings, target.cluster);
      await client.create(ACK_DB_CLUSTERS, ns, dbCluster);
      await client.create(ACK_DB_INSTANCES, ns, dbInstance);
    },
    waitReady: () => waitReady(settings, deps),
    remove: (d) => deleteAndWait(settings, d),
    // The clone is of the latest restorable time, at most a few minutes before its creation:
    // the drill's start is the bound reported (no backup object to read it from).
    recoveredTimestamp: (started) => started / 1000,
  });
}

/** Waits for the clone and its instance to be available; returns the clone's writer endpoint. */
async function waitReady(settings: AuroraCloneSettings, deps: DrillDeps): Promise<string> {
  const deadline = deps.now() + settings.timeoutSeconds * 1000;
  const ns = settings.namespace;
  for (;;) {
    interrupted(deps.signal);
    const cluster = await deps.client.find(ACK_DB_CLUSTERS, ns, settings.scratchCluster);
    const instance = await deps.client.find(ACK_DB_INSTANCES, ns, scratchInstanceName(settings));
    if (!cluster || !instance) throw new Error(`scratch ${cluster ? 'DBInstance' : 'DBCluster'} disappeared`);
    const cs: string = cluster.status?.status ?? '';
    const is: string = instance.status?.dbInstanceStatus ?? '';
    const problem =
      terminal(cluster) ??
      terminal(instance) ??
      (FAILED_CLUSTER_STATUSES.includes(cs) ? `DBCluster status "${cs}"` : undefined) ??
      (FAILED_INSTANCE_STATUSES.includes(is) ? `DBInstance status "${is}"` : undefined);
    if (problem) throw new Error(problem);
    if (cs === 'available' && is === 'available' && cluster.status?.endpoint) return cluster.status.endpoint as string;
    if (deps.now() >= deadline)
      throw new Error(`not available within ${settings.timeoutSeconds}s (DBCluster "${cs || 'none'}", DBInstance "${is || 'none'}")`);
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
