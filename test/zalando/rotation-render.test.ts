// dbfleet's two-login rotation on a Zalando environment, as rendered (lib/backends/zalando/
// zalando-rotation.ts): the owner's credentials Secret names the login of the generation being
// rotated to, so the operator creates `<role>_alt` as the owner's rotation user; the owner is in
// usersWithSecretRotation with a far nextRotation, the second login never in `users`; the app's
// Secret is the same as on CloudNativePG at every step. The proof on a real PostgreSQL is
// rotation-postgres.test.ts.
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { nextRotationState, NOT_ROTATED, type RotationState } from '../../lib/secrets/credential-rotation';
import { ZALANDO_NO_ROTATION_BEFORE } from '../../lib/backends/zalando/zalando-rotation';
import { environmentStoreKeys } from '../../lib/secrets/store-keys';
import { zalandoRotationFleet } from './rotation-fleet';
import { rotationLoginJobName } from '../../lib/secrets/rotation-login-job';
import { ROTATION_RETIRE_SQL, rotationKeeperGrants } from '../../lib/secrets/rotation-retire-job';
import { allBackends } from '../../lib/backends';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: any;
};
const render = (text: string): Obj[] => renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))).map((o) => o.object as unknown as Obj);
const find = (objects: Obj[], kind: string, name: string) => objects.find((x) => x.kind === kind && x.metadata.name === name);
const OPERATOR_SECRET = 'orders.orders.credentials.postgresql.acid.zalan.do';

/** Every state of two rotations: 0/done, 1/add … 2/done. */
function states(): RotationState[] {
  const out: RotationState[] = [NOT_ROTATED];
  for (let i = 0; i < 6; i++) out.push(nextRotationState(out[out.length - 1]));
  return out;
}

describe('Zalando: rotation as rendered, step by step', () => {
  for (const state of states()) {
    const label = `${state.generation}/${state.step}`;
    const objects = render(zalandoRotationFleet(state));
    const pg = find(objects, 'postgresql', 'orders')!;
    const odd = state.generation % 2 === 1;

    it(`${label}: the owner is a user with rotation kept on, the second login never a user of its own`, () => {
      expect(Object.keys(pg.spec.users)).toContain('orders');
      expect(Object.keys(pg.spec.users)).not.toContain('orders_alt');
      expect(pg.spec.usersWithSecretRotation).toEqual(['orders']);
      expect(pg.spec.usersIgnoringSecretRotation).not.toContain('orders');
      expect(pg.spec.usersIgnoringSecretRotation).not.toContain('orders_alt');
    });

    it(`${label}: the owner's Secret holds the login of generation ${state.generation}, from its own key, with a far nextRotation`, () => {
      const es = find(objects, 'ExternalSecret', OPERATOR_SECRET)!;
      expect(es.spec.target.template.data.username).toBe(odd ? 'orders_alt' : 'orders');
      expect(es.spec.target.template.data.nextRotation).toBe(ZALANDO_NO_ROTATION_BEFORE);
      expect(es.spec.target.creationPolicy).toBe('Orphan');
      expect(es.spec.data[0].remoteRef.key).toBe(
        state.generation === 0 ? 'databases/live/services/orders' : `databases/live/services/orders/rotation-${state.generation}`,
      );
    });

    it(`${label}: the rotation-login Job runs while the second login is the one rotated to; the retire Job at a done step`, () => {
      const login = find(objects, 'Job', 'orders-rotation-login');
      expect(login !== undefined).toBe(odd);
      if (login) {
        const c = login.spec.template.spec.containers[0];
        expect(c.env.find((e: any) => e.name === 'PGUSER').valueFrom.secretKeyRef.name).toBe(OPERATOR_SECRET);
        expect(login.metadata.annotations!['dbfleet.io/rotation-generation']).toBe(String(state.generation));
      }
      const retire = find(objects, 'Job', 'orders-rotation-retire');
      expect(retire !== undefined).toBe(state.step === 'done' && state.generation > 0);
      if (retire) {
        // the keeper logs in as itself; on PostgreSQL >= 16 (this fleet's 16) the retired login's own
        // Secret serves the secondary measure only (rotation-retire-job.ts ROTATION_KEEPER_ADMIN_SCRIPT)
        const secret = retire.spec.template.spec.containers[0].env.find((e: any) => e.name === 'RETIRED_PASSWORD').valueFrom.secretKeyRef
          .name;
        // the retired login's own Secret, from its last generation's key
        const es = find(objects, 'ExternalSecret', secret)!;
        expect(es.spec.target.template.data.username).toBe(odd ? 'orders' : 'orders_alt');
        const g = state.generation - 1;
        expect(es.spec.data[0].remoteRef.key).toBe(
          g === 0 ? 'databases/live/services/orders' : `databases/live/services/orders/rotation-${g}`,
        );
      }
    });

    it(`${label}: the app's Secret names the same login and key as on CloudNativePG`, () => {
      const cnpg = render(zalandoRotationFleet(state, 'cloudnative-pg'));
      const app = (o: Obj[]) => {
        const es = find(o, 'ExternalSecret', 'orders-db')!;
        return {
          username: es.spec.target.template.data.username,
          key: es.spec.data[0].remoteRef.key,
          keys: Object.keys(es.spec.target.template.data).sort(),
        };
      };
      expect(app(objects)).toEqual(app(cnpg));
    });

    it(`${label}: the access SQL logs in with the login the app uses`, () => {
      const access = objects.find(
        (o) => o.kind === 'CronJob' && o.metadata.name.includes('access') && JSON.stringify(o).includes('"orders"'),
      );
      const text = JSON.stringify(access ?? objects.filter((o) => o.kind === 'Job' || o.kind === 'CronJob'));
      const appSlotSecret = state.step === 'add' ? (odd ? 'orders-db-credentials' : 'orders-db-credentials-alt') : OPERATOR_SECRET;
      expect(text).toContain(appSlotSecret);
    });
  }

  it('the store keys list the retired login at the done step (read once more, to clear it)', () => {
    const fleet = parseFleet(zalandoRotationFleet({ generation: 1, step: 'done' }), 'fleet.yaml');
    const keys = environmentStoreKeys(fleet, fleet.environments[0]).filter((k) => k.remoteKey.includes('/services/orders'));
    expect(keys.map((k) => [k.remoteKey, k.readBy])).toEqual([
      ['databases/live/services/orders', ['databases']],
      ['databases/live/services/orders/rotation-1', ['databases', 'orders']],
    ]);
    expect(keys[0].purpose).toMatch(/retired: read only to clear it/);
  });
  // Issue 30 (attack): the retired login is retired by a login that is neither it nor one the app
  // can become, and kept retired on the access schedule; only where CREATEROLE can do that (<= 15).
  it("PostgreSQL 15: dbfleet_rotation (CREATEROLE, its Secret the operator's) retires the old login at the hook and on the access schedule", () => {
    const objects = render(zalandoRotationFleet({ generation: 1, step: 'done' }, 'zalando', 15));
    const pg = find(objects, 'postgresql', 'orders')!;
    expect(pg.spec.users.dbfleet_rotation).toEqual(['createrole']);
    expect(pg.spec.usersIgnoringSecretRotation).toContain('dbfleet_rotation');
    expect(pg.spec.usersWithSecretRotation).not.toContain('dbfleet_rotation');
    // dbfleet renders no Secret for it: the operator generates its password in the cluster's namespace
    expect(
      objects.some(
        (o) => JSON.stringify(o.metadata).includes('dbfleet-rotation.orders.credentials') && o.kind !== 'Job' && o.kind !== 'CronJob',
      ),
    ).toBe(false);
    const job = find(objects, 'Job', 'orders-rotation-retire')!;
    const cron = find(objects, 'CronJob', 'orders-rotation-retire')!;
    expect(cron.spec.jobTemplate.spec.template).toEqual(job.spec.template);
    const env = Object.fromEntries(
      job.spec.template.spec.containers[0].env.map((e: any) => [
        e.name,
        e.value ?? `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`,
      ]),
    );
    expect(env.PGUSER).toBe('dbfleet-rotation.orders.credentials.postgresql.acid.zalan.do/username');
    expect(env.PGPASSWORD).toBe('dbfleet-rotation.orders.credentials.postgresql.acid.zalan.do/password');
    expect(env.PGDATABASE).toBe('postgres');
    expect(env.RETIRE_SQL).toBe('SET LOCAL search_path = pg_catalog, pg_temp; ALTER ROLE "orders" NOLOGIN PASSWORD NULL');
    expect(JSON.stringify(job)).not.toContain('orders-db-credentials');
    const access = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'orders-access')!;
    expect(cron.spec.schedule).toBe(access.spec.schedule);
    // turn 2 retires the second login; before the first rotation there is nothing to retire
    const two = render(zalandoRotationFleet({ generation: 2, step: 'done' }, 'zalando', 15));
    expect(find(two, 'Job', 'orders-rotation-retire')!.spec.template.spec.containers[0].env).toContainEqual({
      name: 'RETIRED_ROLE',
      value: 'orders_alt',
    });
    const switching = render(zalandoRotationFleet({ generation: 1, step: 'switch' }, 'zalando', 15));
    expect(find(switching, 'CronJob', 'orders-rotation-retire')).toBeUndefined();
    expect(find(switching, 'postgresql', 'orders')!.spec.users.dbfleet_rotation).toEqual(['createrole']);
    const unrotated = render(zalandoRotationFleet(NOT_ROTATED, 'zalando', 15));
    expect(find(unrotated, 'postgresql', 'orders')!.spec.users.dbfleet_rotation).toBeUndefined();
  });

  it('a long service name: the keeper CronJob stays within the 52 characters Kubernetes allows a CronJob (attack on 9ba0360)', () => {
    // 39 characters (a per-service cluster may have 45, a shared cluster's service 63): `<service>-rotation-retire` is 55
    const service = 'orders-fulfilment-service-eu-central-1x';
    const text = zalandoRotationFleet({ generation: 1, step: 'done' }, 'zalando', 15).replace(
      'name: orders\n    namespace: orders',
      `name: ${service}\n    namespace: orders`,
    );
    const objects = render(text);
    const crons = objects.filter((o) => o.kind === 'CronJob');
    for (const cron of crons) expect(cron.metadata.name.length, cron.metadata.name).toBeLessThanOrEqual(52);
    const keeper = crons.find((o) => o.spec.jobTemplate.spec.template.spec.containers[0].env.some((e: any) => e.name === 'RETIRED_ROLE'))!;
    expect(keeper.metadata.name).toMatch(/^orders-fulfilment-service-eu-central-1x-[0-9a-f]{8}-rr$/);
    expect(keeper.spec.jobTemplate.spec.template.spec.containers[0].env).toContainEqual({
      name: 'RETIRED_ROLE',
      value: 'orders_fulfilment_service_eu_central_1x',
    });
    // a short name keeps its readable form
    expect(
      find(render(zalandoRotationFleet({ generation: 1, step: 'done' }, 'zalando', 15)), 'CronJob', 'orders-rotation-retire'),
    ).toBeDefined();
  });

  it('a 55-character service of a shared cluster: the rotation Jobs stay within 63 characters on both operators, under the name `dbfleet rotate` looks up (attack on 9ba0360)', () => {
    const service = 'orders-fulfilment-service-eu-central-1-primary-writer-x';
    for (const operator of ['zalando', 'cloudnative-pg'])
      for (const step of ['add', 'done'] as const) {
        const text = zalandoRotationFleet({ generation: 1, step }, operator, 15)
          .replace('topology: per-service', 'topology: shared')
          .replace('name: orders\n    namespace: orders', `name: ${service}\n    namespace: orders`);
        const objects = render(text);
        for (const o of objects.filter((x) => x.kind === 'Job')) expect(o.metadata.name.length, o.metadata.name).toBeLessThanOrEqual(63);
        for (const o of objects.filter((x) => x.kind === 'CronJob'))
          expect(o.metadata.name.length, o.metadata.name).toBeLessThanOrEqual(52);
        if (step === 'add')
          expect(find(objects, 'Job', rotationLoginJobName(service)), `${operator}: ${rotationLoginJobName(service)}`).toBeDefined();
      }
    expect(rotationLoginJobName('orders')).toBe('orders-rotation-login');
  });

  // Issue 30: from 16 CREATEROLE alters only roles it holds ADMIN OPTION on (postgres/postgres
  // cf5eb37c5): the same keeper, which checks for it first and names the one-off grants.
  it('PostgreSQL 16 and later: the same keeper, checking ADMIN OPTION first; the hook never fails for it, the CronJob does', () => {
    for (const version of [16, 17, 18]) {
      const objects = render(zalandoRotationFleet({ generation: 1, step: 'done' }, 'zalando', version));
      const pg = find(objects, 'postgresql', 'orders')!;
      expect(pg.spec.users.dbfleet_rotation).toEqual(['createrole']);
      expect(pg.spec.usersIgnoringSecretRotation).toContain('dbfleet_rotation');
      const envOf = (o: any) =>
        Object.fromEntries(o.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
      const hook = envOf(find(objects, 'Job', 'orders-rotation-retire'));
      const cron = envOf({ spec: find(objects, 'CronJob', 'orders-rotation-retire')!.spec.jobTemplate.spec });
      for (const env of [hook, cron]) {
        expect(env.PGUSER).toEqual({
          secretKeyRef: { name: 'dbfleet-rotation.orders.credentials.postgresql.acid.zalan.do', key: 'username' },
        });
        expect(env.PGDATABASE).toBe('postgres');
        expect(env.RETIRED_ROLE).toBe('orders');
        expect(env.ADMIN_SQL).toMatch(
          /^SET LOCAL search_path = pg_catalog, pg_temp; SELECT .*pg_catalog\.pg_has_role\(oid, 'MEMBER WITH ADMIN OPTION'\)/,
        );
        expect(env.GRANT_SQL).toBe(
          'GRANT "orders" TO "dbfleet_rotation" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE; GRANT "orders_alt" TO "dbfleet_rotation" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;',
        );
        expect(env.RETIRED_PASSWORD).toEqual({ secretKeyRef: { name: 'orders-db-credentials', key: 'password' } });
        expect(env.RETIRE_SQL).toMatch(/ALTER ROLE "orders" NOLOGIN PASSWORD NULL$/);
      }
      expect(hook.KEEPER_RUN).toBe('hook');
      expect(cron.KEEPER_RUN).toBe('schedule');
    }
    // `dbfleet plan` tells the reviewer of the done step what must already be true (a Zalando rule)
    expect(allBackends().flatMap((b) => b.dangerRules)).toContain(rotationKeeperGrants);
    const hookJob = find(render(zalandoRotationFleet({ generation: 1, step: 'done' }, 'zalando', 18)), 'Job', 'orders-rotation-retire')!;
    const plan = (type: 'added' | 'changed', after: any) => rotationKeeperGrants.check({ type, environment: 'live', after }, {} as any);
    expect(plan('added', hookJob)).toEqual([
      "retires orders through dbfleet_rotation, which on PostgreSQL >= 16 needs ADMIN OPTION on it: unless the cluster's superuser has run once " +
        'GRANT "orders" TO "dbfleet_rotation" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE; GRANT "orders_alt" TO "dbfleet_rotation" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE; ' +
        'orders keeps logging in after this step (the hook logs NOT RETIRED and the sync goes on; CronJob orders-rotation-retire fails until then): docs/zalando.md "Rotation"',
    ]);
    const plan2 = (before: any) => rotationKeeperGrants.check({ type: 'changed', environment: 'live', before, after: hookJob }, {} as any);
    // the same hook as before: the grants were named when it was added
    expect(plan2(hookJob)).toEqual([]);
    // a done step rendered by dbfleet before the keeper on >= 16 (the retired login clearing its own
    // password, still LOGIN): now `changed`, and the grants are as needed as at an added step
    const selfClearing = structuredClone(hookJob);
    selfClearing.spec.template.spec.containers[0].env = [{ name: 'RETIRE_SQL', value: ROTATION_RETIRE_SQL }];
    expect(plan2(selfClearing)).toEqual(plan('added', hookJob));
    // <= 15 renders no check: CREATEROLE alone suffices there
    const old = render(zalandoRotationFleet({ generation: 1, step: 'done' }, 'zalando', 15));
    expect(JSON.stringify(find(old, 'Job', 'orders-rotation-retire'))).not.toContain('ADMIN_SQL');
    expect(plan('added', find(old, 'Job', 'orders-rotation-retire'))).toEqual([]);
    // PostgreSQL 15 -> 16 at a done step: the keeper without the check already made it NOLOGIN
    expect(plan2(find(old, 'Job', 'orders-rotation-retire'))).toEqual([]);
  });
});
