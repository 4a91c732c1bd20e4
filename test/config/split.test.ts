// A fleet split into fleet.yaml + services/*.yaml (one service per file) is the same fleet as
// the one file: same model, byte-identical render; errors name the service file and its line.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetConfigError, loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects, toYaml } from '../../lib/output/render';
import { lineOf } from '../support/fleet';

const HEAD = `name: split
postgres: { version: 16 }
secretStore: { kind: SecretStore, name: store, keyPrefix: db }
developers: [carol]
groups: { money: {}, web: {} }
environments:
  dev:
    namespace: db
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: read-write
  live:
    namespace: db
    topology: grouped
    instances: 2
    storage: 20Gi
    developerAccess: none
`;
const SERVICES = {
  'a-ledger': 'name: ledger\ngroup: money\nextensions: [pgcrypto]\noverrides:\n  live: { storage: 40Gi }\n',
  'b-search': 'name: search\nnamespace: web\ngroup: web\n',
  'c-users': 'name: users\ngroup: web\ndatabase: accounts\n',
};
const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line, i) => (i === 0 ? `  - ${line}` : `    ${line}`))
    .join('\n');

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-split-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const rendered = (fileOrDir: string) => renderObjects(buildApp(loadFleet(fileOrDir))).map((o) => [o.path, toYaml(o.object)]);

function errorsOf(fileOrDir: string): string[] {
  try {
    loadFleet(fileOrDir);
  } catch (error) {
    expect(error).toBeInstanceOf(FleetConfigError);
    return (error as Error).message.split('\n');
  }
  throw new Error('expected the fleet to be rejected');
}

describe('a split fleet (fleet.yaml + services/*.yaml)', () => {
  const single = project({ 'fleet.yaml': `${HEAD}services:\n${Object.values(SERVICES).map(indent).join('\n')}\n` });
  const split = project({
    'fleet.yaml': HEAD,
    ...Object.fromEntries(Object.entries(SERVICES).map(([file, text]) => [`services/${file}.yaml`, text])),
  });

  it('renders byte-identically to the same fleet in one file', () => {
    const one = rendered(join(single, 'fleet.yaml'));
    expect(one.length).toBeGreaterThan(20);
    expect(rendered(join(split, 'fleet.yaml'))).toEqual(one);
  });

  it('mixes services: in fleet.yaml with service files (listed ones first, then files by name)', () => {
    const mixed = project({
      'fleet.yaml': `${HEAD}services:\n${indent(SERVICES['a-ledger'])}\n`,
      'services/b-search.yaml': SERVICES['b-search'],
      'services/c-users.yml': SERVICES['c-users'],
      'services/README.md': 'not a service',
    });
    expect(rendered(join(mixed, 'fleet.yaml'))).toEqual(rendered(join(single, 'fleet.yaml')));
    expect(loadFleet(mixed).services.map((s) => s.name)).toEqual(['ledger', 'search', 'users']);
  });

  it('DBFLEET_CONFIG may name the folder: <folder>/fleet.yaml and its services/ are read', () => {
    expect(rendered(split)).toEqual(rendered(join(single, 'fleet.yaml')));
  });

  it('an error in a service file names that file, its line and the path inside it', () => {
    const text = 'name: search\nnamespace: Web\ngroup: web\nextensionz: [x]\n';
    const dir = project({ 'fleet.yaml': HEAD, 'services/a.yaml': SERVICES['a-ledger'], 'services/b.yaml': text });
    const file = join(dir, 'services', 'b.yaml');
    expect(errorsOf(dir)).toEqual([
      `${file}:${lineOf(text, 'Web')}: namespace: "Web" is not a valid DNS-1123 label (lower case letters, digits and "-", starting and ending with a letter or digit)`,
      `${file}:${lineOf(text, 'extensionz')}: extensionz: is not a known key (did you mean "extensions"?)`,
    ]);
  });

  it('cross-file problems point at the service file that breaks the rule; fleet file problems come first', () => {
    const dir = project({
      'fleet.yaml': HEAD.replace('instances: 2', 'instances: 2\n    alerts: { diskWarningPercent: 95 }'),
      'services/a.yaml': SERVICES['a-ledger'],
      'services/b.yaml': 'name: ledger\ngroup: money\n',
      'services/c.yaml': 'name: users\n',
    });
    expect(errorsOf(dir)).toEqual([
      `${join(dir, 'fleet.yaml')}:${lineOf(HEAD, 'instances: 2') + 1}: environments.live.alerts.diskWarningPercent: must be below diskCriticalPercent`,
      `${join(dir, 'services', 'b.yaml')}:1: name: "ledger" is already used by ${join(dir, 'services', 'a.yaml')}`,
      `${join(dir, 'services', 'b.yaml')}:1: name: database name "ledger" collides with ${join(dir, 'services', 'a.yaml')} ("ledger")`,
      `${join(dir, 'services', 'b.yaml')}:1: name: role name "ledger" collides with ${join(dir, 'services', 'a.yaml')} ("ledger")`,
      `${join(dir, 'services', 'c.yaml')}:1: group: is required because environments.live.topology is grouped`,
    ]);
  });

  it('YAML errors, empty and non-mapping service files are reported in their file', () => {
    const dir = project({ 'fleet.yaml': HEAD, 'services/a.yaml': 'name: [x\n', 'services/b.yaml': '' });
    expect(errorsOf(dir)[0]).toMatch(new RegExp(`^${join(dir, 'services', 'a.yaml')}:\\d+:\\d+: `));
    const dir2 = project({ 'fleet.yaml': HEAD, 'services/a.yaml': SERVICES['a-ledger'], 'services/b.yaml': '- name: x\n' });
    expect(errorsOf(dir2)).toEqual([`${join(dir2, 'services', 'b.yaml')}:1: (root): must be a mapping, not a list`]);
  });

  it('a missing fleet file or folder is named', () => {
    expect(errorsOf('/nonexistent/dir')).toEqual([expect.stringMatching(/^\/nonexistent\/dir: cannot read the fleet file/)]);
  });
});
