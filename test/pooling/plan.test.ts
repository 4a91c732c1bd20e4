// `npm run plan` flags a switch to transaction pooling as DANGER: on fleets rendered here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp, renderObjects } from '../../lib/output/render';
import { makePlan } from '../../lib/plan/plan';
import type { Manifests } from '../../lib/plan/manifests';
import { fleetOf } from '../support/fleet';

const FLEET = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'pooling.yaml'), 'utf8');
const render = (text: string): Manifests => new Map(renderObjects(buildApp(fleetOf(text))).map((o) => [o.path, o.object]));
const dangersOf = (base: Manifests, head: Manifests) => makePlan(base, head).dangers;
const poolerDangers = (base: string, head: string) => dangersOf(render(base), render(head)).filter((d) => d.object.startsWith('Pooler'));

describe('plan: pool mode', () => {
  it('session → transaction on an existing pooler is a DANGER naming the pooler', () => {
    const head = FLEET.replace('ro: { instances: 3, poolMode: session }', 'ro: { instances: 3, poolMode: transaction }');
    const dangers = poolerDangers(FLEET, head);
    expect(dangers.map((d) => `${d.environment} ${d.object}`).sort()).toEqual([
      'production Pooler databases/orders-pooler-ro',
      'production Pooler databases/payments-pooler-ro',
      'production Pooler databases/reports-pooler-ro',
    ]);
    expect(dangers[0].message).toMatch(
      /^pool mode changes from session to transaction: session state \(SET, session advisory locks, LISTEN, temporary tables, SQL PREPARE\) no longer survives/,
    );
  });

  it('the other direction, other pooler changes and unchanged poolers are not', () => {
    expect(poolerDangers(FLEET, FLEET)).toEqual([]);
    const back = FLEET.replace('rw: { instances: 2, poolMode: transaction', 'rw: { instances: 2, poolMode: session');
    expect(poolerDangers(FLEET, back)).toEqual([]);
    const bigger = FLEET.replace(
      'rw: { instances: 2, poolMode: transaction, parameters: { max_client_conn: 800',
      'rw: { instances: 4, poolMode: transaction, parameters: { max_client_conn: 2000',
    );
    expect(poolerDangers(FLEET, bigger)).toEqual([]);
  });

  it('turning pooling on in transaction mode in front of existing clusters is a DANGER; in session mode it is not', () => {
    const off = FLEET.replace(/ {4}pooler:\n( {6}r[wo]: .*\n){2}/, '').replace(
      '    overrides:\n      production: { pooler: { rw: { instances: 1, poolMode: session } } }\n',
      '',
    );
    expect(off).not.toContain('pooler:');
    const dangers = poolerDangers(off, FLEET);
    // payments keeps session mode (its override); orders and reports go transaction on rw.
    expect(dangers.map((d) => d.object).sort()).toEqual(['Pooler databases/orders-pooler-rw', 'Pooler databases/reports-pooler-rw']);
    expect(dangers[0].message).toMatch(
      /is added in transaction mode in front of the existing cluster (orders|reports): its apps' endpoint moves from a session connection to transaction pooling/,
    );
    expect(poolerDangers(off, FLEET.replace('poolMode: transaction', 'poolMode: session'))).toEqual([]);
  });

  it('a new service arriving with a transaction pooler is not (no app depended on session semantics)', () => {
    const head = `${FLEET}  - name: shipping\n`;
    expect(poolerDangers(FLEET, head)).toEqual([]);
  });

  it('a service added to a shared, pooled cluster opens its poolers to its namespace without a DANGER', () => {
    const pooledTest = FLEET.replace('    developerAccess: read-write\n', '    developerAccess: read-write\n    pooler: { rw: {} }\n');
    const dangers = dangersOf(render(pooledTest), render(`${pooledTest}  - name: shipping\n`));
    expect(dangers).toEqual([]);
    // …while the same grant without a new service is one.
    const opened = render(pooledTest);
    const policy = opened.get('test/networkpolicy-acme-pooler-rw-ingress.yaml')! as any;
    expect(policy).toBeDefined();
    const widened = structuredClone(policy);
    widened.spec.ingress[0].from.push({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'intruder' } } });
    expect(
      dangersOf(opened, new Map([...opened, ['test/networkpolicy-acme-pooler-rw-ingress.yaml', widened]])).map((d) => d.object),
    ).toEqual(['NetworkPolicy databases/acme-pooler-rw-ingress']);
  });
});
