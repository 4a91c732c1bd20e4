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
  /**
   * Also objects with one of these label values (key → values), e.g. CloudNativePG's Backup
   * objects, which carry none of the Cluster's inherited labels. Needs matchLabels. @default none
   */
  readonly alsoMatching?: Record<string, readonly string[]>;
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
          // Velero takes labelSelector or orLabelSelectors, never both (velero@v1.18.1
          // pkg/apis/velero/v1/backup_types.go): alternatives go in orLabelSelectors.
          labelSelector: props.matchLabels && !props.alsoMatching ? { matchLabels: props.matchLabels } : undefined,
          orLabelSelectors:
            props.matchLabels && props.alsoMatching
              ? [
                  { matchLabels: props.matchLabels },
                  ...Object.entries(props.alsoMatching)
                    .sort(([a], [b]) => a.localeCompare(b))
                    .map(([key, values]) => ({
                      matchExpressions: [{ key, operator: 'In', values: [...new Set(values)].sort() }],
                    })),
                ]
              : undefined,
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
