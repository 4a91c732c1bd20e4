// A Zalando DR standby: the `postgresql`'s `standby` section, replaying the source site's WAL-G
// archive, derived from the source environment's own `backups.objectStore` (never typed again).
// Kept free of constructs.
//
// Upstream (zalando/postgres-operator@v2.0.1):
// - docs/reference/cluster_manifest.md "Standby cluster": `s3_wal_path` (the source's WAL archive),
//   `gs_wal_path` (exclusive with it), `standby_host`/`standby_port` (a remote primary; port default
//   "5432"); at least one is set, and it is read "on startup" (creation).
// - pkg/cluster/k8sres.go generateStandbyEnvironment: `s3_wal_path` becomes
//   STANDBY_WALE_S3_PREFIX, STANDBY_METHOD=STANDBY_WITH_WALE and STANDBY_WAL_BUCKET_SCOPE_PREFIX="";
//   credentials are not set from the section. docs/administrator.md "Standby clusters": copy the
//   backup location's variables "and prepend the STANDBY_ prefix for Spilo to find the backups and
//   WAL files". `spec.env` wins over the section's env (docs/administrator.md "Custom Pod
//   Environment Variables", precedence 2 before 4), and the names below are not the section's.
// - zalando/spilo@4.0-p3 postgres-appliance/scripts/configure_spilo.py: with STANDBY_WALE_S3_PREFIX
//   set, STANDBY_USE_WALG defaults to true for S3 (so restore is WAL-G's, which reads lz4), and
//   write_wale_environment('STANDBY_') copies STANDBY_AWS_ACCESS_KEY_ID, _SECRET_ACCESS_KEY,
//   _ENDPOINT, _REGION, _S3_FORCE_PATH_STYLE into the standby's own envdir, which only the
//   standby_cluster restore_command and bootstrap_standby_with_wale read. The pod's own
//   AWS_* / WAL_S3_BUCKET stay this site's (its archive, read-write), so the source's bucket is
//   reached with the source's READ-ONLY key only, as on CloudNativePG (dr-sites.ts peerStore).
// - pkg/cluster/sync.go syncCluster: roles and databases are not synced while `standby` is set;
//   they arrive physically from the source, passwords included (docs/user.md "Providing
//   credentials of source cluster": the Secrets must hold the source's, which they do: a standby
//   reads its source's store keys, store-keys.ts secretsEnvironment).
import type { ObjectStoreBackup } from '../../config/model';
import { walgConnectionEnv, walgPrefix, type SpiloEnvVar } from './zalando-wal-g';

/** The `standby` section of one cluster: the source's archive of the cluster of the same name. */
export interface ZalandoStandbySection {
  readonly s3WalPath: string;
}

/** Secret with the source bucket's read-only key at the standby site (CloudNativePG's peer ObjectStore reads the same name). */
export function peerCredentialsName(peer: ObjectStoreBackup): string {
  return `${peer.name}-credentials`;
}

/**
 * The section and the Spilo env of a standby cluster `cluster` (PostgreSQL `postgresVersion`)
 * replaying `source`, the source site's object store as seen from the standby (its read-only key).
 * Both sites name the cluster alike, and Spilo archives under `<destinationPath>/spilo/<cluster>/wal/<major>`
 * with empty scope affixes (zalando-wal-g.ts walgPrefix), so the path follows from the source's settings.
 */
export function zalandoStandby(
  source: ObjectStoreBackup,
  cluster: string,
  postgresVersion: number,
): { standby: ZalandoStandbySection; env: SpiloEnvVar[]; parameters: Record<string, string> } {
  return {
    standby: { s3WalPath: walgPrefix(source.destinationPath, cluster, postgresVersion) },
    env: [
      ...walgConnectionEnv(source, peerCredentialsName(source), 'STANDBY_'),
      // Spilo skips the scheduled base backup, and WAL-G retention with it, on a cluster in
      // recovery unless WALG_BACKUP_FROM_REPLICA=true (zalando/spilo@4.0-p3 = master 7cb50bd
      // postgres-appliance/scripts/postgres_backup.sh: "Cluster is in recovery, not running
      // backup"; configure_spilo.py write_wale_environment puts the variable in the envdir the
      // cron job reads). A standby cluster is in recovery throughout (its only instance is the
      // standby leader, dr-sites.ts), so without it this site's bucket got WAL but no base backup,
      // and a promoted standby would have nothing to restore from but the source's backups. The
      // same script skips the backup on a cluster NOT in recovery while the variable is true, so
      // it must go at promotion: it is derived from the standby section, removed with it.
      // (The image the operator v2.0.1 defaults to, spilo-18:4.1-p2, is not tagged in the Spilo
      // mirror read here; 4.0-p3 and master agree.)
      { name: 'WALG_BACKUP_FROM_REPLICA', value: 'true' },
    ],
    // Re-archive every segment restored from the source into this site's own bucket, as a
    // CloudNativePG replica cluster does (archive_mode=always): pg_stat_archiver then tells when
    // the last segment arrived from the other site (the cross-site alert, replica-site-rules.ts),
    // and this site's archive is whole when it is promoted. Spilo's own default is "on", which
    // archives nothing while in recovery (zalando/spilo@4.0-p3 configure_spilo.py bootstrap.dcs).
    // archive_mode is a bootstrap-only parameter for the operator (pkg/cluster/k8sres.go
    // isBootstrapOnlyParameter: not in its list, so it goes to bootstrap.dcs at creation; later
    // changes reach Patroni's dynamic config through sync.go checkAndSetGlobalPostgreSQLConfiguration
    // and need a PostgreSQL restart). A standby is created as one, so it has it from the start;
    // a running cluster given standbyOf could not replay the source anyway (zalando-promotion.ts).
    parameters: { archive_mode: 'always' },
  };
}
