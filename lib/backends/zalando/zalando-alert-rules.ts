// The alerts of a Zalando postgres-operator environment: the CloudNativePG set (alert-rules.ts),
// alert for alert, with the same thresholds and `for` durations, on the metrics of the
// postgres_exporter sidecar (prometheus-community/postgres_exporter@v0.20.1 collectors: pg_up,
// pg_replication_*, pg_stat_replication_*, pg_stat_database_*, pg_stat_activity_*, pg_settings_*,
// pg_database_wraparound_* — enabled by the sidecar's flag), kubelet volume stats and
// kube-state-metrics. Names are the CloudNativePG names with `Zalando` for `CNPG`, so each has
// its own runbook (Patroni and Spilo commands instead of `kubectl cnpg`).
//
// Series carry `namespace`, `pod` (Prometheus Operator) and `cluster` (ClusterPodMonitor copies
// the Spilo pod label `cluster-name`). Spilo pods are `<cluster>-<n>` (a StatefulSet), data
// PVCs `pgdata-<cluster>-<n>`; the logical backup CronJob is `logical-backup-<cluster>`, cut to 52
// characters (zalando/postgres-operator@v2.0.1:pkg/cluster/util.go trimCronjobName).
import type { PostgresCluster } from '../../config/model';
import {
  CLUSTER_REF,
  clusterRegex,
  Context,
  cronJobFailed,
  FIXED_THRESHOLDS,
  FRESHNESS_FACTOR,
  humanSeconds,
  POD_REF,
  promDuration,
  zeroVector,
  type AlertRule,
  type RuleGroup,
} from '../../monitoring/alert-rules';
import type { ZalandoAlertName } from './zalando-alert-names';
import { isReplicaSite } from '../../dr/distributed-topology';
import { replicaSiteRules, type StaleExpression } from '../../monitoring/replica-site-rules';
import { maxIntervalSeconds } from '../../config/cron';
import { secretsEnvironment } from '../../secrets/store-keys';
import { rotationRetireCronJobName } from '../../secrets/rotation-retire-job';

type ZalandoAlert = ZalandoAlertName;

/** The operator's logical backup CronJob of a cluster (default `logical_backup_job_prefix`). */
export function logicalBackupCronJobName(cluster: string): string {
  const name = `logical-backup-${cluster}`;
  return name.length > 52 ? name.slice(0, 52).replace(/-+$/, '') : name;
}

export function zalandoAlertGroups(ctx: Context): RuleGroup[] {
  const groups: RuleGroup[] = [
    { name: ctx.groupName('zalando-availability'), rules: availabilityRules(ctx) },
    { name: ctx.groupName('zalando-capacity'), rules: capacityRules(ctx) },
    { name: ctx.groupName('zalando-postgres'), rules: postgresRules(ctx) },
  ];
  const backups = backupRules(ctx);
  if (backups.length > 0) groups.push({ name: ctx.groupName('zalando-backups'), rules: backups });
  const rotation = rotationRules(ctx);
  if (rotation.length > 0) groups.push({ name: ctx.groupName('zalando-rotation'), rules: rotation });
  // Only at a DR standby site: the other site's WAL still arrives (lib/monitoring/replica-site-rules.ts).
  const replicaSite = replicaSiteRules(ctx, 'ZalandoReplicaSiteWALStale', zalandoStaleExpression);
  if (replicaSite.length > 0) groups.push({ name: ctx.groupName('zalando-replica-site'), rules: replicaSite });
  return groups;
}

/**
 * A Zalando standby's clusters run with archive_mode = always (zalando-standby.ts), so each
 * segment restored from the source's archive is archived again here, and postgres_exporter's
 * pg_stat_archiver collector (on by default; prometheus-community/postgres_exporter@v0.20.1
 * collector/pg_stat_archiver.go) exports `pg_stat_archiver_last_archive_age`, now() minus
 * last_archived_time, at the scrape: the time since the last segment arrived from the other site.
 * It is absent while last_archived_time is NULL (nothing archived since the statistics were reset,
 * e.g. after a crash): then a cluster that already answered (pg_up) a threshold ago and has shown
 * no such age since fires too, with the threshold as its value (at least that old). A cluster
 * younger than the threshold does not (a new standby is still restoring its base backup).
 */
export const zalandoStaleExpression: StaleExpression = (ctx, clusters, t) => {
  const sel = ctx.selector(clusters);
  const window = promDuration(t);
  return (
    `min by (namespace, cluster) (pg_stat_archiver_last_archive_age{${sel}}) > ${t}` +
    ` or (max by (namespace, cluster) (pg_up{${sel}} offset ${window}) * ${t}` +
    ` unless on (namespace, cluster) max by (namespace, cluster) (max_over_time(pg_stat_archiver_last_archive_age{${sel}}[${window}])))`
  );
};

const rule = (
  ctx: Context,
  alert: ZalandoAlert,
  tier: 'critical' | 'warning',
  expr: string,
  forDuration: string | undefined,
  summary: string,
  description: string,
): AlertRule => ctx.rule(alert, tier, expr, forDuration, summary, description);

function availabilityRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const rules: AlertRule[] = [];
  const zeros = (clusters: readonly PostgresCluster[]) =>
    clusters.map((c) => zeroVector({ namespace: env.namespace, cluster: c.name })).join(' or ');
  rules.push(
    rule(
      ctx,
      'ZalandoClusterOffline',
      'critical',
      // pg_up is the exporter's own check that PostgreSQL answers; `or` zeros catches pods all gone.
      `(sum by (namespace, cluster) (pg_up{${ctx.selector()}}) or ${zeros(env.clusters)}) < 1`,
      '5m',
      'Zalando Postgres cluster has no running PostgreSQL instance.',
      `No instance of cluster ${CLUSTER_REF} has answered as up (pg_up) for 5 minutes: applications cannot reach the database.`,
    ),
  );

  rules.push(
    rule(
      ctx,
      'ZalandoClusterMetricsAbsent',
      'warning',
      env.clusters.map((c) => `absent(up{namespace="${env.namespace}",cluster="${c.name}"})`).join(' or '),
      '15m',
      'Prometheus scrapes no instance of a Zalando Postgres cluster.',
      `Prometheus has had no scrape target for cluster ${CLUSTER_REF} for 15 minutes: its PodMonitor is not selected, or the cluster has no pods. Every other alert of this cluster is blind.`,
    ),
  );

  rules.push(
    rule(
      ctx,
      'ZalandoInstanceMetricsAbsent',
      'warning',
      `max by (namespace, cluster, pod) (up{${ctx.selector()}}) == 0`,
      '10m',
      'The metrics endpoint of a Spilo pod is unreachable.',
      `Prometheus cannot scrape the exporter of ${POD_REF} (cluster {{ $labels.cluster }}) for 10 minutes; the alerts of this instance are blind.`,
    ),
  );

  // Streaming standbys as the primary sees them (pg_stat_replication rows in state streaming);
  // zeros make a cluster with none at all count as 0 rather than vanish.
  const replicated = env.clusters.filter((c) => c.instances >= 2);
  const standbys = (clusters: readonly PostgresCluster[]) =>
    `(count by (namespace, cluster) (pg_stat_replication_pg_wal_lsn_diff{${ctx.selector(clusters)},state="streaming"}) or ${zeros(clusters)})`;
  if (replicated.length > 0) {
    rules.push(
      rule(
        ctx,
        'ZalandoClusterHACritical',
        'critical',
        `${standbys(replicated)} < 1`,
        '5m',
        'Zalando Postgres cluster has no streaming standby.',
        `Cluster ${CLUSTER_REF} has no standby streaming from its primary: losing the primary now means downtime and possibly data loss.`,
      ),
    );
  }
  const bySize = new Map<number, PostgresCluster[]>();
  for (const c of env.clusters.filter((c) => c.instances >= 3)) bySize.set(c.instances, [...(bySize.get(c.instances) ?? []), c]);
  if (bySize.size > 0) {
    rules.push(
      rule(
        ctx,
        'ZalandoClusterHAWarning',
        'warning',
        [...bySize.entries()]
          .sort(([a], [b]) => a - b)
          .map(([n, clusters]) => `${standbys(clusters)} < ${n - 1}`)
          .join(' or '),
        '5m',
        'Zalando Postgres cluster has fewer streaming standbys than configured.',
        `Cluster ${CLUSTER_REF} has only {{ $value | printf "%.0f" }} streaming standby(s), fewer than configured: one more failure leaves it without HA.`,
      ),
    );
  }

  // Not at a DR standby site: its standby leader replays the other site's archive, and with no
  // WAL receiver pg_replication_lag_seconds is now() minus the last replayed commit
  // (postgres_exporter@v0.20.1 collector/pg_replication.go: pg_last_wal_receive_lsn() is NULL, so
  // the CASE takes its ELSE branch), which grows without bound while the source is idle. The
  // replica-site rule watches that site instead.
  if (!isReplicaSite(env.dr))
    rules.push(
      rule(
        ctx,
        'ZalandoClusterHighReplicationLag',
        'warning',
        // Seconds since the last replayed transaction while WAL is pending (0 on the primary).
        `max by (namespace, cluster, pod) (pg_replication_lag_seconds{${ctx.selector()}}) > ${env.alerts.replicationLagSeconds}`,
        '5m',
        'Zalando Postgres standby is lagging behind its primary.',
        `Standby ${POD_REF} of cluster {{ $labels.cluster }} is {{ $value | printf "%.0f" }}s behind the primary (threshold ${env.alerts.replicationLagSeconds}s).`,
      ),
    );

  const sameNode = env.clusters.filter((c) => c.instances >= 2);
  if (sameNode.length > 0) {
    const regex = clusterRegex(sameNode);
    rules.push(
      rule(
        ctx,
        'ZalandoClusterInstancesOnSameNode',
        'warning',
        `count by (namespace, cluster, node) (label_replace(kube_pod_info{namespace="${env.namespace}",pod=~"(${regex})-[0-9]+"}, "cluster", "$1", "pod", "(${regex})-[0-9]+")) > 1`,
        '5m',
        'Spilo pods of one cluster share a node.',
        `{{ $value | printf "%.0f" }} instances of cluster ${CLUSTER_REF} run on node {{ $labels.node }}: losing that node takes them all.`,
      ),
    );
  }
  return rules;
}

function capacityRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const a = env.alerts;
  // Client connections of every database (numbackends) against max_connections.
  const connections = `sum by (namespace, cluster, pod) (pg_stat_database_numbackends{${ctx.selector()}}) / max by (namespace, cluster, pod) (pg_settings_max_connections{${ctx.selector()}}) * 100`;
  const connectionRule = (alert: ZalandoAlert, tier: 'critical' | 'warning', percent: number) =>
    rule(
      ctx,
      alert,
      tier,
      `${connections} > ${percent}`,
      '5m',
      `Spilo instance uses over ${percent}% of max_connections.`,
      `Instance ${POD_REF} of cluster {{ $labels.cluster }} uses {{ $value | printf "%.0f" }}% of max_connections (threshold ${percent}%). New connections fail when it reaches 100%.`,
    );

  const regex = clusterRegex(env.clusters);
  const pvc = `namespace="${env.namespace}",persistentvolumeclaim=~"pgdata-(${regex})-[0-9]+"`;
  const usage =
    `max by (namespace, cluster, pod, persistentvolumeclaim) (label_replace(label_replace(` +
    `1 - kubelet_volume_stats_available_bytes{${pvc}} / kubelet_volume_stats_capacity_bytes{${pvc}}, ` +
    `"cluster", "$1", "persistentvolumeclaim", "pgdata-(${regex})-[0-9]+"), ` +
    `"pod", "$1", "persistentvolumeclaim", "pgdata-(.+)")) * 100`;
  const diskRule = (alert: ZalandoAlert, tier: 'critical' | 'warning', percent: number) =>
    rule(
      ctx,
      alert,
      tier,
      `${usage} > ${percent}`,
      '5m',
      `Spilo data volume is over ${percent}% full.`,
      `Volume {{ $labels.persistentvolumeclaim }} of instance ${POD_REF} (cluster {{ $labels.cluster }}) is {{ $value | printf "%.0f" }}% full (threshold ${percent}%). PostgreSQL stops when its data volume (which holds the WAL too) is full.`,
    );

  return [
    connectionRule('ZalandoClusterHighConnectionsWarning', 'warning', a.connectionsWarningPercent),
    connectionRule('ZalandoClusterHighConnectionsCritical', 'critical', a.connectionsCriticalPercent),
    diskRule('ZalandoClusterLowDiskSpaceWarning', 'warning', a.diskWarningPercent),
    diskRule('ZalandoClusterLowDiskSpaceCritical', 'critical', a.diskCriticalPercent),
  ];
}

function postgresRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const t = FIXED_THRESHOLDS;
  // age(datfrozenxid) despite the metric's name (collector/pg_database_wraparound.go).
  const xid = `max by (namespace, cluster, datname) (pg_database_wraparound_age_datfrozenxid_seconds{${ctx.selector()}})`;
  const xidRule = (alert: ZalandoAlert, tier: 'critical' | 'warning', threshold: number) =>
    rule(
      ctx,
      alert,
      tier,
      `${xid} > ${threshold}`,
      '15m',
      'PostgreSQL database is approaching transaction ID wraparound.',
      `Database {{ $labels.datname }} in cluster ${CLUSTER_REF} has a transaction ID age of {{ $value | printf "%.0f" }} (threshold ${threshold}); PostgreSQL stops accepting writes near 2147483647.`,
    );
  return [
    xidRule('ZalandoClusterXIDWraparoundWarning', 'warning', t.xidAgeWarning),
    xidRule('ZalandoClusterXIDWraparoundCritical', 'critical', t.xidAgeCritical),
    rule(
      ctx,
      'ZalandoClusterLongRunningTransaction',
      'warning',
      `max by (namespace, cluster, pod, datname, usename) (pg_stat_activity_max_tx_duration{${ctx.selector()}}) > ${env.alerts.longTransactionSeconds}`,
      '1m',
      'A PostgreSQL transaction has been open for too long.',
      `A transaction of user {{ $labels.usename }} in database {{ $labels.datname }} on ${POD_REF} (cluster {{ $labels.cluster }}) has been open for {{ $value | printf "%.0f" }}s (threshold ${env.alerts.longTransactionSeconds}s); it holds back vacuum and may hold locks.`,
    ),
    rule(
      ctx,
      'ZalandoClusterDeadlocks',
      'warning',
      `sum by (namespace, cluster, datname) (increase(pg_stat_database_deadlocks{${ctx.selector()}}[${t.deadlockWindow}])) > ${t.deadlocks}`,
      undefined,
      'PostgreSQL is detecting deadlocks.',
      `Database {{ $labels.datname }} in cluster ${CLUSTER_REF} had {{ $value | printf "%.0f" }} deadlocks in the last ${t.deadlockWindow} (threshold ${t.deadlocks}).`,
    ),
  ];
}

function backupRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const backup = env.backups.postgres;
  if (backup?.method !== 'logical') return [];
  const window = Math.round(backup.maxIntervalSeconds * FRESHNESS_FACTOR);
  const cronjobs = env.clusters.map((c) => logicalBackupCronJobName(c.name));
  const sel = `namespace="${env.namespace}",cronjob=~"${cronjobs.join('|')}"`;
  // kube-state-metrics names the CronJob; the cluster label comes from its name.
  const withCluster = (expr: string) => `label_replace(${expr}, "cluster", "$1", "cronjob", "logical-backup-(.+)")`;
  return [
    rule(
      ctx,
      'ZalandoClusterBackupNotRecent',
      'critical',
      withCluster(
        `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${sel}}) > ${window}` +
          // Never succeeded: measure from the CronJob's creation.
          ` or (time() - max by (namespace, cronjob) (kube_cronjob_created{${sel}}) > ${window}` +
          ` unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${sel}})`,
      ) +
        // No CronJob at all for a whole window (logical backups not enabled in the operator, or it is down).
        cronjobs
          .map(
            (name) =>
              ` or ${withCluster(`absent_over_time(kube_cronjob_created{namespace="${env.namespace}",cronjob="${name}"}[${promDuration(window)}])`)}`,
          )
          .join(''),
      '10m',
      'Zalando Postgres cluster has no recent successful logical backup.',
      `The last successful logical backup of cluster ${CLUSTER_REF} is older than ${humanSeconds(window)} (${FRESHNESS_FACTOR} × the ${humanSeconds(backup.maxIntervalSeconds)} between scheduled backups), or its CronJob does not exist.`,
    ),
  ];
}

/**
 * The rotation keeper's CronJob (`<service>-rotation-retire`, lib/secrets/rotation-retire-job.ts),
 * rendered by the backend at a service's `done` step where the cluster has the keeper login
 * (zalandoRotationKeeper: some service under rotation) and the site accepts writes. On PostgreSQL
 * >= 16 it fails at every run until a superuser has made the one-off grants (docs/zalando.md
 * "Rotation"), and that failure is the only signal that the retired login still logs in: the Sync
 * hook succeeds regardless (ROTATION_KEEPER_ADMIN_SCRIPT). Every service under rotation is listed;
 * a service at another step has no such CronJob, hence no series. It runs on the environment's
 * access schedule, so a keeper that keeps failing has a failed Job within any two intervals.
 */
function rotationRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  if (isReplicaSite(env.dr)) return [];
  const source = secretsEnvironment(env);
  const cronjobs = env.clusters.flatMap((c) =>
    c.services.filter((s) => s.rotation?.[source] !== undefined).map((s) => rotationRetireCronJobName(s.name)),
  );
  if (cronjobs.length === 0) return [];
  const within = Math.max(maxIntervalSeconds(env.accessSchedule, 'kubernetes') * 2, 3600);
  return [
    rule(
      ctx,
      'ZalandoRotationNotRetired',
      'warning',
      cronJobFailed(env.namespace, [...new Set(cronjobs)].sort(), within),
      undefined,
      'A rotated-out Zalando login may still log in.',
      `Job {{ $labels.namespace }}/{{ $labels.job_name }} of a rotation keeper CronJob (<service>-rotation-retire) failed within the last ${humanSeconds(within)}: the login the last rotation retired may still log in. On PostgreSQL >= 16 the usual cause is the one-off superuser grants not made yet (the Job's log names them; docs/zalando.md "Rotation").`,
    ),
  ];
}
