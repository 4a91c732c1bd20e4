import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { ACCESS_ROLE, ACCESS_ROLE_SECRET, accessClusterRole, accessRoleRemoteKey } from '../access/access-role';
import { DeveloperAccessJobs } from '../access/developer-access';
import { DeveloperCredentials } from '../access/developer-credentials';
import { developerClusterRoles, developerRemoteKey } from '../access/developer-roles';
import { objectStoreScheduledBackupName, veleroScheduleNames } from '../backup/backup-names';
import { BarmanObjectStore } from '../backup/barman-object-store';
import { CnpgScheduledBackup } from '../backends/cloudnative-pg/cnpg-scheduled-backup';
import { MongoSnapshotCronJob } from '../backup/mongo-snapshot-cron-job';
import { PruneBackupsCronJob } from '../backup/prune-backups-cron-job';
import { RestoreDrillCronJob } from '../backup/restore-drill-cron-job';
import { VeleroSchedule } from '../backup/velero-schedule';
import type { Environment, Fleet, PostgresCluster, Service } from '../config/model';
import { BARMAN_CLOUD_PLUGIN } from '../config/names';
import { distributedTopology, isReplicaSite } from '../dr/distributed-topology';
import { applySyncPolicy } from '../gitops/sync-policy';
import { DEVELOPER_ACCESS_ANNOTATION, standardLabels } from '../labels';
import { ClusterPodMonitor } from '../monitoring/cluster-pod-monitor';
import { EnvironmentAlerts } from '../monitoring/environment-alerts';
import { DatabaseNamespace } from '../namespaces/database-namespace';
import { ClusterIngressPolicy } from '../network/cluster-ingress-policy';
import { DefaultDenyIngress } from '../network/default-deny-ingress';
import { CnpgCluster } from '../backends/cloudnative-pg/cnpg-cluster';
import { CnpgImageCatalog } from '../backends/cloudnative-pg/cnpg-image-catalog';
import type { ClusterRole, IPostgresCluster, PostgresClusterProps } from '../postgres/postgres-cluster';
import { SPILO_SCHEMAS, ZALANDO_CLUSTER_LABEL, ZALANDO_EXPORTER_ROLE, ZalandoCluster } from '../backends/zalando/zalando-cluster';
import { poolerName } from '../config/names';
import { CnpgPooler } from '../backends/cloudnative-pg/cnpg-pooler';
import { PoolerIngressPolicy, PoolerUpstreamPolicy } from '../pooling/pooler-network-policies';
import { PoolerPodMonitor } from '../pooling/pooler-pod-monitor';
import { RoleCredentials } from '../secrets/role-credentials';
import { ZalandoRoleCredentials } from '../backends/zalando/zalando-role-credentials';
import { developerRoleName } from '../config/names';
import { GeneratedPassword } from '../secrets/generated-password';
import { PasswordGenerator } from '../secrets/password-generator';
import { ServiceConnectionSecret } from '../secrets/service-connection-secret';
import { environmentStoreKeys, secretsEnvironment, serviceCredentials } from '../secrets/store-keys';
import { RotationLoginJob } from '../secrets/rotation-login-job';

/** The Password generator of a database namespace, shared by its PushSecrets. */
export const PASSWORD_GENERATOR_NAME = 'dbfleet-password';

export interface EnvironmentChartProps {
  readonly fleet: Fleet;
  readonly environment: Environment;
}

/**
 * Everything one environment runs, rendered into `dist/<environment>/`. The chart's id is the
 * environment's name, and every construct id below is derived from a stable config name, so
 * object names never depend on order or hashes.
 */
export class EnvironmentChart extends Chart {
  readonly clusters: readonly IPostgresCluster[];
  private readonly fleetName: string;
  /** The poolers rendered per cluster name. */
  private readonly poolers = new Map<string, CnpgPooler[]>();

  constructor(scope: Construct, props: EnvironmentChartProps) {
    const { fleet, environment } = props;
    super(scope, environment.name, { disableResourceNameHashes: true });
    this.fleetName = fleet.name;

    new DatabaseNamespace(this, 'Namespace', {
      name: environment.namespace,
      labels: this.labelsFor('databases', environment.name, 'namespace'),
      podSecurity: environment.operator === 'zalando' ? 'baseline' : undefined,
    });
    new DefaultDenyIngress(this, 'DefaultDenyIngress', {
      namespace: environment.namespace,
      labels: this.labelsFor('network-policy', 'default-deny-ingress', 'network'),
    });
    this.addGeneratedPasswords(fleet, environment);

    this.addObjectStore(fleet, environment);
    if (environment.postgres.imageCatalog && environment.operator !== 'zalando') {
      new CnpgImageCatalog(this, 'ImageCatalog', {
        name: environment.postgres.imageCatalog,
        namespace: environment.namespace,
        images: { [environment.postgres.version]: environment.postgres.imageName },
        labels: this.labelsFor('postgres-image-catalog', environment.postgres.imageCatalog, 'database'),
      });
    }
    this.clusters = environment.clusters.map((cluster) => this.addCluster(fleet, environment, cluster));
    this.addBackupJobs(fleet, environment);
    environment.clusters.forEach((cluster, i) => {
      for (const service of cluster.services) this.addServiceCredentials(fleet, environment, service, this.clusters[i]);
    });
    // Zalando reads a developer's password per cluster (addCluster); CloudNativePG per namespace.
    if (environment.operator === 'cloudnative-pg' && environment.developerAccess !== 'none' && fleet.developers.length > 0) {
      new DeveloperCredentials(this, 'DeveloperCredentials', {
        developers: fleet.developers,
        environment: secretsEnvironment(environment),
        namespace: environment.namespace,
        store: fleet.secretStore,
        labels: this.labelsFor('developer-credentials', environment.name, 'credentials'),
      });
    }
    if (environment.operator === 'cloudnative-pg') {
      // The developer-access role's password: one per environment, read by every cluster's role.
      new RoleCredentials(this, 'AccessRoleCredentials', {
        name: ACCESS_ROLE_SECRET,
        namespace: environment.namespace,
        username: ACCESS_ROLE,
        store: fleet.secretStore,
        remoteKey: accessRoleRemoteKey(fleet.secretStore, secretsEnvironment(environment)),
        labels: this.labelsFor('access-role-credentials', environment.name, 'credentials'),
      });
    }
    this.addVeleroSchedules(fleet, environment);
    this.addMongoSnapshots(fleet, environment);
    new EnvironmentAlerts(this, 'Alerts', { fleet, environment });
    applySyncPolicy(this);
  }

  private labelsFor(name: string, instance: string, component: string): Record<string, string> {
    return standardLabels({ fleet: this.fleetName, name, instance, component });
  }

  /** The database namespace by label; the services' namespaces whole, when opted in. */
  private addVeleroSchedules(fleet: Fleet, environment: Environment): void {
    const velero = environment.backups.velero;
    const names = veleroScheduleNames(fleet.name, environment);
    if (!velero || !names.databases) return;
    const common = {
      namespace: velero.namespace,
      schedule: velero.schedule,
      ttl: velero.ttl,
      storageLocation: velero.storageLocation,
      snapshotVolumes: velero.snapshotVolumes,
    };
    new VeleroSchedule(this, 'VeleroDatabases', {
      ...common,
      name: names.databases,
      includedNamespaces: [environment.namespace],
      matchLabels: { 'app.kubernetes.io/part-of': fleet.name },
      // CloudNativePG's Backup objects carry only cnpg.io/* labels (cloudnative-pg@v1.30.0
      // internal/controller/scheduledbackup_controller.go): select them by their ScheduledBackup.
      // Zalando's operator copies manifest labels only for keys in its inherited_labels, but puts
      // cluster-name on every pod, PVC, Service, Endpoints and Secret it creates (cluster_name_label).
      alsoMatching:
        environment.operator === 'zalando'
          ? { [ZALANDO_CLUSTER_LABEL]: environment.clusters.map((c) => c.name) }
          : environment.backups.postgres || environment.backups.objectStore
            ? { 'cnpg.io/scheduled-backup': scheduledBackupNames(environment) }
            : undefined,
      labels: this.labelsFor('velero-schedule', 'databases', 'backup'),
    });
    if (names.services) {
      new VeleroSchedule(this, 'VeleroServices', {
        ...common,
        name: names.services,
        includedNamespaces: environment.services.map((s) => s.namespace).filter((ns) => ns !== environment.namespace),
        labels: this.labelsFor('velero-schedule', 'services', 'backup'),
      });
    }
  }

  /** The environment's object store for WAL archive and base backups (Barman Cloud plugin). */
  private addObjectStore(fleet: Fleet, environment: Environment): void {
    const objectStore = environment.backups.objectStore;
    if (!objectStore) return;
    new BarmanObjectStore(this, 'ObjectStore', {
      fleetName: fleet.name,
      namespace: environment.namespace,
      objectStore,
      store: fleet.secretStore,
      labels: this.labelsFor('object-store', objectStore.name, 'backup'),
    });
    // A DR site also reads the other site's archive: the source's while a replica, the
    // standby's after a switchover (lib/dr/distributed-topology.ts).
    const peer = environment.dr?.peerObjectStore;
    if (peer) {
      new BarmanObjectStore(this, 'PeerObjectStore', {
        fleetName: fleet.name,
        namespace: environment.namespace,
        objectStore: peer,
        store: fleet.secretStore,
        credentialsName: `${peer.name}-credentials`,
        labels: this.labelsFor('object-store', peer.name, 'backup'),
      });
    }
  }

  /** Retention of volume-snapshot backups and the restore drill: the ops image's CronJobs. */
  private addBackupJobs(fleet: Fleet, environment: Environment): void {
    const { postgres, restoreDrill, objectStore } = environment.backups;
    if (postgres?.retention && fleet.opsImage) {
      new PruneBackupsCronJob(this, 'PruneBackups', {
        namespace: environment.namespace,
        clusters: environment.clusters.map((c) => c.name),
        retention: postgres.retention,
        image: fleet.opsImage,
        labels: this.labelsFor('prune-backups', environment.name, 'backup'),
      });
    }
    if (restoreDrill && fleet.opsImage) {
      new RestoreDrillCronJob(this, 'RestoreDrill', {
        environment: environment.name,
        namespace: environment.namespace,
        clusters: environment.clusters,
        drill: restoreDrill,
        objectStoreName: objectStore?.name,
        operatorNamespace: fleet.operatorNamespace,
        image: fleet.opsImage,
        labels: this.labelsFor('restore-drill', environment.name, 'backup'),
      });
    }
  }

  private addMongoSnapshots(fleet: Fleet, environment: Environment): void {
    const namespaces = [...new Set(environment.mongoSnapshots.map((m) => m.namespace))].filter((ns) => ns !== environment.namespace);
    for (const namespace of namespaces) {
      new DatabaseNamespace(this, `Namespace-${namespace}`, { name: namespace, labels: this.labelsFor('backups', namespace, 'namespace') });
    }
    for (const snapshot of environment.mongoSnapshots) {
      new MongoSnapshotCronJob(this, `MongoSnapshot-${snapshot.name}`, {
        snapshot,
        store: fleet.secretStore,
        labels: this.labelsFor('mongo-snapshot', snapshot.name, 'backup'),
      });
    }
  }

  /**
   * With `secretStore.passwords: generate`, one Password generator in the database namespace and
   * one never-overwriting PushSecret per password of the environment (store-keys.ts).
   */
  private addGeneratedPasswords(fleet: Fleet, environment: Environment): void {
    // The standby reads its source's passwords (same remote keys); only the source generates
    // them, so two sites never race to push different values.
    if (environment.dr?.standby) return;
    const generated = environmentStoreKeys(fleet, environment).filter((key) => key.origin === 'generated');
    if (generated.length === 0) return;
    const generator = new PasswordGenerator(this, 'PasswordGenerator', {
      name: PASSWORD_GENERATOR_NAME,
      namespace: environment.namespace,
      labels: this.labelsFor('password-generator', environment.name, 'credentials'),
    });
    for (const key of generated) {
      new GeneratedPassword(this, `GeneratedPassword-${key.name}`, {
        name: `${key.name}-password`,
        namespace: environment.namespace,
        store: fleet.secretStore,
        generator: generator.generatorName,
        remoteKey: key.remoteKey,
        labels: this.labelsFor('generated-password', key.name, 'credentials'),
      });
    }
  }

  /** The owner role's Secret next to the cluster, and the app's connection Secret in its namespace. */
  private addServiceCredentials(fleet: Fleet, environment: Environment, service: Service, cluster: IPostgresCluster): void {
    // Without a rotation: one slot, the owner role, reading <keyPrefix>/<env>/<service>.
    const credentials = serviceCredentials(fleet, environment, service);
    if (environment.operator === 'zalando') {
      new ZalandoRoleCredentials(this, `Credentials-${service.name}`, {
        role: service.role,
        cluster: cluster.clusterName,
        namespace: environment.namespace,
        store: fleet.secretStore,
        remoteKey: credentials.app.remoteKey!,
        labels: this.labelsFor('role-credentials', service.name, 'credentials'),
      });
    } else {
      // A Secret per slot that may log in; a retired slot's role is NOLOGIN with no password.
      for (const slot of credentials.slots.filter((x) => x.login)) {
        new RoleCredentials(this, slot.slot === 'a' ? `Credentials-${service.name}` : `Credentials-${service.name}-alt`, {
          name: slot.secretName,
          namespace: environment.namespace,
          username: slot.role,
          store: fleet.secretStore,
          remoteKey: slot.remoteKey!,
          labels: this.labelsFor('role-credentials', service.name, 'credentials'),
        });
      }
      const alt = credentials.slots.find((x) => x.slot === 'b');
      // Only where the cluster accepts writes: a replica site (and a demoted former primary)
      // receives the session default with the primary's WAL; ALTER ROLE would fail there
      // (cloudnative-pg@v1.30.0 docs/src/replica_cluster.md: no catalog changes on a replica).
      if (alt?.login && !isReplicaSite(environment.dr)) {
        new RotationLoginJob(this, `RotationLogin-${service.name}`, {
          service: service.name,
          owner: service.role,
          slotSecretName: alt.secretName,
          generation: alt.generation!,
          cluster: cluster.clusterName,
          namespace: environment.namespace,
          host: cluster.readWriteHost,
          port: cluster.port,
          database: service.database,
          image: environment.clusters.find((c) => c.name === cluster.clusterName)!.imageName,
          labels: this.labelsFor('rotation-login', service.name, 'credentials'),
        });
      }
    }
    // The app names one slot: user and password change together, in one Secret.
    new ServiceConnectionSecret(this, `Connection-${service.name}`, {
      name: `${service.name}-db`,
      namespace: service.namespace,
      username: credentials.app.role,
      database: service.database,
      ...this.endpointsOf(cluster),
      port: cluster.port,
      store: fleet.secretStore,
      remoteKey: credentials.app.remoteKey!,
      labels: this.labelsFor('connection-secret', service.name, 'credentials'),
    });
  }

  /**
   * The Secret's hosts: through the poolers when there are, else the cluster's Services. Without
   * replicas there is no read-only endpoint (`-ro` has no endpoints then): reads go where writes go.
   */
  private endpointsOf(cluster: IPostgresCluster): { host: string; readOnlyHost: string; directHost: string; directReadOnlyHost: string } {
    const poolers = this.poolers.get(cluster.clusterName) ?? [];
    const directHost = cluster.readWriteHost;
    const directReadOnlyHost = cluster.instances > 1 ? cluster.readOnlyHost : directHost;
    const rw = poolers.find((p) => p.type === 'rw');
    const ro = poolers.find((p) => p.type === 'ro');
    const host = rw?.host ?? directHost;
    return { host, readOnlyHost: ro?.host ?? (cluster.instances > 1 ? directReadOnlyHost : host), directHost, directReadOnlyHost };
  }

  private addPoolers(fleet: Fleet, cluster: PostgresCluster, pg: IPostgresCluster): void {
    const poolers = (cluster.poolers ?? []).map((settings) => {
      const name = poolerName(cluster.name, settings.type);
      const pooler = new CnpgPooler(this, `Pooler-${name}`, {
        name,
        namespace: cluster.namespace,
        cluster: cluster.name,
        type: settings.type,
        instances: settings.instances,
        poolMode: settings.poolMode,
        parameters: settings.parameters,
        labels: this.labelsFor('pooler', name, 'pooler'),
      });
      new PoolerPodMonitor(this, `PodMonitor-${name}`, {
        pooler: name,
        namespace: cluster.namespace,
        fleet: fleet.name,
        selectorLabels: fleet.monitoring.podMonitorLabels,
      });
      new PoolerIngressPolicy(this, `Ingress-${name}`, {
        pooler,
        clientNamespaces: cluster.services.map((s) => s.namespace),
        monitoringNamespace: fleet.monitoring.namespace,
        labels: this.labelsFor('network-policy', `${name}-ingress`, 'network'),
      });
      return pooler;
    });
    if (poolers.length === 0) return;
    this.poolers.set(cluster.name, poolers);
    new PoolerUpstreamPolicy(this, `FromPoolers-${cluster.name}`, {
      cluster: pg,
      poolers,
      labels: this.labelsFor('network-policy', `${cluster.name}-from-poolers`, 'network'),
    });
  }

  private addCluster(fleet: Fleet, environment: Environment, cluster: PostgresCluster): IPostgresCluster {
    const clusterLabels = this.labelsFor('postgres', cluster.name, 'database');
    const common: PostgresClusterProps = {
      name: cluster.name,
      namespace: cluster.namespace,
      instances: cluster.instances,
      storage: cluster.storage,
      walStorage: cluster.walStorage,
      storageClass: cluster.storageClass,
      imageName: cluster.imageName,
      imageCatalog: cluster.imageCatalog ? { name: cluster.imageCatalog, major: cluster.postgresVersion } : undefined,
      resources: cluster.resources,
      parameters: cluster.parameters,
      databases: cluster.services.map((s) => ({
        service: s.name,
        database: s.database,
        owner: s.role,
        ownerSecret: roleSecretName(s),
        extensions: s.extensions,
        ownerLogin: serviceCredentials(fleet, environment, s).slots.find((x) => x.slot === 'a')?.login ?? false,
      })),
      inheritedLabels: { 'app.kubernetes.io/part-of': fleet.name },
      roles: [
        ...developerClusterRoles(fleet.developers, environment.developerAccess),
        ...cluster.services.flatMap((s) => rotationRoles(fleet, environment, s)),
      ],
      labels: clusterLabels,
      // Read by `npm run plan` to flag widened developer access.
      annotations: { [DEVELOPER_ACCESS_ANNOTATION]: environment.developerAccess },
    };
    const backup = environment.backups.postgres;
    const zalando = environment.zalando;
    let pg: IPostgresCluster;
    if (environment.operator === 'zalando' && zalando) {
      pg = new ZalandoCluster(this, `Cluster-${cluster.name}`, {
        ...common,
        teamId: zalando.teamId,
        postgresVersion: cluster.postgresVersion,
        dockerImage: zalando.dockerImage,
        exporterImage: zalando.exporterImage,
        // Validated in the model: seconds are 0, the rest is the CronJob's 5-field schedule.
        logicalBackupSchedule: backup?.method === 'logical' ? backup.schedule.trim().split(/\s+/).slice(1).join(' ') : undefined,
      });
      if (environment.developerAccess !== 'none') {
        for (const developer of fleet.developers) {
          new ZalandoRoleCredentials(this, `DeveloperCredentials-${cluster.name}-${developer}`, {
            role: developerRoleName(developer),
            cluster: cluster.name,
            namespace: cluster.namespace,
            store: fleet.secretStore,
            remoteKey: developerRemoteKey(fleet.secretStore.keyPrefix, secretsEnvironment(environment), developer),
            labels: this.labelsFor('developer-credentials', environment.name, 'credentials'),
          });
        }
      }
    } else {
      pg = new CnpgCluster(this, `Cluster-${cluster.name}`, {
        ...common,
        // The developer-access Job's own role (no superuser login: superuser access is off).
        roles: [...(common.roles ?? []), accessClusterRole(cluster.services.map((s) => s.role))],
        volumeSnapshotBackup: backup?.method === 'volumeSnapshot' ? { className: backup.volumeSnapshotClass } : undefined,
        walArchive: environment.backups.objectStore ? { objectStoreName: environment.backups.objectStore.name } : undefined,
        replicaCluster:
          environment.dr && environment.backups.objectStore
            ? distributedTopology({ cluster: cluster.name, site: environment.dr, ownObjectStore: environment.backups.objectStore })
            : undefined,
      });
      if (backup && backup.method !== 'logical') {
        new CnpgScheduledBackup(this, `Backup-${cluster.name}`, {
          name: cluster.name,
          namespace: cluster.namespace,
          cluster: cluster.name,
          schedule: backup.schedule,
          method: backup.method,
          pluginName: backup.pluginName,
          labels: this.labelsFor('postgres-backup', cluster.name, 'backup'),
        });
      }
    }
    const objectStore = environment.backups.objectStore;
    if (objectStore) {
      new CnpgScheduledBackup(this, `ObjectStoreBackup-${cluster.name}`, {
        name: objectStoreScheduledBackupName(cluster.name),
        namespace: cluster.namespace,
        cluster: cluster.name,
        schedule: objectStore.schedule,
        method: 'plugin',
        pluginName: BARMAN_CLOUD_PLUGIN,
        labels: this.labelsFor('postgres-backup', objectStoreScheduledBackupName(cluster.name), 'backup'),
      });
    }
    // Rendered for every access mode: the SQL also keeps services out of each other's databases.
    // Not on a replica site: it is read-only, and receives the primary's grants with its WAL.
    if (!isReplicaSite(environment.dr))
      new DeveloperAccessJobs(this, `Access-${cluster.name}`, {
        cluster,
        schedule: environment.accessSchedule,
        monitoringRoles: pg.monitoringRoles,
        labels: this.labelsFor('developer-access', cluster.name, 'access'),
        ...(pg instanceof ZalandoCluster
          ? {
              // Zalando's master Service is named after the cluster.
              host: cluster.name,
              // The operator gaps need membership administration and CREATE EXTENSION: still the
              // superuser on Zalando clusters (issue #18 moves them to the access role).
              credentialsSecretName: pg.superuserSecretName,
              developers: fleet.developers,
              operatorGaps: {
                developerMemberships: true,
                monitoringRole: ZALANDO_EXPORTER_ROLE,
                extensions: true,
                foreignSchemas: SPILO_SCHEMAS,
              },
            }
          : {}),
      });
    new ClusterPodMonitor(this, `PodMonitor-${cluster.name}`, {
      cluster: cluster.name,
      namespace: cluster.namespace,
      fleet: fleet.name,
      selectorLabels: fleet.monitoring.podMonitorLabels,
      ...(pg instanceof ZalandoCluster ? { podSelector: pg.instanceSelector, clusterPodLabel: pg.metricsClusterLabel } : {}),
    });
    new ClusterIngressPolicy(this, `Ingress-${cluster.name}`, {
      cluster: pg,
      clientNamespaces: cluster.services.map((s) => s.namespace),
      operatorNamespace: zalando?.operatorNamespace ?? fleet.operatorNamespace,
      monitoringNamespace: fleet.monitoring.namespace,
      labels: this.labelsFor('network-policy', cluster.name, 'network'),
    });
    this.addPoolers(fleet, cluster, pg);
    return pg;
  }
}

/** Every ScheduledBackup of the environment: `<cluster>` (backups.postgres) and `<cluster>-object-store`. */
function scheduledBackupNames(environment: Environment): string[] {
  return environment.clusters.flatMap((c) => [
    ...(environment.backups.postgres ? [c.name] : []),
    ...(environment.backups.objectStore ? [objectStoreScheduledBackupName(c.name)] : []),
  ]);
}

/** The second login role of a service that has been rotated: a member of the owner, acting as it. */
function rotationRoles(fleet: Fleet, environment: Environment, service: Service): ClusterRole[] {
  const alt = serviceCredentials(fleet, environment, service).slots.find((x) => x.slot === 'b');
  if (!alt) return [];
  return [
    {
      name: alt.role,
      login: alt.login,
      inRoles: [service.role],
      passwordSecret: alt.login ? alt.secretName : undefined,
      comment: `second login of ${service.role} (credential rotation; acts as ${service.role})`,
    },
  ];
}

/** The basic-auth Secret, next to the cluster, that a service's owner role reads its password from. */
export function roleSecretName(service: Service): string {
  return `${service.name}-db-credentials`;
}
