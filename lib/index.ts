// The public API of the `dbfleet` package. A fleet repository's main.ts needs one call:
//
//   import { renderFleet } from 'dbfleet';
//   renderFleet();
//
// Teams who compose their own objects pass `extend` (FleetApp) or build charts from the
// constructs below. Everything not exported here is internal and may change in any release.

// Rendering a fleet repository
export { renderFleet, SCRATCH_OUTDIR, type RenderFleetOptions } from './output/render-fleet';
export { FleetApp, type FleetAppProps } from './fleet/fleet-app';
export { EnvironmentChart, type EnvironmentChartProps } from './fleet/environment-chart';
export { ArgoCdChart, type ArgoCdChartProps, applicationName, environmentProject, servicesProject } from './fleet/argocd-chart';
export { synthesizeFleet, type SynthesizeOptions } from './output/synthesize';
export { buildApp, renderObjects, toYaml, RenderError, type RenderedObject, type KubernetesObject } from './output/render';

// The fleet file and its model
export { loadFleet, parseFleet, parseFleetFiles, FleetConfigError, formatPath, type ConfigPath, type ConfigProblem } from './config/load';
export {
  readFleetFiles,
  fleetFilePath,
  serviceFilePaths,
  FLEET_FILE,
  SERVICES_DIR,
  type FleetFile,
  type FleetFiles,
} from './config/fleet-files';
export { fleetSchema, type FleetInput, type EnvironmentInput, type ServiceInput } from './config/schema';
export { fleetJsonSchema, serviceJsonSchema, FLEET_JSON_SCHEMA_FILES } from './config/json-schema';
export type {
  Fleet,
  Environment,
  Service,
  PostgresCluster,
  SecretStoreRef,
  MonitoringSettings,
  GitopsSettings,
  Alerts,
  VeleroBackup,
  PostgresBackup,
  MongoSnapshot,
  Topology,
  DeveloperAccess,
  Severity,
} from './config/model';

// Constructs
export { CnpgCluster } from './backends/cloudnative-pg/cnpg-cluster';
export { CnpgDatabase, type CnpgDatabaseProps } from './backends/cloudnative-pg/cnpg-database';
export type { IPostgresCluster, PostgresClusterProps, ClusterDatabase, ClusterRole } from './postgres/postgres-cluster';
export { RoleCredentials, type RoleCredentialsProps } from './secrets/role-credentials';
export { ServiceConnectionSecret, type ServiceConnectionSecretProps } from './secrets/service-connection-secret';
export { StoreSecret, type StoreSecretProps } from './secrets/store-secret';
export {
  fleetStoreKeys,
  environmentStoreKeys,
  serviceCredentials,
  serviceRemoteKey,
  type StoreKey,
  type StoreKeyOrigin,
} from './secrets/store-keys';
export { DatabaseNamespace, type DatabaseNamespaceProps } from './namespaces/database-namespace';
export { DefaultDenyIngress, type DefaultDenyIngressProps } from './network/default-deny-ingress';
export { ClusterIngressPolicy, type ClusterIngressPolicyProps } from './network/cluster-ingress-policy';
export { DeveloperAccessJobs, type DeveloperAccessProps } from './access/developer-access';
export { DeveloperCredentials, type DeveloperCredentialsProps } from './access/developer-credentials';
export { CnpgScheduledBackup, type CnpgScheduledBackupProps } from './backends/cloudnative-pg/cnpg-scheduled-backup';
export { VeleroSchedule, type VeleroScheduleProps } from './backup/velero-schedule';
export { MongoSnapshotCronJob, type MongoSnapshotCronJobProps } from './backup/mongo-snapshot-cron-job';
export { ClusterPodMonitor, type ClusterPodMonitorProps } from './monitoring/cluster-pod-monitor';
export { EnvironmentAlerts, type EnvironmentAlertsProps } from './monitoring/environment-alerts';
export { alertsTable } from './monitoring/alerts-table';
export { AppProject, type AppProjectProps } from './gitops/app-project';
export {
  EnvironmentsApplicationSet,
  type EnvironmentsApplicationSetProps,
  type EnvironmentTarget,
} from './gitops/environments-application-set';
export {
  deliveryFolder,
  deliveryPart,
  forbiddenInServiceNamespaces,
  SERVICES_FOLDER,
  SERVICES_FORBIDDEN_KINDS,
  type DeliveryPart,
} from './gitops/delivery-parts';
export { applySyncPolicy, isProtected, syncWave } from './gitops/sync-policy';
export { standardLabels, MANAGED_BY, type LabelProps } from './labels';
export { restrictedPodSecurity, restrictedContainerSecurity } from './workloads/restricted';

// Validation and review
export { loadValidator, formatIssue, type Validator, type ValidatorOptions, type ValidationReport, type ValidationIssue } from './validate';
export { makePlan, type Plan } from './plan/plan';
export { formatPlan, PLAN_FORMATS, type PlanFormat } from './plan/format';

// The `dbfleet` command, callable in-process: runDbfleet(['secrets', '--format', 'json']) → exit code.
export { runDbfleet, runDbfleetAsync } from './cli/main';
