// The validated, resolved fleet: every default applied, every cluster placed. Constructs and
// charts read only this, never the raw YAML, so the rules of how services map onto clusters
// live in one place (build-model.ts).

import type { RotationState } from '../secrets/credential-rotation';

export type Topology = 'shared' | 'per-service' | 'grouped';
export type DeveloperAccess = 'read-write' | 'read-only' | 'none';
export type Severity = 'critical' | 'warning';
export type PostgresOperator = 'cloudnative-pg' | 'zalando' | 'aws-aurora';

/** Aurora settings of an environment (operator aws-aurora; resolved defaults). */
export interface AwsSettings {
  readonly region: string;
  readonly subnetIDs: readonly string[];
  readonly securityGroupIDs: readonly string[];
  /** Serverless v2 capacity (ACUs); exactly one of this and instanceClass. */
  readonly serverless?: { readonly minCapacity: number; readonly maxCapacity: number };
  readonly instanceClass?: string;
  readonly endpointId: string;
  readonly iamAuthentication: boolean;
  readonly backupRetentionDays: number;
  readonly deletionProtection: boolean;
  readonly kmsKeyID?: string;
  /** The 12-digit AWS account ID (a GlobalCluster's source ARN). @default unset */
  readonly accountID?: string;
  /**
   * The environment whose clusters an Aurora DR pair's GlobalClusters were made from (their name
   * and home, stable across a role swap). @default the pair's source
   */
  readonly globalClusterFrom?: string;
}

/** Zalando postgres-operator settings of an environment (resolved defaults). */
export interface ZalandoSettings {
  readonly teamId: string;
  /** Namespace of the operator's pod. */
  readonly operatorNamespace: string;
  /** Spilo image; undefined: the operator's configured default. */
  readonly dockerImage?: string;
  /** postgres_exporter sidecar image. */
  readonly exporterImage: string;
}

export interface SecretStoreRef {
  readonly kind: 'SecretStore' | 'ClusterSecretStore';
  readonly name: string;
  readonly keyPrefix: string;
  /** How often External Secrets re-reads the store, as a Go duration. */
  readonly refreshInterval: string;
}

export interface SecretStoreSettings extends SecretStoreRef {
  /** Who creates the passwords: dbfleet (`generate`, once, never overwriting) or you (`existing`). */
  readonly passwords: 'generate' | 'existing';
}

export interface Fleet {
  /** The fleet's name, used in labels (`app.kubernetes.io/part-of`) and as the shared cluster's name. */
  readonly name: string;
  /** The file it was read from, as given (for messages). */
  readonly sourceFile: string;
  /**
   * `file:line` of a path of the fleet (`['environments', 'test', 'cluster']`), for errors found
   * after loading (while building charts). @default the source file
   */
  readonly locate?: (path: ReadonlyArray<string | number>) => string;
  /** Declared groups, sorted by name. */
  readonly groups: readonly string[];
  readonly secretStore: SecretStoreSettings;
  /** Developer names from `developers:`, in file order. */
  readonly developers: readonly string[];
  readonly operatorNamespace: string;
  readonly monitoring: MonitoringSettings;
  readonly gitops?: GitopsSettings;
  /** Environments sorted by name. */
  readonly environments: readonly Environment[];
  /** Services in file order. */
  readonly services: readonly Service[];
  /** Image of the ops commands (prune-backups, restore-drill); set when an environment uses them. */
  readonly opsImage?: string;
}

export interface MonitoringSettings {
  readonly namespace: string;
  /** Labels the Prometheus' ruleSelector matches, put on every PrometheusRule. */
  readonly ruleLabels: Readonly<Record<string, string>>;
  /** Labels the Prometheus' podMonitorSelector matches, put on every PodMonitor. */
  readonly podMonitorLabels: Readonly<Record<string, string>>;
  /** Base URL of docs/runbooks in this repo; alert `runbook_url` = `<base>/<Alert>.md`. */
  readonly runbookBaseURL: string;
}

export interface GitopsSettings {
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly project: string;
  readonly argocdNamespace: string;
  /** Path of the rendered manifests in the repo (`dist`). */
  readonly path: string;
}

export interface Service {
  readonly name: string;
  /** Where the service's workload runs; its connection Secret goes there. */
  readonly namespace: string;
  readonly group?: string;
  /** Database name in Postgres (`-` → `_`). */
  readonly database: string;
  /** LOGIN role that owns the database (`-` → `_`). */
  readonly role: string;
  readonly extensions: readonly string[];
  /** The owner credential's rotation state per environment name; absent: never rotated there. */
  readonly rotation?: Readonly<Record<string, RotationState>>;
}

export interface Alerts {
  /** Severity of the alerts that page (production: critical, test: warning). */
  readonly severity: Severity;
  readonly replicationLagSeconds: number;
  readonly connectionsWarningPercent: number;
  readonly connectionsCriticalPercent: number;
  readonly diskWarningPercent: number;
  readonly diskCriticalPercent: number;
  readonly longTransactionSeconds: number;
}

export interface VeleroBackup {
  /** Velero's namespace, where Schedules live. */
  readonly namespace: string;
  /** 5-field cron. */
  readonly schedule: string;
  readonly ttl: string;
  readonly storageLocation: string;
  readonly snapshotVolumes: boolean;
  /** Also back up the namespaces of the services (opt-in). */
  readonly includeServiceNamespaces: boolean;
  /** Longest gap between two scheduled runs, for alerting. */
  readonly maxIntervalSeconds: number;
}

export interface PostgresBackup {
  /** 6-field cron (seconds first), as CloudNativePG takes it. */
  readonly schedule: string;
  /** `logical`: Zalando only (the operator's logical backup CronJob). */
  readonly method: 'volumeSnapshot' | 'plugin' | 'logical';
  readonly volumeSnapshotClass?: string;
  readonly pluginName?: string;
  readonly maxIntervalSeconds: number;
  /** Retention of volume-snapshot backups (the prune-backups CronJob). @default kept forever */
  readonly retention?: BackupRetention;
}

export interface BackupRetention {
  /** Completed backups kept per cluster, newest first. */
  readonly keep?: number;
  /** Completed backups older than this are deleted, in seconds. */
  readonly maxAgeSeconds?: number;
  /** 5-field cron of the pruning CronJob. */
  readonly schedule: string;
  /** Longest gap between two pruning runs, for alerting. */
  readonly maxIntervalSeconds: number;
}

/** The environment's object store (Barman Cloud plugin): WAL archive and base backups, for PITR. */
export interface ObjectStoreBackup {
  /** Name of the ObjectStore (and, with `-credentials`, of its Secret) in the database namespace. */
  readonly name: string;
  readonly destinationPath: string;
  readonly endpointURL?: string;
  readonly remoteKey: string;
  readonly accessKeyIdProperty: string;
  readonly secretAccessKeyProperty: string;
  /** The plugin's retentionPolicy, e.g. `30d`. */
  readonly retention: string;
  /** 6-field cron of the base backups. */
  readonly schedule: string;
  readonly maxIntervalSeconds: number;
}

export interface RestoreDrill {
  /** 5-field cron. */
  readonly schedule: string;
  /** `auroraClone` on operator: aws-aurora (a copy-on-write clone of the cluster, docs/aurora.md). */
  readonly source: 'volumeSnapshot' | 'objectStore' | 'auroraClone';
  /** How long one cluster may take to restore and become ready. */
  readonly timeoutSeconds: number;
  /** Clusters restored per run (rotating); all when unset. */
  readonly clustersPerRun?: number;
  readonly pushgateway?: string;
  readonly maxIntervalSeconds: number;
  /** Shortest gap between two runs: the drill's run number (time / this) rotates clustersPerRun. */
  readonly minIntervalSeconds: number;
  /** The Job's deadline: every cluster of a run, restored one after the other, plus room for cleanup. */
  readonly activeDeadlineSeconds: number;
}

export interface MongoSnapshot {
  readonly name: string;
  readonly namespace: string;
  /** 5-field cron. */
  readonly schedule: string;
  readonly maxIntervalSeconds: number;
  /** Shortest gap between two scheduled runs: a run must finish within it. */
  readonly minIntervalSeconds: number;
  readonly remoteKey: string;
  readonly remoteProperty: string;
  readonly image: string;
  readonly maxLagSeconds: number;
  readonly snapshotTimeoutSeconds: number;
  readonly unlockDeadlineSeconds: number;
  /** mongo-snapshot --lock-timeout. */
  readonly lockTimeoutSeconds: number;
  /** The Job's deadline, derived with the run's own deadline (lib/mongo-snapshot/budget.ts runBudget). */
  readonly activeDeadlineSeconds: number;
  readonly pushgateway?: string;
  readonly snapshotCommand?: string;
  /** Image whose folder `path` holds the snapshot command; mounted at /opt/snapshot/bin (first on PATH). */
  readonly snapshotTools?: { readonly image: string; readonly path: string };
}

export interface Environment {
  readonly name: string;
  /** Where the clusters live. */
  readonly namespace: string;
  readonly topology: Topology;
  readonly developerAccess: DeveloperAccess;
  readonly operator: PostgresOperator;
  /** Set exactly when operator is `zalando`. */
  readonly zalando?: ZalandoSettings;
  /** Set exactly when operator is `aws-aurora`. */
  readonly aws?: AwsSettings;
  readonly postgres: EnvironmentPostgres;
  /** Argo CD destination: exactly one of server or name. */
  readonly destination: { readonly server?: string; readonly name?: string };
  readonly clusters: readonly PostgresCluster[];
  /** The services, in file order (every service exists in every environment). */
  readonly services: readonly Service[];
  readonly alerts: Alerts;
  readonly backups: {
    readonly velero?: VeleroBackup;
    readonly postgres?: PostgresBackup;
    readonly objectStore?: ObjectStoreBackup;
    readonly restoreDrill?: RestoreDrill;
  };
  readonly mongoSnapshots: readonly MongoSnapshot[];
  /** 5-field cron of the CronJob that re-applies developer privileges. */
  readonly accessSchedule: string;
  /** Limits of every developer role's sessions (`developerSessions`, defaults applied). */
  readonly developerSessions: DeveloperSessions;
  /** Default-deny egress in the database and backups namespaces, with these allows (`egress`). @default off */
  readonly egress?: Egress;
  /** Disaster recovery: this environment is one site of a source/standby pair. @default a single site */
  readonly dr?: DrSite;
}

/**
 * One site of a disaster-recovery pair (CloudNativePG distributed topology): the source
 * environment and its standby (`standbyOf`). Both sites render the same values here, seen from
 * their own side, so their Clusters agree on who is primary.
 */
export interface DrSite {
  /** This site's name in the topology (its environment's name). */
  readonly self: string;
  /** The other site's name (environment). */
  readonly peer: string;
  /** True on the standby environment (the one with `standbyOf`). */
  readonly standby: boolean;
  /** The site whose clusters are primary. */
  readonly primary: string;
  /** Per cluster, the former primary's demotion token; set only on the primary site, when given. */
  readonly promotionTokens?: Readonly<Record<string, string>>;
  /** The source environment: whose store keys (passwords) both sites read. */
  readonly source: string;
  /**
   * The peer's object store, read by this site's clusters (WAL archive, base backups), with its
   * read-only key (`remoteKey`). @default none: the backend replicates otherwise (Aurora: a GlobalCluster)
   */
  readonly peerObjectStore?: ObjectStoreBackup;
  /** On the standby site, opted in (`readEndpoint`): read-only connection Secrets in the services' namespaces. @default false */
  readonly readEndpoint?: boolean;
}

/** Requests and limits as Kubernetes takes them (`cpu`, `memory`). */
export interface ComputeResources {
  readonly requests: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, string>>;
}

/** PostgreSQL version and image of one environment. */
export interface EnvironmentPostgres {
  readonly version: number;
  readonly imageName: string;
  /** Name of the ImageCatalog rendered in the environment's namespace. @default no catalog */
  readonly imageCatalog?: string;
}

export type PoolMode = 'session' | 'transaction';
export type PoolerType = 'rw' | 'ro';

/** One PgBouncer pooler in front of a cluster (a CloudNativePG `Pooler`), resolved. */
export interface PoolerSettings {
  /** `rw`: to the primary; `ro`: to the replicas. */
  readonly type: PoolerType;
  /** PgBouncer pods. */
  readonly instances: number;
  readonly poolMode: PoolMode;
  /** PgBouncer parameters (only those CloudNativePG allows), as strings, sorted by name. */
  readonly parameters: Readonly<Record<string, string>>;
}

export interface PostgresCluster {
  /** Kubernetes name of the Cluster (≤ 50 characters). */
  readonly name: string;
  readonly environment: string;
  readonly namespace: string;
  readonly instances: number;
  readonly storage: string;
  readonly walStorage?: string;
  readonly storageClass?: string;
  /** The pinned image (also the ImageCatalog's entry when the environment has one). */
  readonly imageName: string;
  /** PostgreSQL major version; agrees with the image's tag. */
  readonly postgresVersion: number;
  /** Name of the environment's ImageCatalog the cluster takes its image from. @default imageName directly */
  readonly imageCatalog?: string;
  /** Pod resources of each instance. @default none (BestEffort) */
  readonly resources?: ComputeResources;
  /** postgresql.conf parameters (fleet → environment → group → services), sorted by name. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The services whose databases it holds, in file order. */
  readonly services: readonly Service[];
  readonly developerAccess: DeveloperAccess;
  /** The environment's operator. @default 'cloudnative-pg' */
  readonly operator?: PostgresOperator;
  /**
   * The cluster's PgBouncer poolers: read-write when pooling is on, read-only too when it is on and
   * the cluster has replicas.
   * @default none (pooling off)
   */
  readonly poolers?: readonly PoolerSettings[];
}

/** Limits of a developer role's sessions; the timeouts as PostgreSQL values (`60s`, `1500ms`, `0`). */
export interface DeveloperSessions {
  /** The role's CONNECTION LIMIT. */
  readonly connectionLimit: number;
  /** `statement_timeout` session default. */
  readonly statementTimeout: string;
  /** `idle_in_transaction_session_timeout` session default. */
  readonly idleInTransactionTimeout: string;
}

/** CIDRs and TCP ports outside the cluster's pod network that some pods need (`egress.*`). */
export interface EgressDestination {
  readonly cidrs: readonly string[];
  readonly ports: readonly number[];
}

/** An in-cluster Service a pod pushes to, as a NetworkPolicy peer: its namespace and port. */
export interface InClusterEndpoint {
  readonly namespace: string;
  readonly port: number;
}

/**
 * `egress`: what the pods of the database and backups namespaces may connect to once egress is
 * denied by default (lib/network/egress-policies.ts; the table is in docs/security.md "Network").
 */
export interface Egress {
  /** The Kubernetes API server's endpoints (after kube-proxy's DNAT: the endpoint IPs and port). */
  readonly apiServer: EgressDestination;
  /** The object store (S3 endpoints): WAL archive, base backups, logical backups. */
  readonly objectStore?: EgressDestination;
  /** aws-aurora: the Aurora cluster endpoints (the VPC subnets). */
  readonly database?: EgressDestination;
  /** mongo-snapshot: the MongoDB members. */
  readonly mongo?: EgressDestination;
  /** mongo-snapshot: the cloud API its snapshot command calls. */
  readonly snapshotAPI?: EgressDestination;
  /** Where cluster DNS runs. @default kube-system, k8s-app=kube-dns */
  readonly dns: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
}
