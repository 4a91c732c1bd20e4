// The source site's WAL heartbeat: what bounds the gap between two WAL segments a healthy, idle
// DR source archives, and where its scheduled backups must run for that bound to hold. One place,
// read both by the backends (the rendered backup target) and by the replica site's alert threshold
// (replica-site-rules.ts), so the two cannot drift apart.
//
// Why a backup is the heartbeat. archive_timeout only switches a segment if WAL was written since
// the last switch, so an idle primary archives nothing. A base backup taken ON THE PRIMARY ends
// with pg_backup_stop(), which switches to a new segment and archives the finished one
// (cloudnative-pg@v1.30.0 pkg/management/postgres/webserver/backup_connection.go calls
// `pg_backup_stop(wait_for_archive => true)` on the instance the Backup targets; the Barman Cloud
// plugin's barman-cloud-backup ends the same way). Taken on a STANDBY it does not:
// cloudnative-pg@v1.30.0 docs/src/backup.md "How It Works" (prefer-standby): "when backing up from
// an online standby we do not force a switch of the WAL on the primary", and api/v1/cluster_types.go
// OnlineConfiguration.WaitForArchive ("If write activity on the primary is low, it may be useful to
// run pg_switch_wal on the primary"). test/dr/backup-heartbeat-postgres.test.ts shows both on real
// PostgreSQL. So an environment with a DR peer takes its scheduled backups from the primary
// (`target: primary`; on a replica site that is the designated primary, which is in recovery and
// switches nothing, but both sites render the same target so a switchover changes no backup spec).
//
// Zalando: Spilo runs the scheduled WAL-G backup on the leader only, unless
// WALG_BACKUP_FROM_REPLICA=true (zalando/spilo@4.0-p3 postgres-appliance/scripts/postgres_backup.sh;
// dbfleet sets it only on a standby cluster, zalando-standby.ts), so a Zalando source's backups
// switch WAL without a target to set.
import type { Environment } from '../config/model';

/** Where CloudNativePG's scheduled backups of an environment run (Cluster `spec.backup.target`, ScheduledBackup `target`). */
export type CnpgBackupTarget = 'primary' | 'prefer-standby';

/**
 * `primary` for an environment of a DR pair, so each backup at the source bounds its idle WAL
 * gap; elsewhere `prefer-standby` (CloudNativePG's default), which spares the primary's I/O.
 */
export function cnpgBackupTarget(env: Environment): CnpgBackupTarget {
  return env.dr ? 'primary' : 'prefer-standby';
}

/**
 * Whether every scheduled base backup of `source` switches (and archives) a WAL segment: it runs
 * on the primary. For CloudNativePG that is cnpgBackupTarget's; a Zalando source with a DR peer
 * backs up on its leader (Spilo, see above), which is the same answer for the same environments.
 */
export function backupsSwitchWal(source: Environment): boolean {
  return cnpgBackupTarget(source) === 'primary';
}

/**
 * The longest gap between two WAL segments a healthy source always archives: its scheduled
 * backups that run pg_backup_stop() on the primary (object store base backups, online volume
 * snapshots; a Zalando logical backup does not). Throws if the source's backups would not
 * switch WAL: no bound exists then, and a threshold would be a guess.
 */
export function sourceHeartbeatSeconds(source: Environment, fallback: { maxIntervalSeconds: number }): number {
  if (!backupsSwitchWal(source))
    throw new Error(
      `environment ${source.name}: its scheduled backups run on a standby, which switches no WAL on the primary; ` +
        'an idle source would then archive nothing and its DR standby could not tell quiet from broken',
    );
  return backupHeartbeatSeconds(source.backups, fallback);
}

/** The longest gap between two of these backups that switch WAL, in seconds (sourceHeartbeatSeconds). */
export function backupHeartbeatSeconds(backups: Environment['backups'], fallback?: { maxIntervalSeconds: number }): number {
  const { postgres, objectStore } = backups;
  const gaps = [(objectStore ?? fallback)?.maxIntervalSeconds ?? Infinity];
  if (postgres && postgres.method !== 'logical') gaps.push(postgres.maxIntervalSeconds);
  return Math.min(...gaps);
}

/**
 * The longest heartbeat a DR pair may have: a base backup on the primary at least once a week.
 * The replica site's alert can tell a broken link from a quiet source only after 1.5 × the
 * heartbeat + archive_timeout (10.5 days for a weekly backup), and its restart branch compares two
 * such windows, so it needs twice that of Prometheus history (3 weeks). A sparser schedule (a
 * monthly one; 29 February's, up to 8 years apart) would leave a broken pair unnoticed for longer
 * than a standby is worth keeping, and its alert would look further back than Prometheus keeps.
 */
export const MAX_HEARTBEAT_SECONDS = 7 * 86_400;
