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
