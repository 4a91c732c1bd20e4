import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { developerClusterRoles, developerHostBasedAccess } from '../access/developer-roles';
import { veleroScheduleNames } from '../backup/backup-names';
import { MongoSnapshotCronJob } from '../backup/mongo-snapshot-cron-job';
import { VeleroSchedule } from '../backup/velero-schedule';
import { backendOf, type Backend, type EnvironmentScope, type RenderedCluster } from '../backends';
import type { Environment, Fleet, PostgresCluster, Service } from '../config/model';
import { applySyncPolicy } from '../gitops/sync-policy';
import { DEVELOPER_ACCESS_ANNOTATION, standardLabels } from '../labels';
import { EnvironmentAlerts } from '../monitoring/environment-alerts';
import { DatabaseNamespace } from '../namespaces/database-namespace';
import { DefaultDenyIngress } from '../network/default-deny-ingress';
import { EgressPolicies, pushgatewayNeeds, type EgressPodGroup } from '../network/egress-policies';
import type { ClusterRole, IPostgresCluster, PostgresClusterProps } from '../postgres/postgres-cluster';
import { GeneratedPassword } from '../secrets/generated-password';
import { PasswordGenerator } from '../secrets/password-generator';
import { ServiceConnectionSecret } from '../secrets/service-connection-secret';
import { environmentStoreKeys, serviceCredentials } from '../secrets/store-keys';

/** On a standby's ExternalSecret: the environment whose PushSecrets write the keys it reads. */
export const PUSHED_BY_ANNOTATION = 'dbfleet.io/pushed-by';

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
  /** The backend that renders the environment's clusters (lib/backends/). */
  readonly backend: Backend;
  /**
   * The services' namespaces: what is rendered there is delivered by the environment's services
   * Application (`dist/<environment>/services/`), everything else by its database Application
   * (lib/gitops/delivery-parts.ts).
   */
  readonly serviceNamespaces: ReadonlySet<string>;
  private readonly fleetName: string;

  constructor(scope: Construct, props: EnvironmentChartProps) {
    const { fleet, environment } = props;
    super(scope, environment.name, { disableResourceNameHashes: true });
    this.fleetName = fleet.name;
    // Never the database or a backup namespace: the fleet refuses those for services (build-model.ts systemNamespaces).
    this.serviceNamespaces = new Set(environment.services.map((s) => s.namespace));
    this.backend = backendOf(environment.operator);
    const backendScope: EnvironmentScope = { chart: this, fleet, environment, labelsFor: this.labelsFor.bind(this) };

    new DatabaseNamespace(this, 'Namespace', {
      name: environment.namespace,
      labels: this.labelsFor('databases', environment.name, 'namespace'),
      podSecurity: this.backend.traits.podSecurity,
    });
    new DefaultDenyIngress(this, 'DefaultDenyIngress', {
      namespace: environment.namespace,
      labels: this.labelsFor('network-policy', 'default-deny-ingress', 'network'),
    });
    this.addGeneratedPasswords(fleet, environment);

    this.backend.addEnvironmentObjects(backendScope);
    const rendered = environment.clusters.map((cluster) =>
      this.backend.addCluster(
        backendScope,
        cluster,
        clusterProps(fleet, environment, cluster, this.labelsFor('postgres', cluster.name, 'database')),
      ),
    );
    this.clusters = rendered.map((r) => r.cluster);
    environment.clusters.forEach((cluster, i) => {
      for (const service of cluster.services) this.addServiceCredentials(backendScope, service, rendered[i]);
    });
    this.backend.addEnvironmentCredentials(backendScope);
    this.addVeleroSchedules(fleet, environment);
    this.addMongoSnapshots(fleet, environment);
    this.addEgressPolicies(backendScope);
    new EnvironmentAlerts(this, 'Alerts', { fleet, environment });
    this.markKeysPushedBySource(fleet, environment);
    applySyncPolicy(this);
  }

  /**
   * At a standby, the ExternalSecrets that read only keys the source's PushSecrets write carry
   * `dbfleet.io/pushed-by: <source>`: on a first sync those keys may not exist yet, and the Argo
   * CD health check (lib/gitops/argocd-health/external-secrets.io_ExternalSecret.lua) gives them a
   * bounded grace instead of failing the sync; a key still missing after it is Degraded.
   */
  private markKeysPushedBySource(fleet: Fleet, environment: Environment): void {
    if (!environment.dr?.standby || fleet.secretStore.passwords !== 'generate') return;
    const pushed = new Set(
      environmentStoreKeys(fleet, environment)
        .filter((k) => k.origin === 'generated-by-source')
        .map((k) => k.remoteKey),
    );
    for (const child of this.node.findAll()) {
      if (!ApiObject.isApiObject(child) || child.kind !== 'ExternalSecret') continue;
      const spec = (child.toJson() as { spec?: { data?: Array<{ remoteRef?: { key?: string } }>; dataFrom?: unknown[] } }).spec;
      const keys = (spec?.data ?? []).map((d) => d.remoteRef?.key ?? '');
      if (keys.length > 0 && !spec?.dataFrom?.length && keys.every((k) => pushed.has(k)))
        child.metadata.addAnnotation(PUSHED_BY_ANNOTATION, environment.dr.source);
    }
  }

  /**
   * With `egress` on: default-deny egress (cluster DNS allowed) in the database namespace and every
   * backups namespace, and per kind of pod what it needs: the backend's pods, and each MongoDB
   * snapshot's (its members, the snapshot API, its Pushgateway). docs/security.md "Network".
   */
  private addEgressPolicies(scope: EnvironmentScope): void {
    const { environment } = scope;
    if (!environment.egress) return;
    const groups: EgressPodGroup[] = [
      ...this.backend.egressGroups(scope),
      ...environment.mongoSnapshots.map((m) => ({
        name: `mongo-snapshot-${m.name}`,
        namespace: m.namespace,
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mongo-snapshot', 'app.kubernetes.io/instance': m.name } },
        needs: [{ to: 'mongo' } as const, { to: 'snapshotAPI' } as const, ...pushgatewayNeeds(m.pushgateway)],
      })),
    ];
    new EgressPolicies(this, 'Egress', {
      egress: environment.egress,
      namespace: environment.namespace,
      otherNamespaces: environment.mongoSnapshots.map((m) => m.namespace),
      groups,
      labels: (name) => this.labelsFor('network-policy', name, 'network'),
    });
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
      // Backup objects the operator creates without the fleet's labels (the backend knows which).
      alsoMatching: this.backend.veleroAlsoMatching(environment),
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

  private addMongoSnapshots(fleet: Fleet, environment: Environment): void {
    const namespaces = [...new Set(environment.mongoSnapshots.map((m) => m.namespace))].filter((ns) => ns !== environment.namespace);
    for (const namespace of namespaces) {
      new DatabaseNamespace(this, `Namespace-${namespace}`, { name: namespace, labels: this.labelsFor('backups', namespace, 'namespace') });
      // Nothing connects to a snapshot pod (it pushes its metrics), so nothing is admitted (issue 24 item 7).
      new DefaultDenyIngress(this, `DefaultDenyIngress-${namespace}`, {
        namespace,
        // dist/<environment>/ holds one file per kind and name: the namespace tells them apart.
        name: `${namespace}-default-deny-ingress`,
        labels: this.labelsFor('network-policy', 'default-deny-ingress', 'network'),
      });
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

  /** The owner role's Secret next to the cluster (the backend's), and the app's connection Secret in its namespace. */
  private addServiceCredentials(scope: EnvironmentScope, service: Service, rendered: RenderedCluster): void {
    const { fleet, environment } = scope;
    this.backend.addServiceCredentials(scope, service, rendered);
    // Without a rotation: one slot, the owner role, reading <keyPrefix>/<env>/<service>.
    const credentials = serviceCredentials(fleet, environment, service);
    // The app names one slot: user and password change together, in one Secret.
    new ServiceConnectionSecret(this, `Connection-${service.name}`, {
      name: `${service.name}-db`,
      namespace: service.namespace,
      username: credentials.app.role,
      database: service.database,
      ...rendered.endpoints,
      port: rendered.cluster.port,
      store: fleet.secretStore,
      remoteKey: credentials.app.remoteKey!,
      labels: this.labelsFor('connection-secret', service.name, 'credentials'),
    });
    // A DR standby serving reads (readEndpoint): a Secret that names only the replicas (or the
    // read-only pooler). The login is the app's own role: it exists here because the replica is a
    // physical copy of the source (roles included), and its password is the key both sites read
    // (the source generates it). Read-only because every instance here is a hot standby, and
    // because the endpoints never include the designated primary, which a promotion makes writable.
    if (environment.dr?.standby && environment.dr.readEndpoint) {
      new ServiceConnectionSecret(this, `ReadOnlyConnection-${service.name}`, {
        name: readOnlyConnectionSecretName(service),
        namespace: service.namespace,
        username: credentials.app.role,
        database: service.database,
        ...rendered.endpoints,
        port: rendered.cluster.port,
        store: fleet.secretStore,
        remoteKey: credentials.app.remoteKey!,
        labels: this.labelsFor('readonly-connection-secret', service.name, 'credentials'),
        readOnly: true,
      });
    }
  }
}

/** `<service>-db-readonly`: the read-only connection Secret at a DR standby with readEndpoint. */
export function readOnlyConnectionSecretName(service: Pick<Service, 'name'>): string {
  return `${service.name}-db-readonly`;
}

/** What every backend's cluster is made of: the model's databases, owner, developer and rotation roles. */
function clusterProps(
  fleet: Fleet,
  environment: Environment,
  cluster: PostgresCluster,
  labels: Record<string, string>,
): PostgresClusterProps {
  return {
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
      ...developerClusterRoles(fleet.developers, environment.developerAccess, environment.developerSessions),
      ...cluster.services.flatMap((s) => rotationRoles(fleet, environment, s)),
    ],
    hostBasedAccess: developerHostBasedAccess(environment.developerAccess),
    labels,
    // Read by `npm run plan` to flag widened developer access.
    annotations: { [DEVELOPER_ACCESS_ANNOTATION]: environment.developerAccess },
  };
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
