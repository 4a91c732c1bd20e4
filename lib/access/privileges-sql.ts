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
// - The size of the ConfigMap must not grow with the number of services beyond a few bytes each
//   (a 1000-service shared cluster once rendered a 2.8 MB ConfigMap: over the 1 MiB object limit).
//   So the SQL is one template per cluster, identical for every database, and the services are
//   one line each in `databases.tsv` (`<database> TAB <owner>`). apply.sh runs the template once
//   per line with psql variables `database` and `owner`.
// - psql's `\connect` opens a new connection, so one `--single-transaction` run cannot span
//   databases: each database is its own psql run with `--single-transaction` and
//   `ON_ERROR_STOP=1`, all or nothing; a failure stops the script, and because every statement is
//   idempotent the next run (Job retry or CronJob) converges. A preflight in the maintenance
//   database first checks that every role and database of the list exists, so a run while the
//   operator is still creating them changes nothing.
// - Connects as a dedicated access role, never as a superuser (the clusters run with superuser
//   access off): it is a member of every service owner role, which is exactly what the SQL needs
//   (GRANT/REVOKE on the owner's objects and databases, ALTER DEFAULT PRIVILEGES FOR ROLE
//   <owner>): PostgreSQL performs a member's GRANT as the owner (grantor = owner). It holds no
//   CREATEROLE, no predefined role, nothing over roles: developer roles come and go with the
//   operator (a removed developer's role object is deleted and the operator drops the role).
// - Schemas are discovered at run time (a DO block over pg_namespace): every schema except the
//   system ones (pg_catalog, information_schema, pg_toast*, pg_temp*). Everything else in a
//   service database is the service's data, and a developer who may read the service's tables
//   must be able to read all of them. Objects in it that the owner does not own (say an extension
//   installed by the operator) get no grant: PostgreSQL answers with a warning, not an error.
// - Default privileges are set globally per owner (`ALTER DEFAULT PRIVILEGES FOR ROLE <owner>`
//   without `IN SCHEMA`), including `ON SCHEMAS`: tables, sequences *and schemas* the service
//   creates later are covered the moment they are created.
// - `developerAccess: none` still renders the SQL: the service isolation (REVOKE CONNECT FROM
//   PUBLIC) is needed in every environment, and switching an environment to `none` must take away
//   what an earlier mode granted to the group (whose role is retained when its object goes).
// - Monitoring roles (CloudNativePG's `cnpg_metrics_exporter`) keep CONNECT on every service
//   database: REVOKE CONNECT FROM PUBLIC would otherwise hide the databases from the exporter.
import type { DeveloperAccess, PostgresCluster } from '../config/model';
import { DEVELOPER_GROUP_ROLE, developerRoleName } from '../config/names';

/** A ConfigMap key and its content. */
export interface AccessSqlFile {
  /** ConfigMap key and file name. */
  readonly key: string;
  readonly content: string;
}

export interface PrivilegesSql {
  /** Every file of the ConfigMap, apply.sh first. */
  readonly files: readonly AccessSqlFile[];
  /** POSIX sh script that applies the template to every database of the list. */
  readonly script: string;
}

export interface PrivilegesSqlOptions {
  /**
   * The NOLOGIN group role developers are members of.
   * @default DEVELOPER_GROUP_ROLE (`developers`)
   */
  readonly groupRole?: string;
  /**
   * Database the preflight runs in (pg_database and pg_roles are shared, any database works).
   * @default `postgres`
   */
  readonly maintenanceDatabase?: string;
  /**
   * Roles that must keep CONNECT on every service database although PUBLIC loses it (the
   * operator's metrics exporter). Granted only when the role exists. @default none
   */
  readonly monitoringRoles?: readonly string[];
  /** Developer names from `developers:` (needed only with `operatorGaps.developerMemberships`). @default none */
  readonly developers?: readonly string[];
  /**
   * Operators whose role declarations cannot express what CloudNativePG's role and Database
   * objects do (Zalando's `users` has flags only; `databases` has no extensions): the SQL then
   * also grants the group to each developer, `pg_monitor` to the metrics role, and creates each
   * service's extensions. These statements need more than the access role has (membership
   * administration, CREATE EXTENSION of untrusted extensions): the Job must log in as a role
   * that can. @default nothing beyond the privileges
   */
  readonly operatorGaps?: {
    /** `GRANT <group> TO dev_<name>` for every developer in `developers`. */
    readonly developerMemberships: boolean;
    /** The metrics exporter's login role: made a member of `pg_monitor`. */
    readonly monitoringRole?: string;
    /** `CREATE EXTENSION IF NOT EXISTS` for each service's extensions, in its database. */
    readonly extensions: boolean;
    /**
     * Schemas the operator's image creates in every database that are not the service's data
     * (Spilo's `metric_helpers`, `user_management`): developers get nothing there. @default none
     */
    readonly foreignSchemas?: readonly string[];
  };
}

/** ConfigMap key of the shell script. */
export const APPLY_SCRIPT_KEY = 'apply.sh';
/** ConfigMap key of the preflight, run once in the maintenance database. */
export const PREFLIGHT_SQL_KEY = 'preflight.sql';
/** ConfigMap key of the per-database template. */
export const DATABASE_SQL_KEY = 'database.sql';
/** ConfigMap key of the list: one `<database>\t<owner>[\t<extension,...>]` line per service database. */
export const DATABASES_KEY = 'databases.tsv';

/**
 * The files (and the script applying them) that give the developer group `access` (normally
 * `cluster.developerAccess`) to every service database of `cluster`, and make each service
 * database reachable only by its owner, the group and the monitoring roles. Pure: same inputs,
 * same text. Only `databases.tsv` depends on the services, one short line each.
 */
export function privilegesSql(
  cluster: PostgresCluster,
  access: DeveloperAccess = cluster.developerAccess,
  options: PrivilegesSqlOptions = {},
): PrivilegesSql {
  const group = options.groupRole ?? DEVELOPER_GROUP_ROLE;
  const maintenance = options.maintenanceDatabase ?? 'postgres';
  if (cluster.services.length === 0) throw new Error(`cluster ${cluster.name} holds no service database`);
  for (const s of cluster.services) {
    for (const name of [s.database, s.role]) {
      // One line per database, fields split on a tab: neither may appear in a name.
      if (/[\t\n\r\0]/.test(name) || name.length === 0)
        throw new Error(`cluster ${cluster.name}: ${JSON.stringify(name)} cannot be listed in ${DATABASES_KEY}`);
    }
  }
  const gaps = options.operatorGaps;
  const memberships = gaps?.developerMemberships && access !== 'none' ? (options.developers ?? []).map(developerRoleName) : [];
  const extraRoles = [...memberships, ...(gaps?.monitoringRole ? [gaps.monitoringRole] : [])];
  const script = applyScript(cluster.name, maintenance);
  const line = (s: PostgresCluster['services'][number]) =>
    [s.database, s.role, ...(gaps?.extensions ? [s.extensions.join(',')] : [])].join('\t');
  return {
    script,
    files: [
      { key: APPLY_SCRIPT_KEY, content: script },
      {
        key: PREFLIGHT_SQL_KEY,
        content:
          preflightSql(cluster.name, access, group, extraRoles) +
          gapsClusterSql(group, memberships, gaps?.monitoringRole) +
          (gaps?.developerMemberships ? removedDevelopersSql(access, group, (options.developers ?? []).map(developerRoleName)) : ''),
      },
      {
        key: DATABASE_SQL_KEY,
        content:
          (gaps?.extensions ? EXTENSIONS_SQL : '') +
          databaseSql(cluster.name, access, group, options.monitoringRoles ?? [], gaps?.foreignSchemas ?? []),
      },
      { key: DATABASES_KEY, content: cluster.services.map((s) => `${line(s)}\n`).join('') },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Preflight: runs in the maintenance database with the variable `pairs` (the list file).

/**
 * Fails early, with one message listing what is missing, while the operator has not yet created
 * the roles or databases (it reconciles role and Database resources asynchronously). The Job's
 * backoff retries; nothing has been changed at that point.
 */
function preflightSql(clusterName: string, access: DeveloperAccess, group: string, otherRoles: readonly string[]): string {
  return [
    header(`cluster ${clusterName}: preflight (developers: ${access})`),
    '-- :pairs is the content of databases.tsv (apply.sh passes it). Every role and database it',
    '-- names, and the developer group, must exist.',
    "SELECT set_config('dbfleet.pairs', :'pairs', true) AS pairs \\gset",
    'DO $preflight$',
    'DECLARE',
    '  missing text;',
    'BEGIN',
    "  WITH lines AS (SELECT line FROM unnest(string_to_array(current_setting('dbfleet.pairs'), E'\\n')) AS line WHERE line <> ''),",
    '  expected(kind, name) AS (',
    "    SELECT 'database', split_part(line, E'\\t', 1) FROM lines",
    "    UNION SELECT 'role', split_part(line, E'\\t', 2) FROM lines",
    ...(access === 'none' ? [] : [`    UNION SELECT 'role', ${quoteLiteral(group)}`]),
    ...otherRoles.map((r) => `    UNION SELECT 'role', ${quoteLiteral(r)}`),
    '  )',
    "  SELECT string_agg(format('%s %I', e.kind, e.name), ', ' ORDER BY e.kind, e.name) INTO missing",
    '  FROM expected e',
    "  WHERE (e.kind = 'role' AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = e.name))",
    "     OR (e.kind = 'database' AND NOT EXISTS (SELECT FROM pg_database d WHERE d.datname = e.name));",
    '  IF missing IS NOT NULL THEN',
    "    RAISE EXCEPTION 'dbfleet: not created yet: %', missing",
    "      USING HINT = 'The operator creates roles and databases asynchronously; the Job retries and the CronJob re-applies.';",
    '  END IF;',
    'END',
    '$preflight$;',
    '',
  ].join('\n');
}

/** What an operator without CloudNativePG's role features leaves to the SQL, cluster level. */
function gapsClusterSql(group: string, memberships: readonly string[], monitoringRole: string | undefined): string {
  const lines: string[] = [];
  if (monitoringRole)
    lines.push(
      '-- The metrics exporter reads statistics of every session and database, nothing else.',
      `GRANT pg_monitor TO ${quoteIdent(monitoringRole)};`,
      '',
    );
  if (memberships.length > 0)
    lines.push(
      '-- The operator declares the roles but not their membership in the group.',
      ...memberships.map((r) => `GRANT ${quoteIdent(group)} TO ${quoteIdent(r)};`),
      '',
    );
  return lines.join('\n');
}

/**
 * Operators that leave a role in place when it leaves the manifest (Zalando's `users`): the SQL,
 * which knows the current `developers:`, takes group membership and LOGIN from every other
 * `dev_*` member; under `none`, from all of them. (CloudNativePG drops them itself: their
 * DatabaseRoles have reclaim policy delete.)
 */
function removedDevelopersSql(access: DeveloperAccess, group: string, developerRoles: readonly string[]): string {
  const keep = access === 'none' ? 'ARRAY[]::name[]' : `ARRAY[${developerRoles.map(quoteLiteral).join(', ')}]::name[]`;
  return [
    '-- Developers no longer in developers: (or access none): no membership, no login.',
    'DO $removed$',
    'DECLARE',
    '  member name;',
    'BEGIN',
    '  FOR member IN',
    '    SELECT m.rolname FROM pg_roles m',
    `    WHERE starts_with(m.rolname, ${quoteLiteral(developerRoleName(''))}) AND NOT m.rolsuper AND m.rolname <> ALL (${developerRoles.length > 0 || access === 'none' ? keep : 'ARRAY[]::name[]'})`,
    `      AND (m.rolcanlogin OR pg_has_role(m.rolname, ${quoteLiteral(group)}, 'MEMBER'))`,
    '    ORDER BY 1',
    '  LOOP',
    `    IF EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(group)}) AND pg_has_role(member, ${quoteLiteral(group)}, 'MEMBER') THEN`,
    `      EXECUTE format('REVOKE %I FROM %I', ${quoteLiteral(group)}, member);`,
    '    END IF;',
    "    EXECUTE format('ALTER ROLE %I NOLOGIN', member);",
    "    RAISE NOTICE 'dbfleet: % is no longer a developer here: membership revoked, NOLOGIN', member;",
    '  END LOOP;',
    'END',
    '$removed$;',
    '',
  ].join('\n');
}

/** The service's extensions (third column of databases.tsv), as CloudNativePG's Database object would create them. */
const EXTENSIONS_SQL = [
  "-- Extensions of the service (the operator's database declaration cannot create them).",
  "SELECT set_config('dbfleet.extensions', :'extensions', true) AS extensions \\gset",
  'DO $extensions$',
  'DECLARE',
  '  extension text;',
  'BEGIN',
  "  FOREACH extension IN ARRAY string_to_array(current_setting('dbfleet.extensions'), ',') LOOP",
  "    EXECUTE format('CREATE EXTENSION IF NOT EXISTS %I', extension);",
  '  END LOOP;',
  'END',
  '$extensions$;',
  '',
].join('\n');

// ---------------------------------------------------------------------------------------------
// Database level: the template, run in each service database with :database and :owner.

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

const USER_SCHEMAS =
  "SELECT n.nspname, n.nspowner FROM pg_namespace n WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1";
/** The owner inside DO blocks (psql does not interpolate variables in dollar quotes). */
const OWNER = "current_setting('dbfleet.owner')";

/** The schemas of the service's data: every non-system schema but the operator image's own. */
function userSchemas(foreign: readonly string[]): string {
  return foreign.length === 0
    ? USER_SCHEMAS
    : USER_SCHEMAS.replace(' ORDER BY 1', ` AND n.nspname <> ALL (ARRAY[${foreign.map(quoteLiteral).join(', ')}]::name[]) ORDER BY 1`);
}

function databaseSql(
  clusterName: string,
  access: DeveloperAccess,
  group: string,
  monitoringRoles: readonly string[],
  foreignSchemas: readonly string[],
): string {
  const g = quoteLiteral(group);
  const G = quoteIdent(group);
  // format() with %I quotes identifiers at run time; the names themselves are passed as values.
  const exec = (indent: number, template: string, ...args: string[]) =>
    `${' '.repeat(indent)}EXECUTE format(${quoteLiteral(template)}${args.map((a) => `, ${a}`).join('')});`;
  const S = 'schema_name';
  // PostgreSQL <= 14: `public` belongs to the bootstrap superuser and the service creates its
  // tables there through PUBLIC's CREATE, which the loop revokes; the service gets it back by
  // name. From 15 on `public` belongs to pg_database_owner (the service): nothing to do.
  // (Run without superuser, revoking on a schema the owner does not own is a warning, not an error.)
  const keepOwnerCreateOnPublic = [
    `    IF schema_name = 'public' AND NOT pg_has_role(${OWNER}, schema_owner, 'USAGE') THEN`,
    exec(6, 'GRANT USAGE, CREATE ON SCHEMA %I TO %I', S, OWNER),
    '    END IF;',
  ];
  const databaseAcl = [
    '-- Only the owner, the developer group and monitoring may connect: PUBLIC has CONNECT and',
    '-- TEMPORARY on every new database, so any role of the cluster could enter any service database.',
    'REVOKE CONNECT, TEMPORARY ON DATABASE :"database" FROM PUBLIC;',
    'GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"owner";',
    ...(access === 'none'
      ? [
          `DO $group$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = ${g}) THEN`,
          exec(2, 'REVOKE ALL ON DATABASE %I FROM %I', 'current_database()', g),
          'END IF; END $group$;',
        ]
      : [
          `GRANT CONNECT ON DATABASE :"database" TO ${G};`,
          // No schemas (CREATE) and no temporary tables for developers, whatever drifted in.
          `REVOKE CREATE, TEMPORARY ON DATABASE :"database" FROM ${G};`,
        ]),
    ...(monitoringRoles.length > 0
      ? [
          '-- The metrics exporter reads every database (created by the operator, possibly later).',
          'DO $monitoring$',
          'DECLARE',
          '  monitor name;',
          'BEGIN',
          `  FOR monitor IN SELECT rolname FROM pg_roles WHERE rolname = ANY (ARRAY[${monitoringRoles.map(quoteLiteral).join(', ')}]::name[]) ORDER BY 1 LOOP`,
          exec(4, 'GRANT CONNECT ON DATABASE %I TO %I', 'current_database()', 'monitor'),
          '  END LOOP;',
          'END',
          '$monitoring$;',
        ]
      : []),
    '',
  ];
  const prologue = [
    header(`cluster ${clusterName}: one service database (:database, owner :owner), developers ${access}`),
    "SELECT set_config('dbfleet.owner', :'owner', true) AS owner \\gset",
    '',
    ...databaseAcl,
  ];

  if (access === 'none') {
    return [
      ...prologue,
      '-- developerAccess: none. Nobody but the owner may create in any schema; if the developer group',
      '-- exists from an earlier mode, every privilege it holds here is revoked, defaults included.',
      'DO $access$',
      'DECLARE',
      '  schema_name name;',
      '  schema_owner oid;',
      `  has_group boolean := EXISTS (SELECT FROM pg_roles WHERE rolname = ${g});`,
      'BEGIN',
      `  FOR schema_name, schema_owner IN ${userSchemas(foreignSchemas)} LOOP`,
      exec(4, 'REVOKE CREATE ON SCHEMA %I FROM PUBLIC', S),
      ...keepOwnerCreateOnPublic,
      '    IF has_group THEN',
      exec(6, 'REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', S, g),
      exec(6, 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', S, g),
      exec(6, 'REVOKE ALL ON SCHEMA %I FROM %I', S, g),
      exec(6, 'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON TABLES FROM %I', OWNER, S, g),
      exec(6, 'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %I', OWNER, S, g),
      '    END IF;',
      '  END LOOP;',
      '  IF has_group THEN',
      ...['TABLES', 'SEQUENCES', 'SCHEMAS'].map((kind) =>
        exec(4, `ALTER DEFAULT PRIVILEGES FOR ROLE %I REVOKE ALL ON ${kind} FROM %I`, OWNER, g),
      ),
      '  END IF;',
      'END',
      '$access$;',
      '',
    ].join('\n');
  }

  const table = TABLE_PRIVILEGES[access];
  const sequence = SEQUENCE_PRIVILEGES[access];
  return [
    ...prologue,
    '-- Existing objects, in every schema that is not a system schema.',
    'DO $access$',
    'DECLARE',
    '  schema_name name;',
    '  schema_owner oid;',
    '  schemas integer := 0;',
    'BEGIN',
    `  FOR schema_name, schema_owner IN ${userSchemas(foreignSchemas)} LOOP`,
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
    exec(4, `ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ${table.revoke} ON TABLES FROM %I`, OWNER, S, g),
    ...(sequence.revoke
      ? [exec(4, `ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ${sequence.revoke} ON SEQUENCES FROM %I`, OWNER, S, g)]
      : []),
    '    schemas := schemas + 1;',
    '  END LOOP;',
    `  RAISE NOTICE 'dbfleet: database %: % ${access} in % schema(s)', current_database(), ${g}, schemas;`,
    'END',
    '$access$;',
    '',
    '-- Objects the owner creates later, in any schema, including schemas it creates later.',
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT USAGE ON SCHEMAS TO ${G};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE CREATE ON SCHEMAS FROM ${G};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT ${table.grant} ON TABLES TO ${G};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE ${table.revoke} ON TABLES FROM ${G};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT ${sequence.grant} ON SEQUENCES TO ${G};`,
    ...(sequence.revoke ? [`ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE ${sequence.revoke} ON SEQUENCES FROM ${G};`] : []),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The script.

/**
 * The preflight once, then one psql per line of databases.tsv: `--single-transaction` makes each
 * database all-or-nothing, `ON_ERROR_STOP` turns the first error into a non-zero exit, `set -e`
 * stops at the first failed database so the Job fails visibly (and retries). `--no-psqlrc`:
 * nothing from HOME changes the behaviour. Connection settings come from the environment
 * (PGHOST, PGUSER, PGPASSWORD, PGSSLMODE, ...). The script is the same for every cluster but
 * for its name in the log lines.
 */
export function applyScript(clusterName: string, maintenanceDatabase = 'postgres'): string {
  return [
    '#!/bin/sh',
    `# dbfleet developer access for cluster ${clusterName}: a preflight, then ${DATABASE_SQL_KEY} once per`,
    `# line of ${DATABASES_KEY} (database TAB owner), each in one transaction with ON_ERROR_STOP.`,
    '# Every statement is idempotent: re-running converges.',
    'set -eu',
    'dir=$(dirname "$0")',
    'run_psql() { psql --no-psqlrc --quiet --single-transaction --set ON_ERROR_STOP=1 "$@"; }',
    `run_psql --dbname ${shQuote(maintenanceDatabase)} --set pairs="$(cat "$dir/${DATABASES_KEY}")" --file "$dir/${PREFLIGHT_SQL_KEY}"`,
    "tab=$(printf '\\t')",
    'count=0',
    `while IFS="$tab" read -r database owner extensions; do`,
    '  [ -n "$database" ] || continue',
    '  echo "dbfleet-access: database $database (owner $owner)"',
    `  run_psql --dbname "$database" --set database="$database" --set owner="$owner" --set extensions="\${extensions:-}" --file "$dir/${DATABASE_SQL_KEY}"`,
    '  count=$((count + 1))',
    `done < "$dir/${DATABASES_KEY}"`,
    `echo "dbfleet-access: cluster ${clusterName}: $count database(s) applied"`,
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
