// Naming rules shared by the config checks and the constructs: one place decides how a service
// name becomes a Postgres identifier and which names Postgres or the operator already own.

/** Postgres identifiers are limited to NAMEDATALEN - 1 = 63 bytes. */
export const POSTGRES_IDENTIFIER_MAX_BYTES = 63;
/**
 * CloudNativePG derives Services, PVCs, Jobs and Pods from a cluster's name (`<name>-rw`,
 * `<name>-1-initdb`, ...) and rejects names longer than 50 characters; dbfleet's own
 * `<name>-access` CronJob must stay within the 52 characters Kubernetes allows a CronJob
 * (it appends an 11-character suffix to each Job), which leaves 45.
 */
export const CLUSTER_NAME_MAX = 45;

// `app` is the database and owner CloudNativePG's initdb bootstrap creates in every cluster.
const RESERVED = new Set(['postgres', 'template0', 'template1', 'streaming_replica', 'app']);
// `rdsadmin`, `rdsrepladmin`, `rdstopmgr` and `rds_*` (rds_superuser, rds_iam, …) are Aurora's own.
const RESERVED_AURORA = new Set(['rdsadmin', 'rdsrepladmin', 'rdstopmgr']);
// `dbfleet_` names dbfleet's own roles (dbfleet_access, and on Aurora dbfleet_admin with CREATEROLE,
// dbfleet_exporter, the master user dbfleet_master; on Zalando <= 15 dbfleet_rotation with CREATEROLE): a service whose role were one of them would get
// that login in its app Secret (Aurora's provision.sh sets an owner's password from the store).
const RESERVED_PREFIXES = ['pg_', 'cnpg_', 'dbfleet_', 'rds_'];
const PREFIX_OWNER: Record<string, string> = {
  pg_: 'PostgreSQL',
  cnpg_: 'CloudNativePG',
  dbfleet_: "dbfleet's own roles (dbfleet_access, dbfleet_admin, dbfleet_exporter, dbfleet_master, dbfleet_rotation)",
  rds_: 'Amazon RDS/Aurora',
};

/** A service name as a Postgres database or role name: `-` becomes `_`. */
export function toPostgresIdentifier(name: string): string {
  return name.replace(/-/g, '_');
}

/** Why Postgres or CloudNativePG would refuse this identifier, or undefined. */
export function reservedIdentifierReason(identifier: string): string | undefined {
  if (RESERVED.has(identifier)) return `"${identifier}" is reserved by PostgreSQL or CloudNativePG`;
  if (RESERVED_AURORA.has(identifier)) return `"${identifier}" is reserved by Amazon RDS/Aurora`;
  const prefix = RESERVED_PREFIXES.find((p) => identifier.startsWith(p));
  if (prefix) return `"${identifier}" starts with "${prefix}", which is reserved by ${PREFIX_OWNER[prefix]}`;
  if (Buffer.byteLength(identifier) > POSTGRES_IDENTIFIER_MAX_BYTES) {
    return `"${identifier}" is longer than ${POSTGRES_IDENTIFIER_MAX_BYTES} bytes, the PostgreSQL identifier limit`;
  }
  return undefined;
}

/** The LOGIN role the developer-access Job runs as (lib/access/access-role.ts). */
export const ACCESS_ROLE = 'dbfleet_access';

/** The NOLOGIN group role every developer login role is a member of. */
export const DEVELOPER_GROUP_ROLE = 'developers';

/** A developer's login role: prefixed, so it can never collide with a service's role. */
export function developerRoleName(developer: string): string {
  return `dev_${toPostgresIdentifier(developer)}`;
}

/**
 * The longest developer name: its role `dev_<name>` must fit PostgreSQL's 63 bytes (a longer
 * identifier is truncated, so the DatabaseRole would name a role PostgreSQL never has).
 */
export const DEVELOPER_NAME_MAX = POSTGRES_IDENTIFIER_MAX_BYTES - developerRoleName('').length;

/**
 * The longest `mongoSnapshots[].name`: its CronJob `mongo-snapshot-<name>` (lib/backup/backup-names.ts)
 * must stay within the 52 characters Kubernetes allows a CronJob (an 11-character suffix names its Jobs).
 */
export const MONGO_SNAPSHOT_NAME_MAX = 52 - 'mongo-snapshot-'.length;

/** The Barman Cloud plugin (CNPG-I): the only backup plugin dbfleet configures. */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';

/**
 * A cluster's pooler: `<cluster>-pooler-rw` / `-pooler-ro`. It names the Pooler, its Deployment,
 * Service, PodDisruptionBudget, PodMonitor and NetworkPolicy; CloudNativePG refuses a pooler named
 * like a cluster, and its Service must not clash with a cluster's `-rw`/`-ro`/`-r` Services.
 */
export function poolerName(cluster: string, type: 'rw' | 'ro'): string {
  return `${cluster}-pooler-${type}`;
}
