// Zero-downtime rotation on a Zalando environment, proven on a real PostgreSQL behind a real
// PgBouncer configured like the operator's pooler (auth_user `pooler`, auth_query through
// `pooler.user_lookup`; test/zalando/pooler.test.ts). Every step's rendered objects are applied in
// Argo CD's wave order — PushSecrets (the store), ExternalSecrets (the Secrets), then the
// `postgresql` as the operator syncs its owners (operator-users.ts, transcribed from v2.0.1), then
// the Sync-hook Jobs run from their manifests (test/support/job-runner.ts) — with one more operator
// sync between the ExternalSecrets' wave and the `postgresql`'s (its periodic resync may land
// there: new Secrets, old manifest). Throughout, an app logs in with its `<service>-db` Secret:
// `uri` through the PgBouncer and `direct-uri` past it. Not one login may fail; objects created
// with either login stay owned by the owner; the retired login no longer logs in, directly or
// through the pooler; the operator never rotates or resets a Secret itself.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { nextRotationState, NOT_ROTATED, type RotationState } from '../../lib/secrets/credential-rotation';
import { runJobContainer } from '../support/job-runner';
import { findPgbouncer, pgbouncerUnavailableReason, pgbouncerVersion, startPgbouncer, type Pgbouncer } from '../support/pgbouncer';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';
import { ZalandoOperatorUsers, type SecretData } from './operator-users';
import { zalandoRotationFleet } from './rotation-fleet';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: any };

const skipReason = postgresUnavailableReason() ?? pgbouncerUnavailableReason();
if (skipReason) console.warn(`SKIPPED: Zalando rotation on a real PostgreSQL and PgBouncer: ${skipReason}`);
/** PostgreSQL 18 (the operator's default image): CREATEROLE restricted since 16 (postgres/postgres cf5eb37c5). */
const skipReason18 = skipReason ?? postgresUnavailableReason({ major: 18 });
if (skipReason18 && !skipReason) console.warn(`SKIPPED: Zalando rotation on a real PostgreSQL 18: ${skipReason18}`);

/**
 * The fleet at `state`, rendered for `version`: the test server's major, so what the rendered logins
 * may do is what the server lets them.
 */
const rendered = (state: RotationState, version: number): Obj[] =>
  renderObjects(buildApp(parseFleet(zalandoRotationFleet(state, 'zalando', version), 'fleet.yaml'))).map((o) => o.object as unknown as Obj);

/** The one-off superuser grants the keeper needs on PostgreSQL >= 16 (docs/zalando.md "Rotation"). */
const KEEPER_GRANTS =
  'GRANT "orders" TO "dbfleet_rotation" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE; GRANT "orders_alt" TO "dbfleet_rotation" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;';

/** An ExternalSecret's Secret as External Secrets writes it (template engine v2, the one value fetched). */
function materialise(es: Obj, password: string): SecretData {
  const template = es.spec.target.template.data as Record<string, string> | undefined;
  if (!template) return { [es.spec.data[0].secretKey]: password };
  return Object.fromEntries(
    Object.entries(template).map(([k, v]) => [
      k,
      v
        .replaceAll('{{ .password | urlquery | replace "+" "%20" }}', encodeURIComponent(password))
        .replaceAll('{{ .password | urlquery }}', encodeURIComponent(password))
        .replaceAll('{{ .password }}', password),
    ]),
  );
}

class World {
  readonly store = new Map<string, string>();
  /** The Secrets of the namespaces, by name (the database namespace and the app's). */
  readonly secrets = new Map<string, SecretData>();
  readonly operator: ZalandoOperatorUsers;
  private manifest?: Obj;
  private created = false;

  constructor(
    readonly pg: PostgresServer,
    readonly version: number,
    readonly pooler: () => Pgbouncer,
    readonly setupDatabase: () => Promise<void>,
  ) {
    this.operator = new ZalandoOperatorUsers(pg);
  }

  /** The app's connection strings now: `uri` through the PgBouncer, `direct-uri` past it. */
  app(): { user: string; uri: string; direct: string; password: string } {
    const s = this.secrets.get('orders-db')!;
    const local = (uri: string) =>
      uri
        .replace('orders-pooler.databases.svc:5432', `127.0.0.1:${this.pooler().port}`)
        .replace('orders.databases.svc:5432', `127.0.0.1:${this.pg.port}`);
    return { user: s.username, uri: local(s.uri), direct: local(s['direct-uri']), password: s.password };
  }

  async sync(state: RotationState, betweenWaves?: () => Promise<void>): Promise<void> {
    const objects = rendered(state, this.version);
    // wave -2: PushSecrets create what is missing, never overwrite
    for (const p of objects.filter((o) => o.kind === 'PushSecret')) {
      const key = p.spec.data[0].match.remoteRef.remoteKey;
      if (!this.store.has(key)) this.store.set(key, randomBytes(18).toString('base64url'));
    }
    // wave -1: ExternalSecrets write their Secrets (Replace: the whole data, the operator's edits included)
    for (const es of objects.filter((o) => o.kind === 'ExternalSecret')) {
      const password = this.store.get(es.spec.data[0].remoteRef.key);
      if (password === undefined) continue; // not a password of this test
      this.secrets.set(es.metadata.name, materialise(es, password));
    }
    // The app may read its new Secret before the operator's periodic resync (every resync_period, 30 min by default)
    // has run with it, and after: both. Only after hid an early switch (issue 33 attack: the app's Secret naming
    // orders_alt at the add step logged in without a failure, since the resync had already set its password).
    await betweenWaves?.();
    // The operator's periodic resync may run now: the new Secrets, the manifest of the last sync.
    if (this.manifest) this.operator.sync(this.manifest, this.secrets);
    await betweenWaves?.();
    // wave 0: the postgresql; the operator syncs its users, then its databases
    this.manifest = objects.find((o) => o.kind === 'postgresql' && o.metadata.name === 'orders')!;
    this.operator.sync(this.manifest, this.secrets);
    if (!this.created) {
      await this.setupDatabase();
      this.created = true;
    }
    // wave 3: the Sync hooks, from their manifests
    for (const name of ['orders-rotation-login', 'orders-rotation-retire']) {
      const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === name);
      if (job) await this.runJob(job);
    }
  }

  /** A scheduled run between syncs: the retired-login CronJob (on the access schedule), if rendered. */
  async scheduledRun(state: RotationState): Promise<string | undefined> {
    const cron = rendered(state, this.version).find((o) => o.kind === 'CronJob' && o.metadata.name === 'orders-rotation-retire');
    if (!cron) return undefined;
    return this.runJob({ ...cron, spec: cron.spec.jobTemplate.spec });
  }

  /** The operator's periodic resync (resync_period) while nothing changes in git. */
  resync(): void {
    this.operator.sync(this.manifest!, this.secrets);
  }

  async runJob(job: Obj): Promise<string> {
    const run = await runJobContainer(this.pg, job.spec.template.spec, new Map(), (name, key) => {
      const value = this.secrets.get(name)?.[key];
      if (value === undefined) throw new Error(`Job ${job.metadata.name} reads ${name}/${key}, which does not exist`);
      return value;
    });
    if (run.code !== 0) throw new Error(`Job ${job.metadata.name} failed (${run.code}): ${run.stderr}${run.stdout}`);
    return run.stdout + run.stderr;
  }
}

/** The connection string with another user and password. */
function as(uri: string, user: string, password: string): string {
  const u = new URL(uri);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

async function query(connectionString: string, sql: string): Promise<any[]> {
  const client = new Client({ connectionString });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The suite on one server: the system's PostgreSQL (15 in CI), or PostgreSQL 18 with the one-off
 * superuser grants made once `orders_alt` exists (after the first add step).
 */
function rotationSuite(label: string, skip: string | undefined, options: { major?: number; grant?: boolean }) {
  describe.skipIf(skip !== undefined)(`Zalando: owner credential rotation on a real ${label} behind PgBouncer`, () => {
    const POOLER_PASSWORD = randomBytes(12).toString('hex');
    let pg: PostgresServer;
    let pooler: Pgbouncer;
    let world: World;
    let fleetVersion = 0;

    beforeAll(async () => {
      pg = await startPostgres({ ssl: false, major: options.major });
      fleetVersion = pg.major;
      if (options.major !== undefined) expect(pg.major).toBe(options.major);
      const [major, minor] = pgbouncerVersion(findPgbouncer()!);
      const authDbname = major > 1 || minor >= 19;
      pg.psql('postgres', `CREATE ROLE pooler LOGIN PASSWORD '${POOLER_PASSWORD}';`);
      // installLookupFunction (pkg/cluster/database.go), as in test/zalando/pooler.test.ts
      const lookup = `
      CREATE SCHEMA IF NOT EXISTS pooler;
      CREATE OR REPLACE FUNCTION pooler.user_lookup(in i_username text, out uname text, out phash text)
      RETURNS record AS $$
      BEGIN
        SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = i_username INTO uname, phash;
        RETURN;
      END;
      $$ LANGUAGE plpgsql SECURITY DEFINER;
      REVOKE ALL ON FUNCTION pooler.user_lookup(text) FROM public, pooler;
      GRANT EXECUTE ON FUNCTION pooler.user_lookup(text) TO pooler;
      GRANT USAGE ON SCHEMA pooler TO pooler;`;
      pg.psql('postgres', lookup);
      world = new World(
        pg,
        fleetVersion,
        () => pooler,
        async () => {
          // syncDatabases: CREATE DATABASE … OWNER; then what the access SQL does first (privileges-sql.ts)
          const superuser = await pg.connect({ user: pg.superuser, password: pg.superuserPassword, database: 'postgres' });
          await superuser.query('CREATE DATABASE orders OWNER orders');
          await superuser.end();
          pg.psql('orders', 'REVOKE CONNECT, TEMPORARY ON DATABASE orders FROM PUBLIC; GRANT CONNECT ON DATABASE orders TO orders;');
          if (!authDbname) pg.psql('orders', 'GRANT CONNECT ON DATABASE orders TO pooler;');
          pg.psql('orders', lookup);
        },
      );
      const pgbouncerSpec = rendered(NOT_ROTATED, fleetVersion).find((o) => o.kind === 'postgresql')!.spec.connectionPooler;
      const perPod = pgbouncerSpec.maxDBConnections / pgbouncerSpec.numberOfInstances;
      pooler = await startPgbouncer({
        poolMode: pgbouncerSpec.mode,
        parameters: { max_db_connections: String(perPod), default_pool_size: String(Math.floor(perPod / 2)) },
        serverHost: pg.host,
        serverPort: pg.port,
        authUser: 'pooler',
        authQuery: 'SELECT * FROM pooler.user_lookup($1)',
        authType: 'md5',
        authUserPassword: POOLER_PASSWORD,
        authDbname,
        serverTls: pg.ssl,
      });
    }, 120_000);

    afterAll(async () => {
      await pooler?.stop();
      await pg?.stop();
    });

    const canLogin = (role: string) => pg.psql('postgres', `SELECT rolcanlogin FROM pg_roles WHERE rolname = '${role}'`).trim() === 't';

    it('two rotations, step by step, with the app logging in through the pooler and past it: zero failed logins, one owner', async () => {
      let current: ReturnType<World['app']> | undefined;
      let stop = false;
      const failures: string[] = [];
      let logins = 0;
      const loop = (async () => {
        for (let i = 0; !stop; i++) {
          if (!current) {
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          const using = current; // what the app's Secret says at this moment
          const through = i % 3 === 2 ? 'direct-uri' : 'uri';
          try {
            await query(through === 'uri' ? using.uri : using.direct, 'SELECT 1');
            logins++;
          } catch (error) {
            failures.push(`${using.user} (${through}): ${(error as Error).message}`);
          }
        }
      })();
      const waitLogins = async (n: number) => {
        const target = logins + n;
        while (logins < target && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
      };

      let state: RotationState = NOT_ROTATED;
      await world.sync(state);
      current = world.app();
      // The app's own migrations: a table, and a session default of the owner, which the operator
      // copies onto the rotation user with RESET ALL first (sync.go syncRoles).
      await query(current.direct, 'CREATE TABLE before_rotation (id int)');
      await query(current.direct, "ALTER ROLE orders SET statement_timeout = '5min'");
      const retired: Array<ReturnType<World['app']>> = [];
      const stepsSeen: string[] = [];
      for (let i = 0; i < 6; i++) {
        const previousApp = world.app();
        state = nextRotationState(state);
        await world.sync(state, async () => {
          // Argo CD waits for wave -1's health before wave 0: the app may read its new Secret now.
          current = world.app();
          await waitLogins(10);
        });
        current = world.app();
        // PostgreSQL >= 16: the superuser's one-off grants, once the operator has made `orders_alt`
        if (options.grant && state.generation === 1 && state.step === 'add') pg.psql('postgres', KEEPER_GRANTS);
        // …and the operator keeps syncing on its own between Argo CD's syncs
        world.resync();
        expect(failures, `failed logins at ${state.generation}/${state.step}\n${world.operator.log.join('\n')}`).toEqual([]);
        stepsSeen.push(`${state.generation}/${state.step}:${current.user}`);
        await waitLogins(20);
        if (state.step === 'switch') {
          // the previous login still logs in, acting as the owner, through the pooler too
          expect((await query(previousApp.uri, 'SELECT current_user AS u'))[0].u).toBe('orders');
          expect((await query(current.uri, 'SELECT current_user AS u'))[0].u).toBe('orders');
          await query(current.uri, `CREATE TABLE during_rotation_${state.generation} (id int)`);
          retired.push(previousApp);
        }
        if (state.step === 'done') {
          const gone = retired[retired.length - 1];
          await expect(query(gone.direct, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
          // PgBouncer's auth_query reads pg_shadow, which lists LOGIN roles only: a NOLOGIN role is
          // one it does not know (PgBouncer 1.2x answers that with "bouncer config error").
          await expect(query(gone.uri, 'SELECT 1')).rejects.toThrow(/authentication failed|bouncer config error/);
          // the next sync re-runs the hook, and it succeeds
          const job = rendered(state, fleetVersion).find((o) => o.kind === 'Job' && o.metadata.name === 'orders-rotation-retire')!;
          expect(await world.runJob(job)).toMatch(`retired: ${gone.user} may not log in and has no password`);
          expect(canLogin(gone.user)).toBe(false);
        }
      }
      stop = true;
      await loop;

      expect(stepsSeen).toEqual([
        '1/add:orders',
        '1/switch:orders_alt',
        '1/done:orders_alt',
        '2/add:orders_alt',
        '2/switch:orders',
        '2/done:orders',
      ]);
      expect(failures).toEqual([]);
      expect(logins).toBeGreaterThan(100);
      await query(world.app().uri, 'CREATE TABLE after_rotation (id int)');
      const owners = await query(
        world.app().direct,
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      );
      expect(owners).toEqual([
        { tablename: 'after_rotation', tableowner: 'orders' },
        { tablename: 'before_rotation', tableowner: 'orders' },
        { tablename: 'during_rotation_1', tableowner: 'orders' },
        { tablename: 'during_rotation_2', tableowner: 'orders' },
      ]);
      // the second login is the owner's member (made by the operator) and acts as the owner
      expect(pg.psql('postgres', "SELECT pg_has_role('orders_alt', 'orders', 'MEMBER')").trim()).toBe('t');
      expect(pg.psql('postgres', "SELECT array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname = 'orders_alt'").trim()).toMatch(
        /(^|,)role=orders(,|$)/,
      );
      // the operator never rotated, reset or generated an owner's password
      expect(world.operator.log.filter((l) => /^(ROTATED|RESET |created Secret|rotation date not found)/.test(l))).toEqual([]);
      // …and it did copy the owner's settings onto its rotation user, RESET ALL first
      expect(world.operator.log).toContain('ALTER ROLE "orders_alt" RESET ALL');
      expect(pg.psql('postgres', "SELECT count(*) FROM pg_roles WHERE rolname ~ '^orders[0-9]{6}$'").trim()).toBe('0');
      // a password in the store was never replaced: three keys, three values
      expect([...world.store.keys()].filter((k) => k.startsWith('databases/live/services/orders')).sort()).toEqual([
        'databases/live/services/orders',
        'databases/live/services/orders/rotation-1',
        'databases/live/services/orders/rotation-2',
      ]);
    }, 300_000);
    // Issue 30 (attack, two highs): whoever holds a login being retired is hostile. (a) It changes
    // that login's password before the retire hook runs, so a hook that logs in with the stored
    // password is refused; (b) after the retirement the app, from its current login `orders_alt`
    // (a member of the owner, its sessions acting as the owner), gives the retired owner login a
    // password again: a role may change its own password. Both must end with the old login unable to
    // log in, at the latest after the next scheduled run, while the app's logins never fail.
    it('a hostile holder of the retired login: its own password change first, then a password set again from _alt; the old login stays out', async () => {
      let current = world.app();
      let stop = false;
      const failures: string[] = [];
      let logins = 0;
      const loop = (async () => {
        for (let i = 0; !stop; i++) {
          const using = current;
          try {
            await query(i % 2 ? using.uri : using.direct, 'SELECT 1');
            logins++;
          } catch (error) {
            failures.push(`${using.user}: ${(error as Error).message}`);
          }
        }
      })();
      const waitLogins = async (n: number) => {
        const target = logins + n;
        while (logins < target && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
      };
      const refused = async (uri: string) => {
        await expect(query(uri, 'SELECT 1')).rejects.toThrow(/authentication failed|not permitted to log in|bouncer config error/);
      };

      // The previous test ended at 2/done: the app logs in as `orders`. Turn 3 retires `orders`
      // (the owner), turn 4 `orders_alt`.
      let state: RotationState = { generation: 2, step: 'done' };
      for (const retiring of ['orders', 'orders_alt']) {
        state = nextRotationState(state); // add
        await world.sync(state, async () => void (current = world.app()));
        current = world.app();
        const old = world.app();
        expect(old.user).toBe(retiring);
        await waitLogins(10);
        state = nextRotationState(state); // switch
        await world.sync(state, async () => void (current = world.app()));
        current = world.app();
        expect(current.user).not.toBe(retiring);
        await waitLogins(10);
        // (a) the holder of the old login changes its password before the retire hook
        const chosen = `hostile-a-${randomBytes(6).toString('hex')}`;
        await query(old.direct, `SET ROLE NONE; ALTER ROLE SESSION_USER PASSWORD '${chosen}'`);
        expect((await query(as(old.direct, retiring, chosen), 'SELECT session_user AS u'))[0].u).toBe(retiring);
        state = nextRotationState(state); // done: the retire hook runs
        await world.sync(state);
        world.resync();
        await refused(as(old.direct, retiring, chosen));
        await refused(as(old.uri, retiring, chosen));
        await refused(old.direct);
        expect(canLogin(retiring)).toBe(false);
        // LOGIN cannot be given back by the login that holds the owner's privileges
        await expect(query(current.direct, `ALTER ROLE ${retiring} LOGIN`)).rejects.toThrow(/permission denied/);
        if (retiring === 'orders') {
          // (b) from `orders_alt`, acting as the owner, the owner login gets a password again
          const again = `hostile-b-${randomBytes(6).toString('hex')}`;
          expect((await query(current.direct, 'SELECT current_user AS u'))[0].u).toBe('orders');
          await query(current.direct, `ALTER ROLE orders PASSWORD '${again}'`);
          expect(pg.psql('postgres', "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'orders'").trim()).toBe('t');
          await refused(as(old.direct, 'orders', again));
          await refused(as(old.uri, 'orders', again));
          if (fleetVersion >= 16) {
            // …nor can it take the keeper's ADMIN OPTION away, or give the owner LOGIN through it
            await expect(query(current.direct, 'REVOKE orders FROM dbfleet_rotation')).rejects.toThrow(/permission denied/);
            await expect(query(current.direct, 'ALTER ROLE orders LOGIN')).rejects.toThrow(/permission denied/);
          }
          // the next scheduled run clears the password again and proves LOGIN is still off
          expect(await world.scheduledRun(state)).toMatch('retired: orders may not log in');
          expect(pg.psql('postgres', "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'orders'").trim()).toBe('t');
          await refused(as(old.direct, 'orders', again));
          // …and the operator's syncs while nothing changes in git leave it so
          world.resync();
          expect(canLogin('orders')).toBe(false);
        }
        await waitLogins(10);
        expect(failures, failures.join('\n')).toEqual([]);
      }
      // The next turn's add step: the operator gives the retired login LOGIN and a new password back.
      state = nextRotationState(state);
      await world.sync(state, async () => void (current = world.app()));
      current = world.app();
      expect(canLogin('orders_alt')).toBe(true);
      expect((await query(world.app().direct, 'SELECT session_user AS u'))[0].u).toBe('orders');
      expect(world.operator.log).toContain(`ALTER ROLE "orders_alt" ENCRYPTED PASSWORD '…' LOGIN`);
      stop = true;
      await loop;
      expect(failures).toEqual([]);
      expect(logins).toBeGreaterThan(50);
    }, 300_000);
  });
}

rotationSuite('PostgreSQL', skipReason, {});
rotationSuite('PostgreSQL 18', skipReason18, { major: 18, grant: true });

// PostgreSQL >= 16 before the superuser's one-off grants: the keeper cannot take LOGIN away from
// the operator's roles. It must say so where it is seen — the CronJob fails, naming the statements
// to run — and never block Argo CD: a failing Sync hook fails every sync of the environment. The
// app's logins never fail meanwhile; once the named statements are run, the next scheduled run
// retires the login.
describe.skipIf(skipReason18 !== undefined)('Zalando on PostgreSQL 18 without the keeper grants', () => {
  let pg: PostgresServer;
  let world: World;

  beforeAll(async () => {
    pg = await startPostgres({ ssl: false, major: 18 });
    expect(pg.major).toBe(18);
    world = new World(
      pg,
      pg.major,
      () => ({ port: 1 }) as Pgbouncer, // no pooler here: the app logs in past it
      async () => {
        const superuser = await pg.connect({ user: pg.superuser, password: pg.superuserPassword, database: 'postgres' });
        await superuser.query('CREATE DATABASE orders OWNER orders');
        await superuser.end();
        pg.psql('orders', 'REVOKE CONNECT, TEMPORARY ON DATABASE orders FROM PUBLIC; GRANT CONNECT ON DATABASE orders TO orders;');
      },
    );
  }, 120_000);

  afterAll(async () => {
    await pg?.stop();
  });

  it('the hook lets the sync go on, the CronJob fails naming the grants, and after them the login is retired; zero failed logins', async () => {
    let stop = false;
    const failures: string[] = [];
    let logins = 0;
    let current: ReturnType<World['app']> | undefined;
    const loop = (async () => {
      while (!stop) {
        const using = current;
        if (!using) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        try {
          await query(using.direct, 'SELECT 1');
          logins++;
        } catch (error) {
          failures.push(`${using.user}: ${(error as Error).message}`);
        }
      }
    })();
    let state: RotationState = NOT_ROTATED;
    await world.sync(state);
    current = world.app();
    let previous = world.app();
    for (let i = 0; i < 3; i++) {
      if (state.step === 'add') previous = world.app(); // the login the switch step leaves
      state = nextRotationState(state);
      // the Sync hook runs inside world.sync: it must succeed (a failure would fail the sync)
      await world.sync(state, async () => void (current = world.app()));
      current = world.app();
      world.resync();
      if (state.step === 'done') {
        expect(previous.user).toBe('orders');
        const hook = rendered(state, pg.major).find((o) => o.kind === 'Job' && o.metadata.name === 'orders-rotation-retire')!;
        const hookOut = await world.runJob(hook);
        expect(hookOut).toMatch(/NOT RETIRED: orders may still log in: dbfleet_rotation lacks ADMIN OPTION on it/);
        expect(hookOut).toMatch(/the sync goes on; CronJob orders-rotation-retire fails/);
        // the secondary measure: the login cleared its own password, so the stored one is refused…
        expect(hookOut).toMatch(/secondary measure/);
        await expect(query(previous.direct, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
        // …but it still has LOGIN: not retired, and said so
        expect(pg.psql('postgres', "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'orders'").trim()).toBe('t');
        const failed = await world.scheduledRun(state).then(
          () => 'succeeded',
          (e: Error) => e.message,
        );
        expect(failed).toMatch(/^Job orders-rotation-retire failed \(1\)/);
        const grants = /Run once as the superuser \(postgres\) of this cluster: (GRANT .*;) \(docs\/zalando.md/.exec(failed)?.[1];
        expect(grants).toBe(KEEPER_GRANTS);
        // the superuser runs exactly what the message says; the next scheduled run retires
        pg.psql('postgres', grants!);
        expect(await world.scheduledRun(state)).toMatch('retired: orders may not log in and has no password');
        expect(pg.psql('postgres', "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'orders'").trim()).toBe('f');
        world.resync();
        expect(pg.psql('postgres', "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'orders'").trim()).toBe('f');
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await loop;
    expect(failures).toEqual([]);
    expect(logins).toBeGreaterThan(20);
  }, 300_000);
});
