// The privileges half of developer access: plain, idempotent SQL generated per cluster from the
// resolved model. CloudNativePG's Database resource has no GRANTs (cloudnative-pg #6647, #7872,
// #10826), so dbfleet states the wanted privileges here and a Job/CronJob applies them with psql.
//
// Why not `pg_read_all_data` / `pg_write_all_data`: membership in them also makes `pg_authid`
// readable, i.e. every role's SCRAM verifier (cloudnative-pg #11458), and they span every
// database of the cluster, including `postgres`. Explicit grants on the service databases only
// keep a "read-only" developer away from the catalog secrets and from databases of other clusters.
//
// Shape of the output, and why:
// - psql's `\connect` opens a new connection, so one `--single-transaction` run cannot span
//   databases. Instead there is one SQL file per database, each applied by its own psql run with
//   `--single-transaction` and `ON_ERROR_STOP=1` (apply.sh). Each database changes all or nothing;
//   a failure stops the script, and because every statement is idempotent the next run (Job retry
//   or CronJob) converges. The database-level ACLs live in pg_database (a shared catalog), so they
//   are set from the `postgres` database in the first file.
// - Schemas are discovered at run time (a DO block over pg_namespace): every schema except the
//   system ones (pg_catalog, information_schema, pg_toast*, pg_temp*). Everything else in a
//   service database is the service's data (its migrations, or extensions the operator installed),
//   and a developer who may read the service's tables must be able to read all of them.
// - Default privileges are set globally per owner (`ALTER DEFAULT PRIVILEGES FOR ROLE <owner>`
//   without `IN SCHEMA`), including `ON SCHEMAS`: tables, sequences *and schemas* the service
//   creates later are covered the moment they are created. Objects created later by another role
//   (say, an extension installed by the superuser) are covered by the next CronJob run.
// - `developerAccess: none` still renders the SQL: the service isolation (REVOKE CONNECT FROM
//   PUBLIC) is needed in every environment, and switching an environment to `none` must take away
//   what an earlier mode granted. CloudNativePG does not drop roles removed from
//   `spec.managed.roles` (they become unmanaged), so the SQL revokes everything from the group and
//   sets its login members NOLOGIN. Switching back re-enables them: the operator reconciles
//   `login: true` from the spec.
// - A developer removed from `developers:` is the same story for one role: the SQL knows the
//   current list and takes group membership and LOGIN from every other `dev_*` member.
import type { DeveloperAccess, PostgresCluster, Service } from '../config/model';
import { DEVELOPER_GROUP_ROLE, developerRoleName } from '../config/names';

/** One psql run: a SQL file applied to one database in one transaction. */
export interface AccessSqlFile {
  /** ConfigMap key and file name, e.g. `00-cluster.sql`, `database-orders.sql`. */
  readonly key: string;
  /** Database psql connects to. */
  readonly database: string;
  readonly sql: string;
}

export interface PrivilegesSql {
  /** The files in the order apply.sh applies them. */
  readonly files: readonly AccessSqlFile[];
  /** POSIX sh script that applies `files` with psql, one database at a time. */
  readonly script: string;
}

export interface PrivilegesSqlOptions {
  /**
   * Developer names from `developers:`. Any other `dev_*` member of the group is a developer
   * removed from the file: the operator stops managing the role but does not drop it, so the SQL
   * takes the membership away and sets it NOLOGIN.
   */
  readonly developers: readonly string[];
  /**
   * The NOLOGIN group role developers are members of.
   * @default DEVELOPER_GROUP_ROLE (`developers`)
   */
  readonly groupRole?: string;
  /**
   * Database the cluster-level statements run in (pg_database is shared, any database works).
   * @default `postgres`
   */
  readonly maintenanceDatabase?: string;
  /**
   * Operators whose role declarations cannot express what CloudNativePG's managed roles and
   * Database objects do (Zalando's `users` has flags only; `databases` has no extensions): the
   * SQL then also grants the group to each developer, `pg_monitor` to the metrics role, and
   * creates each service's extensions.
   * @default nothing beyond the privileges
   */
  readonly operatorGaps?: {
    /** `GRANT <group> TO dev_<name>` for every developer in `developers`. */
    readonly developerMemberships: boolean;
    /** The metrics exporter's login role: made a member of `pg_monitor`. */
    readonly monitoringRole?: string;
    /** `CREATE EXTENSION IF NOT EXISTS` for each service's extensions, in its database. */
    readonly extensions: boolean;
  };
}

/** ConfigMap key of the shell script. */
export const APPLY_SCRIPT_KEY = 'apply.sh';
/** ConfigMap key of the cluster-level SQL (database ACLs, preflight). */
export const CLUSTER_SQL_KEY = '00-cluster.sql';

/** Prefix every developer login role has; `none` only ever touches roles carrying it. */
const DEVELOPER_ROLE_PREFIX = developerRoleName('');

/** The ConfigMap key of one database's SQL. */
export function databaseSqlKey(database: string): string {
  return `database-${database}.sql`;
}

/**
 * The SQL (and the script applying it) that gives the developer group `access` (normally
 * `cluster.developerAccess`) to every service
 * database of `cluster`, and makes each service database reachable only by its owner and the group.
 * Pure: same inputs, same text, so the ConfigMap only changes when the access model does.
 */
export function privilegesSql(
  cluster: PostgresCluster,
  access: DeveloperAccess,
  options: PrivilegesSqlOptions,
): PrivilegesSql {
  const group = options.groupRole ?? DEVELOPER_GROUP_ROLE;
  const maintenance = options.maintenanceDatabase ?? 'postgres';
  if (cluster.services.length === 0) throw new Error(`cluster ${cluster.name} holds no service database`);
  const files: AccessSqlFile[] = [
    { key: CLUSTER_SQL_KEY, database: maintenance, sql: clusterSql(cluster, access, group, options.developers.map(developerRoleName), options.operatorGaps) },
    ...cluster.services.map((service) => ({
      key: databaseSqlKey(service.database),
      database: service.database,
      sql: (options.operatorGaps?.extensions ? extensionsSql(service) : '') + databaseSql(cluster, service, access, group),
    })),
  ];
  return { files, script: applyScript(cluster.name, files) };
}

// ---------------------------------------------------------------------------------------------
// Cluster level: runs in the maintenance database.

function clusterSql(
  cluster: PostgresCluster, access: DeveloperAccess, group: string, developerRoles: readonly string[],
  gaps: PrivilegesSqlOptions['operatorGaps'],
): string {
  const g = quoteIdent(group);
  const memberships = gaps?.developerMemberships && access !== 'none' ? developerRoles : [];
  const lines: string[] = [
    header(`cluster ${cluster.name}: database access (developers: ${access})`),
    preflight(cluster, access, group, [...memberships, ...(gaps?.monitoringRole ? [gaps.monitoringRole] : [])]),
    '',
  ];
  if (gaps?.monitoringRole) {
    lines.push('-- The metrics exporter reads statistics of every session and database, nothing else.', `GRANT pg_monitor TO ${quoteIdent(gaps.monitoringRole)};`, '');
  }
  if (memberships.length > 0) {
    lines.push('-- The operator declares the roles but not their membership in the group.', ...memberships.map((r) => `GRANT ${g} TO ${quoteIdent(r)};`), '');
  }
  for (const service of cluster.services) {
    const db = quoteIdent(service.database);
    lines.push(
      `-- ${service.name}: only its owner ${service.role}${access === 'none' ? '' : ` and ${group}`} may connect.`,
      // PUBLIC has CONNECT and TEMPORARY on every new database: any role of the cluster could
      // connect to any service's database. The owner keeps its implicit privileges; the explicit
      // GRANT states them (a no-op once the ACL holds them).
      `REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC;`,
      `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${quoteIdent(service.role)};`,
    );
    if (access !== 'none') {
      lines.push(
        `GRANT CONNECT ON DATABASE ${db} TO ${g};`,
        // No schemas (CREATE) and no temporary tables for developers, whatever drifted in.
        `REVOKE CREATE, TEMPORARY ON DATABASE ${db} FROM ${g};`,
      );
    }
    lines.push('');
  }
  if (access !== 'none') {
    const keep = developerRoles.length > 0 ? `ARRAY[${developerRoles.map(quoteLiteral).join(', ')}]::name[]` : 'ARRAY[]::name[]';
    lines.push(
      '-- Developers removed from fleet.yaml: the operator stops managing their roles but does not',
      '-- drop them. Take the membership away and stop them from logging in.',
      'DO $removed$',
      'DECLARE',
      '  member name;',
      'BEGIN',
      '  FOR member IN',
      '    SELECT m.rolname FROM pg_auth_members am',
      '    JOIN pg_roles g ON g.oid = am.roleid',
      '    JOIN pg_roles m ON m.oid = am.member',
      `    WHERE g.rolname = ${quoteLiteral(group)} AND NOT m.rolsuper`,
      `      AND starts_with(m.rolname, ${quoteLiteral(DEVELOPER_ROLE_PREFIX)}) AND m.rolname <> ALL (${keep})`,
      '    ORDER BY 1',
      '  LOOP',
      `    EXECUTE format('REVOKE %I FROM %I', ${quoteLiteral(group)}, member);`,
      `    EXECUTE format('ALTER ROLE %I NOLOGIN', member);`,
      `    RAISE NOTICE 'dbfleet: % is no longer in developers: membership revoked, NOLOGIN', member;`,
      '  END LOOP;',
      'END',
      '$removed$;',
      '',
    );
  }
  if (access === 'none') {
    const revokes = cluster.services.map((s) => `    EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', ${quoteLiteral(s.database)}, ${quoteLiteral(group)});`);
    lines.push(
      '-- developerAccess: none. The group may still exist from an earlier mode (CloudNativePG leaves',
      '-- roles removed from spec.managed.roles in place): take its database privileges away and stop',
      '-- its members from logging in. Nothing to do when the group never existed.',
      'DO $none$',
      'DECLARE',
      '  member name;',
      'BEGIN',
      `  IF EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(group)}) THEN`,
      ...revokes,
      '    FOR member IN',
      '      SELECT m.rolname FROM pg_auth_members am',
      '      JOIN pg_roles g ON g.oid = am.roleid',
      '      JOIN pg_roles m ON m.oid = am.member',
      `      WHERE g.rolname = ${quoteLiteral(group)} AND m.rolcanlogin AND NOT m.rolsuper`,
      `        AND starts_with(m.rolname, ${quoteLiteral(DEVELOPER_ROLE_PREFIX)})`,
      '      ORDER BY 1',
      '    LOOP',
      `      EXECUTE format('ALTER ROLE %I NOLOGIN', member);`,
      `      RAISE NOTICE 'dbfleet: developer access is none: % can no longer log in', member;`,
      '    END LOOP;',
      '  END IF;',
      'END',
      '$none$;',
      '',
    );
  }
  return lines.join('\n');
}

/**
 * Fails early, with one message listing what is missing, while the operator has not yet created
 * the roles or databases (it reconciles managed roles and Database resources asynchronously). The
 * Job's backoff retries; nothing has been changed at that point.
 */
function preflight(cluster: PostgresCluster, access: DeveloperAccess, group: string, otherRoles: readonly string[] = []): string {
  const expected: Array<[string, string]> = [];
  for (const s of cluster.services) expected.push(['role', s.role], ['database', s.database]);
  if (access !== 'none') expected.push(['role', group]);
  for (const role of otherRoles) expected.push(['role', role]);
  const values = expected.map(([kind, name]) => `(${quoteLiteral(kind)}, ${quoteLiteral(name)})`).join(', ');
  return [
    '-- Preflight: every role and database this SQL refers to must exist.',
    'DO $preflight$',
    'DECLARE',
    '  missing text;',
    'BEGIN',
    "  SELECT string_agg(format('%s %I', e.kind, e.name), ', ' ORDER BY e.kind, e.name) INTO missing",
    `  FROM (VALUES ${values}) AS e(kind, name)`,
    "  WHERE (e.kind = 'role' AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = e.name))",
    "     OR (e.kind = 'database' AND NOT EXISTS (SELECT FROM pg_database d WHERE d.datname = e.name));",
    '  IF missing IS NOT NULL THEN',
    "    RAISE EXCEPTION 'dbfleet: not created yet: %', missing",
    "      USING HINT = 'The operator creates managed roles and databases asynchronously; the Job retries and the CronJob re-applies.';",
    '  END IF;',
    'END',
    '$preflight$;',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Database level: runs in each service database.

/** Table privileges a developer may hold, per mode. TRUNCATE, REFERENCES, TRIGGER: never. */
const TABLE_PRIVILEGES: Record<Exclude<DeveloperAccess, 'none'>, { grant: string; revoke: string }> = {
  'read-write': { grant: 'SELECT, INSERT, UPDATE, DELETE', revoke: 'TRUNCATE, REFERENCES, TRIGGER' },
  'read-only': { grant: 'SELECT', revoke: 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER' },
};
/** Sequence privileges: USAGE (nextval) and UPDATE (setval) write; SELECT (currval, last_value) reads. */
const SEQUENCE_PRIVILEGES: Record<Exclude<DeveloperAccess, 'none'>, { grant: string; revoke?: string }> = {
  'read-write': { grant: 'USAGE, SELECT, UPDATE' },
  'read-only': { grant: 'SELECT', revoke: 'USAGE, UPDATE' },
};

const USER_SCHEMAS = "SELECT n.nspname, n.nspowner FROM pg_namespace n WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1";

function databaseSql(cluster: PostgresCluster, service: Service, access: DeveloperAccess, group: string): string {
  const owner = service.role;
  const g = quoteLiteral(group);
  const o = quoteLiteral(owner);
  const header_ = header(`cluster ${cluster.name}, database ${service.database} (owner ${owner}): developers ${access}`);
  // format() with %I quotes identifiers at run time; the names themselves are passed as literals.
  const exec = (indent: number, template: string, ...args: string[]) =>
    `${' '.repeat(indent)}EXECUTE format(${quoteLiteral(template)}${args.map((a) => `, ${a}`).join('')});`;
  const S = 'schema_name';
  // PostgreSQL <= 14: `public` belongs to the bootstrap superuser and the service creates its
  // tables there through PUBLIC's CREATE, which the loop revokes; the service gets it back by
  // name. From 15 on `public` belongs to pg_database_owner (the service): nothing to do.
  const keepOwnerCreateOnPublic = [
    `    IF schema_name = 'public' AND NOT pg_has_role(${o}, schema_owner, 'USAGE') THEN`,
    exec(6, 'GRANT USAGE, CREATE ON SCHEMA %I TO %I', S, o),
    '    END IF;',
  ];

  if (access === 'none') {
    return [
      header_,
      '-- developerAccess: none. Nobody but the owner may create in any schema; if the developer group',
      '-- exists from an earlier mode, every privilege it holds here is revoked, defaults included.',
      'DO $access$',
      'DECLARE',
      '  schema_name name;',
      '  schema_owner oid;',
      `  has_group boolean := EXISTS (SELECT FROM pg_roles WHERE rolname = ${g});`,
      'BEGIN',
      `  FOR schema_name, schema_owner IN ${USER_SCHEMAS} LOOP`,
      exec(4, 'REVOKE CREATE ON SCHEMA %I FROM PUBLIC', S),
      ...keepOwnerCreateOnPublic,
      '    IF has_group THEN',
      exec(6, 'REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', S, g),
      exec(6, 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', S, g),
      exec(6, 'REVOKE ALL ON SCHEMA %I FROM %I', S, g),
      exec(6, 'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON TABLES FROM %I', o, S, g),
      exec(6, 'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %I', o, S, g),
      '    END IF;',
      '  END LOOP;',
      '  IF has_group THEN',
      ...['TABLES', 'SEQUENCES', 'SCHEMAS'].map((kind) => exec(4, `ALTER DEFAULT PRIVILEGES FOR ROLE %I REVOKE ALL ON ${kind} FROM %I`, o, g)),
      '  END IF;',
      'END',
      '$access$;',
      '',
    ].join('\n');
  }

  const table = TABLE_PRIVILEGES[access];
  const sequence = SEQUENCE_PRIVILEGES[access];
  const G = quoteIdent(group);
  const O = quoteIdent(owner);
  return [
    header_,
    '-- Existing objects, in every schema that is not a system schema.',
    'DO $access$',
    'DECLARE',
    '  schema_name name;',
    '  schema_owner oid;',
    '  schemas integer := 0;',
    'BEGIN',
    `  FOR schema_name, schema_owner IN ${USER_SCHEMAS} LOOP`,
    // Only the owner creates objects: schema changes belong to the service's migrations.
    exec(4, 'REVOKE CREATE ON SCHEMA %I FROM PUBLIC', S),
    ...keepOwnerCreateOnPublic,
    exec(4, 'REVOKE CREATE ON SCHEMA %I FROM %I', S, g),
    exec(4, 'GRANT USAGE ON SCHEMA %I TO %I', S, g),
    exec(4, `GRANT ${table.grant} ON ALL TABLES IN SCHEMA %I TO %I`, S, g),
    exec(4, `REVOKE ${table.revoke} ON ALL TABLES IN SCHEMA %I FROM %I`, S, g),
    exec(4, `GRANT ${sequence.grant} ON ALL SEQUENCES IN SCHEMA %I TO %I`, S, g),
    ...(sequence.revoke ? [exec(4, `REVOKE ${sequence.revoke} ON ALL SEQUENCES IN SCHEMA %I FROM %I`, S, g)] : []),
    // Per-schema defaults can only add to the global ones set below; none are created here, but
    // one added by hand would hand out what this mode forbids, so it is revoked (a no-op if absent).
    exec(4, `ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ${table.revoke} ON TABLES FROM %I`, o, S, g),
    ...(sequence.revoke ? [exec(4, `ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ${sequence.revoke} ON SEQUENCES FROM %I`, o, S, g)] : []),
    '    schemas := schemas + 1;',
    '  END LOOP;',
    `  RAISE NOTICE 'dbfleet: database %: % ${access} in % schema(s)', current_database(), ${g}, schemas;`,
    'END',
    '$access$;',
    '',
    `-- Objects ${owner} creates later, in any schema, including schemas it creates later.`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${O} GRANT USAGE ON SCHEMAS TO ${G};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${O} REVOKE CREATE ON SCHEMAS FROM ${G};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${O} GRANT ${table.grant} ON TABLES TO ${G};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${O} REVOKE ${table.revoke} ON TABLES FROM ${G};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${O} GRANT ${sequence.grant} ON SEQUENCES TO ${G};`,
    ...(sequence.revoke ? [`ALTER DEFAULT PRIVILEGES FOR ROLE ${O} REVOKE ${sequence.revoke} ON SEQUENCES FROM ${G};`] : []),
    '',
  ].join('\n');
}

/** The service's extensions, as CloudNativePG's Database object would create them. */
function extensionsSql(service: Service): string {
  if (service.extensions.length === 0) return '';
  return [
    `-- Extensions of ${service.name} (the operator's database declaration cannot create them).`,
    ...service.extensions.map((e) => `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e)};`),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The script.

/**
 * One psql per file: `--single-transaction` makes each database all-or-nothing, `ON_ERROR_STOP`
 * turns the first error into a non-zero exit, `set -e` stops at the first failed database so the
 * Job fails visibly (and retries). `--no-psqlrc`: nothing from HOME changes the behaviour.
 * Connection settings come from the environment (PGHOST, PGUSER, PGPASSWORD, PGSSLMODE, ...).
 */
export function applyScript(clusterName: string, files: readonly AccessSqlFile[]): string {
  return [
    '#!/bin/sh',
    `# dbfleet developer access for cluster ${clusterName}: one psql run per database, each in one`,
    '# transaction with ON_ERROR_STOP. Every statement is idempotent: re-running converges.',
    'set -eu',
    'dir=$(dirname "$0")',
    'apply() {',
    '  echo "dbfleet-access: $2 -> database $1"',
    '  psql --no-psqlrc --quiet --single-transaction --set ON_ERROR_STOP=1 --dbname "$1" --file "$dir/$2"',
    '}',
    ...files.map((f) => `apply ${shQuote(f.database)} ${shQuote(f.key)}`),
    `echo "dbfleet-access: cluster ${clusterName}: ${files.length} file(s) applied"`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Quoting.

/** A PostgreSQL identifier, always double-quoted (so case and reserved words are preserved). */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A PostgreSQL string literal. Standard-conforming (backslashes are literal, the default since
 * 9.1); a backslash is refused rather than trusted to that setting.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0') || value.includes('\\')) throw new Error(`refusing to quote ${JSON.stringify(value)} as an SQL literal`);
  return `'${value.replace(/'/g, "''")}'`;
}

/** A POSIX shell word. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function header(what: string): string {
  return `-- Generated by dbfleet (lib/access/privileges-sql.ts): ${what}.\n-- Idempotent; applied by apply.sh with psql --single-transaction -v ON_ERROR_STOP=1.`;
}
