// What each rotation step renders: the roles, their Secrets, the app's Secret, the generated
// passwords and the Job that makes the second login role act as the owner.
import { describe, expect, it } from 'vitest';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { makePlan } from '../../lib/plan/plan';
import { schemaCheck } from '../../lib/output/schema-check';
import { BASE_FLEET, fleetOf } from '../support/fleet';

type Obj = KubernetesObject & { spec: any };
const at = (state: string) => BASE_FLEET.replace('  - name: payments\n', `    rotation:\n      production: ${state}\n  - name: payments\n`);
const render = (text: string) => renderObjects(buildApp(fleetOf(text)));
const production = (text: string) =>
  render(text)
    .filter((o) => o.path.startsWith('production/'))
    .map((o) => o.object as Obj);

/** The login roles of the orders cluster, wherever the cluster declares them. */
function roles(objects: Obj[]): Array<{ name: string; login: boolean; secret?: string; inRoles?: string[] }> {
  const fromCluster = objects
    .filter((o) => o.kind === 'Cluster' && o.metadata.name === 'orders')
    .flatMap((c) => c.spec.managed?.roles ?? []);
  const fromObjects = objects.filter((o) => o.kind === 'DatabaseRole' && o.spec.cluster.name === 'orders').map((r) => r.spec);
  return [...fromCluster, ...fromObjects]
    .filter((r: any) => r.name === 'orders' || r.name === 'orders_alt')
    .map((r: any) => ({ name: r.name, login: r.login, secret: r.passwordSecret?.name, inRoles: r.inRoles }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
const key = (objects: Obj[], name: string) =>
  objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === name)?.spec.data[0].remoteRef.key;
const app = (objects: Obj[]) => {
  const secret = objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'orders-db')!;
  return `${secret.spec.target.template.data.username}@${secret.spec.data[0].remoteRef.key}`;
};

describe('rotation, rendered', () => {
  it('add: the second role logs in with a new key, the app is unchanged, a Job makes the role act as the owner', () => {
    const objects = production(at('{ generation: 1, step: add }'));
    expect(roles(objects)).toEqual([
      { name: 'orders', login: true, secret: 'orders-db-credentials', inRoles: undefined },
      { name: 'orders_alt', login: true, secret: 'orders-db-credentials-alt', inRoles: ['orders'] },
    ]);
    expect(key(objects, 'orders-db-credentials-alt')).toBe('databases/production/services/orders/rotation-1');
    expect(app(objects)).toBe('orders@databases/production/services/orders');
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'orders-rotation-login')!;
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync' });
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual([
      'psql',
      '-v',
      'ON_ERROR_STOP=1',
      '-X',
      '-q',
      '-c',
      "SET LOCAL search_path = pg_catalog, pg_temp; SET ROLE NONE; ALTER ROLE SESSION_USER SET role = 'orders'",
    ]);
    expect(container.env.find((e: any) => e.name === 'PGUSER').valueFrom.secretKeyRef.name).toBe('orders-db-credentials-alt');
    const pushed = objects.filter((o) => o.kind === 'PushSecret').map((o) => o.spec.data[0].match.remoteRef.remoteKey);
    expect(pushed).toEqual(
      expect.arrayContaining(['databases/production/services/orders', 'databases/production/services/orders/rotation-1']),
    );
  });

  it('switch: the app names the second role and its key; both still log in', () => {
    const objects = production(at('{ generation: 1, step: switch }'));
    expect(roles(objects).map((r) => [r.name, r.login])).toEqual([
      ['orders', true],
      ['orders_alt', true],
    ]);
    expect(app(objects)).toBe('orders_alt@databases/production/services/orders/rotation-1');
  });

  it('done: the owner can no longer log in and has no password; its Secret and PushSecret are gone', () => {
    const objects = production(at('{ generation: 1, step: done }'));
    expect(roles(objects)).toEqual([
      { name: 'orders', login: false, secret: undefined, inRoles: undefined },
      { name: 'orders_alt', login: true, secret: 'orders-db-credentials-alt', inRoles: ['orders'] },
    ]);
    expect(key(objects, 'orders-db-credentials')).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'PushSecret').map((o) => o.spec.data[0].match.remoteRef.remoteKey)).not.toContain(
      'databases/production/services/orders',
    );
    expect(app(objects)).toBe('orders_alt@databases/production/services/orders/rotation-1');
  });

  it('the second rotation goes back to the owner role with a new key and retires the second role', () => {
    expect(app(production(at('{ generation: 2, step: switch }')))).toBe('orders@databases/production/services/orders/rotation-2');
    const objects = production(at('{ generation: 2, step: done }'));
    expect(roles(objects).map((r) => [r.name, r.login])).toEqual([
      ['orders', true],
      ['orders_alt', false],
    ]);
    expect(objects.find((o) => o.kind === 'Job' && o.metadata.name === 'orders-rotation-login')).toBeUndefined();
  });

  it('every step renders objects the schemas accept, and the other environment is unchanged', () => {
    const plain = render(BASE_FLEET).filter((o) => o.path.startsWith('test/'));
    for (const step of ['add', 'switch', 'done']) {
      const all = render(at(`{ generation: 1, step: ${step} }`));
      expect(schemaCheck(all)).toEqual([]);
      expect(all.filter((o) => o.path.startsWith('test/')).map((o) => JSON.stringify(o.object))).toEqual(
        plain.map((o) => JSON.stringify(o.object)),
      );
    }
  });
});

describe('rotation in plan', () => {
  const manifests = (text: string) => new Map(render(text).map((o) => [o.path, o.object] as [string, KubernetesObject]));
  const plan = async (from: string, to: string) => makePlan(manifests(from), manifests(to));

  it('marks only the last step as DANGER: a role that can no longer log in', async () => {
    expect((await plan(BASE_FLEET, at('{ generation: 1, step: add }'))).dangers).toEqual([]);
    expect((await plan(at('{ generation: 1, step: add }'), at('{ generation: 1, step: switch }'))).dangers).toEqual([]);
    const done = (await plan(at('{ generation: 1, step: switch }'), at('{ generation: 1, step: done }'))).dangers;
    expect(done.map((d) => [d.environment, d.rule])).toEqual([['production', 'login-revoked']]);
    expect(done[0].message).toMatch(/^role orders can no longer log in: .*pg_stat_activity WHERE usename = 'orders'/);
  });
});
