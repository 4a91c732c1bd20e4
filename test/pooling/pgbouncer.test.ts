// The app's connection Secret, used as an app would, through a real PgBouncer configured from the
// Pooler objects dbfleet renders (pool mode, limits), in front of a real PostgreSQL prepared the way
// CloudNativePG prepares a cluster for its poolers (the cnpg_pooler_pgbouncer role and the
// public.user_search() lookup function, cloudnative-pg@v1.30.0:docs/src/connection_pooling.md,
// "SQL instructions"). Connections use the official `pg` client with the Secret's `uri`, `ro-uri`
// and `direct-uri`, rendered from the ExternalSecret template with a password that needs escaping.
//
// Skipped with a message when PostgreSQL or pgbouncer is not installed; CI sets
// DBFLEET_REQUIRE_POSTGRES=1 and installs both (.ci/run), so there it can never skip.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { BASE_FLEET, fleetOf } from '../support/fleet';
import {
  findPgbouncer,
  pgbouncerUnavailableReason,
  pgbouncerVersion,
  startPgbouncer,
  AUTH_USER,
  type Pgbouncer,
} from '../support/pgbouncer';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

const skipReason = postgresUnavailableReason() ?? pgbouncerUnavailableReason();
if (skipReason) console.warn(`test/pooling/pgbouncer.test.ts skipped: ${skipReason}`);

// Small limits, so the test can reach them: the rw pooler in transaction mode with one server
// connection per pool and three clients per pod; the ro pooler in session mode.
const FLEET = BASE_FLEET.replace(
  '    developerAccess: read-only\n',
  `    developerAccess: read-only
    pooler:
      rw: { instances: 2, poolMode: transaction, parameters: { max_client_conn: 3, default_pool_size: 1, query_wait_timeout: 20 } }
      ro: { instances: 2, poolMode: session, parameters: { max_client_conn: 10, default_pool_size: 2 } }
`,
);
const objects = renderObjects(buildApp(fleetOf(FLEET)))
  .filter((o) => o.path.startsWith('production/'))
  .map((o) => o.object as KubernetesObject & { spec: any });
const find = (kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};

/** Go's url.QueryEscape, which ESO's `urlquery` template function is. */
function goQueryEscape(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
      if (c === ' ') return '+';
      return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

// Characters a URI must escape in the userinfo (no space: Go's QueryEscape turns it into "+",
// which a URI reads as a plus; issue #13's encoding fix covers that).
const APP_PASSWORD = `p@ss:w/rd%?#&=!*'()${randomBytes(4).toString('hex')}`;
const AUTH_PASSWORD = randomBytes(12).toString('hex');

describe.skipIf(skipReason !== undefined)('the app Secret through a real PgBouncer', () => {
  let pg: PostgresServer;
  let rw: Pgbouncer;
  let ro: Pgbouncer;
  let secret: Record<string, string>;
  const clients: Client[] = [];

  /** A connected client for a connection string (closed after the tests). */
  async function connect(connectionString: string): Promise<Client> {
    const client = new Client({ connectionString, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    pg = await startPostgres({ ssl: false });
    const binary = findPgbouncer()!;
    const [major, minor] = pgbouncerVersion(binary);
    // CloudNativePG needs auth_dbname (PgBouncer ≥ 1.19): the lookup function lives only in
    // `postgres`. An older local pgbouncer looks the user up in the database the client asks for,
    // so there (only) the function is also created in the app's database.
    const authDbname = major > 1 || minor >= 19;
    const lookup = `
      CREATE OR REPLACE FUNCTION public.user_search(uname TEXT)
        RETURNS TABLE (usename name, passwd text)
        LANGUAGE sql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS
        'SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename=$1;';
      REVOKE ALL ON FUNCTION public.user_search(text) FROM public;
      GRANT EXECUTE ON FUNCTION public.user_search(text) TO ${AUTH_USER};`;
    pg.psql(
      'postgres',
      `
      CREATE ROLE ${AUTH_USER} WITH LOGIN PASSWORD '${AUTH_PASSWORD}';
      GRANT CONNECT ON DATABASE postgres TO ${AUTH_USER};
      ${lookup}
      CREATE ROLE orders LOGIN PASSWORD '${APP_PASSWORD.replace(/'/g, "''")}';`,
    );
    // CREATE DATABASE cannot run in psql's single transaction: a statement of its own.
    const created = await pg.connect({ user: pg.superuser, password: pg.superuserPassword, database: 'postgres' });
    await created.query('CREATE DATABASE orders OWNER orders');
    await created.end();
    if (!authDbname) pg.psql('orders', `GRANT CONNECT ON DATABASE orders TO ${AUTH_USER}; ${lookup}`);

    const poolerOptions = (name: string) => {
      const spec = find('Pooler', name).spec;
      return {
        poolMode: spec.pgbouncer.poolMode as string,
        parameters: spec.pgbouncer.parameters as Record<string, string>,
        // Both the -rw and the -ro Service: one local server stands in for primary and replicas.
        serverHost: pg.host,
        serverPort: pg.port,
        authUserPassword: AUTH_PASSWORD,
        authDbname,
        serverTls: pg.ssl,
      };
    };
    rw = await startPgbouncer(poolerOptions('orders-pooler-rw'));
    ro = await startPgbouncer(poolerOptions('orders-pooler-ro'));

    // The Secret as ESO would materialise it, with the Services' DNS names mapped to local ports.
    const hosts: Record<string, number> = {
      'orders-pooler-rw.databases.svc': rw.port,
      'orders-pooler-ro.databases.svc': ro.port,
      'orders-rw.databases.svc': pg.port,
      'orders-ro.databases.svc': pg.port,
    };
    const template = find('ExternalSecret', 'orders-db').spec.target.template.data as Record<string, string>;
    secret = Object.fromEntries(
      Object.entries(template).map(([k, v]) => {
        let value = v
          .replaceAll('{{ .password | urlquery | replace "+" "%20" }}', goQueryEscape(APP_PASSWORD).replaceAll('+', '%20'))
          .replaceAll('{{ .password | urlquery }}', goQueryEscape(APP_PASSWORD))
          .replaceAll('{{ .password }}', APP_PASSWORD);
        for (const [host, port] of Object.entries(hosts)) value = value.replaceAll(`${host}:5432`, `127.0.0.1:${port}`);
        return [k, value];
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await rw?.stop();
    await ro?.stop();
    await pg?.stop();
  });

  it('renders the rw pooler in transaction mode and the ro pooler in session mode, with their limits', () => {
    expect(find('Pooler', 'orders-pooler-rw').spec.pgbouncer).toEqual({
      poolMode: 'transaction',
      parameters: { default_pool_size: '1', max_client_conn: '3', query_wait_timeout: '20' },
    });
    expect(find('Pooler', 'orders-pooler-ro').spec.pgbouncer).toEqual({
      poolMode: 'session',
      parameters: { default_pool_size: '2', max_client_conn: '10' },
    });
    expect(secret.uri).toContain(`@127.0.0.1:${rw.port}/orders`);
    expect(secret['ro-uri']).toContain(`@127.0.0.1:${ro.port}/orders`);
    expect(secret['direct-uri']).toContain(`@127.0.0.1:${pg.port}/orders`);
  });

  it('the running PgBouncers hold the rendered settings (SHOW CONFIG on the admin console)', async () => {
    const admin = new Client({ host: rw.host, port: rw.port, user: rw.admin.user, password: rw.admin.password, database: 'pgbouncer' });
    await admin.connect();
    try {
      const config = Object.fromEntries(
        (await admin.query({ text: 'SHOW CONFIG', rowMode: 'array' })).rows.map((r: string[]) => [r[0], r[1]]),
      );
      expect(config).toMatchObject({
        pool_mode: 'transaction',
        max_client_conn: '3',
        default_pool_size: '1',
        auth_user: AUTH_USER,
        auth_type: 'hba',
      });
      expect(config.ignore_startup_parameters).toBe('extra_float_digits,options');
    } finally {
      await admin.end();
    }
  });

  it('`uri` logs the app in through the rw pooler with its own role and password (auth_query)', async () => {
    const client = await connect(secret.uri);
    const { rows } = await client.query('select current_user as "user", current_database() as db');
    expect(rows[0]).toEqual({ user: 'orders', db: 'orders' });
    await client.query('create table if not exists t (id int)');
    await client.query('insert into t values (1)');
    await client.end();
  });

  it('a wrong password is refused by the pooler (SCRAM against the secret auth_query returned)', async () => {
    const wrong = secret.uri.replace(goQueryEscape(APP_PASSWORD), 'not-the-password');
    await expect(connect(wrong)).rejects.toThrow(/SASL authentication failed|password authentication failed/);
  });

  it('transaction mode: clients share the one server connection, and session state leaks between them', async () => {
    const a = await connect(secret.uri);
    const b = await connect(secret.uri);
    const pid = async (c: Client) => (await c.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    expect(await pid(a)).toBe(await pid(b));
    // What docs/pooling.md warns about: a session-level SET on one client is seen by the other.
    await a.query("set statement_timeout = '4321ms'");
    expect((await b.query('show statement_timeout')).rows[0].statement_timeout).toBe('4321ms');
    await a.query('reset statement_timeout');
    await a.end();
    await b.end();
  });

  it('max_client_conn: a fourth client of the rw pod is refused', async () => {
    const held = await Promise.all([connect(secret.uri), connect(secret.uri), connect(secret.uri)]);
    await expect(connect(secret.uri)).rejects.toThrow(/no more connections allowed \(max_client_conn\)/);
    await Promise.all(held.map((c) => c.end()));
  });

  it('`ro-uri` reads through the ro pooler; session mode keeps a client on its backend', async () => {
    const client = await connect(secret['ro-uri']);
    const { rows } = await client.query('select current_user as "user", count(*)::int as n from t');
    expect(rows[0]).toEqual({ user: 'orders', n: 1 });
    const first = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
    await client.query("set statement_timeout = '1234ms'");
    const other = await connect(secret['ro-uri']);
    expect((await other.query('select pg_backend_pid() as pid')).rows[0].pid).not.toBe(first);
    expect((await other.query('show statement_timeout')).rows[0].statement_timeout).not.toBe('1234ms');
    expect((await client.query('select pg_backend_pid() as pid')).rows[0].pid).toBe(first);
    expect((await client.query('show statement_timeout')).rows[0].statement_timeout).toBe('1234ms');
    await client.end();
    await other.end();
  });

  it('`direct-uri` reaches PostgreSQL without a pooler (session features, e.g. advisory locks)', async () => {
    const client = await connect(secret['direct-uri']);
    expect((await client.query('select pg_try_advisory_lock(42) as locked')).rows[0].locked).toBe(true);
    expect((await client.query('select pg_advisory_unlock(42) as unlocked')).rows[0].unlocked).toBe(true);
    expect((await client.query('select current_user as u')).rows[0].u).toBe('orders');
    await client.end();
  });

  it('jdbc-uri names the same endpoint and credentials as uri', () => {
    const uri = new URL(secret.uri);
    const jdbc = new URL(secret['jdbc-uri'].replace(/^jdbc:/, ''));
    expect([jdbc.host, jdbc.pathname]).toEqual([uri.host, uri.pathname]);
    expect(jdbc.searchParams.get('user')).toBe('orders');
    expect(jdbc.searchParams.get('password')).toBe(APP_PASSWORD);
    expect(decodeURIComponent(uri.password)).toBe(APP_PASSWORD);
  });
});
