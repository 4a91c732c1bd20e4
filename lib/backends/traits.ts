// What a backend supports, as plain data: the config layer (build-model.ts, dr-sites.ts), the
// secrets layer (store-keys.ts, rotate.ts) and the plan read these instead of comparing the
// operator's name, so a backend is added by adding a folder under lib/backends/ and one line in
// BACKEND_TRAITS, never by a new branch elsewhere. Kept free of constructs so that the config layer
// can import it without loading the rendering code (lib/backends/index.ts has the full contract).
import type { PostgresOperator } from '../config/model';
import { CLOUDNATIVE_PG_TRAITS } from './cloudnative-pg/traits';
import { ZALANDO_TRAITS } from './zalando/traits';
import { AWS_AURORA_TRAITS } from './aws-aurora/traits';

/**
 * A feature a backend either has (`true`) or does not: then the reason, the complete message a
 * config error shows at the key that asks for it.
 */
export type Support = true | string;

export interface BackendTraits {
  /** The `operator:` value of an environment. */
  readonly operator: PostgresOperator;
  /** How config messages name the backend ("CloudNativePG", "Zalando's operator"). */
  readonly title: string;
  /** The product that runs the clusters, as the plan names it ("Zalando's postgres-operator"). */
  readonly product: string;
  /**
   * The environment key holding the backend's own settings (`zalando:`), if it has one; the key
   * is a config error on every other backend. @default none
   */
  readonly settingsKey?: string;
  /** PgBouncer poolers (`pooler:`) in front of the clusters. */
  readonly poolers: Support;
  /**
   * Why the backend's pooler cannot take a PgBouncer parameter of `pooler.<rw|ro>.parameters`, or
   * undefined when it takes it. @default CloudNativePG's allowed list (pgbouncer-parameters.ts)
   */
  readonly poolerParameterProblem?: (name: string) => string | undefined;
  /**
   * Set when the read-write and read-only poolers of a cluster share one configuration (instances,
   * pool mode, parameters): the reason, shown where they differ. @default each pooler its own
   */
  readonly poolersShareSettings?: string;
  /** The name (and Service) of a cluster's pooler. @default `<cluster>-pooler-<rw|ro>` */
  readonly poolerName?: (cluster: string, type: 'rw' | 'ro') => string;
  /** The owner role's credential rotation (`services[].rotation`). */
  readonly ownerRotation: Support;
  /**
   * How a rotation's `done` step retires the previous login: the operator makes it NOLOGIN
   * (CloudNativePG's DatabaseRole), or the login clears its own password with its last store
   * value, which its Secret keeps reading until then (Zalando: zalando-rotation.ts). @default 'operator'
   */
  readonly rotationRetire?: 'operator' | 'own-login';
  /** A standby site (`standbyOf:`) replicating this environment. */
  readonly standbySites: Support;
  /**
   * Moving the primary site of a DR pair in place (`primarySite`, `switchoverTo`,
   * `promotionTokens`): the reason where the backend cannot demote a primary (a standby is then
   * promoted by removing `standbyOf`). @default true
   */
  readonly siteSwitchover?: Support;
  /**
   * Replicas inside a standby site's clusters (`instances` above 1 there): the reason where they
   * cannot work. @default true
   */
  readonly standbyReplicas?: Support;
  /**
   * `archive_timeout` of the backend's clusters when the fleet sets none (a replica site's
   * freshness threshold, lib/monitoring/replica-site-rules.ts). @default CloudNativePG's, 5min
   */
  readonly defaultArchiveTimeout?: string;
  /**
   * How a standby site replicates: from the source's WAL archive (`backups.objectStore` at both
   * sites), or as the secondary region of an Aurora GlobalCluster. @default objectStore
   */
  readonly standbyReplication?: 'objectStore' | 'globalCluster';
  /** WAL archive and base backups to an object store (`backups.objectStore`, Barman Cloud plugin). */
  readonly objectStore: Support;
  /**
   * What the backend's archiving cannot take from a `backups.objectStore` it supports, as
   * (key under `objectStore`, message). @default every object store the schema admits
   */
  readonly objectStoreProblems?: (o: { destinationPath: string; schedule: string }) => ReadonlyArray<{ key: string; message: string }>;
  /** The restore drill (`backups.restoreDrill`). */
  readonly restoreDrill: Support;
  /**
   * Where the restore drill always restores from, when the backend has one way only (Aurora clones
   * the cluster copy-on-write): `backups.restoreDrill.source` is then refused. @default chosen by the fleet
   */
  readonly fixedRestoreDrillSource?: 'auroraClone';
  /** A per-developer connection limit (`developerSessions.connectionLimit`). */
  readonly developerConnectionLimit: Support;
  /** Per-developer statement and idle timeouts (`developerSessions.*Timeout`). */
  readonly developerSessionTimeouts: Support;
  /** Retention pruning of volume-snapshot backups (`backups.postgres.retention`). */
  readonly snapshotRetention: Support;
  /** `backups.postgres.method: logical` (the operator's logical backup CronJob). */
  readonly logicalBackup: Support;
  /** Scheduled backups at all (`backups.postgres`). @default true */
  readonly scheduledBackups?: Support;
  /** A separate WAL volume (`walStorage`). @default true */
  readonly walStorage?: Support;
  /**
   * Why the backend refuses a PostgreSQL parameter of a cluster (after the fleet's own check),
   * or undefined when it takes it. @default takes every parameter
   */
  readonly parameterProblem?: (name: string) => string | undefined;
  /**
   * Whether `postgres.imageName` is the image the clusters run (checked against the version);
   * false where the backend brings its own image (Spilo).
   */
  readonly postgresImage: boolean;
  /** Developers log in with a password from the store (false: with IAM tokens). @default true */
  readonly developerPasswords?: boolean;
  /** Each cluster has a master user whose password dbfleet generates (managed services). @default false */
  readonly masterPassword?: boolean;
  /**
   * The clusters run outside the Kubernetes cluster (a managed service): dbfleet's Jobs reach them
   * through `egress.database` CIDRs, not a pod selector. @default false
   */
  readonly externalDatabase?: boolean;
  /** Pod Security level the database namespace enforces. @default restricted */
  readonly podSecurity?: 'baseline';
  /** `<apiGroup>/<kind>` of the objects that are the backend's database clusters (plan rules). */
  readonly clusterKinds: readonly string[];
}

const BACKEND_TRAITS: Readonly<Record<PostgresOperator, BackendTraits>> = {
  'cloudnative-pg': CLOUDNATIVE_PG_TRAITS,
  zalando: ZALANDO_TRAITS,
  'aws-aurora': AWS_AURORA_TRAITS,
};

/** Every backend's traits, in a stable order. */
export const ALL_BACKEND_TRAITS: readonly BackendTraits[] = Object.values(BACKEND_TRAITS);

/** The traits of an environment's backend. */
export function backendTraits(operator: PostgresOperator): BackendTraits {
  const traits = BACKEND_TRAITS[operator] as BackendTraits | undefined;
  if (!traits) throw new Error(`unknown operator "${operator}" (known: ${Object.keys(BACKEND_TRAITS).join(', ')})`);
  return traits;
}
