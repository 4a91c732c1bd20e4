// Zero-downtime rotation proven on a real PostgreSQL: the rendered objects of every step are
// applied in Argo CD's wave order — PushSecrets (the store), ExternalSecrets (the Secrets),
// the roles as CloudNativePG reconciles them, then the Sync-hook Job — while a client logs in
// with the app's Secret in a loop. Not one login may fail; objects created with either login
// role stay owned by the owner; the retired credential no longer logs in.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpecManagedRoles } from '../../imports/postgresql.cnpg.io';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { nextRotationState, type RotationState } from '../../lib/secrets/credential-rotation';
import { applyDatabases, applyManagedRoles } from '../access/cnpg-emulation';
import { BASE_FLEET, fleetOf } from '../support/fleet';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

type Obj = KubernetesObject & { spec: any };
interface Credentials {
  readonly user: string;
  readonly password: string;
}

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: credential rotation on a real PostgreSQL: ${unavailable}`);

const fleetAt = (state: RotationState) =>
  state.generation === 0
    ? BASE_FLEET
    : BASE_FLEET.replace(
        '  - name: payments\n',
        `    rotation:\n      production: { generation: ${state.generation}, step: ${state.step} }\n  - name: payments\n`,
      );

/** The production objects of the orders cluster's world. */
function rendered(state: RotationState): Obj[] {
  return renderObjects(buildApp(fleetOf(fleetAt(state))))
    .filter((o) => o.path.startsWith('production/'))
    .map((o) => o.object as Obj);
}

/** A stand-in for the cluster: the store, the Secrets ESO writes, the roles the operator reconciles. */
class World {
  readonly store = new Map<string, string>();
  app!: Credentials;

  constructor(readonly server: PostgresServer) {}

  /** One sync of the rendered objects, in wave order. */
  async sync(state: RotationState, onAppSecret: (c: Credentials) => void, betweenWaves?: () => Promise<void>): Promise<void> {
    const objects = rendered(state);
    // wave -2: PushSecrets create what is missing, never overwrite
    for (const p of objects.filter((o) => o.kind === 'PushSecret')) {
      const key = p.spec.data[0].match.remoteRef.remoteKey;
      if (!this.store.has(key)) this.store.set(key, randomBytes(18).toString('base64url'));
    }
    // wave -1: ExternalSecrets materialise their Secrets from the store
    const secrets = new Map<string, Credentials>();
    for (const e of objects.filter((o) => o.kind === 'ExternalSecret')) {
      const key = e.spec.data[0].remoteRef.key;
      const password = this.store.get(key);
      if (password === undefined) continue; // not a password key of this test (e.g. developers read theirs too)
      secrets.set(e.metadata.name, { user: e.spec.target.template.data?.username, password });
    }
    this.app = secrets.get('orders-db')!;
    onAppSecret(this.app);
    // Argo CD waits for wave -1 to be healthy before it applies wave 0: the app may read its new
    // Secret before the operator has reconciled any role, so the client logs in during that gap.
    await betweenWaves?.();
    // wave 0+: the operator reconciles the roles from their Secrets, then the databases
    const roles: ClusterSpecManagedRoles[] = [
      ...objects.filter((o) => o.kind === 'Cluster' && o.metadata.name === 'orders').flatMap((c) => c.spec.managed?.roles ?? []),
      ...objects.filter((o) => o.kind === 'DatabaseRole' && o.spec.cluster.name === 'orders').map((r) => r.spec),
    ].filter((r) => r.name === 'orders' || r.name === 'orders_alt');
    applyManagedRoles(this.server, roles, new Map([...secrets].map(([name, c]) => [name, c.password])));
    await applyDatabases(this.server, [{ name: 'orders', owner: 'orders', extensions: [] }]);
    // The Sync hook: the rotation-login Job, with the environment and command the manifest gives it
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'orders-rotation-login');
    if (job) {
      const container = job.spec.template.spec.containers[0];
      const secretName = container.env.find((e: any) => e.name === 'PGUSER').valueFrom.secretKeyRef.name;
      const sql = container.command[container.command.indexOf('-c') + 1];
      const client = await this.server.connect({ ...asClient(secrets.get(secretName)!), database: 'orders' });
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    }
  }

  async as(credentials: Credentials, sql: string): Promise<any[]> {
    const client = await this.server.connect({ ...asClient(credentials), database: 'orders' });
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }
}

const asClient = (c: Credentials) => ({ user: c.user, password: c.password });

describe.skipIf(unavailable !== undefined)('owner credential rotation on a real PostgreSQL', () => {
  let world: World;

  beforeAll(async () => {
    world = new World(await startPostgres());
  });
  afterAll(async () => {
    await world?.server.stop();
  });

  it('two rotations, step by step, with a client logging in throughout: zero failed logins, one owner', async () => {
    let current: Credentials | undefined;
    let stop = false;
    const failures: string[] = [];
    let logins = 0;
    const loop = (async () => {
      while (!stop) {
        if (!current) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        const using = current; // what the app's Secret says at this moment
        try {
          await world.as(using, 'SELECT 1');
          logins++;
        } catch (error) {
          failures.push(`${using.user}: ${(error as Error).message}`);
        }
      }
    })();

    let state: RotationState = { generation: 0, step: 'done' };
    // The first sync provisions the database; the client starts once it exists.
    await world.sync(state, () => undefined);
    current = world.app;
    await world.as(world.app, 'CREATE TABLE before_rotation (id int)');
    const retired: Credentials[] = [];
    const stepsSeen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const previousApp = world.app;
      state = nextRotationState(state);
      // an app Secret that names a login before it can log in (an early switch) fails here
      const loginsBefore = logins;
      await world.sync(
        state,
        (c) => (current = c),
        async () => {
          while (logins < loginsBefore + 10 && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
        },
      );
      expect(failures, `failed logins after ${state.generation}/${state.step}`).toEqual([]);
      stepsSeen.push(`${state.generation}/${state.step}:${world.app.user}`);
      // let the client run on each state for a while
      const target = logins + 20;
      while (logins < target && failures.length === 0) await new Promise((r) => setTimeout(r, 10));
      if (state.step === 'switch') {
        // both the new and the previous credential log in now
        expect((await world.as(previousApp, 'SELECT current_user AS u'))[0].u).toBe('orders');
        await world.as(world.app, `CREATE TABLE during_rotation_${state.generation} (id int)`);
        retired.push(previousApp);
      }
      if (state.step === 'done') {
        await expect(world.as(retired[retired.length - 1], 'SELECT 1')).rejects.toThrow(
          /not permitted to log in|password authentication failed/,
        );
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
    await world.as(world.app, 'CREATE TABLE after_rotation (id int)');
    const owners = await world.as(world.app, "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(owners).toEqual([
      { tablename: 'after_rotation', tableowner: 'orders' },
      { tablename: 'before_rotation', tableowner: 'orders' },
      { tablename: 'during_rotation_1', tableowner: 'orders' },
      { tablename: 'during_rotation_2', tableowner: 'orders' },
    ]);
    // the session of the second login role acts as the owner
    const alt = world.server.psql('postgres', "SELECT rolconfig FROM pg_roles WHERE rolname = 'orders_alt'");
    expect(alt.trim()).toBe('{role=orders}');
    // a password in the store was never replaced: three keys, three values
    expect([...world.store.keys()].filter((k) => k.startsWith('databases/production/services/orders')).sort()).toEqual([
      'databases/production/services/orders',
      'databases/production/services/orders/rotation-1',
      'databases/production/services/orders/rotation-2',
    ]);
  }, 120_000);
});
