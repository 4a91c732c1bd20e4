// The contract every Postgres operator implementation fulfils. The environment chart, network
// policies, developer access and monitoring talk to a cluster only through this, so a second
// operator (Zalando's postgres-operator, acid.zalan.do/v1) can be added as another class that
// takes the same props and exposes the same facts.
import type { ClusterSpec } from '../../imports/postgresql.cnpg.io';
import type { IConstruct } from 'constructs';

/** One service's database inside a cluster. */
export interface ClusterDatabase {
  /** The service that owns it (names the Kubernetes object). */
  readonly service: string;
  /** Database name in Postgres. */
  readonly database: string;
  /** LOGIN role that owns the database. */
  readonly owner: string;
  /** Secret (kubernetes.io/basic-auth, in the cluster's namespace) holding the owner's password. */
  readonly ownerSecret: string;
  /**
   * Whether the owner role may log in. False once a credential rotation has moved the app to the
   * service's second login role (lib/secrets/credential-rotation.ts). @default true
   */
  readonly ownerLogin?: boolean;
  readonly extensions: readonly string[];
}

/** A role the cluster manages besides the database owners (e.g. developers). */
export interface ClusterRole {
  readonly name: string;
  readonly login: boolean;
  /** Roles it is a member of. @default none */
  readonly inRoles?: readonly string[];
  /** Secret (kubernetes.io/basic-auth) with its password; LOGIN roles only. @default none */
  readonly passwordSecret?: string;
  readonly comment?: string;
  /**
   * What happens in PostgreSQL when the role disappears from the fleet: `retain` leaves the role
   * (and what it owns or was granted) in place, `delete` drops it. @default 'retain'
   */
  readonly reclaim?: 'retain' | 'delete';
  /**
   * Concurrent connections the role may hold (LOGIN roles), -1 for no limit. @default -1
   */
  readonly connectionLimit?: number;
  /**
   * The role must not exist: the operator drops it where it can (CloudNativePG `ensure:
   * absent`); an operator without that notion leaves it out of the manifest. @default false
   */
  readonly absent?: boolean;
}

export interface PostgresClusterProps {
  /** Kubernetes name of the cluster (≤ 50 characters). */
  readonly name: string;
  readonly namespace: string;
  /** Number of Postgres instances (1 primary + replicas). */
  readonly instances: number;
  /** Data volume size, a Kubernetes quantity. */
  readonly storage: string;
  /** Separate WAL volume size. @default WAL on the data volume */
  readonly walStorage?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClass?: string;
  /** Postgres container image, pinned. */
  readonly imageName: string;
  /**
   * Take the image from this ImageCatalog (in the cluster's namespace) by PostgreSQL major
   * instead of naming it. @default imageName directly
   */
  readonly imageCatalog?: { readonly name: string; readonly major: number };
  /** Requests and limits of each instance's Postgres container. @default none (BestEffort QoS) */
  readonly resources?: { readonly requests: Readonly<Record<string, string>>; readonly limits: Readonly<Record<string, string>> };
  /** postgresql.conf parameters. @default the operator's */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly databases: readonly ClusterDatabase[];
  /** @default none */
  readonly roles?: readonly ClusterRole[];
  /**
   * pg_hba lines evaluated before the operator's default rule (CloudNativePG
   * `spec.postgresql.pg_hba`). An operator whose pg_hba can only be replaced as a whole (Zalando's
   * `patroni.pg_hba`) does not render them. @default none
   */
  readonly hostBasedAccess?: readonly string[];
  /**
   * Volume snapshot backups: the VolumeSnapshotClass (unset: the default class), and which
   * instance takes them (lib/dr/wal-heartbeat.ts cnpgBackupTarget; default prefer-standby).
   * @default no backup section
   */
  readonly volumeSnapshotBackup?: { readonly className?: string; readonly target?: 'primary' | 'prefer-standby' };
  /**
   * Continuous WAL archiving and base backups to an object store (point-in-time recovery): the
   * name of the environment's ObjectStore (Barman Cloud plugin), in the cluster's namespace.
   * @default no WAL archive
   */
  readonly walArchive?: { readonly objectStoreName: string };
  /**
   * CloudNativePG only: one site of a distributed topology (`spec.replica`, `spec.externalClusters`
   * and, on the standby site, `spec.bootstrap`), built by lib/dr/distributed-topology.ts.
   * @default a standalone cluster
   */
  readonly replicaCluster?: ReplicaClusterSpec;
  /**
   * Labels the operator copies onto everything it creates for the cluster (pods, PVCs,
   * Services, Secrets), so label-selected backups include them. @default none
   */
  readonly inheritedLabels?: Record<string, string>;
  readonly labels: Record<string, string>;
  /** @default none */
  readonly annotations?: Record<string, string>;
}

/** What the rest of the fleet needs to know about a rendered cluster. */
export interface IPostgresCluster extends IConstruct {
  readonly clusterName: string;
  readonly namespace: string;
  /** DNS name of the read-write (primary) service. */
  readonly readWriteHost: string;
  /** DNS name of the read-only service (the replicas; no endpoints on a single-instance cluster). */
  readonly readOnlyHost: string;
  /** Number of instances (1 primary + replicas). */
  readonly instances: number;
  readonly port: number;
  /** Labels selecting the cluster's Postgres instance pods. */
  readonly instanceSelector: Readonly<Record<string, string>>;
  /** Labels of every pod of the cluster that talks to the instances as a member (replication, joins). */
  readonly memberSelector: Readonly<Record<string, string>>;
  /** Pod label holding the cluster's name on the instances (copied into the `cluster` metric label). */
  readonly metricsClusterLabel: string;
  /** Pod labels of operator-run clients in the cluster's namespace that need Postgres (e.g. backup jobs). */
  readonly additionalClients: ReadonlyArray<Readonly<Record<string, string>>>;
  /** Ports the operator's controller must reach on the instances (besides Postgres). */
  readonly operatorPorts: readonly number[];
  /** Port of the Prometheus exporter on the instances. */
  readonly metricsPort: number;
  /**
   * Roles of the operator's own monitoring that must keep CONNECT on every database (e.g.
   * CloudNativePG's metrics exporter). @default none
   */
  readonly monitoringRoles?: readonly string[];
  /**
   * Objects the operator creates in the cluster's namespace without an owner reference (so Argo CD
   * would report them as orphans forever), as `{ group, kind, name }`. @default none
   */
  readonly unownedOperatorObjects?: ReadonlyArray<{ readonly group: string; readonly kind: string; readonly name: string }>;
}

/** The parts of a CloudNativePG Cluster's spec that place it in a distributed topology. */
export type ReplicaClusterSpec = Pick<ClusterSpec, 'replica' | 'externalClusters' | 'bootstrap'>;
