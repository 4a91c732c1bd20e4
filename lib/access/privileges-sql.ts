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
// - Least power (issue 24, docs/security.md): each database's SQL runs logged in as that
//   database's own owner, with the owner's credentials (already in the database namespace for
//   the app's Secret). Everything the SQL does is the owner's to do: GRANT/REVOKE on its objects
//   and its database, ALTER DEFAULT PRIVILEGES for itself, CREATE EXTENSION (trusted ones). No
//   role of the cluster is a member of several owners, so nothing the Job runs in one service's
//   database can reach another's; and because the SQL runs with exactly the owner's power, an
//   owner who redirects it (say with a function in `public`) gains nothing it did not have. It
//   still cannot: every file pins `search_path` to `pg_catalog, pg_temp` at the top of its
//   transaction (PGOPTIONS pins it for the session too) and calls catalog functions
//   schema-qualified, so no object a database owner creates is ever resolved by dbfleet's SQL.
// - Schemas are discovered at run time (a DO block over pg_namespace): every schema except the
//   system ones (pg_catalog, information_schema, pg_toast*, pg_temp*). Everything else in a
//   service database is the service's data, and a developer who may read the service's tables
//   must be able to read all of them. Objects in it that the owner does not own (say an extension
//   installed by the operator) get no grant: PostgreSQL answers with a warning, not an error.
// - Default privileges are set globally per owner (`ALTER DEFAULT PRIVILEGES FOR ROLE <owner>`
//   without `IN SCHEMA`), including `ON SCHEMAS`: tables, sequences *and schemas* the service
//   creates later are covered the moment they are created.
// - Routines: PUBLIC may execute every new function by default, and a `SECURITY DEFINER` routine
//   runs with its owner's rights, so a "read-only" developer could write through one. EXECUTE is
//   revoked from PUBLIC on every routine the owner owns (and by default for its future ones);
//   developers get EXECUTE on the owner's `SECURITY INVOKER` routines only (they run with the
//   developer's own privileges), granted at each run (a new routine waits for the next run).
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
   * Run the preflight in the candidate owner's own database instead (Aurora: the provisioning
   * created every database already, and PUBLIC has no CONNECT on `postgres` there). @default false
   */
  readonly preflightInOwnDatabase?: boolean;
  /**
   * Roles that must keep CONNECT on every service database although PUBLIC loses it (the
   * operator's metrics exporter). Granted only when the role exists. @default none
   */
  readonly monitoringRoles?: readonly string[];
  /** Developer names from `developers:` (needed only with `operatorGaps.directGrants`). @default none */
  readonly developers?: readonly string[];
  /**
   * Operators whose role declarations cannot express what CloudNativePG's role and Database
   * objects do (Zalando's `users` has flags only, no membership; `databases` has no extensions).
   * Nothing here needs more than the database owner's power. @default nothing beyond the privileges
   */
  readonly operatorGaps?: {
    /**
     * The operator cannot make developers members of the group, and no role short of a
     * superuser could (membership administration): privileges go to each developer role of
     * `developers` directly. A role that holds CONNECT on a service database (only this SQL
     * grants it: PUBLIC's is revoked) but is no longer listed loses every privilege there; no
     * role's attributes (LOGIN) are ever changed.
     */
    readonly directGrants: boolean;
    /** `CREATE EXTENSION IF NOT EXISTS` for each service's extensions, as the owner (trusted extensions). */
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
 * Environment variable apply.sh reads the owners' credentials directory from: one directory per
 * database (its name), holding `username` and `password` of the login that acts as its owner.
 */
export const OWNER_CREDENTIALS_ENV = 'DBFLEET_OWNER_CREDENTIALS';
/**
 * The session settings every dbfleet Job passes in PGOPTIONS: the search_path pin (catalog
 * first, the temporary schema last, nothing a database owner can create objects in), and lock
 * and statement timeouts so a run never queues behind a long migration.
 */
export const PINNED_SEARCH_PATH = 'pg_catalog, pg_temp';
export const JOB_PGOPTIONS =
  '-c search_path=pg_catalog,pg_temp -c lock_timeout=10s -c statement_timeout=300s -c default_transaction_read_only=off -c idle_in_transaction_session_timeout=0';
/** The first statement of every transaction a dbfleet Job runs. */
export const PIN_SEARCH_PATH_SQL = `SET LOCAL search_path = ${PINNED_SEARCH_PATH};`;

/** A database name as a directory of the owners' credentials volume (a projected volume path segment). */
export function ownerCredentialsPath(database: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(database) || database.includes('..')) {
    throw new Error(`database ${JSON.stringify(database)} cannot name a credentials directory of the developer-access Job`);
  }
  return database;
}

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
  const developerRoles = (options.developers ?? []).map(developerRoleName);
  // Who receives the developers' privileges: the group (its members inherit), or on an operator
  // that cannot grant membership, each developer role by name.
  const grantees = gaps?.directGrants ? (access === 'none' ? [] : developerRoles) : access === 'none' ? [] : [group];
  const script = applyScript(cluster.name, options.preflightInOwnDatabase ? null : maintenance);
  const line = (s: PostgresCluster['services'][number]) =>
    [s.database, s.role, ...(gaps?.extensions ? [s.extensions.join(',')] : [])].join('\t');
  return {
    script,
    files: [
      { key: APPLY_SCRIPT_KEY, content: script },
      {
        key: PREFLIGHT_SQL_KEY,
        content: preflightSql(cluster.name, access, gaps?.directGrants ? [] : [group], gaps?.directGrants ? grantees : []),
      },
      {
        key: DATABASE_SQL_KEY,
        content: databaseSql({
          clusterName: cluster.name,
          access,
          group,
          grantees,
          directGrants: gaps?.directGrants ?? false,
          extensions: gaps?.extensions ?? false,
          monitoringRoles: options.monitoringRoles ?? [],
          foreignSchemas: gaps?.foreignSchemas ?? [],
        }),
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
function preflightSql(clusterName: string, access: DeveloperAccess, groups: readonly string[], otherRoles: readonly string[]): string {
  return [
    header(`cluster ${clusterName}: preflight (developers: ${access})`),
    PIN_SEARCH_PATH_SQL,
    '-- :pairs is the content of databases.tsv (apply.sh passes it). Every role and database it',
    '-- names, and the developer group, must exist.',
    "SELECT pg_catalog.set_config('dbfleet.pairs', :'pairs', true) AS pairs \\gset",
    'DO $preflight$',
    'DECLARE',
    '  missing text;',
    'BEGIN',
    "  WITH lines AS (SELECT line FROM pg_catalog.unnest(pg_catalog.string_to_array(pg_catalog.current_setting('dbfleet.pairs'), E'\\n')) AS line WHERE line <> ''),",
    '  expected(kind, name) AS (',
    "    SELECT 'database', pg_catalog.split_part(line, E'\\t', 1) FROM lines",
    "    UNION SELECT 'role', pg_catalog.split_part(line, E'\\t', 2) FROM lines",
    ...(access === 'none' ? [] : groups.map((g) => `    UNION SELECT 'role', ${quoteLiteral(g)}`)),
    ...otherRoles.map((r) => `    UNION SELECT 'role', ${quoteLiteral(r)}`),
    '  )',
    "  SELECT pg_catalog.string_agg(pg_catalog.format('%s %I', e.kind, e.name), ', ' ORDER BY e.kind, e.name) INTO missing",
    '  FROM expected e',
    "  WHERE (e.kind = 'role' AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = e.name))",
    "     OR (e.kind = 'database' AND NOT EXISTS (SELECT FROM pg_catalog.pg_database d WHERE d.datname = e.name));",
    '  IF missing IS NOT NULL THEN',
    "    RAISE EXCEPTION 'dbfleet: not created yet: %', missing",
    "      USING HINT = 'The operator creates roles and databases asynchronously; the Job retries and the CronJob re-applies.';",
    '  END IF;',
    'END',
    '$preflight$;',
    '',
  ].join('\n');
}

/** The service's extensions (third column of databases.tsv), as CloudNativePG's Database object would create them. */
const EXTENSIONS_SQL = [
  "-- Extensions of the service (the operator's database declaration cannot create them). Created as",
  "-- the owner: trusted extensions only; an untrusted one fails here with PostgreSQL's own message.",
  "SELECT pg_catalog.set_config('dbfleet.extensions', :'extensions', true) AS extensions \\gset",
  'DO $extensions$',
  'DECLARE',
  '  extension text;',
  'BEGIN',
  "  FOREACH extension IN ARRAY pg_catalog.string_to_array(pg_catalog.current_setting('dbfleet.extensions'), ',') LOOP",
  // With search_path pinned to the catalog, an extension without a schema of its own would be
  // created in pg_catalog: it goes to `public`, where it went with the default search_path (and
  // where CloudNativePG's Database object puts it), unless its control file names its schema.
  '    IF EXISTS (SELECT FROM pg_catalog.pg_available_extension_versions v WHERE v.name = extension AND v.schema IS NOT NULL) THEN',
  "      EXECUTE pg_catalog.format('CREATE EXTENSION IF NOT EXISTS %I', extension);",
  '    ELSE',
  "      EXECUTE pg_catalog.format('CREATE EXTENSION IF NOT EXISTS %I SCHEMA public', extension);",
  '    END IF;',
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
  "SELECT n.nspname, n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1";
/** The owner inside DO blocks (psql does not interpolate variables in dollar quotes). */
const OWNER = "pg_catalog.current_setting('dbfleet.owner')";

/** The schemas of the service's data: every non-system schema but the operator image's own. */
function userSchemas(foreign: readonly string[]): string {
  return foreign.length === 0
    ? USER_SCHEMAS
    : USER_SCHEMAS.replace(' ORDER BY 1', ` AND n.nspname <> ALL (ARRAY[${foreign.map(quoteLiteral).join(', ')}]::name[]) ORDER BY 1`);
}

interface DatabaseSqlOptions {
  readonly clusterName: string;
  readonly access: DeveloperAccess;
  /** The group role (revoked from under `none`, and from on operators with direct grants). */
  readonly group: string;
  /** Who receives the developers' privileges: the group, or each developer role. Empty: nobody. */
  readonly grantees: readonly string[];
  readonly directGrants: boolean;
  readonly extensions: boolean;
  readonly monitoringRoles: readonly string[];
  readonly foreignSchemas: readonly string[];
}

function databaseSql(o: DatabaseSqlOptions): string {
  const { access, group, grantees, monitoringRoles } = o;
  const g = quoteLiteral(group);
  // format() with %I quotes identifiers at run time; the names themselves are passed as values.
  const exec = (indent: number, template: string, ...args: string[]) =>
    `${' '.repeat(indent)}EXECUTE pg_catalog.format(${quoteLiteral(template)}${args.map((a) => `, ${a}`).join('')});`;
  // The grantee list, quoted once at render time; `%` doubled where it sits in a format() template.
  const granteeList = grantees.map(quoteIdent).join(', ');
  const inFormat = granteeList.replace(/%/g, '%%');
  const S = 'schema_name';
  // PostgreSQL <= 14: `public` belongs to the bootstrap superuser and the service creates its
  // tables there through PUBLIC's CREATE, which the loop revokes; the service gets it back by
  // name. From 15 on `public` belongs to pg_database_owner (the service): nothing to do.
  // (Run as the owner, revoking on a schema the owner does not own is a warning, not an error.)
  const keepOwnerCreateOnPublic = [
    `    IF schema_name = 'public' AND NOT pg_catalog.pg_has_role(${OWNER}, schema_owner, 'USAGE') THEN`,
    exec(6, 'GRANT USAGE, CREATE ON SCHEMA %I TO %I', S, OWNER),
    '    END IF;',
  ];
  const monitoringList = monitoringRoles.map(quoteLiteral).join(', ');
  const databaseAcl = [
    '-- Only the owner, the developers and monitoring may connect: PUBLIC has CONNECT and',
    '-- TEMPORARY on every new database, so any role of the cluster could enter any service database.',
    'REVOKE CONNECT, TEMPORARY ON DATABASE :"database" FROM PUBLIC;',
    'GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"owner";',
    ...(grantees.length > 0
      ? [
          `GRANT CONNECT ON DATABASE :"database" TO ${granteeList};`,
          // No schemas (CREATE) and no temporary tables for developers, whatever drifted in.
          `REVOKE CREATE, TEMPORARY ON DATABASE :"database" FROM ${granteeList};`,
        ]
      : []),
    ...(monitoringRoles.length > 0
      ? [
          '-- The metrics exporter reads every database (created by the operator, possibly later).',
          'DO $monitoring$',
          'DECLARE',
          '  monitor name;',
          'BEGIN',
          `  FOR monitor IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY (ARRAY[${monitoringList}]::name[]) ORDER BY 1 LOOP`,
          exec(4, 'GRANT CONNECT ON DATABASE %I TO %I', 'pg_catalog.current_database()', 'monitor'),
          '  END LOOP;',
          'END',
          '$monitoring$;',
        ]
      : []),
    '',
  ];

  // Everything a former grantee may hold here, revoked (tables, sequences, routines, schemas,
  // the owner's defaults, the database): `who` is a PL/pgSQL expression naming the role.
  const revokeEverything = (indent: number, who: string) => [
    `${' '.repeat(indent)}FOR schema_name, schema_owner IN ${userSchemas(o.foreignSchemas)} LOOP`,
    exec(indent + 2, 'REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', S, who),
    exec(indent + 2, 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', S, who),
    exec(indent + 2, 'REVOKE ALL ON ALL ROUTINES IN SCHEMA %I FROM %I', S, who),
    exec(indent + 2, 'REVOKE ALL ON SCHEMA %I FROM %I', S, who),
    exec(indent + 2, 'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON TABLES FROM %I', OWNER, S, who),
    exec(indent + 2, 'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %I', OWNER, S, who),
    // An owner's migration may have granted EXECUTE on its future routines in one schema.
    exec(indent + 2, 'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON FUNCTIONS FROM %I', OWNER, S, who),
    `${' '.repeat(indent)}END LOOP;`,
    ...['TABLES', 'SEQUENCES', 'FUNCTIONS', 'SCHEMAS'].map((kind) =>
      exec(indent, `ALTER DEFAULT PRIVILEGES FOR ROLE %I REVOKE ALL ON ${kind} FROM %I`, OWNER, who),
    ),
    exec(indent, 'REVOKE ALL ON DATABASE %I FROM %I', 'pg_catalog.current_database()', who),
  ];

  const prologue = [
    header(`cluster ${o.clusterName}: one service database (:database, owner :owner), developers ${access}`),
    '-- Nothing a database owner creates is ever resolved here (issue 24): the catalog first, the',
    '-- temporary schema last, and every catalog function written schema-qualified.',
    PIN_SEARCH_PATH_SQL,
    "-- Logged in with the owner's credentials (or its second login role, which acts as the owner):",
    "-- the SQL holds exactly the owner's power, and fails if the login is not the owner.",
    'SET LOCAL ROLE :"owner";',
    "SELECT pg_catalog.set_config('dbfleet.owner', :'owner', true) AS owner \\gset",
    '',
    ...(o.extensions ? [EXTENSIONS_SQL] : []),
    ...databaseAcl,
  ];

  // Roles this SQL let in earlier that it no longer lists (operators with direct grants): only
  // this SQL grants CONNECT on a service database (PUBLIC's is revoked above), so a role holding
  // it that is neither the owner, a current developer nor monitoring is a former developer (or
  // the group of an earlier version, or a hand grant: drift). Its privileges here are revoked;
  // its attributes are never touched (no NOLOGIN: the owner could not, and a service role that
  // happens to be called dev_* is nobody's developer).
  const formerGrantees = o.directGrants
    ? [
        '-- Former developers: every privilege here revoked; no role attribute is changed.',
        'DO $former$',
        'DECLARE',
        '  former name;',
        '  schema_name name;',
        '  schema_owner oid;',
        `  keep name[] := ARRAY[${[...grantees, ...monitoringRoles].map(quoteLiteral).join(', ')}]::name[];`,
        'BEGIN',
        '  FOR former IN',
        '    SELECT DISTINCT r.rolname',
        '    FROM pg_catalog.pg_database d CROSS JOIN LATERAL pg_catalog.aclexplode(d.datacl) a',
        '    JOIN pg_catalog.pg_roles r ON r.oid = a.grantee',
        "    WHERE d.datname = pg_catalog.current_database() AND a.privilege_type = 'CONNECT'",
        '      AND r.oid <> d.datdba AND r.rolname <> ALL (keep)',
        '    ORDER BY 1',
        '  LOOP',
        ...revokeEverything(4, 'former'),
        "    RAISE NOTICE 'dbfleet: database %: % is no longer a developer here: privileges revoked', pg_catalog.current_database(), former;",
        '  END LOOP;',
        'END',
        '$former$;',
        '',
      ]
    : [];

  // Routines: PUBLIC loses EXECUTE on every routine the owner owns; the grantees get it on the
  // SECURITY INVOKER ones only and lose it on SECURITY DEFINER ones (which run as the owner).
  const routines = (indent: number) => {
    const pad = ' '.repeat(indent);
    return [
      `${pad}FOR routine, definer IN`,
      `${pad}  SELECT p.oid::pg_catalog.regprocedure, p.prosecdef FROM pg_catalog.pg_proc p`,
      `${pad}  WHERE p.pronamespace = schema_oid AND p.proowner = owner_oid ORDER BY 1`,
      `${pad}LOOP`,
      exec(indent + 2, 'REVOKE EXECUTE ON ROUTINE %s FROM PUBLIC', 'routine'),
      ...(grantees.length > 0
        ? [
            `${pad}  IF definer THEN`,
            exec(indent + 4, `REVOKE EXECUTE ON ROUTINE %s FROM ${inFormat}`, 'routine'),
            `${pad}  ELSE`,
            exec(indent + 4, `GRANT EXECUTE ON ROUTINE %s TO ${inFormat}`, 'routine'),
            `${pad}  END IF;`,
          ]
        : []),
      `${pad}END LOOP;`,
    ];
  };
  const routineDeclarations = [
    '  schema_oid oid;',
    // to_regrole() parses its argument as SQL does an identifier (unquoted: folded to lower case, a
    // space or quote is a syntax error): the owner's name is quoted first.
    '  owner_oid oid := pg_catalog.to_regrole(pg_catalog.quote_ident(' + OWNER + '));',
    '  routine text;',
    '  definer boolean;',
  ];
  const schemaOid = `    schema_oid := (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = schema_name);`;
  const routineDefaults = [
    // An owner's migration may have granted CREATE on its future schemas to PUBLIC (whose member
    // every developer is): a schema created before the next run would take a developer's tables.
    '-- Schemas the owner creates later: nobody else may create objects in them.',
    'ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE CREATE ON SCHEMAS FROM PUBLIC;',
    '-- Routines the owner creates later: nobody but the owner may execute them until the next run',
    '-- has looked at them (SECURITY DEFINER or not).',
    'ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;',
    ...(grantees.length > 0 ? [`ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE EXECUTE ON FUNCTIONS FROM ${granteeList};`] : []),
    '',
  ];

  if (grantees.length === 0) {
    return [
      ...prologue,
      ...formerGrantees,
      `-- developerAccess: ${access}${access === 'none' ? '' : ' (no developers)'}. Nobody but the owner may create in any schema or`,
      '-- execute its routines; if the developer group exists from an earlier mode, every privilege it',
      '-- holds here is revoked, defaults included.',
      'DO $access$',
      'DECLARE',
      '  schema_name name;',
      '  schema_owner oid;',
      ...routineDeclarations,
      `  has_group boolean := EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${g});`,
      'BEGIN',
      `  FOR schema_name, schema_owner IN ${userSchemas(o.foreignSchemas)} LOOP`,
      exec(4, 'REVOKE CREATE ON SCHEMA %I FROM PUBLIC', S),
      ...keepOwnerCreateOnPublic,
      schemaOid,
      ...routines(4),
      '  END LOOP;',
      '  IF has_group THEN',
      ...revokeEverything(4, g),
      '  END IF;',
      'END',
      '$access$;',
      '',
      ...routineDefaults,
    ].join('\n');
  }

  const table = TABLE_PRIVILEGES[access as Exclude<DeveloperAccess, 'none'>];
  const sequence = SEQUENCE_PRIVILEGES[access as Exclude<DeveloperAccess, 'none'>];
  return [
    ...prologue,
    ...formerGrantees,
    '-- Existing objects, in every schema that is not a system schema.',
    'DO $access$',
    'DECLARE',
    '  schema_name name;',
    '  schema_owner oid;',
    ...routineDeclarations,
    '  schemas integer := 0;',
    'BEGIN',
    `  FOR schema_name, schema_owner IN ${userSchemas(o.foreignSchemas)} LOOP`,
    // Only the owner creates objects: schema changes belong to the service's migrations.
    exec(4, 'REVOKE CREATE ON SCHEMA %I FROM PUBLIC', S),
    ...keepOwnerCreateOnPublic,
    exec(4, `REVOKE CREATE ON SCHEMA %I FROM ${inFormat}`, S),
    exec(4, `GRANT USAGE ON SCHEMA %I TO ${inFormat}`, S),
    exec(4, `GRANT ${table.grant} ON ALL TABLES IN SCHEMA %I TO ${inFormat}`, S),
    exec(4, `REVOKE ${table.revoke} ON ALL TABLES IN SCHEMA %I FROM ${inFormat}`, S),
    // Developers are members of PUBLIC: a write an owner's migration granted to PUBLIC would make
    // "read-only" writable. Only the owner, developers and the exporter may connect, so PUBLIC
    // holds no write here, whatever the mode.
    exec(4, `REVOKE ${TABLE_PRIVILEGES['read-only'].revoke} ON ALL TABLES IN SCHEMA %I FROM PUBLIC`, S),
    exec(4, `REVOKE ${SEQUENCE_PRIVILEGES['read-only'].revoke} ON ALL SEQUENCES IN SCHEMA %I FROM PUBLIC`, S),
    exec(4, `GRANT ${sequence.grant} ON ALL SEQUENCES IN SCHEMA %I TO ${inFormat}`, S),
    ...(sequence.revoke ? [exec(4, `REVOKE ${sequence.revoke} ON ALL SEQUENCES IN SCHEMA %I FROM ${inFormat}`, S)] : []),
    // Per-schema defaults can only add to the global ones set below; none are created here, but
    // one added by hand would hand out what this mode forbids, so it is revoked (a no-op if absent).
    exec(4, `ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ${table.revoke} ON TABLES FROM ${inFormat}`, OWNER, S),
    exec(
      4,
      `ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ${TABLE_PRIVILEGES['read-only'].revoke} ON TABLES FROM PUBLIC`,
      OWNER,
      S,
    ),
    exec(
      4,
      `ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ${SEQUENCE_PRIVILEGES['read-only'].revoke} ON SEQUENCES FROM PUBLIC`,
      OWNER,
      S,
    ),
    ...(sequence.revoke
      ? [exec(4, `ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ${sequence.revoke} ON SEQUENCES FROM ${inFormat}`, OWNER, S)]
      : []),
    exec(4, `ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE EXECUTE ON FUNCTIONS FROM ${inFormat}`, OWNER, S),
    schemaOid,
    ...routines(4),
    '    schemas := schemas + 1;',
    '  END LOOP;',
    `  RAISE NOTICE 'dbfleet: database %: % ${access} in % schema(s)', pg_catalog.current_database(), ${quoteLiteral(grantees.join(', '))}, schemas;`,
    'END',
    '$access$;',
    '',
    '-- Objects the owner creates later, in any schema, including schemas it creates later.',
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT USAGE ON SCHEMAS TO ${granteeList};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE CREATE ON SCHEMAS FROM ${granteeList};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT ${table.grant} ON TABLES TO ${granteeList};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE ${table.revoke} ON TABLES FROM ${granteeList};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE ${TABLE_PRIVILEGES['read-only'].revoke} ON TABLES FROM PUBLIC;`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE ${SEQUENCE_PRIVILEGES['read-only'].revoke} ON SEQUENCES FROM PUBLIC;`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT ${sequence.grant} ON SEQUENCES TO ${granteeList};`,
    ...(sequence.revoke ? [`ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE ${sequence.revoke} ON SEQUENCES FROM ${granteeList};`] : []),
    ...routineDefaults,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The script.

/**
 * The preflight once, then one psql per line of databases.tsv: `--single-transaction` makes each
 * database all-or-nothing, `ON_ERROR_STOP` turns the first error into a non-zero exit, `set -e`
 * stops at the first failed database so the Job fails visibly (and retries). `--no-psqlrc`:
 * nothing from HOME changes the behaviour. Each database is applied logged in as its owner: user
 * and password from `$DBFLEET_OWNER_CREDENTIALS/<database>/` (the owner Secrets, mounted); the
 * preflight uses the first database's. The rest of the connection comes from the environment
 * (PGHOST, PGSSLMODE, PGCHANNELBINDING, PGOPTIONS, ...). The script is the same for every
 * cluster but for its name in the log lines.
 */
export function applyScript(clusterName: string, maintenanceDatabase: string | null = 'postgres'): string {
  // null: each candidate owner's own database (preflightInOwnDatabase).
  const preflightDatabase = maintenanceDatabase === null ? '"$candidate"' : shQuote(maintenanceDatabase);
  return [
    '#!/bin/sh',
    `# dbfleet developer access for cluster ${clusterName}: a preflight, then ${DATABASE_SQL_KEY} once per`,
    `# line of ${DATABASES_KEY} (database TAB owner), each in one transaction with ON_ERROR_STOP,`,
    "# each logged in as that database's owner. Every statement is idempotent: re-running converges.",
    "# One database that fails (its owner changed its own password, its database's connection limit,",
    '# its session defaults) does not stop the others: each owner can break only its own database,',
    '# never the grants and revocations of the other services; the run still fails, naming it.',
    'set -eu',
    'dir=$(dirname "$0")',
    `owners=\${${OWNER_CREDENTIALS_ENV}:?names the directory of the owner credentials}`,
    'run_psql() { psql --no-psqlrc --quiet --single-transaction --set ON_ERROR_STOP=1 "$@" </dev/null; }',
    "# The login of a database: its owner (or the owner's second login role during a rotation).",
    "# Fails (naming it) when the pod does not mount that owner's Secret: a list updated before the",
    '# pod template (a database moved between access Jobs) must cost that database only.',
    'login_as_owner_of() {',
    '  if [ ! -r "$owners/$1/username" ] || [ ! -r "$owners/$1/password" ]; then',
    '    echo "dbfleet-access: database $1: no owner credentials mounted in this pod" >&2',
    '    return 1',
    '  fi',
    '  PGUSER=$(cat "$owners/$1/username")',
    '  PGPASSWORD=$(cat "$owners/$1/password")',
    '  export PGUSER PGPASSWORD',
    '}',
    "tab=$(printf '\\t')",
    '# The preflight, logged in as the first owner that can run it.',
    'preflight=1',
    `for candidate in $(cut -f 1 "$dir/${DATABASES_KEY}"); do`,
    `  if login_as_owner_of "$candidate" && run_psql --dbname ${preflightDatabase} --set pairs="$(cat "$dir/${DATABASES_KEY}")" --file "$dir/${PREFLIGHT_SQL_KEY}"; then`,
    '    preflight=0',
    '    break',
    '  fi',
    'done',
    '[ "$preflight" = 0 ] || exit 1',
    'count=0',
    "failed=''",
    `while IFS="$tab" read -r database owner extensions; do`,
    '  [ -n "$database" ] || continue',
    '  if login_as_owner_of "$database" && echo "dbfleet-access: database $database (owner $owner, login $PGUSER)" &&',
    `    run_psql --dbname "$database" --set database="$database" --set owner="$owner" --set extensions="\${extensions:-}" --file "$dir/${DATABASE_SQL_KEY}"; then`,
    '    count=$((count + 1))',
    '  else',
    '    echo "dbfleet-access: database $database: FAILED; the other databases are applied" >&2',
    '    failed="$failed $database"',
    '  fi',
    `done < "$dir/${DATABASES_KEY}"`,
    `echo "dbfleet-access: cluster ${clusterName}: $count database(s) applied"`,
    'if [ -n "$failed" ]; then',
    `  echo "dbfleet-access: cluster ${clusterName}: failed:$failed" >&2`,
    '  exit 1',
    'fi',
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
