// Issue 27, "dbfleet rotate and dbfleet switchover reformat files they edit": both commands edit
// the YAML text in place. Each case spells out the whole expected file: every byte other than the
// lines the command must write is compared (flow sequences' spacing, aligned comments, blank
// lines, quoting, a file without a final newline).
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deleteInText, setInText } from '../../lib/config/yaml-edit';
import { switchover } from '../../lib/dr/switchover';
import { rotate } from '../../lib/secrets/rotate';
import { BASE_FLEET } from '../support/fleet';

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
    const step2 = switchover(step1, { environment: 'main-dr', to: 'main-dr', tokens: { orders: 'YQ==' } }).text;
    expect(step2).toBe(
      fleet.replace(
        '    cluster: { server: https://aws.example }\n',
        '$&    primarySite: main-dr\n    promotionTokens:\n      orders: YQ==\n',
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
