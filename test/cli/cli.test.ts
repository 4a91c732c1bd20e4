// The `dbfleet` command in-process: init, schema, secrets, errors. (The packaged bin, end to end:
// test/package/package.test.ts.)
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDbfleet } from '../../lib/cli/main';
import { FLEET_JSON_SCHEMA_FILES } from '../../lib/config/json-schema';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { fleetStoreKeys } from '../../lib/secrets/store-keys';

const root = join(__dirname, '..', '..');
const ADOPTER = join(root, 'test', 'fixtures', 'fleets', 'adopter.yaml');

function dbfleet(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runDbfleet(argv, {
    out: {
      write: (s: string) => {
        out += s;
      },
    },
    err: {
      write: (s: string) => {
        err += s;
      },
    },
  });
  return { code, out, err };
}

describe('dbfleet secrets', () => {
  it('lists exactly the remote keys the rendered ExternalSecrets read, per environment', () => {
    for (const file of [
      ADOPTER,
      join(root, 'test', 'fixtures', 'fleets', 'example.yaml'),
      join(root, 'test', 'monitoring', 'fixtures', 'fleet.yaml'),
    ]) {
      const fleet = loadFleet(file);
      const rendered = new Set<string>();
      for (const { path, object } of renderObjects(buildApp(fleet))) {
        if (object.kind !== 'ExternalSecret') continue;
        for (const d of (object.spec as { data: Array<{ remoteRef: { key: string; property: string } }> }).data) {
          rendered.add(`${path.split('/')[0]} ${d.remoteRef.key} ${d.remoteRef.property}`);
        }
      }
      expect(new Set(fleetStoreKeys(fleet).map((k) => `${k.environment} ${k.remoteKey} ${k.property}`)), file).toEqual(rendered);
    }
  });

  it('prints them per environment with their purpose, or as JSON', () => {
    const text = dbfleet('secrets', '--config', ADOPTER);
    expect(text.code).toBe(0);
    expect(text.out).toContain('SecretStore platform-secrets must hold');
    expect(text.out).toContain('\nprod:\n');
    expect(text.out).toContain('  generated  pg/prod/ledger → password: password of role ledger_owner (owner of database ledger_main)');
    expect(text.out).toContain('  YOU        mongo/profiles → connection: MongoDB connection string');
    expect(text.out).not.toMatch(/pg\/staging\/developers/); // staging: developerAccess none
    const json = JSON.parse(dbfleet('secrets', '--config', ADOPTER, '--format', 'json', '--environment', 'dev').out) as {
      keys: Array<{ environment: string }>;
    };
    expect(new Set(json.keys.map((k) => k.environment))).toEqual(new Set(['dev']));
    expect(dbfleet('secrets', '--config', ADOPTER, '--environment', 'qa').code).toBe(2);
  });

  it('a bad fleet file: the file:line error, exit 1, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-cli-'));
    writeFileSync(join(dir, 'fleet.yaml'), readFileSync(ADOPTER, 'utf8').replace('instances: 3', 'instances: 0'));
    const result = dbfleet('secrets', '--config', dir);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/fleet\.yaml:\d+: environments\.prod\.instances: must be >= 1\n$/);
  });
});

describe('dbfleet schema', () => {
  it('prints the committed JSON Schemas', () => {
    expect(dbfleet('schema').out).toBe(readFileSync(join(root, FLEET_JSON_SCHEMA_FILES.fleet), 'utf8'));
    expect(dbfleet('schema', '--service').out).toBe(readFileSync(join(root, FLEET_JSON_SCHEMA_FILES.service), 'utf8'));
  });
});

describe('dbfleet init', () => {
  it('writes a fleet repository whose fleet loads, and never overwrites a file', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dbfleet-init-')), 'My Fleet');
    const result = dbfleet('init', dir, '--dbfleet', 'file:../dbfleet.tgz');
    expect(result.code, result.err).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('my-fleet');
    expect(pkg.dependencies.dbfleet).toBe('file:../dbfleet.tgz');
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['cdk8s-cli', 'tsx']));
    expect(readFileSync(join(dir, 'main.ts'), 'utf8')).toContain("import { renderFleet } from 'dbfleet';");
    expect(readFileSync(join(dir, 'cdk8s.yaml'), 'utf8')).toContain('package: ./node_modules/dbfleet/lib/validate/cdk8s-plugin.cjs');
    expect(readFileSync(join(dir, '.github', 'workflows', 'plan.yaml'), 'utf8')).toContain(
      'npx dbfleet plan --base origin/${{ github.base_ref }}',
    );
    expect(statSync(join(dir, '.ci', 'run')).mode & 0o111).not.toBe(0);
    const fleet = loadFleet(dir);
    expect(fleet.name).toBe('my-fleet');
    expect(fleet.services.map((s) => s.name)).toEqual(['orders', 'payments']);

    const again = dbfleet('init', dir);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already has package.json');
    expect(dbfleet('init', join(tmpdir(), 'x'), '--name', 'Not_A_Label').code).toBe(2);
  });

  it('every subcommand has --help', () => {
    for (const command of ['init', 'plan', 'validate', 'schema', 'secrets']) {
      const result = dbfleet(command, '--help');
      expect(result.code, command).toBe(0);
      expect(result.out, command).toMatch(new RegExp(`^Usage: dbfleet ${command}`, 'm'));
    }
  });
});
