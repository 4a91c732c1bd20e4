import { Construct } from 'constructs';
import type { BackupRetention } from '../config/model';
import { PRUNE_BACKUPS_NAME } from './backup-names';
import { OpsCronJob } from './ops-cron-job';

export interface PruneBackupsCronJobProps {
  /** The database namespace, where the clusters and their Backup objects live. */
  readonly namespace: string;
  /** The clusters whose scheduled volume-snapshot backups are pruned (= their ScheduledBackups' names). */
  readonly clusters: readonly string[];
  readonly retention: BackupRetention;
  readonly image: string;
  readonly labels: Record<string, string>;
}

/**
 * Enforces the retention of volume-snapshot backups, which CloudNativePG does not do for that
 * method: the `prune-backups` ops command deletes old `Backup` objects of the listed clusters'
 * ScheduledBackups, and the Kubernetes garbage collector deletes their VolumeSnapshots with them
 * (the Cluster sets `snapshotOwnerReference: backup`). Its Role can list and delete Backups in
 * this namespace, nothing else.
 */
export class PruneBackupsCronJob extends Construct {
  readonly cronJobName: string;

  constructor(scope: Construct, id: string, props: PruneBackupsCronJobProps) {
    super(scope, id);
    const r = props.retention;
    const job = new OpsCronJob(this, 'Job', {
      name: PRUNE_BACKUPS_NAME,
      namespace: props.namespace,
      image: props.image,
      args: [
        'prune-backups',
        '--namespace',
        props.namespace,
        ...[...props.clusters].sort().flatMap((c) => ['--cluster', c]),
        ...(r.keep !== undefined ? ['--keep', String(r.keep)] : []),
        ...(r.maxAgeSeconds !== undefined ? ['--max-age', `${r.maxAgeSeconds}s`] : []),
      ],
      schedule: r.schedule,
      activeDeadlineSeconds: 10 * 60,
      rules: [{ apiGroups: ['postgresql.cnpg.io'], resources: ['backups'], verbs: ['list', 'delete'] }],
      labels: props.labels,
    });
    this.cronJobName = job.cronJobName;
  }
}
