// The attacks of issue 24 (items 1-4 and 11), each on a real PostgreSQL, through the rendered
// Jobs exactly as they run: the rendered ConfigMap and Secrets mounted, the rendered command,
// the rendered environment (PGOPTIONS, PGCHANNELBINDING, the login of the Secrets it names).
//
// Each attack is a scenario run twice: once as rendered (the attack fails), and once with its
// control taken out of the rendered objects (the "revert check": the same scenario, and the
// attack works). A test that passes only because the attack never happened is thereby ruled
// out. docs/security.md lists which control each test proves.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { zalandoCredentialSecretName } from '../../lib/backends/zalando/zalando-cluster';
import type { JobRun } from '../support/job-runner';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';
import { type Obj, renderEnvironment, RenderedWorld, succeeded } from './harness';

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
const ACCESS_SQL = 'acme-access-sql';

/** The Zalando fleet of the dev_ cleanup attack: a service whose role is `dev_tools`. */
const zalandoFleet = (developers: string) => `name: shop
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

/** `objects` with every key of ConfigMap `name` passed through `edit` (a revert check's surgery). */
function editConfigMap(objects: Obj[], name: string, edit: (key: string, content: string) => string): Obj[] {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
  if (!cm?.data) throw new Error(`no ConfigMap ${name}`);
  const before = JSON.stringify(cm.data);
  cm.data = Object.fromEntries(Object.entries(cm.data).map(([k, v]) => [k, edit(k, v)]));
  if (JSON.stringify(cm.data) === before) throw new Error(`the revert changed nothing in ConfigMap ${name}`);
  return objects;
}

/** The pod spec of Job `name` (and of every CronJob with the same container), for a revert check's surgery. */
function jobPods(objects: Obj[], name: string): any[] {
  const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === name);
  if (!job) throw new Error(`no Job ${name}`);
  return [job.spec.template.spec];
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

  // ---------------------------------------------------------------------------------------------
  // Function shadowing (item 1).

  /** The owner of `orders` plants overloads of format() & co.; what the Job's sessions ran of them. */
  async function functionShadowing(objects: Obj[]) {
    world = new RenderedWorld(server, objects);
    await world.operatorSyncCnpg();
    succeeded(await world.runJob(ACCESS_JOB));
    // Overloads that beat pg_catalog's variadic format() on an exact argument type match, and
    // would try to take over `payments` from the Job's session.
    const trap = (args: string) => `
      CREATE FUNCTION public.format(${args}) RETURNS text LANGUAGE plpgsql AS $f$
      BEGIN
        INSERT INTO public.hijack_log VALUES (session_user, current_user, 'format(${args})');
        -- Evidence that survives a rolled-back transaction: the Job's log.
        RAISE WARNING 'dbfleet-hijack: format(${args}) ran as %', session_user;
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
    const run = await world.runJob(ACCESS_JOB);
    return {
      run,
      hijacks: await query(server, as('orders', 'orders'), 'SELECT * FROM public.hijack_log'),
      hijackWarnings: `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line.includes('dbfleet-hijack')),
      paymentsLogin: await query(server, as('payments', 'payments'), 'SELECT current_user AS u'),
    };
  }

  it('function shadowing: an owner who creates public.format(text, name) & co. never gets code run by the access Job', async () => {
    const seen = await functionShadowing(renderEnvironment(CNPG_FLEET, 'test'));
    succeeded(seen.run);
    expect(seen.run.env.PGOPTIONS).toContain('-c search_path=pg_catalog,pg_temp');
    expect(seen.hijacks).toEqual([]);
    expect(seen.hijackWarnings).toEqual([]);
    // payments' password is still its own.
    expect(seen.paymentsLogin).toEqual([{ u: 'payments' }]);
  }, 60_000);

  it('revert check: without the search_path pin and with format() unqualified, the planted format() runs in the Job', async () => {
    const objects = editConfigMap(renderEnvironment(CNPG_FLEET, 'test'), ACCESS_SQL, (_, sql) =>
      sql.replaceAll('SET LOCAL search_path = pg_catalog, pg_temp;', '').replaceAll('pg_catalog.format(', 'format('),
    );
    for (const pod of jobPods(objects, ACCESS_JOB))
      for (const e of pod.containers[0].env) if (e.name === 'PGOPTIONS') e.value = e.value.replace('-c search_path=pg_catalog,pg_temp', '');
    const seen = await functionShadowing(objects);
    // The planted function ran in the Job's session, logged in as the owner (the run then failed on
    // an ambiguous overload, which rolled its table row back: the warning stays in the Job's log).
    expect(seen.hijackWarnings.length, `${seen.run.stdout}\n${seen.run.stderr}`).toBeGreaterThan(0);
    expect(seen.hijackWarnings[0]).toMatch(/dbfleet-hijack: format\(text, name\) ran as orders/);
  }, 60_000);

  // ---------------------------------------------------------------------------------------------
  // Membership escalation (item 2).

  /** Every login the access Job used tries SET ROLE to, and DROP DATABASE of, every other service. */
  async function escalationAttempts(run: JobRun): Promise<string[]> {
    const logins = world.loginsOf(run);
    expect(logins.length).toBeGreaterThan(0);
    const attempts: string[] = [];
    for (const login of logins) {
      const postgres = { ...login, database: 'postgres' };
      const [{ u: own, rolsuper, rolcreaterole }] = await query(
        server,
        postgres,
        'SELECT current_user AS u, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user',
      );
      attempts.push(`${login.user}: superuser ${rolsuper}, createrole ${rolcreaterole}`);
      // The service this login acts for (its own database): every other one is off limits.
      for (const other of ['orders', 'payments'].filter((s) => s !== own)) {
        attempts.push(`${login.user}: SET ROLE ${other} → ${await denied(server, postgres, `SET ROLE ${other}`)}`);
        attempts.push(`${login.user}: DROP DATABASE ${other} → ${await denied(server, postgres, `DROP DATABASE ${other}`)}`);
      }
    }
    return attempts;
  }

  it('membership escalation: no login the access Job uses can SET ROLE to, or DROP the database of, another service', async () => {
    world = new RenderedWorld(server, renderEnvironment(CNPG_FLEET, 'test'));
    await world.operatorSyncCnpg();
    const attempts = await escalationAttempts(succeeded(await world.runJob(ACCESS_JOB)));
    expect(attempts.filter((a) => a.includes('→')).length).toBeGreaterThan(0);
    for (const attempt of attempts) expect(attempt).toMatch(/→ 42501$|superuser false, createrole false$/);
    expect(server.psql('postgres', "SELECT count(*) FROM pg_database WHERE datname IN ('orders', 'payments');").trim()).toBe('2');
  }, 60_000);

  it('revert check: with the former dbfleet_access login (a member of every owner), the Job still works and its login takes over the other service', async () => {
    world = new RenderedWorld(server, renderEnvironment(CNPG_FLEET, 'test'));
    await world.operatorSyncCnpg();
    // The design before issue 24: one role, INHERIT member of every owner, used for every database.
    const access = world.addSecret('dbfleet-access-credentials', 'dbfleet_access');
    server.psql('postgres', `CREATE ROLE dbfleet_access LOGIN PASSWORD '${access.password}' IN ROLE orders, payments;`);
    const objects = world.rendered();
    for (const pod of jobPods(objects, ACCESS_JOB))
      for (const volume of pod.volumes)
        for (const source of volume.projected?.sources ?? []) source.secret.name = 'dbfleet-access-credentials';
    world.rerender(objects);
    const attempts = await escalationAttempts(succeeded(await world.runJob(ACCESS_JOB)));
    expect(attempts).toContain('dbfleet_access: SET ROLE payments → allowed');
    expect(attempts).toContain('dbfleet_access: DROP DATABASE payments → allowed');
  }, 60_000);

  // ---------------------------------------------------------------------------------------------
  // SECURITY DEFINER write (item 4).

  async function securityDefiner(objects: Obj[]) {
    world = new RenderedWorld(server, objects);
    await world.operatorSyncCnpg();
    await query(
      server,
      as('orders', 'orders'),
      `CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders VALUES (1), (2), (3);
       CREATE FUNCTION public.cancel_order(i int) RETURNS void SECURITY DEFINER LANGUAGE sql AS 'DELETE FROM public.orders WHERE id = i';
       CREATE PROCEDURE public.purge_orders() SECURITY DEFINER LANGUAGE sql AS 'DELETE FROM public.orders WHERE id = 3';
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
    return {
      cancelOrder: await denied(server, alice, 'SELECT public.cancel_order(1)'),
      purge: await denied(server, alice, 'CALL public.purge_orders()'),
      cancelAll: await denied(server, alice, 'SELECT public.cancel_all()'),
      directDelete: await denied(server, alice, 'DELETE FROM public.orders'),
      invokerCount: await denied(server, alice, 'SELECT public.order_count()'),
      rowsLeft: (await query(server, as('orders', 'orders'), 'SELECT count(*)::int AS n FROM public.orders'))[0].n as number,
    };
  }

  it('SECURITY DEFINER: a read-only developer cannot write through an owner routine (before or after the Job ran); invoker routines stay usable', async () => {
    expect(await securityDefiner(renderEnvironment(CNPG_FLEET, 'test'))).toEqual({
      cancelOrder: '42501',
      purge: '42501',
      cancelAll: '42501',
      directDelete: '42501',
      invokerCount: 'allowed',
      rowsLeft: 3,
    });
  }, 60_000);

  it('revert check: without the EXECUTE revocations, the read-only developer deletes rows through the owner routines', async () => {
    const objects = editConfigMap(renderEnvironment(CNPG_FLEET, 'test'), ACCESS_SQL, (_, sql) =>
      sql
        .split('\n')
        .filter((line) => !/EXECUTE ON (ROUTINE|FUNCTIONS)/.test(line))
        .join('\n'),
    );
    const seen = await securityDefiner(objects);
    expect(seen).toMatchObject({ cancelOrder: 'allowed', purge: 'allowed', directDelete: '42501' });
    expect(seen.rowsLeft).toBeLessThan(3);
  }, 60_000);

  // ---------------------------------------------------------------------------------------------
  // Developers in postgres / template1 / app (item 4).

  async function developerDatabases(removeHba: boolean) {
    world = new RenderedWorld(server, renderEnvironment(CNPG_FLEET, 'test'));
    await world.operatorSyncCnpg();
    if (removeHba) world.setHba([]);
    succeeded(await world.runJob(ACCESS_JOB));
    // CloudNativePG's initdb bootstrap database (owner app), where PUBLIC keeps CONNECT.
    const superuser = await server.connect({ user: server.superuser, password: server.superuserPassword, database: 'postgres' });
    await superuser.query('CREATE DATABASE app');
    await superuser.end();
    const results: Record<string, string> = {};
    for (const database of ['postgres', 'template1', 'app', 'orders']) {
      try {
        const client = await server.connect(as('dev_alice', database));
        await client.query('CREATE TEMPORARY TABLE scratch (x int)').catch(() => undefined);
        await client.query('SELECT 1');
        await client.end();
        results[database] = 'connected';
      } catch (error) {
        results[database] = (error as { code?: string }).code ?? (error as Error).message;
      }
    }
    return results;
  }

  it('a developer cannot connect to postgres, template1 or app: service databases only', async () => {
    // 28000: rejected by pg_hba before authentication.
    expect(await developerDatabases(false)).toEqual({ postgres: '28000', template1: '28000', app: '28000', orders: 'connected' });
    // The owners and the Job are not affected.
    expect(await query(server, as('orders', 'postgres'), 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  }, 60_000);

  it('revert check: without the pg_hba reject rule, the developer enters postgres, template1 and app', async () => {
    expect(await developerDatabases(true)).toEqual({
      postgres: 'connected',
      template1: 'connected',
      app: 'connected',
      orders: 'connected',
    });
  }, 60_000);

  /** On Zalando: where developer alice may connect, with the rendered patroni.pg_hba (or without its reject lines). */
  async function zalandoDeveloperDatabases(removeRejects: boolean) {
    const objects = renderEnvironment(zalandoFleet('[alice]'), 'staging');
    const pg = objects.find((o) => o.kind === 'postgresql')!;
    expect(pg.spec.patroni.pg_hba).toContain('host postgres,template0,template1 dev_alice all reject');
    if (removeRejects) pg.spec.patroni.pg_hba = pg.spec.patroni.pg_hba.filter((l: string) => !l.includes('dev_alice'));
    world = new RenderedWorld(server, objects);
    await world.operatorSyncZalando();
    succeeded(await world.runJob('shop-access-sync'));
    const results: Record<string, string> = {};
    for (const database of ['postgres', 'template1', 'orders'])
      results[database] = await denied(server, as('dev_alice', database), 'SELECT 1');
    return results;
  }

  it('Zalando: a developer cannot connect to postgres or template1 (patroni.pg_hba), the owners and the exporter still can', async () => {
    expect(await zalandoDeveloperDatabases(false)).toEqual({ postgres: '28000', template1: '28000', orders: 'allowed' });
    expect(await denied(server, as('orders', 'postgres'), 'SELECT 1')).toBe('allowed');
    // The exporter logs in over the pod's loopback (the test server's address is 127.0.0.1).
    expect(await denied(server, as('dbfleet_exporter', 'postgres'), 'SELECT 1')).toBe('allowed');
  }, 60_000);

  it('revert check: without its reject line, the Zalando developer enters postgres and template1', async () => {
    expect(await zalandoDeveloperDatabases(true)).toEqual({ postgres: 'allowed', template1: 'allowed', orders: 'allowed' });
  }, 60_000);

  // ---------------------------------------------------------------------------------------------
  // Zalando: the dev_ cleanup victim, no superuser login (item 3).

  async function zalandoCleanup(revert?: (objects: Obj[]) => Obj[]) {
    const edit = revert ?? ((o: Obj[]) => o);
    world = new RenderedWorld(server, edit(renderEnvironment(zalandoFleet('[alice, bob]'), 'staging')));
    await world.operatorSyncZalando();
    await query(server, as('dev_tools', 'dev_tools'), 'CREATE TABLE public.tools (id int); INSERT INTO public.tools VALUES (1);');
    await query(server, as('orders', 'orders'), 'CREATE TABLE public.orders (id int); INSERT INTO public.orders VALUES (1);');
    const first = succeeded(await world.runJob('shop-access-sync'));
    expect(await query(server, as('dev_bob', 'orders'), 'SELECT count(*)::int AS n FROM public.orders')).toEqual([{ n: 1 }]);
    // bob leaves developers: (Zalando's operator leaves his role in place).
    world.rerender(edit(renderEnvironment(zalandoFleet('[alice]'), 'staging')));
    await world.operatorSyncZalando();
    const second = await world.runJob('shop-access-sync');
    const superuserSecret = zalandoCredentialSecretName('postgres', 'shop');
    return {
      second,
      superuserReads: [first, second].flatMap((run) => run.secretsRead.filter((s) => s.startsWith(`${superuserSecret}/`))),
      logins: [...new Set([first, second].flatMap((run) => world.loginsOf(run).map((l) => l.user)))].sort(),
      devToolsCanLogin: server.psql('postgres', "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'dev_tools';").trim(),
      devToolsReads: await denied(server, as('dev_tools', 'dev_tools'), 'SELECT count(*) FROM public.tools'),
      bobOrders: await denied(server, as('dev_bob', 'orders'), 'SELECT 1'),
      bobDevTools: await denied(server, as('dev_bob', 'dev_tools'), 'SELECT 1'),
      aliceOrders: await denied(server, as('dev_alice', 'orders'), 'SELECT count(*) FROM public.orders'),
    };
  }

  it('Zalando: the cleanup never touches a service role named dev_*, the Job never logs in as postgres, a removed developer loses every privilege', async () => {
    const seen = await zalandoCleanup();
    succeeded(seen.second);
    expect(seen.superuserReads).toEqual([]);
    expect(seen.logins).toEqual(['dev_tools', 'orders']);
    // The service role dev_tools: still logs in, still reads its own data.
    expect(seen.devToolsCanLogin).toBe('t');
    expect(seen.devToolsReads).toBe('allowed');
    // bob: no privilege left in any service database; alice keeps hers.
    expect(seen).toMatchObject({ bobOrders: '42501', bobDevTools: '42501', aliceOrders: 'allowed' });
  }, 90_000);

  it('revert check: a cleanup that picks former developers by the dev_ prefix takes the dev-tools service out of its own database', async () => {
    const seen = await zalandoCleanup((objects) =>
      editConfigMap(objects, 'shop-access-sql', (key, sql) =>
        key !== 'database.sql'
          ? sql
          : sql.replace(
              /SELECT DISTINCT r\.rolname\n[\s\S]*?ORDER BY 1\n/,
              "SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname LIKE 'dev\\_%' AND r.rolname <> ALL (keep) ORDER BY 1\n",
            ),
      ),
    );
    expect(seen.devToolsReads).not.toBe('allowed');
  }, 90_000);

  // ---------------------------------------------------------------------------------------------
  // Rotation login re-run (item 11).

  async function rotationLoginReruns(revert?: (objects: Obj[]) => void) {
    const fleet = CNPG_FLEET.replace(
      '  - name: orders\n    namespace: orders\n',
      '  - name: orders\n    namespace: orders\n    rotation:\n      test: { generation: 1, step: add }\n',
    );
    const objects = renderEnvironment(fleet, 'test');
    revert?.(objects);
    world = new RenderedWorld(server, objects);
    await world.operatorSyncCnpg();
    const settings = () =>
      server.psql('postgres', 'SELECT setrole::regrole, setdatabase, setconfig FROM pg_db_role_setting ORDER BY 1;').trim();
    succeeded(await world.runJob('orders-rotation-login'));
    const once = settings();
    succeeded(await world.runJob('orders-rotation-login'));
    succeeded(await world.runJob('orders-rotation-login'));
    return { once, after: settings() };
  }

  it('rotation login: the Job alters SESSION_USER; a re-run is a no-op (the owner never gets a role default)', async () => {
    const { once, after } = await rotationLoginReruns();
    expect(once).toBe('orders_alt|0|{role=orders}');
    expect(after).toBe(once);
    // Sessions of the second login act as the owner; the owner's own sessions are untouched.
    expect(await query(server, as('orders_alt', 'orders'), 'SELECT session_user AS s, current_user AS c')).toEqual([
      { s: 'orders_alt', c: 'orders' },
    ]);
    expect(await query(server, as('orders', 'orders'), 'SELECT current_user AS c')).toEqual([{ c: 'orders' }]);
  }, 60_000);

  it('revert check: with ALTER ROLE CURRENT_USER (and no SET ROLE NONE), the re-run gives the owner a role default', async () => {
    const { once, after } = await rotationLoginReruns((objects) => {
      for (const pod of jobPods(objects, 'orders-rotation-login')) {
        const command: string[] = pod.containers[0].command;
        const i = command.findIndex((c) => c.includes('ALTER ROLE SESSION_USER'));
        expect(i).toBeGreaterThan(-1);
        command[i] = command[i].replace('SET ROLE NONE; ', '').replace('SESSION_USER', 'CURRENT_USER');
      }
    });
    expect(once).toBe('orders_alt|0|{role=orders}');
    expect(after).toContain('orders|0|{role=orders}');
  }, 60_000);
});
