// The alert names of an Aurora environment (aurora-alert-rules.ts), on their own so that
// alert-rules.ts can list them without an import cycle at load time.
export const AURORA_ALERT_NAMES = [
  'AuroraClusterOffline',
  'AuroraClusterMetricsAbsent',
  'AuroraClusterHighConnectionsWarning',
  'AuroraClusterHighConnectionsCritical',
  'AuroraClusterXIDWraparoundWarning',
  'AuroraClusterXIDWraparoundCritical',
  'AuroraClusterLongRunningTransaction',
  'AuroraClusterDeadlocks',
] as const;
export type AuroraAlertName = (typeof AURORA_ALERT_NAMES)[number];
