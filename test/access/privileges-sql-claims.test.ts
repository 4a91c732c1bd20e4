// Each claim of lib/access/privileges-sql.ts, proven on a real PostgreSQL by one self-contained `it`:
// it RENDERS the SQL (privilegesSql(), inside the `it`), creates fresh roles and databases of its
// own, runs the rendered apply.sh as the access Job runs it (psql, logged in as each database's
// owner, PGOPTIONS of the Job), then acts as the roles that must (not) get in: a developer, an
// outsider, another service's owner, the metrics exporter, a hostile owner. Nothing decides an
// outcome but the server's answer.
//
// Why a file of its own (issue 33, docs/mutation-testing.md): test/access/matrix.test.ts proves
// the same through the whole rendered Job, but its `it`s are steps of one scenario. Stryker reruns
// only the `it`s that reach a mutant, so a step run alone fails whatever the mutant. Here every
// `it` stands alone (one PostgreSQL per file, started once; a fresh database per `it`), so
// `MUTATE_TESTS=test/access/privileges-sql-claims.test.ts npm run mutate -- --mutate lib/access/privileges-sql.ts`
// measures the module honestly.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPLY_SCRIPT_KEY,
  DATABASES_KEY,
  DATABASE_SQL_KEY,
  JOB_PGOPTIONS,
  OWNER_CREDENTIALS_ENV,
  privilegesSql,
  quoteIdent,
  quoteLiteral,
  type PrivilegesSqlOptions,
} from '../../lib/access/privileges-sql';
import type { DeveloperAccess, PostgresCluster, Service } from '../../lib/config/model';
import { pathWith, postgresUnavailableReason, runScript, startPostgres, type PostgresServer } from '../support/postgres';

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: privileges-sql.ts claims on a real PostgreSQL: ${unavailable}`);

/** Roles of the whole server (shared by every `it`; each `it` has its own owners and databases). */
const GROUP = 'developers';
const ALICE = 'dev_alice'; // a member of the group
const OUTSIDER = 'outsider'; // a login role of the cluster that is nobody
const EXPORTER = 'cnpg_metrics_exporter';
const passwordOf = (role: string) => `pw-${role}`;

type Outcome = 'allowed' | 'denied';
type Probes = Record<string, string>;

/** What a developer tries, each in its own rolled-back transaction. */
const DEVELOPER_PROBES: Probes = {
  select: 'SELECT count(*) FROM public.items',
  insert: "INSERT INTO public.items (name) VALUES ('probe')",
  update: "UPDATE public.items SET name = 'probe'",
  delete: 'DELETE FROM public.items',
  truncate: 'TRUNCATE public.items',
  'select ledger': 'SELECT count(*) FROM ledger.entries',
  'insert ledger': 'INSERT INTO ledger.entries (amount) VALUES (1)',
  nextval: "SELECT nextval('public.items_id_seq')",
  setval: "SELECT setval('public.items_id_seq', 100)",
  'sequence last_value': 'SELECT last_value FROM public.items_id_seq',
  'invoker routine': 'SELECT public.invoker_fn()',
  'definer routine': 'SELECT public.definer_fn()',
  'create table in public': 'CREATE TABLE public.mine (x int)',
  'create table in ledger': 'CREATE TABLE ledger.mine (x int)',
  'create schema': 'CREATE SCHEMA mine',
  'temporary table': 'CREATE TEMPORARY TABLE mine (x int)',
  'read pg_authid': 'SELECT count(*) FROM pg_catalog.pg_authid',
  'select later': 'SELECT count(*) FROM public.later_items',
  'insert later': "INSERT INTO public.later_items (name) VALUES ('probe')",
  'truncate later': 'TRUNCATE public.later_items',
  'nextval later': "SELECT nextval('public.later_items_id_seq')",
  'select later schema': 'SELECT count(*) FROM later.notes',
  'create table in later schema': 'CREATE TABLE later.mine (x int)',
  'update later schema': "UPDATE later.notes SET body = 'probe'",
  'later invoker routine': 'SELECT public.later_fn()',
};

function expected(access: DeveloperAccess | 'no connect', laterRoutine: Outcome = 'denied'): Record<string, Outcome> {
  const read: Outcome = access === 'read-only' || access === 'read-write' ? 'allowed' : 'denied';
  const write: Outcome = access === 'read-write' ? 'allowed' : 'denied';
  return {
    select: read,
    insert: write,
    update: write,
    delete: write,
    truncate: 'denied',
    'select ledger': read,
    'insert ledger': write,
    nextval: write,
    setval: write,
    'sequence last_value': read,
    'invoker routine': read,
    'definer routine': 'denied',
    'create table in public': 'denied',
    'create table in ledger': 'denied',
    'create schema': 'denied',
    'temporary table': 'denied',
    'read pg_authid': 'denied',
    'select later': read,
    'insert later': write,
    'truncate later': 'denied',
    'nextval later': write,
    'select later schema': read,
    'create table in later schema': 'denied',
    'update later schema': write,
    'later invoker routine': read === 'allowed' ? laterRoutine : 'denied',
  };
}

/** What a service's migrations create before the access SQL first runs, including hostile grants. */
const OBJECTS_BEFORE = `
  CREATE TABLE public.items (id bigserial PRIMARY KEY, name text NOT NULL);
  INSERT INTO public.items (name) VALUES ('first'), ('second');
  CREATE SCHEMA ledger;
  CREATE TABLE ledger.entries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, amount numeric NOT NULL);
  INSERT INTO ledger.entries (amount) VALUES (10);
  CREATE FUNCTION public.invoker_fn() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM public.items';
  -- Runs as the owner: a "read-only" developer executing it could write through it.
  CREATE FUNCTION public.definer_fn() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 2';`;

/** What the owner's migrations may have granted before: every write, to the developers and to PUBLIC. */
const HOSTILE_GRANTS = `
  GRANT ALL ON ALL TABLES IN SCHEMA public, ledger TO ${GROUP}, PUBLIC;
  GRANT ALL ON ALL SEQUENCES IN SCHEMA public, ledger TO ${GROUP}, PUBLIC;
  GRANT ALL ON SCHEMA public, ledger TO ${GROUP}, PUBLIC;
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${GROUP};
  DO $g$ BEGIN EXECUTE pg_catalog.format('GRANT CREATE, TEMPORARY ON DATABASE %I TO ${GROUP}', current_database()); END $g$;
  ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO ${GROUP}, PUBLIC;
  ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO ${GROUP}, PUBLIC;
  ALTER DEFAULT PRIVILEGES GRANT ALL ON SCHEMAS TO ${GROUP}, PUBLIC;
  ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO ${GROUP};
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO ${GROUP}, PUBLIC;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO ${GROUP}, PUBLIC;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${GROUP};`;

/** What the service creates after the access SQL ran (default privileges must cover it). */
const OBJECTS_AFTER = `
  CREATE TABLE public.later_items (id bigserial PRIMARY KEY, name text NOT NULL);
  INSERT INTO public.later_items (name) VALUES ('later');
  CREATE SCHEMA later;
  CREATE TABLE later.notes (id bigserial PRIMARY KEY, body text NOT NULL);
  INSERT INTO later.notes (body) VALUES ('note');
  CREATE FUNCTION public.later_fn() RETURNS int LANGUAGE sql AS 'SELECT 3';
  CREATE FUNCTION public.later_definer_fn() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 4';`;

describe.skipIf(unavailable !== undefined)('lib/access/privileges-sql.ts on a real PostgreSQL, one claim per it', () => {
  let server: PostgresServer;
  let admin: Client;
  let next = 0;
  const scratch: string[] = [];

  beforeAll(async () => {
    server = await startPostgres({ ssl: false });
    admin = await server.connect({ user: server.superuser, password: server.superuserPassword, database: 'postgres' });
    await admin.query(`
      CREATE ROLE ${GROUP} NOLOGIN;
      CREATE ROLE ${ALICE} LOGIN PASSWORD '${passwordOf(ALICE)}' IN ROLE ${GROUP};
      CREATE ROLE ${OUTSIDER} LOGIN PASSWORD '${passwordOf(OUTSIDER)}';
      CREATE ROLE ${EXPORTER} LOGIN PASSWORD '${passwordOf(EXPORTER)}';
      CREATE ROLE dev_carol LOGIN PASSWORD '${passwordOf('dev_carol')}';
      CREATE ROLE dev_dave LOGIN PASSWORD '${passwordOf('dev_dave')}';`);
  });

  afterAll(async () => {
    await admin?.end();
    await server?.stop();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  // -------------------------------------------------------------------------------------------
  // The world of one `it`.

  interface World {
    readonly cluster: PostgresCluster;
    readonly services: Service[];
  }

  /**
   * Fresh service owners (LOGIN, no other attribute) and their databases, as the operator creates
   * them; `create: false` leaves a service's role and database out (the operator has not got to it).
   */
  async function world(
    names: ReadonlyArray<string | { name: string; database?: string; role?: string; extensions?: string[]; create?: boolean }>,
    access: DeveloperAccess = 'read-write',
    objects: boolean | 'without grants' = true,
  ): Promise<World> {
    const n = ++next;
    const services: Service[] = [];
    for (const entry of names) {
      const spec = typeof entry === 'string' ? { name: entry } : entry;
      const database = spec.database ?? `${spec.name}_${n}`;
      const role = spec.role ?? `${spec.name}_${n}`;
      services.push({ name: spec.name, namespace: spec.name, database, role, extensions: spec.extensions ?? [] });
      if (spec.create === false) continue;
      await admin.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD ${quoteLiteral(passwordOf(role))}`);
      await admin.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(role)}`);
      // PostgreSQL 15+: public belongs to pg_database_owner, i.e. the service (CloudNativePG's Database `schemas`).
      if (objects) await asOwner({ role, database }, objects === true ? `${OBJECTS_BEFORE}\n${HOSTILE_GRANTS}` : OBJECTS_BEFORE);
    }
    const cluster: PostgresCluster = {
      name: `claims-${n}`,
      environment: 'test',
      namespace: 'databases',
      instances: 1,
      storage: '1Gi',
      imageName: `ghcr.io/cloudnative-pg/postgresql:${server.major}`,
      postgresVersion: server.major,
      services,
      developerAccess: access,
    };
    return { cluster, services };
  }

  async function asOwner(service: { role: string; database: string }, sql: string): Promise<void> {
    const client = await server.connect({ user: service.role, password: passwordOf(service.role), database: service.database });
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  interface Run {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
  }

  /**
   * Renders the SQL and runs apply.sh as the Job's container does: the ConfigMap's files in one
   * folder, each owner's `username`/`password` under $DBFLEET_OWNER_CREDENTIALS/<database>/,
   * psql from the server's bin dir, the Job's PGOPTIONS.
   */
  async function apply(
    w: World,
    access: DeveloperAccess,
    options: PrivilegesSqlOptions = {},
    tweak: { pgoptions?: string; withoutCredentials?: string[]; edit?: (key: string, content: string) => string } = {},
  ): Promise<Run> {
    const rendered = privilegesSql(w.cluster, access, options);
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-claims-'));
    scratch.push(dir);
    for (const f of rendered.files) writeFileSync(join(dir, f.key), tweak.edit ? tweak.edit(f.key, f.content) : f.content);
    const owners = join(dir, 'owners');
    for (const s of w.services) {
      if (tweak.withoutCredentials?.includes(s.database)) continue;
      mkdirSync(join(owners, s.database), { recursive: true });
      writeFileSync(join(owners, s.database, 'username'), s.role);
      writeFileSync(join(owners, s.database, 'password'), passwordOf(s.role));
    }
    return runScript(['sh', join(dir, APPLY_SCRIPT_KEY)], {
      PATH: pathWith(server.binDir),
      HOME: dir,
      PGHOST: server.host,
      PGPORT: String(server.port),
      PGSSLMODE: 'disable',
      PGOPTIONS: tweak.pgoptions ?? JOB_PGOPTIONS,
      [OWNER_CREDENTIALS_ENV]: owners,
    });
  }

  async function applied(w: World, access: DeveloperAccess, options: PrivilegesSqlOptions = {}): Promise<Run> {
    const run = await apply(w, access, options);
    if (run.code !== 0) throw new Error(`apply.sh failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
    return run;
  }

  /** Logs in as `role` to `database` and tries each probe; `no connect` when the login itself is refused. */
  async function probe(role: string, database: string, probes: Probes): Promise<Record<string, Outcome> | 'no connect'> {
    let client: Client;
    try {
      client = await server.connect({ user: role, password: passwordOf(role), database });
    } catch (error) {
      // 42501: "permission denied for database" (no CONNECT).
      if ((error as { code?: string }).code === '42501') return 'no connect';
      throw error;
    }
    const outcomes: Record<string, Outcome> = {};
    try {
      for (const [name, sql] of Object.entries(probes)) {
        await client.query('BEGIN');
        try {
          await client.query(sql);
          outcomes[name] = 'allowed';
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code !== '42501') throw new Error(`${role} → ${database}: ${sql}: ${code} ${(error as Error).message}`, { cause: error });
          outcomes[name] = 'denied';
        } finally {
          await client.query('ROLLBACK');
        }
      }
    } finally {
      await client.end();
    }
    return outcomes;
  }

  const canConnect = async (role: string, database: string) => (await probe(role, database, {})) !== 'no connect';

  /** Superuser query in one database, rows as `a|b` lines. */
  async function rows(database: string, sql: string): Promise<string[]> {
    const client = await server.connect({ user: server.superuser, password: server.superuserPassword, database });
    try {
      const result = await client.query({ text: sql, rowMode: 'array' });
      return result.rows.map((r: unknown[]) => r.map(String).join('|'));
    } finally {
      await client.end();
    }
  }

  /**
   * Every privilege `role` (or `PUBLIC`) holds in `database`: tables, sequences, schemas, routines,
   * default privileges, the database; a NULL ACL is the object kind's default (acldefault).
   */
  async function privilegesOf(role: string, database: string): Promise<string[]> {
    const grantee = role === 'PUBLIC' ? '0::oid' : `${quoteLiteral(role)}::regrole::oid`;
    return rows(
      database,
      `SELECT 'database ' || a.privilege_type FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d'::"char", d.datdba))) a
         WHERE d.datname = current_database() AND a.grantee = ${grantee}
       UNION ALL SELECT 'schema ' || n.nspname || ' ' || a.privilege_type FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n'::"char", n.nspowner))) a
         WHERE a.grantee = ${grantee}
       UNION ALL SELECT 'class ' || c.relname || ' ' || a.privilege_type
         FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
         WHERE a.grantee = ${grantee} AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
       UNION ALL SELECT 'routine ' || p.proname || ' ' || a.privilege_type FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f'::"char", p.proowner))) a
         WHERE a.grantee = ${grantee} AND p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
       UNION ALL SELECT 'default ' || coalesce(n.nspname, '*') || ' ' || d.defaclobjtype::text || ' ' || a.privilege_type
         FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
         WHERE a.grantee = ${grantee}
       ORDER BY 1`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // The claims.

  it('read-write: developers read and write every table and sequence, now and later; never TRUNCATE, DDL, temporary tables, SECURITY DEFINER routines or pg_authid', async () => {
    // The second service's names need quoting everywhere (case, dot, dash, space, quote).
    const w = await world(['orders', { name: 'payments', database: 'Pay.Ments-X', role: "Pay O'wner" }]);
    const [orders, payments] = w.services;
    const run = await applied(w, 'read-write', { monitoringRoles: [EXPORTER, 'absent_exporter'] });
    expect(run.stdout).toContain(`dbfleet-access: cluster ${w.cluster.name}: 2 database(s) applied`);
    expect(run.stdout).toContain(`dbfleet-access: database ${orders.database} (owner ${orders.role}, login ${orders.role})`);
    expect(run.stderr).toContain(`dbfleet: database ${orders.database}: ${GROUP} read-write in 2 schema(s)`);
    for (const s of w.services) await asOwner(s, OBJECTS_AFTER);

    expect(await probe(ALICE, orders.database, DEVELOPER_PROBES)).toEqual(expected('read-write'));
    expect(await probe(ALICE, payments.database, DEVELOPER_PROBES)).toEqual(expected('read-write'));
    // REFERENCES and TRIGGER (which the owner had granted): gone; the table writes stay.
    expect(
      await rows(
        orders.database,
        `SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
         WHERE has_table_privilege('${ALICE}', 'ledger.entries', p) ORDER BY 1`,
      ),
    ).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    // A routine created later: nobody but the owner may run it until the next run has looked at it.
    expect(await rows(orders.database, `SELECT has_function_privilege('${OUTSIDER}', 'public.later_fn()', 'EXECUTE')`)).toEqual(['false']);
    await applied(w, 'read-write', { monitoringRoles: [EXPORTER] });
    expect(await probe(ALICE, orders.database, DEVELOPER_PROBES)).toEqual(expected('read-write', 'allowed'));
    expect(await probe(ALICE, orders.database, { 'later definer routine': 'SELECT public.later_definer_fn()' })).toEqual({
      'later definer routine': 'denied',
    });
    // The owner keeps everything it had: creating in public and in its schemas, temporary tables.
    expect(
      await probe(orders.role, orders.database, { t: 'CREATE TABLE public.o (x int)', u: 'CREATE TEMPORARY TABLE o (x int)' }),
    ).toEqual({
      t: 'allowed',
      u: 'allowed',
    });
  });

  it('read-only: developers SELECT everything, now and later, and write nothing, whatever the owner granted to them or to PUBLIC before', async () => {
    const w = await world(['orders']);
    const [orders] = w.services;
    const run = await applied(w, 'read-only');
    expect(run.stderr).toContain(`dbfleet: database ${orders.database}: ${GROUP} read-only in 2 schema(s)`);
    await asOwner(orders, OBJECTS_AFTER);
    expect(await probe(ALICE, orders.database, DEVELOPER_PROBES)).toEqual(expected('read-only'));
    // Nothing but SELECT (and USAGE on the schemas, CONNECT) for the group: no write and no hand-out to PUBLIC.
    expect(
      (await privilegesOf(GROUP, orders.database)).filter((p) => !/ (SELECT|USAGE|CONNECT)$/.test(p) && !p.startsWith('routine ')),
    ).toEqual([]);
    expect(
      (await privilegesOf('PUBLIC', orders.database)).filter((p) =>
        /^class .*(INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER|USAGE)$/.test(p),
      ),
    ).toEqual([]);
  });

  it('a database whose migrations granted nothing: the SQL alone gives developers exactly read-write, then read-only', async () => {
    // Without the owner's grants of everything (the other cases), every GRANT of the SQL must be there.
    const w = await world(['orders'], 'read-write', 'without grants');
    const [orders] = w.services;
    await applied(w, 'read-write');
    await asOwner(orders, OBJECTS_AFTER);
    expect(await probe(ALICE, orders.database, DEVELOPER_PROBES)).toEqual(expected('read-write'));
    await applied(w, 'read-only');
    expect(await probe(ALICE, orders.database, DEVELOPER_PROBES)).toEqual(expected('read-only', 'allowed'));
  });

  it('read-write → read-only revokes every write, on old and later objects and in the defaults; applying again changes nothing', async () => {
    const w = await world(['orders']);
    const [orders] = w.services;
    await applied(w, 'read-write');
    await asOwner(orders, OBJECTS_AFTER);
    expect(await probe(ALICE, orders.database, DEVELOPER_PROBES)).toEqual(expected('read-write'));
    await applied(w, 'read-only');
    const once = await privilegesOf(GROUP, orders.database);
    await applied(w, 'read-only');
    expect(await privilegesOf(GROUP, orders.database)).toEqual(once);
    // Objects created after the switch: read-only too.
    await asOwner(orders, 'CREATE SCHEMA newest; CREATE TABLE newest.t (id bigserial, x int); INSERT INTO newest.t (x) VALUES (1);');
    expect(await probe(ALICE, orders.database, DEVELOPER_PROBES)).toEqual(expected('read-only', 'allowed'));
    expect(
      await probe(ALICE, orders.database, {
        'select newest': 'SELECT count(*) FROM newest.t',
        'insert newest': 'INSERT INTO newest.t (x) VALUES (2)',
        'nextval newest': "SELECT nextval('newest.t_id_seq')",
      }),
    ).toEqual({ 'select newest': 'allowed', 'insert newest': 'denied', 'nextval newest': 'denied' });
    expect(once.filter((p) => /(INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER|CREATE|TEMPORARY)$/.test(p))).toEqual([]);
    // Sequences: SELECT only (USAGE is nextval, UPDATE is setval).
    expect(once.filter((p) => /^(class|default) .*(items_id_seq|notes_id_seq| S) (USAGE|UPDATE)$/.test(p))).toEqual([]);
  });

  it('→ none: the developer group loses every privilege and default; the exporter keeps CONNECT; the owner keeps its own', async () => {
    const w = await world(['orders']);
    const [orders] = w.services;
    await applied(w, 'read-write', { monitoringRoles: [EXPORTER] });
    await asOwner(orders, OBJECTS_AFTER);
    expect((await privilegesOf(GROUP, orders.database)).length).toBeGreaterThan(10);
    const run = await applied(w, 'none', { monitoringRoles: [EXPORTER] });
    expect(run.stdout).toContain('1 database(s) applied');
    expect(await privilegesOf(GROUP, orders.database)).toEqual([]);
    expect(await canConnect(ALICE, orders.database)).toBe(false);
    expect(await canConnect(EXPORTER, orders.database)).toBe(true);
    expect(await canConnect(OUTSIDER, orders.database)).toBe(false);
    // PUBLIC (every role) runs no routine of the owner's, old or later.
    await asOwner(orders, 'CREATE FUNCTION public.newest_fn() RETURNS int LANGUAGE sql AS $$SELECT 5$$;');
    expect(
      await rows(
        orders.database,
        `SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND has_function_privilege('${OUTSIDER}', p.oid, 'EXECUTE') ORDER BY 1`,
      ),
    ).toEqual([]);
    expect(
      await probe(orders.role, orders.database, {
        create: 'CREATE TABLE public.own (x int)',
        write: "INSERT INTO public.items (name) VALUES ('x')",
        run: 'SELECT public.definer_fn()',
      }),
    ).toEqual({ create: 'allowed', write: 'allowed', run: 'allowed' });
  });

  it('none, on a fresh cluster: nobody but the owner (and the exporter, when it exists) connects, creates or runs routines', async () => {
    const w = await world(['orders']);
    const [orders] = w.services;
    await applied(w, 'none', { monitoringRoles: ['absent_exporter'] });
    for (const role of [ALICE, OUTSIDER, EXPORTER]) expect(await canConnect(role, orders.database), role).toBe(false);
    expect(await privilegesOf(GROUP, orders.database)).toEqual([]);
    // PUBLIC: no CONNECT or TEMPORARY, no CREATE in any schema, no routine of the owner's.
    expect(
      (await privilegesOf('PUBLIC', orders.database)).filter((p) =>
        /^database |^(schema|default) .* CREATE$|^routine (definer|invoker)_fn /.test(p),
      ),
    ).toEqual([]);
  });

  it("service isolation: no role of the cluster connects to a service's database but its owner, the developers and the exporter", async () => {
    const w = await world(['orders', 'payments']);
    const [orders, payments] = w.services;
    await applied(w, 'read-only', { monitoringRoles: [EXPORTER] });
    expect(await canConnect(orders.role, payments.database)).toBe(false);
    expect(await canConnect(payments.role, orders.database)).toBe(false);
    expect(await canConnect(OUTSIDER, orders.database)).toBe(false);
    expect(await canConnect(OUTSIDER, payments.database)).toBe(false);
    expect(await canConnect(EXPORTER, orders.database)).toBe(true);
    expect(await canConnect(orders.role, orders.database)).toBe(true);
    expect(await canConnect(ALICE, payments.database)).toBe(true);
    // TEMPORARY follows CONNECT: only the owner keeps it.
    expect(await rows(orders.database, `SELECT has_database_privilege('${ALICE}', current_database(), 'TEMPORARY')`)).toEqual(['false']);
    expect(await rows(orders.database, `SELECT has_database_privilege('${orders.role}', current_database(), 'TEMPORARY')`)).toEqual([
      'true',
    ]);
  });

  it("search_path is pinned: a hostile owner's functions and types shadowing the catalog's never run in the Job's session", async () => {
    const w = await world(['orders']);
    const [orders] = w.services;
    // The owner plants look-alikes in public and puts public first for its database and its role.
    const trap = `
      CREATE TABLE public.hijack_log (fn pg_catalog.text);
      GRANT INSERT ON public.hijack_log TO PUBLIC;
      CREATE FUNCTION public.hijacked(what pg_catalog.text) RETURNS pg_catalog.bool LANGUAGE plpgsql AS $f$
      BEGIN INSERT INTO public.hijack_log VALUES (what); RAISE WARNING 'dbfleet-hijack: %', what; RETURN true; END $f$;
      CREATE FUNCTION public.format(pg_catalog.text, pg_catalog.name) RETURNS pg_catalog.text LANGUAGE plpgsql AS $f$
      BEGIN PERFORM public.hijacked('format'); RETURN pg_catalog.format($1, $2); END $f$;
      CREATE FUNCTION public.current_setting(pg_catalog.text) RETURNS pg_catalog.text LANGUAGE plpgsql AS $f$
      BEGIN PERFORM public.hijacked('current_setting'); RETURN pg_catalog.current_setting($1); END $f$;
      CREATE DOMAIN public.text AS pg_catalog.text CHECK (public.hijacked('type text'));
      CREATE DOMAIN public.name AS pg_catalog.name CHECK (public.hijacked('type name'));
      ALTER DATABASE ${quoteIdent(orders.database)} SET search_path = public, pg_catalog;
      ALTER ROLE CURRENT_USER SET search_path = public, pg_catalog;`;
    await asOwner(orders, trap);
    const withoutPin = JOB_PGOPTIONS.replace('-c search_path=pg_catalog,pg_temp', '');
    expect(withoutPin).not.toContain('search_path');
    const hijacks = async () => (await rows(orders.database, 'SELECT fn FROM public.hijack_log ORDER BY 1')).join(',');

    // The SQL's own pin, with the Job's session pin taken away.
    const run = await apply(w, 'read-only', { monitoringRoles: [EXPORTER] }, { pgoptions: withoutPin });
    expect(run.code, run.stderr).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toContain('dbfleet-hijack');
    expect(await hijacks()).toBe('');
    // The Job's session pin alone (the SQL's taken away) protects too.
    const unpin = (_key: string, content: string) => content.replaceAll('SET LOCAL search_path = pg_catalog, pg_temp;', '');
    const pinned = await apply(w, 'read-only', {}, { edit: unpin });
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(`${pinned.stdout}${pinned.stderr}`).not.toContain('dbfleet-hijack');
    expect(await hijacks()).toBe('');

    // The trap is armed: without the SQL's pin the owner's look-alikes run in the Job's session.
    const unpinned = await apply(w, 'read-only', {}, { pgoptions: withoutPin, edit: unpin });
    expect(`${unpinned.stdout}${unpinned.stderr}`).toContain('dbfleet-hijack');
  });

  it('the preflight fails, naming what is missing and changing nothing, while the operator has not created the roles and databases', async () => {
    const w = await world(['orders', { name: 'payments', create: false }, { name: 'billing', create: false }]);
    const [orders, payments, billing] = w.services;
    const before = await rows('postgres', `SELECT datacl::text FROM pg_database WHERE datname = '${orders.database}'`);
    const run = await apply(w, 'read-only', { groupRole: 'ghost_group' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `dbfleet: not created yet: database ${billing.database}, database ${payments.database}, role ${billing.role}, role ghost_group, role ${payments.role}`,
    );
    expect(run.stdout).not.toContain('database(s) applied');
    expect(await rows('postgres', `SELECT datacl::text FROM pg_database WHERE datname = '${orders.database}'`)).toEqual(before);
    expect(await canConnect(OUTSIDER, orders.database)).toBe(true);

    // Under `none` the group is not needed; the databases still are.
    const none = await apply(w, 'none', { groupRole: 'ghost_group' });
    expect(none.stderr).toContain(
      `dbfleet: not created yet: database ${billing.database}, database ${payments.database}, role ${billing.role}, role ${payments.role}`,
    );
    const alone = await world(['solo']);
    await applied(alone, 'none', { groupRole: 'ghost_group' });
    expect(await canConnect(OUTSIDER, alone.services[0].database)).toBe(false);
  });

  it('one database whose owner credentials are not mounted fails alone: the others are applied, the run fails naming it', async () => {
    const w = await world(['orders', 'payments', 'billing']);
    const [orders, payments, billing] = w.services;
    // The preflight runs as the first owner that can: the first one's credentials are missing.
    const run = await apply(w, 'read-only', {}, { withoutCredentials: [orders.database] });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`dbfleet-access: database ${orders.database}: no owner credentials mounted in this pod`);
    expect(run.stderr).toContain(`dbfleet-access: database ${orders.database}: FAILED; the other databases are applied`);
    expect(run.stderr).toContain(`dbfleet-access: cluster ${w.cluster.name}: failed: ${orders.database}\n`);
    expect(run.stdout).toContain(`dbfleet-access: cluster ${w.cluster.name}: 2 database(s) applied`);
    expect(await canConnect(OUTSIDER, orders.database)).toBe(true);
    expect(await canConnect(OUTSIDER, payments.database)).toBe(false);
    expect(await canConnect(OUTSIDER, billing.database)).toBe(false);
    expect(await probe(ALICE, billing.database, { select: 'SELECT count(*) FROM public.items' })).toEqual({ select: 'allowed' });

    // Every owner missing: the preflight cannot run, nothing is applied.
    const none = await apply(w, 'read-only', {}, { withoutCredentials: w.services.map((s) => s.database) });
    expect(none.code).toBe(1);
    expect(none.stdout).not.toContain('database(s) applied');
  });

  it('the preflight runs in the maintenance database, or in each candidate owner’s own database (Aurora)', async () => {
    const w = await world(['orders']);
    const [orders] = w.services;
    const elsewhere = await apply(w, 'read-only', { maintenanceDatabase: 'no_such_database' });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('database "no_such_database" does not exist');
    expect(await canConnect(OUTSIDER, orders.database)).toBe(true);
    await applied(w, 'read-only', { maintenanceDatabase: 'no_such_database', preflightInOwnDatabase: true });
    expect(await canConnect(OUTSIDER, orders.database)).toBe(false);
  });

  it('direct grants (an operator without membership): each listed developer gets the privileges by name; one removed from the list loses all of them', async () => {
    const w = await world(['orders']);
    const [orders] = w.services;
    const gaps = { directGrants: true, extensions: false };
    await applied(w, 'read-write', { developers: ['carol', 'dave'], operatorGaps: gaps, monitoringRoles: [EXPORTER] });
    await asOwner(orders, OBJECTS_AFTER);
    expect(await probe('dev_carol', orders.database, DEVELOPER_PROBES)).toEqual(expected('read-write'));
    expect(await probe('dev_dave', orders.database, DEVELOPER_PROBES)).toEqual(expected('read-write'));
    // The group gets nothing here (its members would, on an operator that cannot grant membership).
    expect(await canConnect(ALICE, orders.database)).toBe(false);

    const run = await applied(w, 'read-only', { developers: ['carol'], operatorGaps: gaps, monitoringRoles: [EXPORTER] });
    expect(run.stderr).toContain(`dbfleet: database ${orders.database}: dev_dave is no longer a developer here: privileges revoked`);
    expect(await privilegesOf('dev_dave', orders.database)).toEqual([]);
    expect(await canConnect('dev_dave', orders.database)).toBe(false);
    expect(await rows('postgres', "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'dev_dave'")).toEqual(['true']);
    expect(await probe('dev_carol', orders.database, DEVELOPER_PROBES)).toEqual(expected('read-only', 'allowed'));
    expect(await probe('dev_carol', orders.database, { definer: 'SELECT public.later_definer_fn()' })).toEqual({ definer: 'denied' });
    expect(await canConnect(EXPORTER, orders.database)).toBe(true);

    // A listed developer whose role does not exist yet: the preflight waits for it.
    const waiting = await apply(w, 'read-only', { developers: ['carol', 'erin'], operatorGaps: gaps });
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toContain('dbfleet: not created yet: role dev_erin');
    // `none`: nobody keeps anything.
    await applied(w, 'none', { developers: ['carol'], operatorGaps: gaps });
    expect(await privilegesOf('dev_carol', orders.database)).toEqual([]);
  });

  it("extensions (an operator whose database declaration has none): created as the owner, in public, from the list's third column", async () => {
    const w = await world([{ name: 'orders', extensions: ['tcn'] }, 'payments']);
    const [orders, payments] = w.services;
    const run = await applied(w, 'read-only', { operatorGaps: { directGrants: false, extensions: true } });
    expect(run.stdout).toContain('2 database(s) applied');
    expect(await rows(orders.database, "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'tcn'")).toEqual(['public']);
    expect(await rows(payments.database, "SELECT count(*) FROM pg_extension WHERE extname = 'tcn'")).toEqual(['0']);
    expect(await probe(ALICE, orders.database, { select: 'SELECT count(*) FROM public.items' })).toEqual({ select: 'allowed' });
  });

  it("schemas of the operator's image (foreignSchemas) are not the service's data: developers get nothing there", async () => {
    // Owned by the service here (the strongest case: objects the owner does not own get no grant anyway).
    const w = await world(['orders'], 'read-write', false);
    const [orders] = w.services;
    await asOwner(
      orders,
      `CREATE SCHEMA metric_helpers; CREATE TABLE metric_helpers.stats (x int); CREATE SCHEMA user_management; ${OBJECTS_BEFORE}`,
    );
    await applied(w, 'read-write', {
      operatorGaps: { directGrants: false, extensions: false, foreignSchemas: ['metric_helpers', 'user_management'] },
    });
    expect(
      await probe(ALICE, orders.database, {
        helpers: 'SELECT count(*) FROM metric_helpers.stats',
        items: 'SELECT count(*) FROM public.items',
      }),
    ).toEqual({
      helpers: 'denied',
      items: 'allowed',
    });
    expect((await privilegesOf(GROUP, orders.database)).filter((p) => /metric_helpers|user_management|stats/.test(p))).toEqual([]);
  });

  it('PostgreSQL <= 14 layout (public owned by the superuser, CREATE for PUBLIC): the service keeps CREATE on public', async () => {
    const w = await world(['orders']);
    const [orders] = w.services;
    server.psql(orders.database, `ALTER SCHEMA public OWNER TO ${quoteIdent(server.superuser)}; GRANT ALL ON SCHEMA public TO PUBLIC;`);
    await applied(w, 'read-write');
    expect(await probe(orders.role, orders.database, { create: 'CREATE TABLE public.mine (x int)' })).toEqual({ create: 'allowed' });
    // PUBLIC's CREATE there was granted by the superuser: the owner cannot revoke it (a warning, not an
    // error); CloudNativePG's Database `schemas` hands public to the service (docs/mutation-testing.md).
  });

  it('the list names each service once, database TAB owner; the template is the same for every database', () => {
    const services: Service[] = [
      { name: 'a', namespace: 'a', database: 'a_db', role: 'a_role', extensions: ['x', 'y'] },
      { name: 'b', namespace: 'b', database: 'b_db', role: 'b_role', extensions: [] },
    ];
    const cluster = { name: 'c', services, developerAccess: 'read-only' } as unknown as PostgresCluster;
    const file = (sql: ReturnType<typeof privilegesSql>, key: string) => sql.files.find((f) => f.key === key)!.content;
    expect(file(privilegesSql(cluster), DATABASES_KEY)).toBe('a_db\ta_role\nb_db\tb_role\n');
    expect(file(privilegesSql(cluster, 'read-only', { operatorGaps: { directGrants: false, extensions: true } }), DATABASES_KEY)).toBe(
      'a_db\ta_role\tx,y\nb_db\tb_role\t\n',
    );
    expect(file(privilegesSql(cluster), DATABASE_SQL_KEY)).not.toContain('a_db');
    expect(() => privilegesSql({ ...cluster, services: [] })).toThrow('cluster c holds no service database');
  });
});
