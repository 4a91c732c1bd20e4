// Issue 27, "dbfleet rotate and dbfleet switchover reformat files they edit": both commands edit
// the YAML text in place. Each case spells out the whole expected file: every byte other than the
// lines the command must write is compared (flow sequences' spacing, aligned comments, blank
// lines, quoting, a file without a final newline).
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDbfleet } from '../../lib/cli/main';
import { loadFleet } from '../../lib/config/load';
import { deleteInText, setInText, YamlEditError } from '../../lib/config/yaml-edit';
import { switchover } from '../../lib/dr/switchover';
import { rotate } from '../../lib/secrets/rotate';
import { BASE_FLEET } from '../support/fleet';
import { demotionToken } from '../support/promotion-token';

/** A team's service file in a style the `yaml` package would rewrite. */
const SERVICE_FILE = `# owned by @acme/billing (CODEOWNERS)
name:      billing                 # aligned comments
group: commerce                    # the cluster under grouped
extensions: [ pgcrypto,uuid-ossp ] # flow sequence, odd spacing
overrides:
    production: {storage: 20Gi,   instances: 2}   # four-space indent, tight braces

    test:
        storage: "5Gi"             # quoted on purpose
`;

describe('rotate and switchover change only the lines they must', () => {
  it('dbfleet rotate adds one rotation block to a service file and keeps every other byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-edit-'));
    writeFileSync(join(dir, 'fleet.yaml'), BASE_FLEET);
    mkdirSync(join(dir, 'services'));
    writeFileSync(join(dir, 'services', 'billing.yaml'), SERVICE_FILE);
    rotate(dir, 'billing', 'production');
    const after1 = readFileSync(join(dir, 'services', 'billing.yaml'), 'utf8');
    expect(after1).toBe(`${SERVICE_FILE}rotation:\n  production: { generation: 1, step: add }\n`);
    rotate(dir, 'billing', 'production');
    expect(readFileSync(join(dir, 'services', 'billing.yaml'), 'utf8')).toBe(
      `${SERVICE_FILE}rotation:\n  production: { generation: 1, step: switch }\n`,
    );
    rotate(dir, 'billing', 'test');
    expect(readFileSync(join(dir, 'services', 'billing.yaml'), 'utf8')).toBe(
      `${SERVICE_FILE}rotation:\n  production: { generation: 1, step: switch }\n  test: { generation: 1, step: add }\n`,
    );
  });

  it('dbfleet rotate in fleet.yaml changes the one line of an existing flow rotation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-edit-'));
    const fleet = BASE_FLEET.replace(
      /( {2}- name: orders\n)/,
      '$1    rotation: {production: {generation: 3, step: done}}     # flow, no padding\n',
    );
    expect(fleet).not.toBe(BASE_FLEET);
    writeFileSync(join(dir, 'fleet.yaml'), fleet);
    rotate(dir, 'orders', 'production');
    expect(readFileSync(join(dir, 'fleet.yaml'), 'utf8')).toBe(
      fleet.replace('{production: {generation: 3, step: done}}', '{production: { generation: 4, step: add }}'),
    );
  });

  it('dbfleet switchover writes step 1, step 2 and a failover without touching other lines', () => {
    const fleet = `name: acme   # the fleet
environments:
  main:   {namespace: databases, topology: per-service}     # tight flow map
  main-dr:
    standbyOf:   main            # aligned
    namespace: databases
    cluster: { server: https://aws.example }
services: [ {name: orders} ]     # flow
`;
    const step1 = switchover(fleet, { environment: 'main', to: 'main-dr' }).text;
    expect(step1).toBe(fleet.replace('    cluster: { server: https://aws.example }\n', '$&    switchoverTo: main-dr\n'));
    const step2 = switchover(step1, { environment: 'main-dr', to: 'main-dr', tokens: { orders: demotionToken('1') } }).text;
    expect(step2).toBe(
      fleet.replace(
        '    cluster: { server: https://aws.example }\n',
        `$&    primarySite: main-dr\n    promotionTokens:\n      orders: ${demotionToken('1')}\n`,
      ),
    );
    const failover = switchover(fleet, { environment: 'main-dr', to: 'main-dr', failover: true }).text;
    expect(failover).toBe(fleet.replace('    cluster: { server: https://aws.example }\n', '$&    primarySite: main-dr\n'));
  });
});

describe('yaml-edit (the splice under both commands)', () => {
  it('replaces a value in a flow map, adds to one, deletes from one and from a block map', () => {
    const text = 'a: {x: 1,   y: 2}   # c\nb:\n  k: v     # kept\n  j: w\n';
    expect(setInText(text, ['a', 'y'], 3)).toBe('a: {x: 1,   y: 3}   # c\nb:\n  k: v     # kept\n  j: w\n');
    expect(setInText(text, ['a', 'z'], 'q')).toBe('a: {x: 1,   y: 2, z: q}   # c\nb:\n  k: v     # kept\n  j: w\n');
    expect(deleteInText(text, ['a', 'x'])).toBe('a: {y: 2}   # c\nb:\n  k: v     # kept\n  j: w\n');
    expect(deleteInText(text, ['b', 'j'])).toBe('a: {x: 1,   y: 2}   # c\nb:\n  k: v     # kept\n');
    expect(setInText('a: 1', ['b'], 2)).toBe('a: 1\nb: 2\n');
  });
});

describe('dbfleet rotate with anchors, aliases, merge keys and flow maps (issue 27: `rotation: *default` got a second rotation key, exit 0)', () => {
  function run(fleet: string, service: string, environment = 'production'): { code: number; err: string; after: string } {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-alias-'));
    writeFileSync(join(dir, 'fleet.yaml'), fleet);
    let err = '';
    const io = { out: { write: () => true }, err: { write: (s: string) => (err += s) > '' } };
    const code = runDbfleet(['rotate', service, '--environment', environment, '--config', dir], io);
    return { code, err, after: readFileSync(join(dir, 'fleet.yaml'), 'utf8') };
  }
  const withServices = (services: string) => BASE_FLEET.replace(/^services:\n[\s\S]*$/m, `services:\n${services}`);
  const SHARED = withServices(`  - name: orders
    rotation: &default {test: {generation: 1, step: done}}   # the shared start
  - name: payments
    rotation: *default   # same as orders
`);

  it('an alias (rotation: *default) is written out at the service with the change; the anchor and its other users keep their value', () => {
    const { code, err, after } = run(SHARED, 'payments');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(after).toBe(
      SHARED.replace(
        'rotation: *default   #',
        'rotation: { test: { generation: 1, step: done }, production: { generation: 1, step: add } }   #',
      ),
    );
    const fleet = loadFleet(writeTemp(after));
    expect(fleet.services.find((s) => s.name === 'orders')!.rotation).toEqual({ test: { generation: 1, step: 'done' } });
    expect(fleet.services.find((s) => s.name === 'payments')!.rotation).toEqual({
      test: { generation: 1, step: 'done' },
      production: { generation: 1, step: 'add' },
    });
  });

  it('the anchor (&default) that another service aliases is refused with exit 2, naming both lines; the file is unchanged', () => {
    const { code, err, after } = run(SHARED, 'orders');
    expect(code).toBe(2);
    expect(err).toMatch(
      /services\.0\.rotation is the anchor &default \(line 21\), which \*default reuses on line 23: changing it here would change it there too/,
    );
    expect(after).toBe(SHARED);
  });

  it('a rotation merged in from another service (<<: *base) is written out; the anchored service is refused', () => {
    const fleet = withServices(`  - &base
    name: orders
    rotation: {test: {generation: 2, step: switch}}
  - <<: *base
    name: payments     # merged from orders
`);
    const payments = run(fleet, 'payments');
    expect(payments.code).toBe(0);
    expect(payments.after).toBe(
      fleet.replace(
        '    name: payments     # merged from orders\n',
        '$&    rotation: { test: { generation: 2, step: switch }, production: { generation: 1, step: add } }\n',
      ),
    );
    const orders = run(fleet, 'orders');
    expect(orders.code).toBe(2);
    expect(orders.err).toMatch(/services\.0 is the anchor &base/);
    expect(orders.after).toBe(fleet);
  });

  it('flow maps and a leaf alias: only the alias is replaced, comments and spacing kept', () => {
    const fleet = withServices(`  - {name: orders,   rotation: {production: &p {generation: 1, step: done}}}  # flow
  - {name: payments, rotation: {production: *p, test: {generation: 1, step: add}}}  # leaf alias
`);
    const { code, after } = run(fleet, 'payments');
    expect(code).toBe(0);
    expect(after).toBe(fleet.replace('production: *p,', 'production: { generation: 2, step: add },'));
  });

  it('an empty key (`rotation:`) gets its value after the colon, not a second key', () => {
    expect(setInText('name: orders\nrotation:\ngroup: g\n', ['rotation', 'production'], { generation: 1 })).toBe(
      'name: orders\nrotation: { production: { generation: 1 } }\ngroup: g\n',
    );
  });

  it('setInText never returns a text that does not mean the old document with the one path set', () => {
    // An alias in a sequence cannot be written out in place: refused, not a broken file.
    expect(() => setInText('a: &x [1]\nb: [*x]\n', ['b', 0, 'k'], 1)).toThrow(YamlEditError);
    expect(() => setInText('a: [1\n', ['a'], 1)).toThrow(/does not parse/);
  });
});

function writeTemp(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-alias-load-'));
  writeFileSync(join(dir, 'fleet.yaml'), text);
  return dir;
}

// Attack on #27: a service file saved with a UTF-8 byte-order mark (the loader reads it) was
// refused by rotate as "would not give valid YAML"; a CRLF file got LF lines appended.
describe('rotate keeps a byte-order mark and CRLF line ends', () => {
  const service = 'name: billing\ngroup: commerce\n';
  for (const [what, before, after] of [
    ['a UTF-8 byte-order mark', `\uFEFF${service}`, `\uFEFF${service}rotation:\n  production: { generation: 1, step: add }\n`],
    [
      'CRLF line ends',
      service.replace(/\n/g, '\r\n'),
      `${service}rotation:\n  production: { generation: 1, step: add }\n`.replace(/\n/g, '\r\n'),
    ],
    [
      'both',
      `\uFEFF${service.replace(/\n/g, '\r\n')}`,
      `\uFEFF${service}rotation:\n  production: { generation: 1, step: add }\n`.replace(/\n/g, '\r\n'),
    ],
  ] as const) {
    it(what, () => {
      const dir = mkdtempSync(join(tmpdir(), 'dbfleet-edit-'));
      writeFileSync(join(dir, 'fleet.yaml'), BASE_FLEET);
      mkdirSync(join(dir, 'services'));
      writeFileSync(join(dir, 'services', 'billing.yaml'), before);
      rotate(dir, 'billing', 'production');
      expect(readFileSync(join(dir, 'services', 'billing.yaml'), 'utf8')).toBe(after);
    });
  }
});
