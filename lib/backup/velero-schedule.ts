import { Construct } from 'constructs';
import { Schedule } from '../../imports/velero.io';

export interface VeleroScheduleProps {
  readonly name: string;
  /** Velero's own namespace: Schedules are only read there. */
  readonly namespace: string;
  /** 5-field cron. */
  readonly schedule: string;
  readonly includedNamespaces: readonly string[];
  /** Only objects with these labels. @default every object of the namespaces */
  readonly matchLabels?: Record<string, string>;
  readonly ttl: string;
  readonly storageLocation: string;
  readonly snapshotVolumes: boolean;
  readonly labels: Record<string, string>;
}

/**
 * A Velero `Schedule` (velero.io/v1). There are deliberately no pre/post hooks on Postgres
 * pods: Postgres with its WAL on a snapshotted volume is crash-consistent, and recovery replays
 * the WAL; a freeze hook would only add a way to leave a database frozen.
 */
export class VeleroSchedule extends Construct {
  constructor(scope: Construct, id: string, props: VeleroScheduleProps) {
    super(scope, id);
    new Schedule(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        schedule: props.schedule,
        // Backups outlive the Schedule: deleting it must not garbage-collect them.
        useOwnerReferencesInBackup: false,
        template: {
          includedNamespaces: [...new Set(props.includedNamespaces)].sort(),
          labelSelector: props.matchLabels ? { matchLabels: props.matchLabels } : undefined,
          snapshotVolumes: props.snapshotVolumes,
          defaultVolumesToFsBackup: false,
          storageLocation: props.storageLocation,
          ttl: props.ttl,
          metadata: { labels: props.labels },
        },
      },
    });
  }
}
