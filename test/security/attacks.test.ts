// The attacks of issue 24 (items 1-4 and 11), each on a real PostgreSQL, through the rendered
// Jobs exactly as they run: the rendered ConfigMap and Secrets mounted, the rendered command,
// the rendered environment (PGOPTIONS, PGCHANNELBINDING, the login of the Secrets it names).
// Each test fails when its control is reverted (docs/security.md lists which control each
// test proves).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { zalandoCredentialSecretName } from '../../lib/backends/zalando/zalando-cluster';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';
import { renderEnvironment, RenderedWorld, succeeded } from './harness';

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: issue 24 attacks on a real PostgreSQL: ${unavailable}`);

/** Two services in one CloudNativePG cluster (`acme`), one read-only developer. */
const CNPG_FLEET = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice]
environments:
  test:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: read-only
services:
  - name: orders
    namespace: orders
  - name: payments
    namespace: payments
`;
const ACCESS_JOB = 'acme-access-sync';

/** The SQLSTATE the server answers `sql` with (logging in included), or `allowed`. */
async function denied(server: PostgresServer, login: { user: string; password: string; database: string }, sql: string): Promise<string> {
  let client;
  try {
    client = await server.connect(login);
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
  try {
    await client.query(sql);
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  } finally {
    await client.end();
  }
  return 'allowed';
}

async function query(server: PostgresServer, login: { user: string; password: string; database: string }, sql: string): Promise<any[]> {
  const client = await server.connect(login);
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(unavailable !== undefined)('issue 24: attacks on the rendered Jobs, on a real PostgreSQL', () => {
  let server: PostgresServer;
  let world: RenderedWorld;
  const as = (user: string, database: string) => ({ user, password: world.passwords.get(user)!, database });

  beforeEach(async () => {
    server = await startPostgres();
  });
  afterEach(async () => {
    await server?.stop();
  });

  it('function shadowing: an owner who creates public.format(text, name) & co. never gets code run by the access Job', async () => {
    world = new RenderedWorld(server, renderEnvironment(CNPG_FLEET, 'test'));
    await world.operatorSyncCnpg();
    succeeded(await world.runJob(ACCESS_JOB));
    // The owner of `orders` plants overloads that beat pg_catalog's variadic format() on an exact
    // argument type match, and would try to take over `payments` from the Job's session.
    const trap = (args: string) => `
      CREATE FUNCTION public.format(${args}) RETURNS text LANGUAGE plpgsql AS $f$
      BEGIN
        INSERT INTO public.hijack_log VALUES (session_user, current_user, 'format(${args})');
        BEGIN
          EXECUTE 'SET ROLE payments';
          EXECUTE 'ALTER ROLE payments PASSWORD ''pwned''';
          EXECUTE 'RESET ROLE';
        EXCEPTION WHEN OTHERS THEN NULL;
        END;
        RETURN pg_catalog.format($1, VARIADIC ARRAY[${args
          .split(', ')
          .slice(1)
          .map((_, i) => `$${i + 2}::text`)
          .join(', ')}]);
      END $f$;`;
    await query(
      server,
      as('orders', 'orders'),
      `CREATE TABLE public.hijack_log (session_user_name name, current_user_name name, fn text);
       ${['text, name', 'text, name, text', 'text, text, name', 'text, name, name', 'text, name, name, name'].map(trap).join('\n')}
       CREATE FUNCTION public.current_setting(name) RETURNS text LANGUAGE sql AS $f$ INSERT INTO public.hijack_log VALUES (session_user, current_user, 'current_setting') RETURNING 'x' $f$;
       CREATE FUNCTION public.pg_has_role(text, oid, text) RETURNS boolean LANGUAGE sql AS $f$ INSERT INTO public.hijack_log VALUES (session_user, current_user, 'pg_has_role') RETURNING true $f$;`,
    );
    const run = succeeded(await world.runJob(ACCESS_JOB));
    expect(run.env.PGOPTIONS).toContain('-c search_path=pg_catalog,pg_temp');
    expect(await query(server, as('orders', 'orders'), 'SELECT * FROM public.hijack_log')).toEqual([]);
    // payments' password is still its own.
    expect(await query(server, as('payments', 'payments'), 'SELECT current_user AS u')).toEqual([{ u: 'payments' }]);
  }, 60_000);

  it('membership escalation: no login the access Job uses can SET ROLE to, or DROP the database of, another service', async () => {
    world = new RenderedWorld(server, renderEnvironment(CNPG_FLEET, 'test'));
    await world.operatorSyncCnpg();
    const run = succeeded(await world.runJob(ACCESS_JOB));
    const logins = world.loginsOf(run);
    expect(logins.length).toBeGreaterThan(0);
    const services = ['orders', 'payments'];
    const attempts: string[] = [];
    for (const login of logins) {
      const attributes = await query(
        server,
        { ...login, database: 'postgres' },
        'SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user',
      );
      expect(attributes, `${login.user} is no superuser and cannot create roles`).toEqual([{ rolsuper: false, rolcreaterole: false }]);
      // The service this login acts for (its own database) — every other one is off limits.
      const own = (await query(server, { ...login, database: 'postgres' }, 'SELECT current_user AS u'))[0].u as string;
      for (const other of services.filter((s) => s !== own)) {
        attempts.push(
          `${login.user}: SET ROLE ${other} → ${await denied(server, { ...login, database: 'postgres' }, `SET ROLE ${other}`)}`,
        );
        attempts.push(
          `${login.user}: DROP DATABASE ${other} → ${await denied(server, { ...login, database: 'postgres' }, `DROP DATABASE ${other}`)}`,
        );
      }
    }
    expect(attempts.length).toBeGreaterThan(0);
    for (const attempt of attempts) expect(attempt).toMatch(/→ 42501$/);
    expect(server.psql('postgres', "SELECT count(*) FROM pg_database WHERE datname IN ('orders', 'payments');").trim()).toBe('2');
  }, 60_000);

  it('SECURITY DEFINER: a read-only developer cannot write through an owner routine (before or after the Job ran); invoker routines stay usable', async () => {
    world = new RenderedWorld(server, renderEnvironment(CNPG_FLEET, 'test'));
    await world.operatorSyncCnpg();
    await query(
      server,
      as('orders', 'orders'),
      `CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders VALUES (1), (2);
       CREATE FUNCTION public.cancel_order(i int) RETURNS void SECURITY DEFINER LANGUAGE sql AS 'DELETE FROM public.orders WHERE id = i';
       CREATE PROCEDURE public.purge_orders() SECURITY DEFINER LANGUAGE sql AS 'DELETE FROM public.orders';
       CREATE FUNCTION public.order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM public.orders';`,
    );
    succeeded(await world.runJob(ACCESS_JOB));
    // Created after the Job ran: covered by the owner's default privileges.
    await query(
      server,
      as('orders', 'orders'),
      "CREATE FUNCTION public.cancel_all() RETURNS void SECURITY DEFINER LANGUAGE sql AS 'DELETE FROM public.orders';",
    );
    const alice = as('dev_alice', 'orders');
    expect(await denied(server, alice, 'SELECT public.cancel_order(1)')).toBe('42501');
    expect(await denied(server, alice, 'CALL public.purge_orders()')).toBe('42501');
    expect(await denied(server, alice, 'SELECT public.cancel_all()')).toBe('42501');
    expect(await denied(server, alice, 'DELETE FROM public.orders')).toBe('42501');
    expect(await query(server, alice, 'SELECT public.order_count() AS n')).toEqual([{ n: '2' }]);
    expect(await query(server, as('orders', 'orders'), 'SELECT count(*)::int AS n FROM public.orders')).toEqual([{ n: 2 }]);
  }, 60_000);

  it('a developer cannot connect to postgres, template1 or app: service databases only', async () => {
    world = new RenderedWorld(server, renderEnvironment(CNPG_FLEET, 'test'));
    await world.operatorSyncCnpg();
    succeeded(await world.runJob(ACCESS_JOB));
    // CloudNativePG's initdb bootstrap database (owner app), where PUBLIC keeps CONNECT.
    const superuser = await server.connect({ user: server.superuser, password: server.superuserPassword, database: 'postgres' });
    await superuser.query('CREATE DATABASE app');
    await superuser.end();
    const results: Record<string, string> = {};
    for (const database of ['postgres', 'template1', 'app', 'orders']) {
      try {
        const client = await server.connect(as('dev_alice', database));
        await client.query('SELECT 1');
        await client.end();
        results[database] = 'connected';
      } catch (error) {
        results[database] = (error as { code?: string }).code ?? (error as Error).message;
      }
    }
    // 28000: rejected by pg_hba before authentication.
    expect(results).toEqual({ postgres: '28000', template1: '28000', app: '28000', orders: 'connected' });
    // The owners and the Job are not affected.
    expect(await query(server, as('orders', 'postgres'), 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  }, 60_000);

  it('Zalando: the cleanup never touches a service role named dev_*, the Job never logs in as postgres, a removed developer loses every privilege', async () => {
    const fleet = (developers: string) => `name: shop
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: ${developers}
environments:
  staging:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: read-only
    operator: zalando
services:
  - name: dev-tools
  - name: orders
`;
    world = new RenderedWorld(server, renderEnvironment(fleet('[alice, bob]'), 'staging'));
    await world.operatorSyncZalando();
    await query(server, as('dev_tools', 'dev_tools'), 'CREATE TABLE public.tools (id int); INSERT INTO public.tools VALUES (1);');
    await query(server, as('orders', 'orders'), 'CREATE TABLE public.orders (id int); INSERT INTO public.orders VALUES (1);');
    const first = succeeded(await world.runJob('shop-access-sync'));
    expect(await query(server, as('dev_bob', 'orders'), 'SELECT count(*)::int AS n FROM public.orders')).toEqual([{ n: 1 }]);
    // bob leaves developers: (Zalando's operator leaves his role in place).
    world.rerender(renderEnvironment(fleet('[alice]'), 'staging'));
    await world.operatorSyncZalando();
    const second = succeeded(await world.runJob('shop-access-sync'));
    const superuserSecret = zalandoCredentialSecretName('postgres', 'shop');
    for (const run of [first, second]) {
      expect(run.secretsRead.filter((s) => s.startsWith(`${superuserSecret}/`))).toEqual([]);
      for (const login of world.loginsOf(run)) expect(login.user).not.toBe('postgres');
    }
    // The service role dev_tools: still logs in, still reads its own data.
    expect(server.psql('postgres', "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'dev_tools';").trim()).toBe('t');
    expect(await query(server, as('dev_tools', 'dev_tools'), 'SELECT count(*)::int AS n FROM public.tools')).toEqual([{ n: 1 }]);
    // bob: no privilege left in any service database; alice keeps hers.
    expect(await denied(server, as('dev_bob', 'orders'), 'SELECT 1')).toBe('42501');
    expect(await denied(server, as('dev_bob', 'dev_tools'), 'SELECT 1')).toBe('42501');
    expect(await query(server, as('dev_alice', 'orders'), 'SELECT count(*)::int AS n FROM public.orders')).toEqual([{ n: 1 }]);
  }, 90_000);

  it('rotation login: the Job alters SESSION_USER; a re-run is a no-op (the owner never gets a role default)', async () => {
    const fleet = CNPG_FLEET.replace(
      '  - name: orders\n    namespace: orders\n',
      '  - name: orders\n    namespace: orders\n    rotation:\n      test: { generation: 1, step: add }\n',
    );
    world = new RenderedWorld(server, renderEnvironment(fleet, 'test'));
    await world.operatorSyncCnpg();
    const settings = () =>
      server.psql('postgres', 'SELECT setrole::regrole, setdatabase, setconfig FROM pg_db_role_setting ORDER BY 1;').trim();
    succeeded(await world.runJob('orders-rotation-login'));
    const once = settings();
    expect(once).toBe('orders_alt|0|{role=orders}');
    succeeded(await world.runJob('orders-rotation-login'));
    succeeded(await world.runJob('orders-rotation-login'));
    expect(settings()).toBe(once);
    // Sessions of the second login act as the owner; the owner's own sessions are untouched.
    expect(await query(server, as('orders_alt', 'orders'), 'SELECT session_user AS s, current_user AS c')).toEqual([
      { s: 'orders_alt', c: 'orders' },
    ]);
    expect(await query(server, as('orders', 'orders'), 'SELECT current_user AS c')).toEqual([{ c: 'orders' }]);
  }, 60_000);
});
