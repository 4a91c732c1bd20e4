// The rotation state machine on its own: which roles log in, with which password, and which one
// the app uses, at every step of two rotations.
import { describe, expect, it } from 'vitest';
import { credentialLayout, describeRotationStep, nextRotationState, type RotationState } from '../../lib/secrets/credential-rotation';
import { configErrors, fleetOf, BASE_FLEET } from '../support/fleet';

const orders = { name: 'orders', namespace: 'orders', database: 'orders', role: 'orders', extensions: [] };
const layout = (state?: RotationState) => credentialLayout(orders, 'db', 'production', state);
const summary = (state?: RotationState) => {
  const l = layout(state);
  return {
    login: l.slots.filter((s) => s.login).map((s) => `${s.role}@${s.remoteKey}`),
    nologin: l.slots.filter((s) => !s.login).map((s) => s.role),
    app: `${l.app.role}@${l.app.remoteKey}`,
  };
};

describe('credential rotation', () => {
  it('before any rotation: the owner role logs in with <prefix>/<env>/services/<service>, as always', () => {
    expect(summary()).toEqual({
      login: ['orders@db/production/services/orders'],
      nologin: [],
      app: 'orders@db/production/services/orders',
    });
  });

  it('walks add → switch → done, alternating the two login roles, a new remote key per generation', () => {
    const states: RotationState[] = [];
    let state: RotationState = { generation: 0, step: 'done' };
    for (let i = 0; i < 6; i++) states.push((state = nextRotationState(state)));
    expect(states).toEqual([
      { generation: 1, step: 'add' },
      { generation: 1, step: 'switch' },
      { generation: 1, step: 'done' },
      { generation: 2, step: 'add' },
      { generation: 2, step: 'switch' },
      { generation: 2, step: 'done' },
    ]);
    expect(states.map(summary)).toEqual([
      {
        login: ['orders@db/production/services/orders', 'orders_alt@db/production/services/orders/rotation-1'],
        nologin: [],
        app: 'orders@db/production/services/orders',
      },
      {
        login: ['orders@db/production/services/orders', 'orders_alt@db/production/services/orders/rotation-1'],
        nologin: [],
        app: 'orders_alt@db/production/services/orders/rotation-1',
      },
      {
        login: ['orders_alt@db/production/services/orders/rotation-1'],
        nologin: ['orders'],
        app: 'orders_alt@db/production/services/orders/rotation-1',
      },
      {
        login: ['orders@db/production/services/orders/rotation-2', 'orders_alt@db/production/services/orders/rotation-1'],
        nologin: [],
        app: 'orders_alt@db/production/services/orders/rotation-1',
      },
      {
        login: ['orders@db/production/services/orders/rotation-2', 'orders_alt@db/production/services/orders/rotation-1'],
        nologin: [],
        app: 'orders@db/production/services/orders/rotation-2',
      },
      {
        login: ['orders@db/production/services/orders/rotation-2'],
        nologin: ['orders_alt'],
        app: 'orders@db/production/services/orders/rotation-2',
      },
    ]);
  });

  it('the app only ever moves to a credential that already logged in during the previous step', () => {
    let state: RotationState = { generation: 0, step: 'done' };
    for (let i = 0; i < 9; i++) {
      const before = layout(state);
      state = nextRotationState(state);
      const after = layout(state);
      const loggedIn = new Set(before.slots.filter((s) => s.login).map((s) => `${s.role}@${s.remoteKey}`));
      expect(loggedIn.has(`${after.app.role}@${after.app.remoteKey}`) || after.app.remoteKey === before.app.remoteKey).toBe(true);
      // and never loses the login the app used a step before
      expect(after.slots.find((s) => s.role === before.app.role)?.login).toBe(true);
    }
  });

  it('says what each step does', () => {
    expect(describeRotationStep(orders, { generation: 1, step: 'add' })).toContain('role orders_alt gets a new password');
    expect(describeRotationStep(orders, { generation: 2, step: 'done' })).toContain('orders_alt can no longer log in');
  });
});

describe('rotation config', () => {
  const rotated = (block: string) => BASE_FLEET.replace('  - name: payments\n', `    rotation:\n${block}\n  - name: payments\n`);

  // Mutation run (docs/mutation-testing.md): the step texts were checked by two substrings, and the slots'
  // Secret names not at all; a swapped slot or an empty step text survived.
  it("says exactly what each step of two rotations does, and names each slot's Secret", () => {
    const texts = [
      { generation: 0, step: 'done' },
      { generation: 1, step: 'add' },
      { generation: 1, step: 'switch' },
      { generation: 1, step: 'done' },
      { generation: 2, step: 'add' },
      { generation: 2, step: 'switch' },
      { generation: 2, step: 'done' },
    ].map((state) => describeRotationStep(orders, state as RotationState));
    expect(texts).toEqual([
      'orders: not rotated',
      'rotation 1 of orders, step 1/3 (add): role orders_alt gets a new password and may log in; orders still logs in and the app still uses it',
      "rotation 1 of orders, step 2/3 (switch): the app's Secret orders-db now names orders_alt and its new password; orders still logs in until step 3",
      'rotation 1 of orders, step 3/3 (done): orders can no longer log in (NOLOGIN); check first that no session uses it',
      'rotation 2 of orders, step 1/3 (add): role orders gets a new password and may log in; orders_alt still logs in and the app still uses it',
      "rotation 2 of orders, step 2/3 (switch): the app's Secret orders-db now names orders and its new password; orders_alt still logs in until step 3",
      'rotation 2 of orders, step 3/3 (done): orders_alt can no longer log in (NOLOGIN); check first that no session uses it',
    ]);
    expect(layout({ generation: 1, step: 'add' }).slots.map((s) => `${s.role}:${s.secretName}`)).toEqual([
      'orders:orders-db-credentials',
      'orders_alt:orders-db-credentials-alt',
    ]);
  });

  it('is read per environment', () => {
    const fleet = fleetOf(rotated('      production: { generation: 1, step: switch }'));
    expect(fleet.services[0].rotation).toEqual({ production: { generation: 1, step: 'switch' } });
  });

  it('rejects an unknown environment, an unknown step and a generation of 0, naming the line', () => {
    expect(configErrors(rotated('      staging: { generation: 1, step: add }')).join('\n')).toMatch(
      /fleet\.yaml:\d+: services\[0\]\.rotation\.staging: environment "staging" does not exist/,
    );
    expect(configErrors(rotated('      production: { generation: 1, step: retire }')).join('\n')).toMatch(
      /services\[0\]\.rotation\.production\.step/,
    );
    expect(configErrors(rotated('      production: { generation: 0, step: add }')).join('\n')).toMatch(/generation: must be >= 1/);
  });

  it('rejects a service role whose rotation role collides with another role', () => {
    const text = rotated('      production: { generation: 1, step: add }').replace(
      '  - name: payments\n',
      '  - name: payments\n    role: orders_alt\n',
    );
    expect(configErrors(text).join('\n')).toMatch(/role name "orders_alt" collides with/);
  });
});
