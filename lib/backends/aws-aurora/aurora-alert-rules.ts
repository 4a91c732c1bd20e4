// The alerts of an Aurora environment: the CloudNativePG alerts whose signal postgres_exporter can
// see on Aurora, with the same thresholds and `for` durations, on the metrics of the exporter
// Deployment that logs in to the cluster's writer endpoint as dbfleet_exporter (pg_monitor;
// aurora-exporter.ts). prometheus-community/postgres_exporter@v0.20.1 collectors: pg_up,
// pg_stat_database_*, pg_settings_*, pg_stat_activity_*, pg_database_wraparound_* (enabled by flag).
//
// Not here, because Prometheus cannot see them through one SQL login (docs/aurora.md,
// "Monitoring"): reader lag (Aurora readers share the storage volume and are absent from
// pg_stat_replication; CloudWatch AuroraReplicaLag), the number of healthy readers (the
// DBInstances' status; CloudWatch), storage (grows on its own; CloudWatch VolumeBytesUsed),
// Serverless capacity (ServerlessDatabaseCapacity, ACUUtilization), instances on one node (RDS
// places them in the subnet group's availability zones). Series carry `namespace`, `pod` (the
// exporter's) and `cluster` (ClusterPodMonitor copies the exporter pod's dbfleet.io/cluster label).
import type { PostgresCluster } from '../../config/model';
import { CLUSTER_REF, Context, FIXED_THRESHOLDS, zeroVector, type AlertRule, type RuleGroup } from '../../monitoring/alert-rules';
import type { AuroraAlertName } from './aurora-alert-names';

export function auroraAlertGroups(ctx: Context): RuleGroup[] {
  if (ctx.env.clusters.length === 0) return [];
  return [
    { name: ctx.groupName('aurora-availability'), rules: availabilityRules(ctx) },
    { name: ctx.groupName('aurora-capacity'), rules: capacityRules(ctx) },
    { name: ctx.groupName('aurora-postgres'), rules: postgresRules(ctx) },
  ];
}

const rule = (
  ctx: Context,
  alert: AuroraAlertName,
  tier: 'critical' | 'warning',
  expr: string,
  forDuration: string | undefined,
  summary: string,
  description: string,
): AlertRule => ctx.rule(alert, tier, expr, forDuration, summary, description);

function availabilityRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const zeros = (clusters: readonly PostgresCluster[]) =>
    clusters.map((c) => zeroVector({ namespace: env.namespace, cluster: c.name })).join(' or ');
  return [
    rule(
      ctx,
      'AuroraClusterOffline',
      'critical',
      // pg_up: the exporter's own login to the writer endpoint succeeded; zeros catch a cluster
      // whose exporter reports nothing (AuroraClusterMetricsAbsent says why).
      `(max by (namespace, cluster) (pg_up{${ctx.selector()}}) or ${zeros(env.clusters)}) < 1`,
      '5m',
      'Aurora cluster does not answer at its writer endpoint.',
      `The exporter of cluster ${CLUSTER_REF} has not been able to log in to its writer endpoint (pg_up) for 5 minutes: applications cannot write.`,
    ),
    rule(
      ctx,
      'AuroraClusterMetricsAbsent',
      'warning',
      // The exporter's own scrape (`up`), with zeros for a cluster whose exporter has no target at all.
      `(max by (namespace, cluster) (up{${ctx.selector()}}) or ${zeros(env.clusters)}) < 1`,
      '15m',
      'Prometheus scrapes no exporter of an Aurora cluster.',
      `Prometheus has had no reachable exporter for cluster ${CLUSTER_REF} for 15 minutes: its Deployment is down, or its PodMonitor is not selected. Every other alert of this cluster is blind.`,
    ),
  ];
}

function capacityRules(ctx: Context): AlertRule[] {
  const a = ctx.env.alerts;
  // Client connections of every database (numbackends) against max_connections, at the writer.
  const connections = `sum by (namespace, cluster) (pg_stat_database_numbackends{${ctx.selector()}}) / max by (namespace, cluster) (pg_settings_max_connections{${ctx.selector()}}) * 100`;
  const connectionRule = (alert: AuroraAlertName, tier: 'critical' | 'warning', percent: number) =>
    rule(
      ctx,
      alert,
      tier,
      `${connections} > ${percent}`,
      '5m',
      `Aurora writer uses over ${percent}% of max_connections.`,
      `The writer of cluster ${CLUSTER_REF} uses {{ $value | printf "%.0f" }}% of max_connections (threshold ${percent}%). New connections fail when it reaches 100%.`,
    );
  return [
    connectionRule('AuroraClusterHighConnectionsWarning', 'warning', a.connectionsWarningPercent),
    connectionRule('AuroraClusterHighConnectionsCritical', 'critical', a.connectionsCriticalPercent),
  ];
}

function postgresRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const t = FIXED_THRESHOLDS;
  // age(datfrozenxid) despite the metric's name (collector/pg_database_wraparound.go).
  const xid = `max by (namespace, cluster, datname) (pg_database_wraparound_age_datfrozenxid_seconds{${ctx.selector()}})`;
  const xidRule = (alert: AuroraAlertName, tier: 'critical' | 'warning', threshold: number) =>
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
    xidRule('AuroraClusterXIDWraparoundWarning', 'warning', t.xidAgeWarning),
    xidRule('AuroraClusterXIDWraparoundCritical', 'critical', t.xidAgeCritical),
    rule(
      ctx,
      'AuroraClusterLongRunningTransaction',
      'warning',
      `max by (namespace, cluster, datname, usename) (pg_stat_activity_max_tx_duration{${ctx.selector()}}) > ${env.alerts.longTransactionSeconds}`,
      '1m',
      'A PostgreSQL transaction has been open for too long.',
      `A transaction of user {{ $labels.usename }} in database {{ $labels.datname }} of cluster ${CLUSTER_REF} has been open for {{ $value | printf "%.0f" }}s (threshold ${env.alerts.longTransactionSeconds}s); it holds back vacuum and may hold locks.`,
    ),
    rule(
      ctx,
      'AuroraClusterDeadlocks',
      'warning',
      `sum by (namespace, cluster, datname) (increase(pg_stat_database_deadlocks{${ctx.selector()}}[${t.deadlockWindow}])) > ${t.deadlocks}`,
      undefined,
      'PostgreSQL is detecting deadlocks.',
      `Database {{ $labels.datname }} in cluster ${CLUSTER_REF} had {{ $value | printf "%.0f" }} deadlocks in the last ${t.deadlockWindow} (threshold ${t.deadlocks}).`,
    ),
  ];
}
