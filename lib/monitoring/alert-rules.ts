// The alerting rules of one environment, as plain PrometheusRule `groups`. A pure function of the
// resolved model, so the same rules land in dist/ (via EnvironmentAlerts) and in the promtool
// unit tests, and thresholds come only from fleet.yaml (or DEFAULT_ALERTS).
//
// Metric names are those of CloudNativePG's default monitoring queries (the
// `cnpg-default-monitoring` ConfigMap: cnpg_backends_*, cnpg_pg_replication_*, cnpg_pg_database_*,
// cnpg_pg_stat_database_*, cnpg_pg_settings_setting) and of its built-in collector
// (cnpg_collector_*), kube-state-metrics, the kubelet (kubelet_volume_stats_*), Velero
// (velero_backup_*) and the gauges `mongo-snapshot --pushgateway` pushes (lib/mongo-snapshot/pushgateway.ts).
//
// Every CNPG series is expected to carry `namespace`, `pod` (added by the Prometheus Operator to
// every PodMonitor target) and `cluster` (added by ClusterPodMonitor's relabeling from the pod
// label cnpg.io/cluster). Series that do not come from our PodMonitors (kubelet, kube-state-metrics)
// get `cluster` (and `pod`) derived from CNPG's fixed naming: instance pods and data PVCs are
// `<cluster>-<n>`, WAL PVCs `<cluster>-<n>-wal`.
import {
  mongoSnapshotCronJobName,
  PRUNE_BACKUPS_NAME,
  RESTORE_DRILL_NAME,
  veleroScheduleNames as scheduleNames,
} from '../backup/backup-names';
import type { Environment, Fleet, PostgresCluster, Severity } from '../config/model';
import { ZALANDO_ALERT_NAMES } from '../backends/zalando/zalando-alert-names';
import { AURORA_ALERT_NAMES } from '../backends/aws-aurora/aurora-alert-names';
import { backendOf } from '../backends';
import { STALE_AFTER_SECONDS } from '../mongo-snapshot/budget';
import { isReplicaSite } from '../dr/distributed-topology';
import { POOLER_ALERT_NAMES } from '../pooling/pooler-alert-rules';

/** One alerting rule, exactly as it goes into a PrometheusRule's `spec.groups[].rules[]`. */
export interface AlertRule {
  /** The alert name; also the runbook's file name (docs/runbooks/<alert>.md). */
  readonly alert: AlertName;
  /** PromQL. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires. @default fires at once */
  readonly for?: string;
  /** `severity` and `environment`. */
  readonly labels: Readonly<Record<string, string>>;
  /** `summary`, `description` (templated) and `runbook_url`. */
  readonly annotations: Readonly<Record<string, string>>;
}

/** A PrometheusRule group: `<fleet>-<environment>.<topic>`. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

export interface AlertRuleOptions {
  /**
   * Names of the environment's Velero Schedules: velero_backup_* metrics carry them as `schedule`.
   * @default veleroScheduleNames(fleet, environment), the names the environment chart gives them
   */
  readonly veleroScheduleNames?: readonly string[];
}

/**
 * Fixed thresholds that fleet.yaml does not (yet) expose. Wraparound: PostgreSQL refuses writes
 * near 2^31 transactions; autovacuum_freeze_max_age defaults to 200M and vacuum_failsafe_age to
 * 1.6B, so 1B means autovacuum has been failing to freeze for a long time and 1.5B is the last
 * stop before the failsafe.
 */
export const FIXED_THRESHOLDS = {
  xidAgeWarning: 1_000_000_000,
  xidAgeCritical: 1_500_000_000,
  /** More than this many deadlocks in a database within deadlockWindow. */
  deadlocks: 2,
  deadlockWindow: '10m',
} as const;

/** Backups and snapshot runs alert when the last success is older than this × the schedule's longest gap. */
export const FRESHNESS_FACTOR = 1.5;

/**
 * The Barman Cloud plugin's name. Its backups do not update the in-core (deprecated)
 * cnpg_collector_last_available_backup_timestamp; the plugin exports its own timestamp instead.
 */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';

/** Every alert this module can render, for the runbook check. */
export const ALERT_NAMES = [
  'CNPGClusterOffline',
  'CNPGClusterMetricsAbsent',
  'CNPGInstanceMetricsAbsent',
  'CNPGClusterHACritical',
  'CNPGClusterHAWarning',
  'CNPGClusterHighReplicationLag',
  'CNPGClusterHighConnectionsWarning',
  'CNPGClusterHighConnectionsCritical',
  'CNPGClusterLowDiskSpaceWarning',
  'CNPGClusterLowDiskSpaceCritical',
  'CNPGClusterInstancesOnSameNode',
  'CNPGClusterXIDWraparoundWarning',
  'CNPGClusterXIDWraparoundCritical',
  'CNPGClusterLongRunningTransaction',
  'CNPGClusterDeadlocks',
  'CNPGClusterBackupNotRecent',
  'VeleroBackupFailed',
  'VeleroBackupNotRecent',
  'MongoSnapshotNotRecent',
  'MongoSnapshotJobFailed',
  'MongoSnapshotMemberMayBeLocked',
  'MongoSnapshotFoundLockedMember',
  'CNPGClusterWALArchivingFailing',
  'CNPGClusterObjectStoreBackupNotRecent',
  'BackupPruneFailed',
  'RestoreDrillFailed',
  'RestoreDrillNotRecent',
  'CNPGReplicaSiteWALStale',
  ...ZALANDO_ALERT_NAMES,
  ...AURORA_ALERT_NAMES,
  ...POOLER_ALERT_NAMES,
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

/** The Velero Schedules the environment chart renders (names from lib/backup/backup-names.ts). */
export function veleroScheduleNames(fleet: Fleet, environment: Environment): string[] {
  const { databases, services } = scheduleNames(fleet.name, environment);
  return [databases, services].filter((n): n is string => n !== undefined);
}

export { mongoSnapshotCronJobName };

/** The `job` label mongo-snapshot pushes under (its Pushgateway grouping key). */
export const MONGO_SNAPSHOT_PUSH_JOB = 'mongo-snapshot';

/** 129600 → "36h", 5400 → "1h30m": for descriptions (hours, not days, as schedules are read) and Prometheus durations. */
export function humanSeconds(seconds: number): string {
  const s = Math.round(seconds);
  const parts: string[] = [];
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (r || parts.length === 0) parts.push(`${r}s`);
  return parts.join('');
}

/** The same duration as a Prometheus duration (`for:`, range selectors): the formats coincide. */
export const promDuration = humanSeconds;

/**
 * The PrometheusRule groups for one environment. Severity: the "critical" tier uses the
 * environment's alerts.severity (production pages, test only warns); the "warning" tier is always
 * `warning`. Every alert carries `environment`, `summary`, `description` and a `runbook_url`.
 */
export function environmentAlertGroups(fleet: Fleet, environment: Environment, options: AlertRuleOptions = {}): RuleGroup[] {
  const ctx = new Context(fleet, environment);
  const groups: RuleGroup[] = [];
  // The clusters' alerts are the backend's (lib/backends/<backend>/).
  if (environment.clusters.length > 0) groups.push(...backendOf(environment.operator).clusterAlertGroups(ctx));
  const backups = backupRules(ctx, options.veleroScheduleNames ?? veleroScheduleNames(fleet, environment));
  if (backups.length > 0) groups.push({ name: ctx.groupName('backups'), rules: backups });
  const jobs = backupJobRules(ctx);
  if (jobs.length > 0) groups.push({ name: ctx.groupName('backup-jobs'), rules: jobs });
  const poolers = backendOf(environment.operator).poolerAlertRules?.(ctx) ?? [];
  if (poolers.length > 0) groups.push({ name: ctx.groupName('pgbouncer'), rules: poolers });
  const mongo = mongoRules(ctx);
  if (mongo.length > 0) groups.push({ name: ctx.groupName('mongo-snapshot'), rules: mongo });
  return groups;
}

/** What a rule builder needs: the fleet, the environment, naming and severity. */
export class Context {
  constructor(
    readonly fleet: Fleet,
    readonly env: Environment,
  ) {}

  groupName(part: string): string {
    return `${this.fleet.name}-${this.env.name}.${part}`;
  }

  /** Severity of a tier: only the critical tier follows the environment. */
  severity(tier: 'critical' | 'warning'): Severity {
    return tier === 'critical' ? this.env.alerts.severity : 'warning';
  }

  rule(
    alert: AlertName,
    tier: 'critical' | 'warning',
    expr: string,
    forDuration: string | undefined,
    summary: string,
    description: string,
  ): AlertRule {
    return {
      alert,
      expr,
      ...(forDuration ? { for: forDuration } : {}),
      labels: { severity: this.severity(tier), environment: this.env.name },
      annotations: { summary, description, runbook_url: `${this.fleet.monitoring.runbookBaseURL}/${alert}.md` },
    };
  }

  /** `namespace="databases",cluster=~"a|b"`: scoped to this environment's clusters only. */
  selector(clusters: readonly PostgresCluster[] = this.env.clusters): string {
    return `namespace="${this.env.namespace}",cluster=~"${clusterRegex(clusters)}"`;
  }
}

/** Cluster names are DNS labels ([a-z0-9-]), so they need no regex escaping. */
export function clusterRegex(clusters: readonly PostgresCluster[]): string {
  return clusters.map((c) => c.name).join('|');
}

/** A one-series vector carrying the given labels, value 0: lets `or` notice a cluster with no series at all. */
export function zeroVector(labels: Record<string, string>): string {
  return Object.entries(labels).reduce((expr, [k, v]) => `label_replace(${expr}, "${k}", "${v}", "", "")`, 'vector(0)');
}

export const CLUSTER_REF = '{{ $labels.namespace }}/{{ $labels.cluster }}';
export const POD_REF = '{{ $labels.namespace }}/{{ $labels.pod }}';

export function availabilityRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const rules: AlertRule[] = [];
  const zeros = env.clusters.map((c) => zeroVector({ namespace: env.namespace, cluster: c.name })).join(' or ');
  rules.push(
    ctx.rule(
      'CNPGClusterOffline',
      'critical',
      // `or` the zero vectors so a cluster whose pods are all gone (no series at all) also fires.
      `(sum by (namespace, cluster) (cnpg_collector_up{${ctx.selector()}}) or ${zeros}) < 1`,
      '5m',
      'CloudNativePG cluster has no running PostgreSQL instance.',
      `No instance of cluster ${CLUSTER_REF} has answered as up (cnpg_collector_up) for 5 minutes: applications cannot reach the database.`,
    ),
  );

  rules.push(
    ctx.rule(
      'CNPGClusterMetricsAbsent',
      'warning',
      env.clusters.map((c) => `absent(up{namespace="${env.namespace}",cluster="${c.name}"})`).join(' or '),
      '15m',
      'Prometheus scrapes no instance of a CloudNativePG cluster.',
      `Prometheus has had no scrape target for cluster ${CLUSTER_REF} for 15 minutes: its PodMonitor is not selected, or the cluster has no pods. Every other alert of this cluster is blind.`,
    ),
  );

  rules.push(
    ctx.rule(
      'CNPGInstanceMetricsAbsent',
      'warning',
      `max by (namespace, cluster, pod) (up{${ctx.selector()}}) == 0`,
      '10m',
      'The metrics endpoint of a CloudNativePG instance is unreachable.',
      `Prometheus cannot scrape instance ${POD_REF} of cluster {{ $labels.cluster }} for 10 minutes; the alerts of this instance are blind.`,
    ),
  );

  // HA alerts only for clusters configured with standbys: a 1-instance cluster (test) has none by design.
  const replicated = env.clusters.filter((c) => c.instances >= 2);
  const standbys = (clusters: readonly PostgresCluster[]) =>
    `max by (namespace, cluster) (cnpg_pg_replication_streaming_replicas{${ctx.selector(clusters)}} - cnpg_pg_replication_is_wal_receiver_up{${ctx.selector(clusters)}})`;
  if (replicated.length > 0) {
    rules.push(
      ctx.rule(
        'CNPGClusterHACritical',
        'critical',
        `${standbys(replicated)} < 1`,
        '5m',
        'CloudNativePG cluster has no streaming standby.',
        `Cluster ${CLUSTER_REF} has no standby streaming from its primary: losing the primary now means downtime and possibly data loss.`,
      ),
    );
  }
  // Warning when fewer standbys stream than configured (instances - 1); grouped by instance count
  // so one expression covers clusters of different sizes. Clusters of 2 only have the critical tier.
  const bySize = new Map<number, PostgresCluster[]>();
  for (const c of env.clusters.filter((c) => c.instances >= 3)) bySize.set(c.instances, [...(bySize.get(c.instances) ?? []), c]);
  if (bySize.size > 0) {
    rules.push(
      ctx.rule(
        'CNPGClusterHAWarning',
        'warning',
        [...bySize.entries()]
          .sort(([a], [b]) => a - b)
          .map(([n, clusters]) => `${standbys(clusters)} < ${n - 1}`)
          .join(' or '),
        '5m',
        'CloudNativePG cluster has fewer streaming standbys than configured.',
        `Cluster ${CLUSTER_REF} has only {{ $value | printf "%.0f" }} streaming standby(s), fewer than configured: one more failure leaves it without HA.`,
      ),
    );
  }

  // Not at a replica site (a DR standby, or a demoted former primary): its designated primary
  // replays the other site's archive, and cnpg_pg_replication_lag there is now() minus the last
  // replayed commit (no WAL receiver, so cloudnative-pg@v1.30.0 config/manager/default-monitoring.yaml
  // pg_replication takes its ELSE branch): it grows without bound whenever the source is idle.
  // replicaSiteRules watches that site instead.
  if (!isReplicaSite(env.dr))
    rules.push(
      ctx.rule(
        'CNPGClusterHighReplicationLag',
        'warning',
        `max by (namespace, cluster, pod) (cnpg_pg_replication_lag{${ctx.selector()}}) > ${env.alerts.replicationLagSeconds}`,
        '5m',
        'CloudNativePG standby is lagging behind its primary.',
        `Standby ${POD_REF} of cluster {{ $labels.cluster }} is {{ $value | printf "%.0f" }}s behind the primary (threshold ${env.alerts.replicationLagSeconds}s).`,
      ),
    );

  const sameNode = env.clusters.filter((c) => c.instances >= 2);
  if (sameNode.length > 0) {
    const regex = clusterRegex(sameNode);
    rules.push(
      ctx.rule(
        'CNPGClusterInstancesOnSameNode',
        'warning',
        // kube_pod_info carries no cluster label; instance pods are named <cluster>-<n>.
        `count by (namespace, cluster, node) (label_replace(kube_pod_info{namespace="${env.namespace}",pod=~"(${regex})-[0-9]+"}, "cluster", "$1", "pod", "(${regex})-[0-9]+")) > 1`,
        '5m',
        'CloudNativePG instances share a node.',
        `{{ $value | printf "%.0f" }} instances of cluster ${CLUSTER_REF} run on node {{ $labels.node }}: losing that node takes them all.`,
      ),
    );
  }
  return rules;
}

export function capacityRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const a = env.alerts;
  const connections = `sum by (namespace, cluster, pod) (cnpg_backends_total{${ctx.selector()}}) / max by (namespace, cluster, pod) (cnpg_pg_settings_setting{${ctx.selector()},name="max_connections"}) * 100`;
  const connectionRule = (alert: AlertName, tier: 'critical' | 'warning', percent: number) =>
    ctx.rule(
      alert,
      tier,
      `${connections} > ${percent}`,
      '5m',
      `CloudNativePG instance uses over ${percent}% of max_connections.`,
      `Instance ${POD_REF} of cluster {{ $labels.cluster }} uses {{ $value | printf "%.0f" }}% of max_connections (threshold ${percent}%). New connections fail when it reaches 100%.`,
    );

  // Data PVCs are <cluster>-<n>, WAL PVCs <cluster>-<n>-wal (CNPG's naming); derive cluster and pod from it.
  const regex = clusterRegex(env.clusters);
  const pvc = `namespace="${env.namespace}",persistentvolumeclaim=~"(${regex})-[0-9]+(-wal)?"`;
  const usage =
    `max by (namespace, cluster, pod, persistentvolumeclaim) (label_replace(label_replace(` +
    `1 - kubelet_volume_stats_available_bytes{${pvc}} / kubelet_volume_stats_capacity_bytes{${pvc}}, ` +
    `"cluster", "$1", "persistentvolumeclaim", "(${regex})-[0-9]+(-wal)?"), ` +
    `"pod", "$1", "persistentvolumeclaim", "(.+?)(-wal)?")) * 100`;
  const diskRule = (alert: AlertName, tier: 'critical' | 'warning', percent: number) =>
    ctx.rule(
      alert,
      tier,
      `${usage} > ${percent}`,
      '5m',
      `CloudNativePG volume is over ${percent}% full.`,
      `Volume {{ $labels.persistentvolumeclaim }} of instance ${POD_REF} (cluster {{ $labels.cluster }}) is {{ $value | printf "%.0f" }}% full (threshold ${percent}%). PostgreSQL stops when its data or WAL volume is full.`,
    );

  return [
    connectionRule('CNPGClusterHighConnectionsWarning', 'warning', a.connectionsWarningPercent),
    connectionRule('CNPGClusterHighConnectionsCritical', 'critical', a.connectionsCriticalPercent),
    diskRule('CNPGClusterLowDiskSpaceWarning', 'warning', a.diskWarningPercent),
    diskRule('CNPGClusterLowDiskSpaceCritical', 'critical', a.diskCriticalPercent),
  ];
}

export function postgresRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const t = FIXED_THRESHOLDS;
  // Replicas report the same ages as the primary: aggregate per database, not per pod.
  const xid = `max by (namespace, cluster, datname) (cnpg_pg_database_xid_age{${ctx.selector()}})`;
  const xidRule = (alert: AlertName, tier: 'critical' | 'warning', threshold: number) =>
    ctx.rule(
      alert,
      tier,
      `${xid} > ${threshold}`,
      '15m',
      'PostgreSQL database is approaching transaction ID wraparound.',
      `Database {{ $labels.datname }} in cluster ${CLUSTER_REF} has a transaction ID age of {{ $value | printf "%.0f" }} (threshold ${threshold}); PostgreSQL stops accepting writes near 2147483647.`,
    );
  return [
    xidRule('CNPGClusterXIDWraparoundWarning', 'warning', t.xidAgeWarning),
    xidRule('CNPGClusterXIDWraparoundCritical', 'critical', t.xidAgeCritical),
    ctx.rule(
      'CNPGClusterLongRunningTransaction',
      'warning',
      `max by (namespace, cluster, pod, datname, usename) (cnpg_backends_max_tx_duration_seconds{${ctx.selector()}}) > ${env.alerts.longTransactionSeconds}`,
      '1m',
      'A PostgreSQL transaction has been open for too long.',
      `A transaction of user {{ $labels.usename }} in database {{ $labels.datname }} on ${POD_REF} (cluster {{ $labels.cluster }}) has been open for {{ $value | printf "%.0f" }}s (threshold ${env.alerts.longTransactionSeconds}s); it holds back vacuum and may hold locks.`,
    ),
    ctx.rule(
      'CNPGClusterDeadlocks',
      'warning',
      `sum by (namespace, cluster, datname) (increase(cnpg_pg_stat_database_deadlocks{${ctx.selector()}}[${t.deadlockWindow}])) > ${t.deadlocks}`,
      undefined,
      'PostgreSQL is detecting deadlocks.',
      `Database {{ $labels.datname }} in cluster ${CLUSTER_REF} had {{ $value | printf "%.0f" }} deadlocks in the last ${t.deadlockWindow} (threshold ${t.deadlocks}).`,
    ),
  ];
}

/** CloudNativePG's own backups (lib/backends/cloudnative-pg/backend.ts): the last one is recent. */
export function cnpgBackupRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const rules: AlertRule[] = [];
  const postgres = env.backups.postgres;
  if (postgres && env.clusters.length > 0) {
    const window = Math.round(postgres.maxIntervalSeconds * FRESHNESS_FACTOR);
    // The in-core timestamp is set from Cluster.status.lastSuccessfulBackup (volume snapshots and
    // barmanObjectStore); the barman-cloud plugin exports its own metric instead.
    const metric =
      postgres.method === 'plugin' && postgres.pluginName === BARMAN_CLOUD_PLUGIN
        ? 'barman_cloud_cloudnative_pg_io_last_available_backup_timestamp'
        : 'cnpg_collector_last_available_backup_timestamp';
    rules.push(
      ctx.rule(
        'CNPGClusterBackupNotRecent',
        'critical',
        // Only the primary sets the timestamp (replicas report 0): take the max per cluster.
        `time() - max by (namespace, cluster) (${metric}{${ctx.selector()}}) > ${window}`,
        '10m',
        'CloudNativePG cluster has no recent successful backup.',
        `The last successful backup of cluster ${CLUSTER_REF} is older than ${humanSeconds(window)} (${FRESHNESS_FACTOR} × the ${humanSeconds(postgres.maxIntervalSeconds)} between scheduled backups).`,
      ),
    );
  }
  return rules;
}

function backupRules(ctx: Context, veleroSchedules: readonly string[]): AlertRule[] {
  const { env } = ctx;
  const rules: AlertRule[] = [];
  if (env.clusters.length > 0) rules.push(...backendOf(env.operator).backupAlertRules(ctx));

  const velero = env.backups.velero;
  if (velero && veleroSchedules.length > 0) {
    const interval = velero.maxIntervalSeconds;
    const window = Math.round(interval * FRESHNESS_FACTOR);
    // Schedule names are DNS subdomain names: no regex metacharacters but '.', which only widens the match.
    const sel = `schedule=~"${veleroSchedules.join('|')}"`;
    rules.push(
      ctx.rule(
        'VeleroBackupFailed',
        'warning',
        // Velero initialises the counters of a schedule to 0, so the first failure is an increase.
        `sum by (schedule) (increase(velero_backup_failure_total{${sel}}[${promDuration(interval)}])) > 0` +
          ` or sum by (schedule) (increase(velero_backup_partial_failure_total{${sel}}[${promDuration(interval)}])) > 0` +
          // A backup rejected before it starts (e.g. an unusable storage location) counts here only.
          ` or sum by (schedule) (increase(velero_backup_validation_failure_total{${sel}}[${promDuration(interval)}])) > 0`,
        undefined,
        'Velero backup failed.',
        `A backup of Velero schedule {{ $labels.schedule }} (environment ${env.name}) failed, partially failed or failed validation within the last ${humanSeconds(interval)}.`,
      ),
    );
    rules.push(
      ctx.rule(
        'VeleroBackupNotRecent',
        'critical',
        `time() - max by (schedule) (velero_backup_last_successful_timestamp{${sel}}) > ${window}` +
          // The gauge only exists after a success since Velero last started: no sample during a
          // whole window means no success within it either.
          veleroSchedules
            .map((name) => ` or absent_over_time(velero_backup_last_successful_timestamp{schedule="${name}"}[${promDuration(window)}])`)
            .join(''),
        '10m',
        'No recent successful Velero backup.',
        `Velero schedule {{ $labels.schedule }} (environment ${env.name}) has had no successful backup for over ${humanSeconds(window)} (${FRESHNESS_FACTOR} × its ${humanSeconds(interval)} interval).`,
      ),
    );
  }
  return rules;
}

/** The `job` label restore-drill pushes under (lib/ops/restore-drill/metrics.ts). */
export const RESTORE_DRILL_PUSH_JOB = 'restore-drill';

/**
 * A Job of this CronJob (or of one of these: Kubernetes names, no regex metacharacters) failed (its
 * Failed condition), among Jobs created within `withinSeconds`.
 */
export function cronJobFailed(namespace: string, cronjob: string | readonly string[], withinSeconds: number): string {
  const owner = typeof cronjob === 'string' ? `owner_name="${cronjob}"` : `owner_name=~"${cronjob.join('|')}"`;
  return (
    `max by (namespace, job_name) (kube_job_failed{namespace="${namespace}",condition="true"}) > 0` +
    ` and on (namespace, job_name) max by (namespace, job_name) (kube_job_owner{namespace="${namespace}",owner_kind="CronJob",${owner}})` +
    ` and on (namespace, job_name) (time() - max by (namespace, job_name) (kube_job_created{namespace="${namespace}"}) < ${withinSeconds})`
  );
}

/** No successful run of this CronJob within `window` seconds (never succeeded: since its creation; absent: not deployed). */
function cronJobNotRecent(namespace: string, cronjob: string, window: number): string {
  const sel = `namespace="${namespace}",cronjob="${cronjob}"`;
  return (
    `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${sel}}) > ${window}` +
    ` or (time() - max by (namespace, cronjob) (kube_cronjob_created{${sel}}) > ${window}` +
    ` unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${sel}})` +
    ` or absent_over_time(kube_cronjob_created{${sel}}[${promDuration(window)}])`
  );
}

/** WAL archiving to the object store, retention pruning and the restore drill. */
function backupJobRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const rules: AlertRule[] = [];
  const ns = env.namespace;
  if (env.backups.objectStore && env.clusters.length > 0) {
    rules.push(
      ctx.rule(
        'CNPGClusterWALArchivingFailing',
        'critical',
        // The primary's pg_stat_archiver (CNPG's default cnpg_pg_stat_archiver_* metrics): the last
        // attempt failed and none succeeded since. Point-in-time recovery stops at the last archived WAL.
        `max by (namespace, cluster) (cnpg_pg_stat_archiver_last_failed_time{${ctx.selector()}}) > max by (namespace, cluster) (cnpg_pg_stat_archiver_last_archived_time{${ctx.selector()}})`,
        '10m',
        'CloudNativePG cannot archive WAL to the object store.',
        `Cluster ${CLUSTER_REF} has failed to archive WAL since its last successful archival, for 10 minutes: point-in-time recovery ends at the last archived WAL, and WAL piles up on the primary's volume.`,
      ),
    );
  }
  const objectStore = env.backups.objectStore;
  // With method plugin, CNPGClusterBackupNotRecent already watches the plugin's metric.
  if (objectStore && env.clusters.length > 0 && env.backups.postgres?.method !== 'plugin') {
    const window = Math.round(objectStore.maxIntervalSeconds * FRESHNESS_FACTOR);
    rules.push(
      ctx.rule(
        'CNPGClusterObjectStoreBackupNotRecent',
        'critical',
        // The plugin's own gauge (plugin-barman-cloud@v0.14.0 web/docs/observability.md); plugin
        // backups do not update the in-core cnpg_collector_last_available_backup_timestamp, which
        // therefore keeps watching the volume snapshots alone.
        `time() - max by (namespace, cluster) (barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{${ctx.selector()}}) > ${window}`,
        '10m',
        'No recent base backup in the object store.',
        `The last base backup of cluster ${CLUSTER_REF} in the object store is older than ${humanSeconds(window)} (${FRESHNESS_FACTOR} × the ${humanSeconds(objectStore.maxIntervalSeconds)} between scheduled base backups): point-in-time recovery must replay ever more WAL, and the recovery window's oldest point moves forward.`,
      ),
    );
  }
  const retention = env.backups.postgres?.retention;
  if (retention) {
    rules.push(
      ctx.rule(
        'BackupPruneFailed',
        'warning',
        cronJobFailed(ns, PRUNE_BACKUPS_NAME, Math.max(retention.maxIntervalSeconds * 2, 3600)),
        undefined,
        'Pruning of volume-snapshot backups failed.',
        `Job {{ $labels.namespace }}/{{ $labels.job_name }} of CronJob ${PRUNE_BACKUPS_NAME} failed: old Backups and their VolumeSnapshots are not being deleted (cost, snapshot quotas). Its log names the Backup and the API error.`,
      ),
    );
  }
  const drill = env.backups.restoreDrill;
  if (drill) {
    const pushed = drill.pushgateway
      ? ` or max by (environment, cluster) (restore_drill_success{job="${RESTORE_DRILL_PUSH_JOB}",environment="${env.name}"}) == 0`
      : '';
    rules.push(
      ctx.rule(
        'RestoreDrillFailed',
        'warning',
        cronJobFailed(ns, RESTORE_DRILL_NAME, drill.maxIntervalSeconds) + pushed,
        undefined,
        'A restore drill failed: a backup may not restore.',
        `The restore drill in ${ns} (environment ${env.name}) failed{{ if $labels.cluster }} for cluster {{ $labels.cluster }}{{ end }}: the latest backup could not be restored, did not become ready in time, or a service database was missing or unreadable. The Job's log says which step failed.`,
      ),
    );
    const window = Math.round(drill.maxIntervalSeconds * FRESHNESS_FACTOR);
    // With a rotating subset a cluster is drilled every ⌈clusters / clustersPerRun⌉ runs.
    const rounds = Math.ceil(env.clusters.length / Math.min(drill.clustersPerRun ?? env.clusters.length, Math.max(1, env.clusters.length)));
    const clusterWindow = Math.round(drill.maxIntervalSeconds * rounds * FRESHNESS_FACTOR);
    const perCluster = drill.pushgateway
      ? ` or time() - max by (environment, cluster) (restore_drill_last_success_timestamp_seconds{job="${RESTORE_DRILL_PUSH_JOB}",environment="${env.name}"}) > ${clusterWindow}`
      : '';
    rules.push(
      ctx.rule(
        'RestoreDrillNotRecent',
        'critical',
        cronJobNotRecent(ns, RESTORE_DRILL_NAME, window) + perCluster,
        '10m',
        'No successful restore drill recently.',
        `{{ if $labels.cluster }}No restore drill of cluster ${ns}/{{ $labels.cluster }} has succeeded for over ${humanSeconds(clusterWindow)} (${rounds} run(s) per rotation × ${FRESHNESS_FACTOR} × ${humanSeconds(drill.maxIntervalSeconds)}){{ else }}No run of CronJob ${ns}/${RESTORE_DRILL_NAME} has succeeded for over ${humanSeconds(window)} (${FRESHNESS_FACTOR} × its ${humanSeconds(drill.maxIntervalSeconds)} interval){{ end }} (environment ${env.name}): nobody knows whether the backups restore.`,
      ),
    );
  }
  return rules;
}

function mongoRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const rules: AlertRule[] = [];
  for (const snapshot of env.mongoSnapshots) {
    const cronjob = mongoSnapshotCronJobName(snapshot);
    const window = Math.round(snapshot.maxIntervalSeconds * FRESHNESS_FACTOR);
    const sel = `namespace="${snapshot.namespace}",cronjob="${cronjob}"`;
    rules.push(
      ctx.rule(
        'MongoSnapshotNotRecent',
        'critical',
        `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${sel}}) > ${window}` +
          // A CronJob that never succeeded has no last-successful time: measure from its creation.
          ` or (time() - max by (namespace, cronjob) (kube_cronjob_created{${sel}}) > ${window}` +
          ` unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${sel}})` +
          // No CronJob at all (not deployed, or deleted) during a whole window: no run either.
          ` or absent_over_time(kube_cronjob_created{${sel}}[${promDuration(window)}])`,
        '10m',
        'No recent successful MongoDB snapshot.',
        `CronJob ${snapshot.namespace}/${cronjob} has had no successful run for over ${humanSeconds(window)} (${FRESHNESS_FACTOR} × its ${humanSeconds(snapshot.maxIntervalSeconds)} interval).`,
      ),
    );

    rules.push(
      ctx.rule(
        'MongoSnapshotJobFailed',
        'warning',
        // kube_job_failed is the Job's Failed condition: unlike kube_job_status_failed (failed pods) it
        // ignores a pod that failed and was retried successfully (backoffLimit). Failed Jobs stay until
        // the history limit drops them: only count Jobs created within one interval.
        `max by (namespace, job_name) (kube_job_failed{namespace="${snapshot.namespace}",condition="true"}) > 0` +
          ` and on (namespace, job_name) max by (namespace, job_name) (kube_job_owner{namespace="${snapshot.namespace}",owner_kind="CronJob",owner_name="${cronjob}"})` +
          ` and on (namespace, job_name) (time() - max by (namespace, job_name) (kube_job_created{namespace="${snapshot.namespace}"}) < ${snapshot.maxIntervalSeconds})`,
        undefined,
        'A MongoDB snapshot run failed.',
        `Job {{ $labels.namespace }}/{{ $labels.job_name }} of CronJob ${cronjob} failed. Its log says why; exit code 7 means a member may still be fsync-locked (see MongoSnapshotMemberMayBeLocked).`,
      ),
    );
  }
  // The pushed gauges are grouped by replica set, which fleet.yaml does not name: one rule per
  // environment covers every snapshot that pushes (each environment has its own Prometheus).
  if (env.mongoSnapshots.some((s) => s.pushgateway)) {
    const sel = `job="${MONGO_SNAPSHOT_PUSH_JOB}"`;
    rules.push(
      ctx.rule(
        'MongoSnapshotMemberMayBeLocked',
        'critical',
        // member_locked names the member; last_exit_code == 7 covers a run that could not name it.
        // may_be_locked: each run's own flag per member (group job, replica_set, member, run; lib/mongo-snapshot
        // pushgateway.ts), pushed right before its lock, renewed every RENEW_INTERVAL_SECONDS while the run lives and
        // deleted once the run proved it holds no lock there. Critical once not renewed for STALE_AFTER_SECONDS (a
        // SIGKILL: paged within minutes, not at the run's deadline) or past the run's deadline (a run that hangs),
        // unless a later run saw the member hold no lock at all (proven_unlocked) after the flag's run had stopped
        // renewing for STALE_AFTER_SECONDS: a run that is alive keeps renewing, so no other run can clear its flag.
        // A flag without `run` (before flags were per run) has no renewal: its deadline counts.
        `max by (job, replica_set, member) (mongo_snapshot_member_locked{${sel}}) == 1` +
          ` or on (replica_set) max by (job, replica_set) (mongo_snapshot_last_exit_code{${sel}}) == 7` +
          ` or max by (job, replica_set, member) (mongo_snapshot_member_may_be_locked{${sel}} == 1` +
          ` and on (job, replica_set, member, run) (mongo_snapshot_member_may_be_locked_renewed_timestamp_seconds{${sel}} < time() - ${STALE_AFTER_SECONDS}` +
          ` or mongo_snapshot_member_may_be_locked_deadline_timestamp_seconds{${sel}} < time())` +
          ` unless on (job, replica_set, member, run) mongo_snapshot_member_may_be_locked_renewed_timestamp_seconds{${sel}} + ${STALE_AFTER_SECONDS}` +
          ` < on (job, replica_set, member) group_left max by (job, replica_set, member) (mongo_snapshot_member_proven_unlocked_timestamp_seconds{${sel}}))`,
        undefined,
        'A MongoDB member may still be fsync-locked by mongo-snapshot.',
        'A mongo-snapshot run for replica set {{ $labels.replica_set }} ended with exit code 7, or was killed while it held a lock: member {{ if $labels.member }}{{ $labels.member }}{{ else }}(named in the job log){{ end }} may still be fsync-locked, blocking its writes and replication. Unlock it by hand now.',
      ),
    );
    // A later successful run on another member resets member_locked and last_exit_code, but
    // every run also counts the members it finds fsync-locked: a lock left behind, or another
    // tool's backup in progress. Warning tier: the count is only as fresh as the last run.
    rules.push(
      ctx.rule(
        'MongoSnapshotFoundLockedMember',
        'warning',
        `max by (job, replica_set) (mongo_snapshot_fsync_locked_members{${sel}}) > 0`,
        undefined,
        'mongo-snapshot found a MongoDB member fsync-locked.',
        'The last mongo-snapshot run for replica set {{ $labels.replica_set }} found {{ $value }} member(s) fsync-locked by someone else: a lock an earlier run could not release, or another backup in progress. A member left locked stops replicating.',
      ),
    );
  }
  return rules;
}
