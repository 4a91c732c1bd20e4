import { Construct } from 'constructs';
import {
  Cluster,
  ClusterSpecResourcesLimits,
  ClusterSpecResourcesRequests,
  ClusterSpecBackupTarget,
  ClusterSpecBackupVolumeSnapshotSnapshotOwnerReference,
  ClusterSpecPrimaryUpdateStrategy,
  ClusterSpecManagedRolesEnsure,
} from '../../../imports/postgresql.cnpg.io';
import { BARMAN_CLOUD_PLUGIN } from '../../config/names';
import { CnpgDatabase } from './cnpg-database';
import { clusterRoleObjectName, CnpgDatabaseRole } from './cnpg-database-role';
import type { IPostgresCluster, PostgresClusterProps } from '../../postgres/postgres-cluster';

/** The CloudNativePG instance manager's status port, which the operator polls. */
export const CNPG_STATUS_PORT = 8000;
const CNPG_METRICS_PORT = 9187;
/**
 * The operator copies its default metrics queries into every namespace holding a Cluster, as a
 * ConfigMap (or, when configured so, a Secret) without an owner reference
 * (cloudnative-pg@v1.30.0:internal/controller/cluster_create.go, createOrPatchDefaultMetricsConfigmap).
 */
const CNPG_DEFAULT_MONITORING = 'cnpg-default-monitoring';

/** The role CloudNativePG's metrics exporter connects as (cloudnative-pg@v1.30.0:api/v1/cluster_types.go). */
const CNPG_METRICS_EXPORTER_ROLE = 'cnpg_metrics_exporter';

/**
 * A CloudNativePG `Cluster` (postgresql.cnpg.io/v1) with one `Database` per service and one
 * `DatabaseRole` per role (the service owners, then `props.roles`): the Cluster itself lists no
 * role, so it does not grow with the number of services. With more than one instance, instances
 * are kept on different nodes (required) and spread over zones (best effort, so a zone outage
 * never blocks replacing an instance). A single instance gets no PodDisruptionBudget: the
 * operator's primary PDB (minAvailable 1, pkg/specs/poddisruptionbudget.go) could never be
 * satisfied during a drain, which would hang node drains and Kubernetes upgrades
 * (cloudnative-pg@v1.30.0:docs/src/kubernetes_upgrade.md). Superuser access stays off.
 */
export class CnpgCluster extends Construct implements IPostgresCluster {
  readonly clusterName: string;
  readonly namespace: string;
  readonly readWriteHost: string;
  readonly readOnlyHost: string;
  readonly instances: number;
  readonly port = 5432;
  readonly instanceSelector: Readonly<Record<string, string>>;
  readonly memberSelector: Readonly<Record<string, string>>;
  readonly metricsClusterLabel = 'cnpg.io/cluster';
  readonly additionalClients = [];
  readonly operatorPorts = [CNPG_STATUS_PORT];
  readonly metricsPort = CNPG_METRICS_PORT;
  readonly monitoringRoles = [CNPG_METRICS_EXPORTER_ROLE];
  readonly unownedOperatorObjects = [
    { group: '', kind: 'ConfigMap', name: CNPG_DEFAULT_MONITORING },
    { group: '', kind: 'Secret', name: CNPG_DEFAULT_MONITORING },
  ];

  constructor(scope: Construct, id: string, props: PostgresClusterProps) {
    super(scope, id);
    this.clusterName = props.name;
    this.namespace = props.namespace;
    this.readWriteHost = `${props.name}-rw.${props.namespace}.svc`;
    this.readOnlyHost = `${props.name}-ro.${props.namespace}.svc`;
    this.instances = props.instances;
    this.instanceSelector = { 'cnpg.io/cluster': props.name, 'cnpg.io/podRole': 'instance' };
    // Join and initdb Job pods carry the cluster label too, and stream from the primary.
    this.memberSelector = { 'cnpg.io/cluster': props.name };
    const highAvailability = props.instances > 1;
    const absentRoles = (props.roles ?? []).filter((r) => r.absent);

    new Cluster(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels, annotations: props.annotations },
      spec: {
        instances: props.instances,
        // CloudNativePG takes one or the other; with a catalog the major selects the image.
        imageName: props.imageCatalog ? undefined : props.imageName,
        imageCatalogRef: props.imageCatalog
          ? { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: props.imageCatalog.name, major: props.imageCatalog.major }
          : undefined,
        resources: props.resources
          ? {
              requests: quantities(props.resources.requests, ClusterSpecResourcesRequests.fromString),
              limits: quantities(props.resources.limits, ClusterSpecResourcesLimits.fromString),
            }
          : undefined,
        postgresql:
          (props.parameters && Object.keys(props.parameters).length > 0) || (props.hostBasedAccess ?? []).length > 0
            ? {
                parameters: props.parameters && Object.keys(props.parameters).length > 0 ? { ...props.parameters } : undefined,
                // User rules sit between the operator's fixed rules and its default `host all all
                // all scram-sha-256` (cloudnative-pg@v1.30.0 pkg/postgres/configuration.go
                // hbaTemplateString), so a `reject` here wins over the default.
                pgHba: props.hostBasedAccess && props.hostBasedAccess.length > 0 ? [...props.hostBasedAccess] : undefined,
              }
            : undefined,
        primaryUpdateStrategy: ClusterSpecPrimaryUpdateStrategy.UNSUPERVISED,
        inheritedMetadata: props.inheritedLabels ? { labels: props.inheritedLabels } : undefined,
        // No network login as postgres; the developer-access Job logs in as each database's owner.
        enableSuperuserAccess: false,
        // Roles that must not exist (a DatabaseRole cannot say so: cloudnative-pg@v1.30.0
        // docs/src/declarative_role_management.md, "Removing a role": inline `ensure: absent`).
        managed:
          absentRoles.length > 0
            ? { roles: absentRoles.map((r) => ({ name: r.name, ensure: ClusterSpecManagedRolesEnsure.ABSENT })) }
            : undefined,
        enablePdb: props.instances > 1,
        storage: { size: props.storage, storageClass: props.storageClass },
        walStorage: props.walStorage ? { size: props.walStorage, storageClass: props.storageClass } : undefined,
        affinity: highAvailability
          ? { enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' }
          : undefined,
        topologySpreadConstraints: highAvailability
          ? [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: { ...this.instanceSelector } },
              },
            ]
          : undefined,
        backup: props.volumeSnapshotBackup
          ? {
              // The same target as the ScheduledBackups (a Backup without one inherits this).
              target:
                props.volumeSnapshotBackup.target === 'primary'
                  ? ClusterSpecBackupTarget.PRIMARY
                  : ClusterSpecBackupTarget.PREFER_HYPHEN_STANDBY,
              volumeSnapshot: {
                className: props.volumeSnapshotBackup.className,
                online: true,
                // Deleting a Backup deletes its VolumeSnapshots (by default they outlive it:
                // cloudnative-pg@v1.30.0 docs/src/appendixes/backup_volumesnapshot.md), so pruning
                // Backup objects is all retention needs, and the pruner needs no VolumeSnapshot rights.
                snapshotOwnerReference: ClusterSpecBackupVolumeSnapshotSnapshotOwnerReference.BACKUP,
              },
            }
          : undefined,
        // The plugin's sidecar archives WAL and takes base backups (plugin-barman-cloud@v0.14.0
        // web/docs/usage.md). Defaults written out: Argo CD compares list items whole.
        plugins: props.walArchive
          ? [
              {
                name: BARMAN_CLOUD_PLUGIN,
                enabled: true,
                isWalArchiver: true,
                parameters: { barmanObjectName: props.walArchive.objectStoreName },
              },
            ]
          : undefined,
        ...props.replicaCluster,
      },
    });

    const roleLabels = (instance: string) => ({
      ...props.labels,
      'app.kubernetes.io/component': 'database-role',
      'app.kubernetes.io/instance': instance,
    });
    for (const database of props.databases) {
      // Named after the service, like its Database: one per service in the whole fleet.
      new CnpgDatabaseRole(this, `Role-${database.service}`, {
        name: database.service,
        namespace: props.namespace,
        cluster: props.name,
        // NOLOGIN without a password once a credential rotation retired it (credential-rotation.ts).
        role: {
          name: database.owner,
          login: database.ownerLogin !== false,
          passwordSecret: database.ownerLogin === false ? undefined : database.ownerSecret,
          comment: `owner of the ${database.service} database`,
          reclaim: 'retain',
        },
        labels: roleLabels(database.service),
      });
    }
    for (const role of (props.roles ?? []).filter((r) => !r.absent)) {
      const name = clusterRoleObjectName(props.name, role.name);
      new CnpgDatabaseRole(this, `Role-${name}`, {
        name,
        namespace: props.namespace,
        cluster: props.name,
        role,
        labels: roleLabels(props.name),
      });
    }
    for (const database of props.databases) {
      new CnpgDatabase(this, `Database-${database.service}`, {
        name: database.service,
        namespace: props.namespace,
        cluster: props.name,
        database: database.database,
        owner: database.owner,
        extensions: database.extensions,
        labels: { ...props.labels, 'app.kubernetes.io/component': 'database', 'app.kubernetes.io/instance': database.service },
      });
    }
  }
}

function quantities<T>(values: Readonly<Record<string, string>>, make: (value: string) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, make(v)]));
}
