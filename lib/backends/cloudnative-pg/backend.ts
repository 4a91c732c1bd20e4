// CloudNativePG (postgresql.cnpg.io/v1) behind the backend contract: what the environment chart
// used to decide for `operator: cloudnative-pg`, moved here unchanged (dist/ is byte-identical).
import { retiredAccessRole } from '../../access/access-role';
import { DeveloperAccessJobs } from '../../access/developer-access';
import { DeveloperCredentials } from '../../access/developer-credentials';
import { developerSecretName } from '../../access/developer-roles';
import { DeveloperSessionsJob } from '../../access/developer-sessions';
import { objectStoreScheduledBackupName } from '../../backup/backup-names';
import { BarmanObjectStore } from '../../backup/barman-object-store';
import { PruneBackupsCronJob } from '../../backup/prune-backups-cron-job';
import { RestoreDrillCronJob } from '../../backup/restore-drill-cron-job';
import type { Environment, PostgresCluster } from '../../config/model';
import { BARMAN_CLOUD_PLUGIN, poolerName } from '../../config/names';
import { distributedTopology, isReplicaSite } from '../../dr/distributed-topology';
import { cnpgBackupTarget } from '../../dr/wal-heartbeat';
import { availabilityRules, capacityRules, cnpgBackupRules, postgresRules } from '../../monitoring/alert-rules';
import { ClusterPodMonitor } from '../../monitoring/cluster-pod-monitor';
import { replicaSiteRules } from '../../monitoring/replica-site-rules';
import { ClusterIngressPolicy } from '../../network/cluster-ingress-policy';
import { accessClientsGroup, opsJobSelector, pushgatewayNeeds, withLabel, type EgressPodGroup } from '../../network/egress-policies';
import { PRUNE_BACKUPS_NAME, RESTORE_DRILL_NAME } from '../../backup/backup-names';
import { PoolerIngressPolicy, PoolerUpstreamPolicy } from '../../pooling/pooler-network-policies';
import { poolerAlertRules } from '../../pooling/pooler-alert-rules';
import { PoolerPodMonitor } from '../../pooling/pooler-pod-monitor';
import type { IPostgresCluster } from '../../postgres/postgres-cluster';
import { RoleCredentials } from '../../secrets/role-credentials';
import { RotationLoginJob } from '../../secrets/rotation-login-job';
import { secretsEnvironment, serviceCredentials } from '../../secrets/store-keys';
import { directEndpoints } from '../endpoints';
import type { Backend, ConnectionEndpoints, EnvironmentScope } from '../types';
import { CNPG_STATUS_PORT, CnpgCluster } from './cnpg-cluster';
import { CnpgImageCatalog } from './cnpg-image-catalog';
import { CnpgPooler } from './cnpg-pooler';
import { CnpgScheduledBackup } from './cnpg-scheduled-backup';
import { CLOUDNATIVE_PG_TRAITS } from './traits';

export const cloudnativePgBackend: Backend = {
  traits: CLOUDNATIVE_PG_TRAITS,

  addEnvironmentObjects(scope) {
    addObjectStore(scope);
    const { chart, environment } = scope;
    if (environment.postgres.imageCatalog) {
      new CnpgImageCatalog(chart, 'ImageCatalog', {
        name: environment.postgres.imageCatalog,
        namespace: environment.namespace,
        images: { [environment.postgres.version]: environment.postgres.imageName },
        labels: scope.labelsFor('postgres-image-catalog', environment.postgres.imageCatalog, 'database'),
      });
    }
  },

  addCluster(scope, cluster, props) {
    const { chart, fleet, environment } = scope;
    const backup = environment.backups.postgres;
    // A DR pair's backups run on the primary: each one then archives a WAL segment, which the
    // replica site's cross-site alert counts on (lib/dr/wal-heartbeat.ts).
    const target = cnpgBackupTarget(environment);
    const pg = new CnpgCluster(chart, `Cluster-${cluster.name}`, {
      ...props,
      // The former developer-access role (a member of every owner): dropped (issue 24).
      roles: [...(props.roles ?? []), retiredAccessRole()],
      volumeSnapshotBackup: backup?.method === 'volumeSnapshot' ? { className: backup.volumeSnapshotClass, target } : undefined,
      walArchive: environment.backups.objectStore ? { objectStoreName: environment.backups.objectStore.name } : undefined,
      replicaCluster:
        environment.dr && environment.backups.objectStore
          ? distributedTopology({ cluster: cluster.name, site: environment.dr, ownObjectStore: environment.backups.objectStore })
          : undefined,
    });
    if (backup && backup.method !== 'logical') {
      new CnpgScheduledBackup(chart, `Backup-${cluster.name}`, {
        name: cluster.name,
        namespace: cluster.namespace,
        cluster: cluster.name,
        schedule: backup.schedule,
        method: backup.method,
        pluginName: backup.pluginName,
        target,
        labels: scope.labelsFor('postgres-backup', cluster.name, 'backup'),
      });
    }
    const objectStore = environment.backups.objectStore;
    if (objectStore) {
      new CnpgScheduledBackup(chart, `ObjectStoreBackup-${cluster.name}`, {
        name: objectStoreScheduledBackupName(cluster.name),
        namespace: cluster.namespace,
        cluster: cluster.name,
        schedule: objectStore.schedule,
        method: 'plugin',
        pluginName: BARMAN_CLOUD_PLUGIN,
        target,
        labels: scope.labelsFor('postgres-backup', objectStoreScheduledBackupName(cluster.name), 'backup'),
      });
    }
    // Rendered for every access mode: the SQL also keeps services out of each other's databases.
    // Not on a replica site: it is read-only, and receives the primary's grants with its WAL.
    if (!isReplicaSite(environment.dr))
      new DeveloperAccessJobs(chart, `Access-${cluster.name}`, {
        cluster,
        schedule: environment.accessSchedule,
        monitoringRoles: pg.monitoringRoles,
        labels: scope.labelsFor('developer-access', cluster.name, 'access'),
        // Each database's SQL runs as its owner: the login slot the app uses (credential rotation).
        ownerSecretNames: Object.fromEntries(
          cluster.services.map((s) => [s.database, serviceCredentials(fleet, environment, s).app.secretName]),
        ),
      });
    // Each developer role's session defaults, set by the developer's own login (developer-sessions.ts).
    if (!isReplicaSite(environment.dr) && environment.developerAccess !== 'none' && fleet.developers.length > 0)
      new DeveloperSessionsJob(chart, `DeveloperSessions-${cluster.name}`, {
        cluster,
        developers: fleet.developers,
        sessions: environment.developerSessions,
        secretName: developerSecretName,
        host: `${cluster.name}-rw`,
        labels: scope.labelsFor('developer-sessions', cluster.name, 'access'),
      });
    new ClusterPodMonitor(chart, `PodMonitor-${cluster.name}`, {
      cluster: cluster.name,
      namespace: cluster.namespace,
      fleet: fleet.name,
      selectorLabels: fleet.monitoring.podMonitorLabels,
    });
    new ClusterIngressPolicy(chart, `Ingress-${cluster.name}`, {
      cluster: pg,
      clientNamespaces: cluster.services.map((s) => s.namespace),
      operatorNamespace: fleet.operatorNamespace,
      monitoringNamespace: fleet.monitoring.namespace,
      labels: scope.labelsFor('network-policy', cluster.name, 'network'),
    });
    const poolers = addPoolers(scope, cluster, pg);
    return { cluster: pg, endpoints: endpointsOf(pg, poolers) };
  },

  addServiceCredentials(scope, service, { cluster }) {
    const { chart, fleet, environment } = scope;
    const credentials = serviceCredentials(fleet, environment, service);
    // A Secret per slot that may log in; a retired slot's role is NOLOGIN with no password.
    for (const slot of credentials.slots.filter((x) => x.login)) {
      new RoleCredentials(chart, slot.slot === 'a' ? `Credentials-${service.name}` : `Credentials-${service.name}-alt`, {
        name: slot.secretName,
        namespace: environment.namespace,
        username: slot.role,
        store: fleet.secretStore,
        remoteKey: slot.remoteKey!,
        labels: scope.labelsFor('role-credentials', service.name, 'credentials'),
      });
    }
    const alt = credentials.slots.find((x) => x.slot === 'b');
    // Only where the cluster accepts writes: a replica site (and a demoted former primary)
    // receives the session default with the primary's WAL; ALTER ROLE would fail there
    // (cloudnative-pg@v1.30.0 docs/src/replica_cluster.md: no catalog changes on a replica).
    if (alt?.login && !isReplicaSite(environment.dr)) {
      new RotationLoginJob(chart, `RotationLogin-${service.name}`, {
        service: service.name,
        owner: service.role,
        slotSecretName: alt.secretName,
        generation: alt.generation!,
        site: environment.name,
        cluster: cluster.clusterName,
        namespace: environment.namespace,
        host: cluster.readWriteHost,
        port: cluster.port,
        database: service.database,
        image: environment.clusters.find((c) => c.name === cluster.clusterName)!.imageName,
        labels: scope.labelsFor('rotation-login', service.name, 'credentials'),
      });
    }
  },

  addEnvironmentCredentials(scope) {
    addBackupJobs(scope);
    const { chart, fleet, environment } = scope;
    // One developer Secret per namespace: every cluster's managed role reads it.
    if (environment.developerAccess !== 'none' && fleet.developers.length > 0) {
      new DeveloperCredentials(chart, 'DeveloperCredentials', {
        developers: fleet.developers,
        environment: secretsEnvironment(environment),
        namespace: environment.namespace,
        store: fleet.secretStore,
        labels: scope.labelsFor('developer-credentials', environment.name, 'credentials'),
      });
    }
  },

  // CloudNativePG's Backup objects carry only cnpg.io/* labels (cloudnative-pg@v1.30.0
  // internal/controller/scheduledbackup_controller.go): select them by their ScheduledBackup.
  veleroAlsoMatching(environment) {
    return environment.backups.postgres || environment.backups.objectStore
      ? { 'cnpg.io/scheduled-backup': scheduledBackupNames(environment) }
      : undefined;
  },

  clusterAlertGroups(ctx) {
    return [
      { name: ctx.groupName('cnpg-availability'), rules: availabilityRules(ctx) },
      { name: ctx.groupName('cnpg-capacity'), rules: capacityRules(ctx) },
      { name: ctx.groupName('cnpg-postgres'), rules: postgresRules(ctx) },
      // Only at a replica site: the other site's WAL still arrives (lib/monitoring/replica-site-rules.ts).
      { name: ctx.groupName('cnpg-replica-site'), rules: replicaSiteRules(ctx) },
    ].filter((g) => g.rules.length > 0);
  },

  backupAlertRules: cnpgBackupRules,

  poolerAlertRules: (ctx) => poolerAlertRules(ctx.env, ctx.rule.bind(ctx)),

  egressGroups: cnpgEgressGroups,

  dangerRules: [],
};

/**
 * What CloudNativePG's pods connect to (cloudnative-pg@v1.30.0, plugin-barman-cloud@v0.14.0):
 * - instances and the operator's Jobs (initdb, join, recovery; all carry `cnpg.io/cluster`,
 *   pkg/specs/jobs.go createPrimaryJob): the API server (the instance manager is a controller-runtime
 *   manager, internal/cmd/manager/instance/run/cmd.go `config.GetConfigOrDie()`), the other
 *   instances on 5432 (streaming replication, pg_basebackup, pg_rewind) and 8000 (the liveness
 *   probe's isolation check pings its peers' status port, pkg/management/postgres/webserver/probes/pinger.go
 *   `ping`), and the object store through the Barman Cloud plugin's sidecar, which also reads its
 *   ObjectStore through the API (plugin-barman-cloud@v0.14.0 internal/cnpgi/instance/manager.go).
 * - poolers (`cnpg.io/podRole: pooler`, pkg/specs/pgbouncer/deployments.go): the API server (the
 *   PgBouncer instance manager reconciles its Pooler, internal/cmd/manager/pgbouncer/run/cmd.go)
 *   and the instances on 5432.
 * The operator's own calls to the instances (8000) are ingress here (cluster-ingress-policy.ts).
 */
function cnpgEgressGroups(scope: EnvironmentScope): EgressPodGroup[] {
  const { fleet, environment } = scope;
  const ns = environment.namespace;
  const instances = { matchLabels: { 'cnpg.io/podRole': 'instance' } };
  const clusterPods = withLabel('cnpg.io/cluster', {
    matchExpressions: [{ key: 'cnpg.io/podRole', operator: 'NotIn', values: ['pooler'] }],
  });
  const port = 5432;
  const groups: EgressPodGroup[] = [
    {
      name: 'cnpg-instances',
      namespace: ns,
      podSelector: clusterPods,
      needs: [
        { to: 'apiServer' },
        { to: 'pods', podSelector: clusterPods, ports: [port, CNPG_STATUS_PORT] },
        ...(environment.backups.objectStore ? [{ to: 'objectStore' } as const] : []),
      ],
    },
  ];
  if (environment.clusters.some((c) => (c.poolers ?? []).length > 0)) {
    groups.push({
      name: 'cnpg-poolers',
      namespace: ns,
      podSelector: { matchLabels: { 'cnpg.io/podRole': 'pooler' } },
      needs: [{ to: 'apiServer' }, { to: 'pods', podSelector: instances, ports: [port] }],
    });
  }
  groups.push(accessClientsGroup(ns, { to: 'pods', podSelector: instances, ports: [port] }));
  const { postgres, restoreDrill } = environment.backups;
  // The same conditions as addBackupJobs.
  if (postgres?.retention && fleet.opsImage)
    groups.push({
      name: PRUNE_BACKUPS_NAME,
      namespace: ns,
      podSelector: opsJobSelector(fleet.name, PRUNE_BACKUPS_NAME),
      needs: [{ to: 'apiServer' }],
    });
  if (restoreDrill && fleet.opsImage) {
    // The scratch cluster's instances on 5432 come with the access-client label (its checks).
    groups.push({
      name: RESTORE_DRILL_NAME,
      namespace: ns,
      podSelector: opsJobSelector(fleet.name, RESTORE_DRILL_NAME),
      needs: [{ to: 'apiServer' }, ...pushgatewayNeeds(restoreDrill.pushgateway)],
    });
  }
  return groups;
}

/** The environment's object store for WAL archive and base backups (Barman Cloud plugin). */
function addObjectStore(scope: EnvironmentScope): void {
  const { chart, fleet, environment } = scope;
  const objectStore = environment.backups.objectStore;
  if (!objectStore) return;
  new BarmanObjectStore(chart, 'ObjectStore', {
    fleetName: fleet.name,
    namespace: environment.namespace,
    objectStore,
    store: fleet.secretStore,
    labels: scope.labelsFor('object-store', objectStore.name, 'backup'),
  });
  // A DR site also reads the other site's archive: the source's while a replica, the
  // standby's after a switchover (lib/dr/distributed-topology.ts), with that bucket's read-only
  // key (peerObjectStore.remoteKey, lib/config/dr-sites.ts): never the peer's write key.
  const peer = environment.dr?.peerObjectStore;
  if (peer) {
    new BarmanObjectStore(chart, 'PeerObjectStore', {
      fleetName: fleet.name,
      namespace: environment.namespace,
      objectStore: peer,
      store: fleet.secretStore,
      credentialsName: `${peer.name}-credentials`,
      labels: scope.labelsFor('object-store', peer.name, 'backup'),
    });
  }
}

/** Retention of volume-snapshot backups and the restore drill: the ops image's CronJobs. */
function addBackupJobs(scope: EnvironmentScope): void {
  const { chart, fleet, environment } = scope;
  const { postgres, restoreDrill, objectStore } = environment.backups;
  if (postgres?.retention && fleet.opsImage) {
    new PruneBackupsCronJob(chart, 'PruneBackups', {
      namespace: environment.namespace,
      clusters: environment.clusters.map((c) => c.name),
      retention: postgres.retention,
      image: fleet.opsImage,
      labels: scope.labelsFor('prune-backups', environment.name, 'backup'),
    });
  }
  if (restoreDrill && fleet.opsImage) {
    new RestoreDrillCronJob(chart, 'RestoreDrill', {
      environment: environment.name,
      namespace: environment.namespace,
      clusters: environment.clusters,
      // The same owner logins the access Jobs use (see DeveloperAccessJobs above).
      ownerSecrets: Object.fromEntries(
        environment.clusters.flatMap((c) => c.services.map((s) => [s.database, serviceCredentials(fleet, environment, s).app.secretName])),
      ),
      drill: restoreDrill,
      objectStoreName: objectStore?.name,
      operatorNamespace: fleet.operatorNamespace,
      image: fleet.opsImage,
      labels: scope.labelsFor('restore-drill', environment.name, 'backup'),
    });
  }
}

function addPoolers(scope: EnvironmentScope, cluster: PostgresCluster, pg: IPostgresCluster): CnpgPooler[] {
  const { chart, fleet } = scope;
  const poolers = (cluster.poolers ?? []).map((settings) => {
    const name = poolerName(cluster.name, settings.type);
    const pooler = new CnpgPooler(chart, `Pooler-${name}`, {
      name,
      namespace: cluster.namespace,
      cluster: cluster.name,
      type: settings.type,
      instances: settings.instances,
      poolMode: settings.poolMode,
      parameters: settings.parameters,
      labels: scope.labelsFor('pooler', name, 'pooler'),
    });
    new PoolerPodMonitor(chart, `PodMonitor-${name}`, {
      pooler: name,
      namespace: cluster.namespace,
      fleet: fleet.name,
      selectorLabels: fleet.monitoring.podMonitorLabels,
    });
    new PoolerIngressPolicy(chart, `Ingress-${name}`, {
      pooler,
      clientNamespaces: cluster.services.map((s) => s.namespace),
      monitoringNamespace: fleet.monitoring.namespace,
      labels: scope.labelsFor('network-policy', `${name}-ingress`, 'network'),
    });
    return pooler;
  });
  if (poolers.length > 0) {
    new PoolerUpstreamPolicy(chart, `FromPoolers-${cluster.name}`, {
      cluster: pg,
      poolers,
      labels: scope.labelsFor('network-policy', `${cluster.name}-from-poolers`, 'network'),
    });
  }
  return poolers;
}

/** The Secret's hosts: through the poolers when there are, else the cluster's Services. */
function endpointsOf(cluster: IPostgresCluster, poolers: readonly CnpgPooler[]): ConnectionEndpoints {
  const direct = directEndpoints(cluster);
  const rw = poolers.find((p) => p.type === 'rw');
  const ro = poolers.find((p) => p.type === 'ro');
  const host = rw?.host ?? direct.host;
  return { ...direct, host, readOnlyHost: ro?.host ?? (cluster.instances > 1 ? direct.directReadOnlyHost : host) };
}

/** Every ScheduledBackup of the environment: `<cluster>` (backups.postgres) and `<cluster>-object-store`. */
function scheduledBackupNames(environment: Environment): string[] {
  return environment.clusters.flatMap((c) => [
    ...(environment.backups.postgres ? [c.name] : []),
    ...(environment.backups.objectStore ? [objectStoreScheduledBackupName(c.name)] : []),
  ]);
}
