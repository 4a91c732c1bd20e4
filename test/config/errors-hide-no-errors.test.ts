// Issue 27, "Errors still hide errors": every problem of every file in one run, in the three cases
// the issue names (a schema error no longer stops the cross-field rules on the rest of the same
// service or environment); the file named for each service instead of `services[18]`; "did you
// mean" for unknown keys and names.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import { BASE_FLEET, configErrors } from '../support/fleet';

function splitFleetErrors(main: string, services: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-errors-'));
  writeFileSync(join(dir, 'fleet.yaml'), main);
  mkdirSync(join(dir, 'services'));
  for (const [file, text] of Object.entries(services)) writeFileSync(join(dir, 'services', file), text);
  try {
    loadFleet(dir);
  } catch (error) {
    return (error as Error).message.split('\n').map((line) => line.replaceAll(`${dir}/`, ''));
  }
  throw new Error('expected the fleet to be rejected');
}

describe('errors hide no errors', () => {
  it('a DNS-label error in developers does not hide an image-major mismatch and an undeclared group', () => {
    const errors = configErrors(
      BASE_FLEET.replace('developers: [alice, bob]', 'developers: [alice, Bob_Smith]')
        .replace('postgres: { version: 16 }', 'postgres: { version: 16, imageName: "ghcr.io/cloudnative-pg/postgresql:17.5" }')
        .replace('group: commerce\n    extensions', 'group: comerce\n    extensions'),
    );
    expect(errors).toEqual([
      expect.stringMatching(/^fleet\.yaml:2: postgres\.imageName: .* is PostgreSQL 17 but the version is 16/),
      expect.stringMatching(/^fleet\.yaml:4: developers\[1\]: "Bob_Smith" is not a valid DNS-1123 label/),
      expect.stringMatching(/^fleet\.yaml:22: services\[0\]\.group: group "comerce" is not declared .*\(did you mean "commerce"\?\)$/),
    ]);
  });

  it('storage: 500GB does not hide an override for a missing environment and a blocked parameter', () => {
    const errors = configErrors(
      BASE_FLEET.replace(
        'production: { storage: 200Gi, instances: 5 }',
        'production: { storage: 500GB, instances: 5, postgres: { parameters: { port: "5433" } } }\n      prod: { instances: 2 }',
      ),
    );
    expect(errors).toEqual([
      expect.stringMatching(/^fleet\.yaml:25: services\[0\]\.overrides\.production\.storage: "500GB" is not a valid Kubernetes quantity/),
      expect.stringMatching(
        /^fleet\.yaml:25: services\[0\]\.overrides\.production\.postgres\.parameters\.port: "port" is fixed by CloudNativePG/,
      ),
      expect.stringMatching(
        /^fleet\.yaml:26: services\[0\]\.overrides\.prod: environment "prod" does not exist .*\(did you mean "production"\?\)$/,
      ),
    ]);
  });

  it('ttl: 3 days does not hide two cron errors', () => {
    const errors = configErrors(
      BASE_FLEET.replace(
        '    developerAccess: read-only\n',
        '    developerAccess: read-only\n    backups:\n      velero: { schedule: "0 3 * *", ttl: 3 days }\n      postgres: { schedule: "0 2 * * *" }\n',
      ),
    );
    expect(errors).toEqual([
      expect.stringMatching(/^fleet\.yaml:20: environments\.production\.backups\.velero\.ttl: "3 days" is not a valid duration/),
      expect.stringMatching(/^fleet\.yaml:20: environments\.production\.backups\.velero\.schedule: "0 3 \* \*" has 4 fields/),
      expect.stringMatching(/^fleet\.yaml:21: environments\.production\.backups\.postgres\.schedule: "0 2 \* \* \*" has 5 fields/),
    ]);
  });

  it("a schema error on a required environment key (storage: 50GB) does not hide that environment's cross-field errors", () => {
    const errors = configErrors(
      BASE_FLEET.replace(
        '    storage: 50Gi\n    developerAccess: read-only\n',
        '    storage: 50GB\n    developerAccess: read-only\n' +
          '    postgres: { version: 16, imageName: "ghcr.io/cloudnative-pg/postgresql:17.5", parameters: { port: "5433" } }\n' +
          '    backups: { velero: { schedule: "0 3 * *" } }\n',
      ),
    );
    expect(errors).toEqual([
      expect.stringMatching(/^fleet\.yaml:17: environments\.production\.storage: "50GB" is not a valid Kubernetes quantity/),
      expect.stringMatching(/^fleet\.yaml:19: environments\.production\.postgres\.parameters\.port: "port" is fixed by CloudNativePG/),
      expect.stringMatching(/^fleet\.yaml:19: environments\.production\.postgres\.imageName: .* is PostgreSQL 17 but the version is 16/),
      expect.stringMatching(/^fleet\.yaml:20: environments\.production\.backups\.velero\.schedule: "0 3 \* \*" has 4 fields/),
    ]);
  });

  it('required environment keys missing or not allowed values (storage, topology, developerAccess) hide no cron error', () => {
    const errors = configErrors(
      BASE_FLEET.replace('    topology: per-service\n', '    topology: per-servic\n    backups: { velero: { schedule: "0 3 * *" } }\n')
        .replace('    storage: 50Gi\n', '')
        .replace('developerAccess: read-only', 'developerAccess: readonly'),
    );
    expect(errors).toEqual([
      'fleet.yaml:13: environments.production.storage: is required (string)',
      expect.stringMatching(/^fleet\.yaml:15: environments\.production\.topology: "per-servic" is not one of/),
      expect.stringMatching(/^fleet\.yaml:16: environments\.production\.backups\.velero\.schedule: "0 3 \* \*" has 4 fields/),
      expect.stringMatching(/^fleet\.yaml:18: environments\.production\.developerAccess: "readonly" is not one of/),
    ]);
  });

  it('every problem of every file at once: the fleet file and two service files, schema and cross-field errors mixed', () => {
    const errors = splitFleetErrors(BASE_FLEET.replace('developers: [alice, bob]', 'developers: [alice, Bob_Smith]'), {
      'billing.yaml': 'name: billing\ngroup: commerce\noverrides:\n  production: { storage: 500GB }\n  prod: { instances: 2 }\n',
      'orders.yaml': 'name: orders\ngroup: commerce\n',
    });
    expect(errors).toEqual([
      expect.stringMatching(/^fleet\.yaml:4: developers\[1\]: "Bob_Smith"/),
      expect.stringMatching(/^services\/billing\.yaml:4: overrides\.production\.storage: "500GB"/),
      expect.stringMatching(/^services\/billing\.yaml:5: overrides\.prod: environment "prod" does not exist/),
      // The duplicate names the file of the other service, not services[2].
      expect.stringMatching(/^services\/orders\.yaml:1: name: "orders" is already used by services\[0\] in fleet\.yaml:20$/),
      expect.stringMatching(/^services\/orders\.yaml:1: name: database name "orders" collides with services\[0\] in fleet\.yaml:20/),
      expect.stringMatching(/^services\/orders\.yaml:1: name: role name "orders" collides with services\[0\] in fleet\.yaml:20/),
    ]);
  });

  it('a duplicate service names the file it collides with', () => {
    const errors = splitFleetErrors(BASE_FLEET, { 'a.yaml': 'name: billing\n', 'b.yaml': 'name: billing\n' });
    expect(errors[0]).toBe('services/b.yaml:1: name: "billing" is already used by services/a.yaml');
    expect(errors.join('\n')).not.toMatch(/services\[\d+\]/);
  });

  it('did you mean: an unknown key names the known one (developerAcess → developerAccess)', () => {
    const errors = configErrors(BASE_FLEET.replace('    developerAccess: read-only\n', '    developerAcess: read-only\n'));
    expect(errors).toContainEqual(
      'fleet.yaml:18: environments.production.developerAcess: is not a known key (did you mean "developerAccess"?)',
    );
    const service = splitFleetErrors(BASE_FLEET, { 'a.yaml': 'name: billing\nextentions: [pgcrypto]\n' });
    expect(service).toEqual(['services/a.yaml:2: extentions: is not a known key (did you mean "extensions"?)']);
  });
});
