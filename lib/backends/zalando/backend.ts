// Zalando's postgres-operator (acid.zalan.do/v1) behind the backend contract: what the environment
// chart used to decide for `operator: zalando`, moved here unchanged (dist/ is byte-identical).
// Poolers are the operator's own PgBouncer (zalando-cluster.ts poolerSpec). The object store is
// WAL-G in Spilo (zalando-wal-g.ts). No snapshot retention: the config layer rejects it (traits.ts).
import { objectStoreCredentialsName, RESTORE_DRILL_NAME } from '../../backup/backup-names';
import { minIntervalSeconds } from '../../config/cron';
import { StoreSecret } from '../../secrets/store-secret';
import { DeveloperAccessJobs } from '../../access/developer-access';
import { developerRemoteKey } from '../../access/developer-roles';
import { DeveloperSessionsJob } from '../../access/developer-sessions';
import { developerRoleName } from '../../config/names';
import { isReplicaSite } from '../../dr/distributed-topology';
import { ClusterPodMonitor } from '../../monitoring/cluster-pod-monitor';
import { ClusterIngressPolicy } from '../../network/cluster-ingress-policy';
import { accessClientsGroup, opsJobSelector, pushgatewayNeeds, type EgressPodGroup } from '../../network/egress-policies';
import { PoolerIngressPolicy, PoolerUpstreamPolicy } from '../../pooling/pooler-network-policies';
import { secretsEnvironment } from '../../secrets/store-keys';
import { directEndpoints } from '../endpoints';
import type { Backend, EnvironmentScope } from '../types';
import { ZALANDO_TRAITS } from './traits';
import { zalandoAlertGroups } from './zalando-alert-rules';
import {
  SPILO_SCHEMAS,
  PATRONI_PORT,
  ZALANDO_CLUSTER_LABEL,
  ZALANDO_POOLER_SCHEMA,
  ZALANDO_ROTATION_ROLE,
  ZALANDO_ROTATION_ROLE_MAX_VERSION,
  zalandoCredentialSecretName,
  ZalandoCluster,
} from './zalando-cluster';
import { zalandoPoolerAlertRules } from './zalando-pooler-alert-rules';
import { ZalandoRoleCredentials } from './zalando-role-credentials';
import { ZALANDO_NO_ROTATION_BEFORE, zalandoRotationKeeper, zalandoRotationLoginSql, zalandoServiceLogins } from './zalando-rotation';
import { altRoleName } from '../../secrets/credential-rotation';
import { RotationLoginJob } from '../../secrets/rotation-login-job';
import { RotationRetireJob, rotationKeeperGrants } from '../../secrets/rotation-retire-job';
import { peerCredentialsName, zalandoStandby } from './zalando-standby';
import { zalandoPromotion } from './zalando-promotion';
import { awsRegionOf, WALG_ACCESS_KEY_ID, WALG_SECRET_ACCESS_KEY, walgEnvironment, walgPrefix } from './zalando-wal-g';
import { ZalandoRestoreDrill, type ZalandoDrillSource } from './zalando-restore-drill';

/** The clusters a chart rendered, for the restore drill rendered after them (addEnvironmentCredentials). */
const drillSources = new WeakMap<object, ZalandoDrillSource[]>();

export const zalandoBackend: Backend = {
  traits: ZALANDO_TRAITS,

  // The object store's access keys, from the same store key and into the same Secret (name and
  // keys) as CloudNativePG's ObjectStore reads: only the Spilo pods reference it (spec.env).
  addEnvironmentObjects(scope) {
    const { chart, fleet, environment } = scope;
    const o = environment.backups.objectStore;
    if (!o) return;
    new StoreSecret(chart, 'ObjectStoreCredentials', {
      name: objectStoreCredentialsName(fleet.name),
      namespace: environment.namespace,
      labels: scope.labelsFor('object-store', o.name, 'backup'),
      store: fleet.secretStore,
      remoteKey: o.remoteKey,
      properties: [
        { secretKey: WALG_ACCESS_KEY_ID, property: o.accessKeyIdProperty },
        { secretKey: WALG_SECRET_ACCESS_KEY, property: o.secretAccessKeyProperty },
      ],
    });
    // A standby reads its source's archive with that bucket's READ-ONLY key (dr-sites.ts
    // peerStore), into the STANDBY_ env only (zalando-standby.ts). The source reads nothing of
    // its standby's: Zalando has no switchover (traits.ts siteSwitchover).
    const peer = environment.dr?.standby ? environment.dr.peerObjectStore : undefined;
    if (peer) {
      new StoreSecret(chart, 'PeerObjectStoreCredentials', {
        name: peerCredentialsName(peer),
        namespace: environment.namespace,
        labels: scope.labelsFor('object-store', peer.name, 'backup'),
        store: fleet.secretStore,
        remoteKey: peer.remoteKey,
        properties: [
          { secretKey: WALG_ACCESS_KEY_ID, property: peer.accessKeyIdProperty },
          { secretKey: WALG_SECRET_ACCESS_KEY, property: peer.secretAccessKeyProperty },
        ],
      });
    }
  },

  addCluster(scope, cluster, props) {
    const { chart, fleet, environment } = scope;
    const zalando = environment.zalando;
    if (!zalando) throw new Error(`environment ${environment.name} runs operator: zalando but has no resolved zalando settings`);
    const backup = environment.backups.postgres;
    // A service's second login is the owner's rotation user, which the operator creates from the
    // owner's Secret (zalando-rotation.ts): never a `users` entry of its own.
    const secondLogins = new Set(cluster.services.map((s) => altRoleName(s.role)));
    const standby = environment.dr?.standby
      ? zalandoStandby(environment.dr.peerObjectStore!, cluster.name, cluster.postgresVersion)
      : undefined;
    const pg = new ZalandoCluster(chart, `Cluster-${cluster.name}`, {
      ...props,
      roles: props.roles?.filter((r) => !secondLogins.has(r.name)),
      parameters: standby ? { ...props.parameters, ...standby.parameters } : props.parameters,
      standby: standby?.standby,
      teamId: zalando.teamId,
      postgresVersion: cluster.postgresVersion,
      dockerImage: zalando.dockerImage,
      exporterImage: zalando.exporterImage,
      // Validated in the model: seconds are 0, the rest is the CronJob's 5-field schedule.
      logicalBackupSchedule: backup?.method === 'logical' ? backup.schedule.trim().split(/\s+/).slice(1).join(' ') : undefined,
      poolers: cluster.poolers,
      rotationRole: zalandoRotationKeeper(environment, cluster),
      env: [
        ...(environment.backups.objectStore
          ? walgEnvironment(
              environment.backups.objectStore,
              objectStoreCredentialsName(fleet.name),
              minIntervalSeconds(environment.backups.objectStore.schedule, 'cnpg'),
            )
          : []),
        ...(standby?.env ?? []),
      ],
    });
    const objectStore = environment.backups.objectStore;
    if (environment.backups.restoreDrill && objectStore) {
      const sources = drillSources.get(chart) ?? [];
      drillSources.set(chart, sources);
      sources.push({
        name: cluster.name,
        ...pg.cloneable,
        walPath: walgPrefix(objectStore.destinationPath, cluster.name, cluster.postgresVersion),
        owners: Object.fromEntries(
          cluster.services.map((s) => [s.database, zalandoServiceLogins(fleet, environment, s, cluster.name).appSecretName]),
        ),
      });
    }
    // The operator reads a developer's password per cluster (CloudNativePG: per namespace).
    if (environment.developerAccess !== 'none') {
      for (const developer of fleet.developers) {
        new ZalandoRoleCredentials(chart, `DeveloperCredentials-${cluster.name}-${developer}`, {
          role: developerRoleName(developer),
          cluster: cluster.name,
          namespace: cluster.namespace,
          store: fleet.secretStore,
          remoteKey: developerRemoteKey(fleet.secretStore.keyPrefix, secretsEnvironment(environment), developer),
          labels: scope.labelsFor('developer-credentials', environment.name, 'credentials'),
        });
      }
    }
    // Rendered for every access mode: the SQL also keeps services out of each other's databases.
    if (!isReplicaSite(environment.dr))
      new DeveloperAccessJobs(chart, `Access-${cluster.name}`, {
        cluster,
        schedule: environment.accessSchedule,
        labels: scope.labelsFor('developer-access', cluster.name, 'access'),
        // Zalando's master Service is named after the cluster.
        host: cluster.name,
        // Each database's SQL runs as its owner, with the login the app uses (the owner's operator
        // Secret, or the previous slot's while a rotation is at its add step): never the
        // superuser (issue 24). The operator cannot declare memberships and only a superuser
        // could grant them, so developers hold their grants themselves (directGrants).
        ownerSecretNames: Object.fromEntries(
          cluster.services.map((s) => [s.database, zalandoServiceLogins(fleet, environment, s, cluster.name).appSecretName]),
        ),
        developers: fleet.developers,
        operatorGaps: {
          directGrants: true,
          extensions: true,
          // The pooler's schema stays after pooling is switched off (the operator never drops it).
          foreignSchemas: [...SPILO_SCHEMAS, ZALANDO_POOLER_SCHEMA],
        },
      });
    // Each developer role's session defaults, set by the developer's own login (developer-sessions.ts).
    // The connection limit cannot be declared on Zalando (build-model.ts refuses it).
    if (!isReplicaSite(environment.dr) && environment.developerAccess !== 'none' && fleet.developers.length > 0)
      new DeveloperSessionsJob(chart, `DeveloperSessions-${cluster.name}`, {
        cluster,
        developers: fleet.developers,
        sessions: environment.developerSessions,
        secretName: (developer) => zalandoCredentialSecretName(developerRoleName(developer), cluster.name),
        host: cluster.name,
        labels: scope.labelsFor('developer-sessions', cluster.name, 'access'),
      });
    new ClusterPodMonitor(chart, `PodMonitor-${cluster.name}`, {
      cluster: cluster.name,
      namespace: cluster.namespace,
      fleet: fleet.name,
      selectorLabels: fleet.monitoring.podMonitorLabels,
      podSelector: pg.instanceSelector,
      clusterPodLabel: pg.metricsClusterLabel,
    });
    new ClusterIngressPolicy(chart, `Ingress-${cluster.name}`, {
      cluster: pg,
      clientNamespaces: cluster.services.map((s) => s.namespace),
      operatorNamespace: zalando.operatorNamespace,
      monitoringNamespace: fleet.monitoring.namespace,
      labels: scope.labelsFor('network-policy', cluster.name, 'network'),
    });
    for (const pooler of pg.poolers) {
      new PoolerIngressPolicy(chart, `Ingress-${pooler.poolerName}`, {
        pooler,
        clientNamespaces: cluster.services.map((s) => s.namespace),
        monitoringNamespace: fleet.monitoring.namespace,
        labels: scope.labelsFor('network-policy', `${pooler.poolerName}-ingress`, 'network'),
      });
    }
    if (pg.poolers.length > 0) {
      new PoolerUpstreamPolicy(chart, `FromPoolers-${cluster.name}`, {
        cluster: pg,
        poolers: pg.poolers,
        labels: scope.labelsFor('network-policy', `${cluster.name}-from-poolers`, 'network'),
      });
    }
    // Through the poolers when there are, as on CloudNativePG (cloudnative-pg/backend.ts endpointsOf).
    const direct = directEndpoints(pg);
    const rw = pg.poolers.find((p) => p.type === 'rw');
    const ro = pg.poolers.find((p) => p.type === 'ro');
    const host = rw?.host ?? direct.host;
    const endpoints = { ...direct, host, readOnlyHost: ro?.host ?? (pg.instances > 1 ? direct.directReadOnlyHost : host) };
    return { cluster: pg, endpoints };
  },

  // dbfleet's two-login rotation through the operator's rotation users (zalando-rotation.ts).
  addServiceCredentials(scope, service, { cluster }) {
    const { chart, fleet, environment } = scope;
    const logins = zalandoServiceLogins(fleet, environment, service, cluster.clusterName);
    const labels = scope.labelsFor('role-credentials', service.name, 'credentials');
    // The owner's Secret: the login of the generation being rotated to (without a rotation, the owner).
    new ZalandoRoleCredentials(chart, `Credentials-${service.name}`, {
      role: service.role,
      username: logins.operatorSecret.slot.role,
      nextRotation: ZALANDO_NO_ROTATION_BEFORE,
      cluster: cluster.clusterName,
      namespace: environment.namespace,
      store: fleet.secretStore,
      remoteKey: logins.operatorSecret.slot.remoteKey!,
      labels,
    });
    const previous = logins.previous;
    if (previous) {
      // The previous generation's login, for dbfleet's Jobs only (the app has its own Secret):
      // the owner login of the access SQL at the add step, the retired login at the done step.
      new StoreSecret(chart, `Credentials-${service.name}-previous`, {
        name: previous.name,
        namespace: environment.namespace,
        labels,
        store: fleet.secretStore,
        remoteKey: previous.slot.remoteKey!,
        properties: [{ secretKey: 'password', property: 'password' }],
        type: 'kubernetes.io/basic-auth',
        templateData: { username: previous.slot.role },
        secretLabels: labels,
      });
    }
    if (isReplicaSite(environment.dr)) return;
    const image = environment.clusters.find((c) => c.name === cluster.clusterName)!.imageName;
    const jobProps = {
      service: service.name,
      site: environment.name,
      cluster: cluster.clusterName,
      namespace: environment.namespace,
      host: cluster.readWriteHost,
      port: cluster.port,
      database: service.database,
      image,
    };
    if (logins.altIsCurrent)
      new RotationLoginJob(chart, `RotationLogin-${service.name}`, {
        ...jobProps,
        owner: service.role,
        slotSecretName: logins.operatorSecret.name,
        generation: logins.operatorSecret.slot.generation!,
        sql: zalandoRotationLoginSql(service.role),
        labels: scope.labelsFor('rotation-login', service.name, 'credentials'),
      });
    const model = environment.clusters.find((c) => c.name === cluster.clusterName)!;
    if (previous?.retiring)
      new RotationRetireJob(chart, `RotationRetire-${service.name}`, {
        ...jobProps,
        slotSecretName: previous.name,
        // dbfleet_rotation retires the login and keeps it retired (zalando-rotation.ts); from
        // PostgreSQL 16 only with ADMIN OPTION on both logins, which it checks first.
        keeper: zalandoRotationKeeper(environment, model)
          ? {
              secretName: zalandoCredentialSecretName(ZALANDO_ROTATION_ROLE, cluster.clusterName),
              retiredRole: previous.slot.role,
              schedule: environment.accessSchedule,
              adminOf:
                model.postgresVersion > ZALANDO_ROTATION_ROLE_MAX_VERSION
                  ? { keeperRole: ZALANDO_ROTATION_ROLE, roles: [service.role, altRoleName(service.role)] }
                  : undefined,
            }
          : undefined,
        generation: logins.operatorSecret.slot.generation!,
        labels: scope.labelsFor('rotation-retire', service.name, 'credentials'),
      });
  },

  // Not credentials: the restore drill, which needs every rendered cluster (addCluster ran before).
  addEnvironmentCredentials(scope) {
    const { chart, fleet, environment } = scope;
    const drill = environment.backups.restoreDrill;
    const o = environment.backups.objectStore;
    const sources = drillSources.get(chart);
    if (!drill || !o || !fleet.opsImage || !sources?.length) return;
    new ZalandoRestoreDrill(chart, 'RestoreDrill', {
      environment: environment.name,
      namespace: environment.namespace,
      clusters: sources,
      credentialsSecret: objectStoreCredentialsName(fleet.name),
      credentialKeys: [WALG_ACCESS_KEY_ID, WALG_SECRET_ACCESS_KEY],
      endpoint: o.endpointURL,
      region: awsRegionOf(o.endpointURL),
      // walgConnectionEnv: an endpoint that is not AWS's is addressed by path.
      forcePathStyle: !!o.endpointURL && !awsRegionOf(o.endpointURL),
      drill,
      operatorNamespace: environment.zalando!.operatorNamespace,
      image: fleet.opsImage,
      labels: scope.labelsFor('restore-drill', environment.name, 'backup'),
    });
  },

  // Zalando's operator copies manifest labels only for keys in its inherited_labels, but puts
  // cluster-name on every pod, PVC, Service, Endpoints and Secret it creates (cluster_name_label).
  veleroAlsoMatching(environment) {
    return { [ZALANDO_CLUSTER_LABEL]: environment.clusters.map((c) => c.name) };
  },

  // Same alerts, same thresholds, on postgres_exporter's metrics (zalando-alert-rules.ts).
  clusterAlertGroups: zalandoAlertGroups,

  // Its logical backups have their own rule among the cluster groups (zalando-alert-rules.ts).
  backupAlertRules: () => [],

  poolerAlertRules: zalandoPoolerAlertRules,

  egressGroups: zalandoEgressGroups,

  dangerRules: [zalandoPromotion, rotationKeeperGrants],
};

/**
 * What the operator's pods connect to (zalando/postgres-operator@v2.0.1):
 * - Spilo (`application: spilo`): the API server (Patroni's DCS is the Kubernetes API,
 *   pkg/cluster/k8sres.go `DCS_ENABLE_KUBERNETES_API`), the other members on 5432 (replication)
 *   and on Patroni's REST port 8008 (pkg/util/patroni/patroni.go `ApiPort`; members ask each
 *   other's state before taking the leader lock), and the object store when WAL-G archives
 *   (zalando-wal-g.ts; docs/administrator.md "AWS_ENDPOINT").
 * - the connection pooler (`application: db-connection-pooler`, pkg/cluster/connection_pooler.go):
 *   the members on 5432; it runs PgBouncer only, no API client.
 * - the logical backup Job (`application: spilo-logical-backup`, pkg/cluster/k8sres.go): the API
 *   server (logical-backup/dump.sh finds the replica through `K8S_API_URL`), the members on 5432,
 *   and the operator's bucket (`aws s3`).
 */
function zalandoEgressGroups(scope: EnvironmentScope): EgressPodGroup[] {
  const { fleet, environment } = scope;
  const ns = environment.namespace;
  const spilo = { matchLabels: { application: 'spilo' } };
  const port = 5432;
  const groups: EgressPodGroup[] = [
    {
      name: 'spilo',
      namespace: ns,
      podSelector: spilo,
      needs: [
        { to: 'apiServer' },
        { to: 'pods', podSelector: spilo, ports: [port, PATRONI_PORT] },
        ...(environment.backups.objectStore ? [{ to: 'objectStore' } as const] : []),
      ],
    },
  ];
  if (environment.clusters.some((c) => (c.poolers ?? []).length > 0)) {
    groups.push({
      name: 'zalando-poolers',
      namespace: ns,
      podSelector: { matchLabels: { application: 'db-connection-pooler' } },
      needs: [{ to: 'pods', podSelector: spilo, ports: [port] }],
    });
  }
  if (environment.backups.postgres?.method === 'logical') {
    groups.push({
      name: 'logical-backup',
      namespace: ns,
      podSelector: { matchLabels: { application: 'spilo-logical-backup' } },
      needs: [{ to: 'apiServer' }, { to: 'pods', podSelector: spilo, ports: [port] }, { to: 'objectStore' }],
    });
  }
  groups.push(accessClientsGroup(ns, { to: 'pods', podSelector: spilo, ports: [port] }));
  // The restore drill (the same conditions as addEnvironmentCredentials): the API server (it
  // creates, watches and deletes the scratch postgresql) and the Pushgateway; the scratch and the
  // sources on 5432 come with its access-client label, the scratch's Spilo pod with `spilo` above.
  const drill = environment.backups.restoreDrill;
  if (drill && environment.backups.objectStore && fleet.opsImage && environment.clusters.length > 0)
    groups.push({
      name: RESTORE_DRILL_NAME,
      namespace: ns,
      podSelector: opsJobSelector(fleet.name, RESTORE_DRILL_NAME),
      needs: [{ to: 'apiServer' }, ...pushgatewayNeeds(drill.pushgateway)],
    });
  return groups;
}
