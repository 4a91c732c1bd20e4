// Aurora PostgreSQL through ACK rds-controller v1.11.1 behind the backend contract. Renders the
// AWS side (aurora-cluster.ts), the master and owner-role credentials from the store, and the
// apps' connection Secrets (by the chart) on the cluster's writer and reader endpoints.
// Databases and roles inside Aurora: aurora-sql.ts (a bootstrap Job as the master user, once; then
// the developer-access Job, whose first container provisions as dbfleet_admin).
import { DeveloperAccessJobs } from '../../access/developer-access';
import type { AwsSettings, Environment, PostgresCluster } from '../../config/model';
import type { PostgresClusterProps } from '../../postgres/postgres-cluster';
import { RoleCredentials } from '../../secrets/role-credentials';
import {
  clusterLoginRemoteKey,
  clusterMasterRemoteKey,
  secretsEnvironment,
  serviceCredentials,
  type ClusterPlatformLogin,
} from '../../secrets/store-keys';
import { directEndpoints } from '../endpoints';
import type { Backend, EnvironmentScope, RenderedCluster } from '../types';
import { AuroraGlobalCluster } from './aurora-global-cluster';
import { AURORA_MASTER_USER, AuroraCluster } from './aurora-cluster';
import { auroraGlobalCluster, auroraMajorVersion, auroraReplacement } from './aurora-dangers';
import { AWS_AURORA_TRAITS } from './traits';
import { AuroraBootstrapJob } from './aurora-bootstrap-job';
import { auroraAlertGroups } from './aurora-alert-rules';
import { AuroraExporter } from './aurora-exporter';
import { AuroraRestoreDrill } from './aurora-restore-drill';
import { accessClientsGroup, opsJobSelector, pushgatewayNeeds } from '../../network/egress-policies';
import { RESTORE_DRILL_NAME } from '../../backup/backup-names';
import { AURORA_ADMIN_ROLE, AURORA_EXPORTER_ROLE, LOGINS_ENV, PROVISION_SCRIPT_KEY, provisionFiles } from './aurora-sql';

/** The Secret (`username`, `password`) of a platform login of an Aurora cluster, in its namespace. */
export function auroraLoginSecretName(cluster: string, login: 'master' | ClusterPlatformLogin): string {
  return `${cluster}-${login}-credentials`;
}

/** `<fleet>-<environment>-<cluster>`: unique per AWS account and region across fleets and environments. */
export function auroraIdentifier(fleetName: string, environment: Environment, cluster: string): string {
  return `${fleetName}-${environment.name}-${cluster}`;
}

/**
 * `<fleet>-<environment>-<cluster>-global`: the GlobalCluster of a cluster with a standby region,
 * named after the environment it was made from (unique per account).
 */
export function auroraGlobalClusterIdentifier(fleetName: string, from: Environment, cluster: string): string {
  return `${auroraIdentifier(fleetName, from, cluster)}-global`;
}

/** An environment's part in its DR pair's GlobalClusters. */
interface GlobalClusterMembership {
  /** The environment the GlobalClusters were made from: they carry its name and live in its output. */
  readonly from: Environment;
  /** This environment renders the GlobalClusters (it is `from`). */
  readonly home: boolean;
}

/**
 * Where a pair's GlobalClusters belong. Not simply "at the source": after a promotion the runbook
 * swaps the roles (the promoted environment becomes the source, `standbyOf` moves), but in AWS the
 * GlobalCluster stays the one made from the former source's cluster, with both clusters members.
 * A GlobalCluster named after, and rendered at, the current source would after a swap be a second
 * one made from a cluster that is already a member (CreateGlobalCluster refuses it), and the
 * original would be removed from the fleet. So identity and home come from `aws.globalClusterFrom`
 * (default: the source), which the runbook sets to the former source on a swap: the same object
 * before and after, and each DBCluster's globalClusterIdentifier (create-only in ACK) unchanged.
 */
function globalClusterMembership(scope: EnvironmentScope): GlobalClusterMembership | undefined {
  const { fleet, environment } = scope;
  const dr = environment.dr;
  if (!dr) return undefined;
  const sourceName = dr.standby ? dr.source : environment.name;
  const source = fleet.environments.find((e) => e.name === sourceName);
  if (!source) throw new Error(`environment ${environment.name}: its DR source ${sourceName} is not in the fleet`);
  const fromName = source.aws?.globalClusterFrom ?? source.name;
  const from = fleet.environments.find((e) => e.name === fromName);
  if (!from) throw new Error(`environment ${source.name}: aws.globalClusterFrom ${fromName} is not in the fleet`);
  return { from, home: from.name === environment.name };
}

/**
 * The GlobalCluster of a cluster, at the environment it was made from, and the identifier a member
 * created into it names (every member but the one it was made from; undefined otherwise).
 */
function addGlobalCluster(scope: EnvironmentScope, cluster: PostgresCluster, pg: AuroraCluster, aws: AwsSettings): void {
  const membership = globalClusterMembership(scope);
  if (!membership?.home) return;
  const { chart, fleet } = scope;
  new AuroraGlobalCluster(chart, `GlobalCluster-${cluster.name}`, {
    name: cluster.name,
    namespace: cluster.namespace,
    globalClusterIdentifier: auroraGlobalClusterIdentifier(fleet.name, membership.from, cluster.name),
    // accountID: required for a pair by lib/config/global-cluster-pair.ts (equal at both sites).
    source: { identifier: pg.identifier, region: aws.region, accountID: aws.accountID! },
    deletionProtection: aws.deletionProtection,
    labels: scope.labelsFor('global-cluster', cluster.name, 'database'),
  });
}

function memberOf(scope: EnvironmentScope, cluster: PostgresCluster): string | undefined {
  const membership = globalClusterMembership(scope);
  if (!membership || membership.home) return undefined;
  return auroraGlobalClusterIdentifier(scope.fleet.name, membership.from, cluster.name);
}

/**
 * A cluster of a standby environment: the secondary region of its source's GlobalCluster. Read-only
 * until promoted, so no master password, no bootstrap and no access Job (roles, databases and
 * grants arrive with the data); the exporter watches the reader endpoint with the source's
 * exporter login (same roles, same store key: secretsEnvironment is the source's).
 */
function addSecondaryCluster(
  scope: EnvironmentScope,
  cluster: PostgresCluster,
  props: PostgresClusterProps,
  aws: AwsSettings,
): RenderedCluster {
  const { chart, fleet, environment } = scope;
  const globalClusterIdentifier = memberOf(scope, cluster);
  const pg = new AuroraCluster(chart, `Cluster-${cluster.name}`, {
    ...props,
    identifier: auroraIdentifier(fleet.name, environment, cluster.name),
    postgresVersion: cluster.postgresVersion,
    aws,
    globalClusterIdentifier,
    // The cluster the GlobalCluster was made from, now a secondary after a swap: it was created
    // with the master user, and keeps it in its spec (no change for ACK to act on).
    masterUsername: globalClusterIdentifier === undefined,
  });
  addGlobalCluster(scope, cluster, pg, aws);
  new RoleCredentials(chart, `PlatformCredentials-${cluster.name}-exporter`, {
    name: auroraLoginSecretName(cluster.name, 'exporter'),
    namespace: cluster.namespace,
    username: AURORA_EXPORTER_ROLE,
    store: fleet.secretStore,
    remoteKey: clusterLoginRemoteKey(fleet.secretStore.keyPrefix, secretsEnvironment(environment), cluster.name, 'exporter'),
    labels: scope.labelsFor('exporter-credentials', cluster.name, 'credentials'),
  });
  new AuroraExporter(chart, `Exporter-${cluster.name}`, {
    cluster: cluster.name,
    namespace: cluster.namespace,
    fleet: fleet.name,
    host: pg.readOnlyHost,
    passwordSecret: auroraLoginSecretName(cluster.name, 'exporter'),
    podMonitorLabels: fleet.monitoring.podMonitorLabels,
    labels: scope.labelsFor('postgres-exporter', cluster.name, 'monitoring'),
  });
  return { cluster: pg, endpoints: directEndpoints(pg) };
}

export const awsAuroraBackend: Backend = {
  traits: AWS_AURORA_TRAITS,

  // The restore drill: a copy-on-write clone of each cluster on the drill's schedule (aurora-restore-drill.ts).
  addEnvironmentObjects(scope) {
    const { chart, fleet, environment } = scope;
    const drill = environment.backups.restoreDrill;
    if (!drill || !fleet.opsImage || !environment.aws || environment.clusters.length === 0) return;
    // Not at a GlobalCluster's secondary region (which inherits the key): the drill clones the
    // primary's clusters, at the source environment.
    if (environment.dr?.standby) return;
    new AuroraRestoreDrill(chart, 'RestoreDrill', {
      environment: environment.name,
      namespace: environment.namespace,
      identifierPrefix: auroraIdentifier(fleet.name, environment, ''),
      clusters: environment.clusters.map((c) => ({
        name: c.name,
        owners: Object.fromEntries(c.services.map((s) => [s.database, serviceCredentials(fleet, environment, s).app.secretName])),
      })),
      aws: environment.aws,
      drill,
      image: fleet.opsImage,
      labels: scope.labelsFor('restore-drill', environment.name, 'backup'),
    });
  },

  addCluster(scope, cluster, props) {
    const { chart, fleet, environment } = scope;
    const aws = environment.aws;
    if (!aws) throw new Error(`environment ${environment.name} runs operator: aws-aurora but has no resolved aws settings`);
    if (environment.dr?.standby) return addSecondaryCluster(scope, cluster, props, aws);
    const masterSecret = auroraLoginSecretName(cluster.name, 'master');
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
      // A promoted secondary (after a role swap) stays a member of the GlobalCluster it was created into.
      globalClusterIdentifier: memberOf(scope, cluster),
      masterUsername: true,
    });
    // The source of a DR pair: the GlobalCluster its standby region joins (aurora-global-cluster.ts).
    addGlobalCluster(scope, cluster, pg, aws);
    const keyEnvironment = secretsEnvironment(environment);
    for (const [login, role] of [
      ['admin', AURORA_ADMIN_ROLE],
      ['exporter', AURORA_EXPORTER_ROLE],
    ] as const) {
      new RoleCredentials(chart, `PlatformCredentials-${cluster.name}-${login}`, {
        name: auroraLoginSecretName(cluster.name, login),
        namespace: cluster.namespace,
        username: role,
        store: fleet.secretStore,
        remoteKey: clusterLoginRemoteKey(fleet.secretStore.keyPrefix, keyEnvironment, cluster.name, login),
        labels: scope.labelsFor(`${login}-credentials`, cluster.name, 'credentials'),
      });
    }
    new AuroraBootstrapJob(chart, `Bootstrap-${cluster.name}`, {
      cluster: cluster.name,
      namespace: cluster.namespace,
      host: pg.readWriteHost,
      image: cluster.imageName,
      iamAuthentication: aws.iamAuthentication,
      loginSecrets: {
        master: masterSecret,
        admin: auroraLoginSecretName(cluster.name, 'admin'),
        exporter: auroraLoginSecretName(cluster.name, 'exporter'),
      },
      labels: scope.labelsFor('bootstrap', cluster.name, 'access'),
    });
    const provisionOptions = {
      roles: props.roles ?? [],
      iamAuthentication: aws.iamAuthentication,
      access: environment.developerAccess,
      sessions: environment.developerSessions,
    };
    // The same Job as on the other backends (each database's SQL as its owner), after a first
    // container that creates the roles and databases as dbfleet_admin.
    new DeveloperAccessJobs(chart, `Access-${cluster.name}`, {
      cluster,
      schedule: environment.accessSchedule,
      labels: scope.labelsFor('developer-access', cluster.name, 'access'),
      host: pg.readWriteHost,
      monitoringRoles: [AURORA_EXPORTER_ROLE],
      // Extensions: no Database object creates them; as the owner, trusted extensions only.
      operatorGaps: { directGrants: false, extensions: true },
      provision: {
        files: provisionFiles(cluster, provisionOptions),
        laterJobFiles: provisionFiles(cluster, { ...provisionOptions, clusterRoles: false }),
        script: PROVISION_SCRIPT_KEY,
        logins: { admin: auroraLoginSecretName(cluster.name, 'admin') },
        loginsEnv: LOGINS_ENV,
      },
    });
    new AuroraExporter(chart, `Exporter-${cluster.name}`, {
      cluster: cluster.name,
      namespace: cluster.namespace,
      fleet: fleet.name,
      host: pg.readWriteHost,
      passwordSecret: auroraLoginSecretName(cluster.name, 'exporter'),
      podMonitorLabels: fleet.monitoring.podMonitorLabels,
      labels: scope.labelsFor('postgres-exporter', cluster.name, 'monitoring'),
    });
    return { cluster: pg, endpoints: directEndpoints(pg) };
  },

  addServiceCredentials(scope, service) {
    const { chart, fleet, environment } = scope;
    // A secondary region runs no access Job: the owner roles arrive with the data.
    if (environment.dr?.standby) return;
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

  // The CloudNativePG alerts whose signal the exporter sees on Aurora (aurora-alert-rules.ts).
  clusterAlertGroups: auroraAlertGroups,

  backupAlertRules: () => [],

  // Aurora runs outside the cluster: dbfleet's Jobs and the exporter (all access clients) reach
  // its endpoints through `egress.database` (the VPC's CIDRs); ACK's controller runs elsewhere.
  // The drill also asks the API server for its clone (aurora-restore-drill.ts).
  egressGroups({ fleet, environment }) {
    const ns = environment.namespace;
    const drill = environment.backups.restoreDrill;
    return [
      accessClientsGroup(ns, { to: 'database' }),
      ...(drill && !environment.dr?.standby && fleet.opsImage && environment.aws && environment.clusters.length > 0
        ? [
            {
              name: RESTORE_DRILL_NAME,
              namespace: ns,
              podSelector: opsJobSelector(fleet.name, RESTORE_DRILL_NAME),
              needs: [{ to: 'apiServer' } as const, { to: 'database' } as const, ...pushgatewayNeeds(drill.pushgateway)],
            },
          ]
        : []),
    ];
  },

  dangerRules: [auroraReplacement, auroraMajorVersion, auroraGlobalCluster],
};
