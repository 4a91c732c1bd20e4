// The alerts table of docs/monitoring.md, generated from the same model and rules as dist/, so the
// documented thresholds cannot drift from the rendered ones (test/monitoring/docs.test.ts compares).
import type { Environment, Fleet } from '../config/model';
import { ZALANDO_ALERT_NAMES, type ZalandoAlertName } from '../backends/zalando/zalando-alert-names';
import { AURORA_ALERT_NAMES, type AuroraAlertName } from '../backends/aws-aurora/aurora-alert-names';
import { POOLER_THRESHOLDS } from '../pooling/pooler-alert-rules';
import {
  ALERT_NAMES,
  Context,
  FIXED_THRESHOLDS,
  FRESHNESS_FACTOR,
  environmentAlertGroups,
  humanSeconds,
  type AlertName,
} from './alert-rules';
import { replicaSiteThresholds } from './replica-site-rules';

/** Alerts that are a CloudNativePG alert on another backend's metrics. */
type TwinName = ZalandoAlertName | AuroraAlertName;

const CNPG_WHEN: Record<Exclude<AlertName, TwinName>, string> = {
  CNPGClusterOffline: 'no instance reports PostgreSQL up, for 5m',
  CNPGClusterMetricsAbsent: 'Prometheus has no target for the cluster, for 15m',
  CNPGInstanceMetricsAbsent: "an instance's metrics endpoint is unreachable, for 10m",
  CNPGClusterHACritical: 'no streaming standby, for 5m (clusters of ≥ 2 instances)',
  CNPGClusterHAWarning: 'fewer than instances − 1 streaming standbys, for 5m (clusters of ≥ 3)',
  CNPGClusterHighReplicationLag: 'a standby lags by more than the threshold, for 5m',
  CNPGClusterHighConnectionsWarning: 'an instance uses more than the threshold of max_connections, for 5m',
  CNPGClusterHighConnectionsCritical: 'an instance uses more than the threshold of max_connections, for 5m',
  CNPGClusterLowDiskSpaceWarning: 'a data or WAL volume is fuller than the threshold, for 5m',
  CNPGClusterLowDiskSpaceCritical: 'a data or WAL volume is fuller than the threshold, for 5m',
  CNPGClusterInstancesOnSameNode: 'two instances of a cluster share a node, for 5m',
  CNPGClusterXIDWraparoundWarning: `a database's transaction ID age exceeds ${FIXED_THRESHOLDS.xidAgeWarning}, for 15m`,
  CNPGClusterXIDWraparoundCritical: `a database's transaction ID age exceeds ${FIXED_THRESHOLDS.xidAgeCritical}, for 15m`,
  CNPGClusterLongRunningTransaction: 'a transaction is open longer than the threshold, for 1m',
  CNPGClusterDeadlocks: `more than ${FIXED_THRESHOLDS.deadlocks} deadlocks in a database within ${FIXED_THRESHOLDS.deadlockWindow}`,
  CNPGClusterBackupNotRecent: `the last CNPG backup is older than ${FRESHNESS_FACTOR} × the schedule's interval, for 10m`,
  VeleroBackupFailed: 'a backup of a Velero Schedule failed, partially failed or failed validation within one interval',
  VeleroBackupNotRecent: `no successful Velero backup within ${FRESHNESS_FACTOR} × the interval, for 10m`,
  MongoSnapshotNotRecent: `no successful run of the snapshot CronJob within ${FRESHNESS_FACTOR} × its interval, for 10m`,
  MongoSnapshotJobFailed: 'a Job of the snapshot CronJob failed within the last interval',
  MongoSnapshotMemberMayBeLocked:
    'a mongo-snapshot run ended with exit code 7, or was killed after it recorded a lock (its flag not renewed for 2 min, or past its deadline), and no run has proven the member unlocked since (pushed gauges)',
  MongoSnapshotFoundLockedMember: 'the last mongo-snapshot run found a member fsync-locked by someone else (pushed gauge)',
  CNPGClusterWALArchivingFailing: "the primary's last WAL archiving attempt failed and none succeeded since, for 10m (object store)",
  CNPGClusterObjectStoreBackupNotRecent: `the last base backup in the object store is older than ${FRESHNESS_FACTOR} × the objectStore schedule's interval, for 10m`,
  BackupPruneFailed: 'a Job of the prune-backups CronJob failed',
  RestoreDrillFailed: "a Job of the restore-drill CronJob failed, or a cluster's last drill failed (pushed gauge)",
  RestoreDrillNotRecent: `no successful restore drill within ${FRESHNESS_FACTOR} × the schedule's interval (per cluster with a Pushgateway: × the runs a rotation takes), for 10m`,
  CNPGReplicaSiteWALStale: `at a DR replica site: no WAL segment from the primary site for ${FRESHNESS_FACTOR} × the source's longest gap between backups + archive_timeout, for 10m`,
  CNPGPoolerDown: 'no pod of a PgBouncer pooler is scraped with PgBouncer answering, for 5m',
  CNPGPoolerDegraded: 'a pooler has fewer working pods than its instances, for 10m (poolers of ≥ 2)',
  CNPGPoolerClientsWaiting: `a client has waited more than ${POOLER_THRESHOLDS.maxWaitSeconds}s for a server connection, for 5m`,
  CNPGPoolerMaxClientConnections: `a PgBouncer pod holds more than ${POOLER_THRESHOLDS.clientConnectionsPercent} % of its max_client_conn, for 5m`,
};

/** A Zalando or Aurora alert is its CloudNativePG twin on postgres_exporter's metrics. */
function cnpgTwin(alert: AlertName): Exclude<AlertName, TwinName> {
  if ((ZALANDO_ALERT_NAMES as readonly string[]).includes(alert)) return alert.replace(/^Zalando/, 'CNPG') as Exclude<AlertName, TwinName>;
  if ((AURORA_ALERT_NAMES as readonly string[]).includes(alert)) return alert.replace(/^Aurora/, 'CNPG') as Exclude<AlertName, TwinName>;
  return alert as Exclude<AlertName, TwinName>;
}

const AURORA_WHEN: Partial<Record<AuroraAlertName, string>> = {
  AuroraClusterOffline: 'the exporter cannot log in to the writer endpoint, for 5m',
  AuroraClusterMetricsAbsent: 'Prometheus has no reachable exporter for the cluster, for 15m',
  AuroraClusterHighConnectionsWarning: 'the writer uses more than the threshold of max_connections, for 5m',
  AuroraClusterHighConnectionsCritical: 'the writer uses more than the threshold of max_connections, for 5m',
};

const ZALANDO_WHEN: Partial<Record<ZalandoAlertName, string>> = {
  ZalandoClusterLowDiskSpaceWarning: 'a data volume (WAL included) is fuller than the threshold, for 5m',
  ZalandoClusterLowDiskSpaceCritical: 'a data volume (WAL included) is fuller than the threshold, for 5m',
  ZalandoPoolerDown: 'no pod of a pooler Deployment is available (PgBouncer accepts TCP), for 5m',
  ZalandoPoolerDegraded: 'a pooler Deployment has fewer available pods than its instances, for 10m (poolers of ≥ 2)',
  ZalandoClusterBackupNotRecent: `the last logical backup is older than ${FRESHNESS_FACTOR} × the schedule's interval, for 10m`,
  ZalandoRotationNotRetired:
    "a Job of a service's rotation keeper CronJob (`<service>-rotation-retire`) failed within 2 × the access schedule's interval (≥ 1h): the retired login may still log in",
};

function when(alert: AlertName): string {
  return ZALANDO_WHEN[alert as ZalandoAlertName] ?? AURORA_WHEN[alert as AuroraAlertName] ?? CNPG_WHEN[cnpgTwin(alert)];
}

function threshold(alert: AlertName, fleet: Fleet, env: Environment): string {
  const a = env.alerts;
  switch (cnpgTwin(alert)) {
    case 'CNPGClusterHighReplicationLag':
      return `> ${a.replicationLagSeconds}s`;
    case 'CNPGClusterHighConnectionsWarning':
      return `> ${a.connectionsWarningPercent} %`;
    case 'CNPGClusterHighConnectionsCritical':
      return `> ${a.connectionsCriticalPercent} %`;
    case 'CNPGClusterLowDiskSpaceWarning':
      return `> ${a.diskWarningPercent} %`;
    case 'CNPGClusterLowDiskSpaceCritical':
      return `> ${a.diskCriticalPercent} %`;
    case 'CNPGClusterLongRunningTransaction':
      return `> ${a.longTransactionSeconds}s`;
    case 'CNPGClusterBackupNotRecent': {
      const i = env.backups.postgres!.maxIntervalSeconds;
      return `> ${humanSeconds(i * FRESHNESS_FACTOR)} (every ${humanSeconds(i)})`;
    }
    case 'VeleroBackupNotRecent': {
      const i = env.backups.velero!.maxIntervalSeconds;
      return `> ${humanSeconds(i * FRESHNESS_FACTOR)} (every ${humanSeconds(i)})`;
    }
    case 'CNPGClusterObjectStoreBackupNotRecent': {
      const i = env.backups.objectStore!.maxIntervalSeconds;
      return `> ${humanSeconds(i * FRESHNESS_FACTOR)} (every ${humanSeconds(i)})`;
    }
    case 'RestoreDrillNotRecent': {
      const d = env.backups.restoreDrill!;
      const rounds = Math.ceil(env.clusters.length / Math.min(d.clustersPerRun ?? env.clusters.length, Math.max(1, env.clusters.length)));
      return `> ${humanSeconds(d.maxIntervalSeconds * (d.pushgateway ? rounds : 1) * FRESHNESS_FACTOR)} (every ${humanSeconds(d.maxIntervalSeconds)}${d.pushgateway && rounds > 1 ? `, ${rounds} runs per rotation` : ''})`;
    }
    case 'CNPGReplicaSiteWALStale':
      return `> ${[...new Set(replicaSiteThresholds(new Context(fleet, env)).values())].map(humanSeconds).join(' / ')}`;
    case 'MongoSnapshotNotRecent':
      return env.mongoSnapshots
        .map((s) => `${s.name}: > ${humanSeconds(s.maxIntervalSeconds * FRESHNESS_FACTOR)} (every ${humanSeconds(s.maxIntervalSeconds)})`)
        .join('; ');
    default:
      return '';
  }
}

/** Markdown: one row per alert, one column per environment ("—" where the alert is not rendered). */
export function alertsTable(fleet: Fleet): string {
  const rendered = new Map(
    fleet.environments.map((env) => [
      env.name,
      new Map(
        environmentAlertGroups(fleet, env)
          .flatMap((g) => g.rules)
          .map((r) => [r.alert, r.labels.severity]),
      ),
    ]),
  );
  const header = `| Alert | Fires when | ${fleet.environments.map((e) => e.name).join(' | ')} |`;
  const rule = `|---|---|${fleet.environments.map(() => '---').join('|')}|`;
  const rows = ALERT_NAMES.map((alert) => {
    const cells = fleet.environments.map((env) => {
      const severity = rendered.get(env.name)!.get(alert);
      if (!severity) return '—';
      const t = threshold(alert, fleet, env);
      return t ? `${t}, ${severity}` : severity;
    });
    return `| [${alert}](runbooks/${alert}.md) | ${when(alert)} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}
