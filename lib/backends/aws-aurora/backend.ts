// Aurora PostgreSQL through ACK rds-controller v1.11.1 behind the backend contract. Renders the
// AWS side (aurora-cluster.ts), the master and owner-role credentials from the store, and the
// apps' connection Secrets (by the chart) on the cluster's writer and reader endpoints.
// Not yet rendered (docs/aurora.md, "Status"): the Job that creates databases and roles inside
// Aurora, developer access through IAM, the exporter and its alerts, the restore drill.
import type { Environment } from '../../config/model';
import { RoleCredentials } from '../../secrets/role-credentials';
import { clusterMasterRemoteKey, secretsEnvironment, serviceCredentials } from '../../secrets/store-keys';
import { directEndpoints } from '../endpoints';
import type { Backend } from '../types';
import { AURORA_MASTER_USER, AuroraCluster } from './aurora-cluster';
import { auroraReplacement } from './aurora-dangers';
import { AWS_AURORA_TRAITS } from './traits';

/** `<fleet>-<environment>-<cluster>`: unique per AWS account and region across fleets and environments. */
export function auroraIdentifier(fleetName: string, environment: Environment, cluster: string): string {
  return `${fleetName}-${environment.name}-${cluster}`;
}

export const awsAuroraBackend: Backend = {
  traits: AWS_AURORA_TRAITS,

  addEnvironmentObjects() {},

  addCluster(scope, cluster, props) {
    const { chart, fleet, environment } = scope;
    const aws = environment.aws;
    if (!aws) throw new Error(`environment ${environment.name} runs operator: aws-aurora but has no resolved aws settings`);
    const masterSecret = `${cluster.name}-master-credentials`;
    // The master password: generated and pushed like every other (environmentStoreKeys), read
    // here for ACK only; no app and no service namespace ever gets it.
    new RoleCredentials(chart, `MasterCredentials-${cluster.name}`, {
      name: masterSecret,
      namespace: cluster.namespace,
      username: AURORA_MASTER_USER,
      store: fleet.secretStore,
      remoteKey: clusterMasterRemoteKey(fleet.secretStore.keyPrefix, secretsEnvironment(environment), cluster.name),
      labels: scope.labelsFor('master-credentials', cluster.name, 'credentials'),
    });
    const pg = new AuroraCluster(chart, `Cluster-${cluster.name}`, {
      ...props,
      identifier: auroraIdentifier(fleet.name, environment, cluster.name),
      postgresVersion: cluster.postgresVersion,
      aws,
      masterPasswordSecret: masterSecret,
    });
    return { cluster: pg, endpoints: directEndpoints(pg) };
  },

  addServiceCredentials(scope, service) {
    const { chart, fleet, environment } = scope;
    // The owner role's password next to the cluster, for the Job that creates the role in Aurora.
    const app = serviceCredentials(fleet, environment, service).app;
    new RoleCredentials(chart, `Credentials-${service.name}`, {
      name: app.secretName,
      namespace: environment.namespace,
      username: app.role,
      store: fleet.secretStore,
      remoteKey: app.remoteKey!,
      labels: scope.labelsFor('role-credentials', service.name, 'credentials'),
    });
  },

  addEnvironmentCredentials() {},

  // No operator-made objects in Kubernetes: Aurora keeps its backups in AWS.
  veleroAlsoMatching: () => undefined,

  clusterAlertGroups: () => [],

  backupAlertRules: () => [],

  dangerRules: [auroraReplacement],
};
