import { Construct } from 'constructs';
import {
  ScheduledBackup,
  ScheduledBackupSpecBackupOwnerReference,
  ScheduledBackupSpecMethod,
  ScheduledBackupSpecTarget,
} from '../../../imports/postgresql.cnpg.io';
import type { CnpgBackupTarget } from '../../dr/wal-heartbeat';

export interface CnpgScheduledBackupProps {
  readonly name: string;
  readonly namespace: string;
  readonly cluster: string;
  /** 6-field cron, seconds first. */
  readonly schedule: string;
  /** @default volumeSnapshot */
  readonly method?: 'volumeSnapshot' | 'plugin';
  /**
   * For method plugin: the CNPG-I plugin's name (barman-cloud.cloudnative-pg.io). The Cluster
   * must list the same plugin in `spec.plugins`, or every backup fails.
   */
  readonly pluginName?: string;
  /**
   * Which instance takes the backup. `primary` where each backup must switch WAL on the primary
   * (a DR source: lib/dr/wal-heartbeat.ts says why; derive it with cnpgBackupTarget, never by hand).
   * @default prefer-standby
   */
  readonly target?: CnpgBackupTarget;
  readonly labels: Record<string, string>;
}

/**
 * CloudNativePG's own scheduled backup of one cluster, taken from a standby when there is one
 * so the primary's I/O is spared (unless `target: primary`). Its Backup objects have no owner (`backupOwnerReference:
 * none`): deleting the ScheduledBackup (e.g. to change it by hand) never deletes the recovery
 * points; retention (prune-backups, or the object store's recovery window) does that.
 */
export class CnpgScheduledBackup extends Construct {
  constructor(scope: Construct, id: string, props: CnpgScheduledBackupProps) {
    super(scope, id);
    const method = props.method ?? 'volumeSnapshot';
    if (method === 'plugin' && !props.pluginName) throw new Error(`ScheduledBackup ${props.name}: method plugin needs pluginName`);
    new ScheduledBackup(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        cluster: { name: props.cluster },
        schedule: props.schedule,
        method: method === 'plugin' ? ScheduledBackupSpecMethod.PLUGIN : ScheduledBackupSpecMethod.VOLUME_SNAPSHOT,
        pluginConfiguration: method === 'plugin' ? { name: props.pluginName! } : undefined,
        backupOwnerReference: ScheduledBackupSpecBackupOwnerReference.NONE,
        target:
          (props.target ?? 'prefer-standby') === 'primary'
            ? ScheduledBackupSpecTarget.PRIMARY
            : ScheduledBackupSpecTarget.PREFER_HYPHEN_STANDBY,
        // A new cluster gets its first backup at once instead of waiting for the schedule.
        immediate: true,
        suspend: false,
      },
    });
  }
}
