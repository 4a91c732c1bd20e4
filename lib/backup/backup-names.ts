// Names of the backup objects, decided once: the environment chart renders them and the alert
// rules select on them, so the two can never drift apart.
import type { Environment, MongoSnapshot } from '../config/model';

/** The mongo-snapshot CronJob (and its connection Secret): `mongo-snapshot-<name>`. */
export function mongoSnapshotCronJobName(snapshot: Pick<MongoSnapshot, 'name'>): string {
  return `mongo-snapshot-${snapshot.name}`;
}

/**
 * The Velero Schedules of an environment: `<fleet>-<env>-databases`, plus
 * `<fleet>-<env>-services` when the services' namespaces are included. None without Velero.
 */
export function veleroScheduleNames(fleetName: string, environment: Environment): { databases?: string; services?: string } {
  const velero = environment.backups.velero;
  if (!velero) return {};
  const prefix = `${fleetName}-${environment.name}`;
  return { databases: `${prefix}-databases`, services: velero.includeServiceNamespaces ? `${prefix}-services` : undefined };
}

/** The environment's ObjectStore (barmancloud.cnpg.io/v1), in the database namespace. */
export function objectStoreName(fleetName: string): string {
  return `${fleetName}-object-store`;
}

/** The Secret (from an ExternalSecret) with the object store's access keys. */
export function objectStoreCredentialsName(fleetName: string): string {
  return `${objectStoreName(fleetName)}-credentials`;
}

/** The ScheduledBackup of a cluster's base backups to the object store (`<cluster>` is the snapshot one). */
export function objectStoreScheduledBackupName(cluster: string): string {
  return `${cluster}-object-store`;
}

/** CronJob, ServiceAccount, Role and RoleBinding of the volume-snapshot pruning job. */
export const PRUNE_BACKUPS_NAME = 'prune-backups';
/** CronJob, ServiceAccount, Role, RoleBinding and NetworkPolicy of the restore drill. */
export const RESTORE_DRILL_NAME = 'restore-drill';
/**
 * The drill's scratch Cluster. Not `restore-drill`: CloudNativePG creates a ServiceAccount, Role
 * and RoleBinding named after every Cluster, which would take over the drill's own.
 */
export const RESTORE_DRILL_CLUSTER = 'restore-drill-scratch';
/** Cluster names that would collide with the objects above (see RESTORE_DRILL_CLUSTER). */
export const RESERVED_CLUSTER_NAMES = [PRUNE_BACKUPS_NAME, RESTORE_DRILL_NAME, RESTORE_DRILL_CLUSTER] as const;
