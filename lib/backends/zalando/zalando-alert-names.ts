// The alert names of a Zalando environment (zalando-alert-rules.ts), on their own so that
// alert-rules.ts can list them without an import cycle at load time.
export const ZALANDO_ALERT_NAMES = [
  'ZalandoClusterOffline',
  'ZalandoClusterMetricsAbsent',
  'ZalandoInstanceMetricsAbsent',
  'ZalandoClusterHACritical',
  'ZalandoClusterHAWarning',
  'ZalandoClusterHighReplicationLag',
  'ZalandoClusterHighConnectionsWarning',
  'ZalandoClusterHighConnectionsCritical',
  'ZalandoClusterLowDiskSpaceWarning',
  'ZalandoClusterLowDiskSpaceCritical',
  'ZalandoClusterInstancesOnSameNode',
  'ZalandoClusterXIDWraparoundWarning',
  'ZalandoClusterXIDWraparoundCritical',
  'ZalandoClusterLongRunningTransaction',
  'ZalandoClusterDeadlocks',
  'ZalandoClusterBackupNotRecent',
  'ZalandoReplicaSiteWALStale',
  // The poolers' (zalando-pooler-alert-rules.ts): only these two have a signal on Zalando.
  'ZalandoPoolerDown',
  'ZalandoPoolerDegraded',
  // The rotation keeper's CronJob (lib/secrets/rotation-retire-job.ts).
  'ZalandoRotationNotRetired',
] as const;
export type ZalandoAlertName = (typeof ZALANDO_ALERT_NAMES)[number];
