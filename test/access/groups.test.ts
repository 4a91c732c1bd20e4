// The access Jobs of a cluster split into groups (lib/access/developer-access.ts ACCESS_CHUNK_BYTES)
// are cut in file order: adding or removing a service moves the boundary of every later group. A
// group's ConfigMap (sync wave -1) then lists a database its CronJob's pod template (final wave)
// does not mount yet; a scheduled run in between, or any other list/mount mismatch, found no
// credentials for that database. Attack on 89ecc0a (issue 24): apply.sh's `set -e` ended the whole
// run at that database (in the preflight, at the first line), so no database of the group was
// applied. Now the database without credentials is named and skipped like any failed database;
// the others are applied and the run still fails. On a real PostgreSQL, as rendered.
import { describe, expect, it } from 'vitest';
import { postgresUnavailableReason, startPostgres } from '../support/postgres';
import { renderEnvironment, RenderedWorld } from '../security/harness';

const fleet = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice]
environments:
  test:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: read-only
services:
  - name: moved-in
  - name: orders
  - name: payments
`;

const unavailable = postgresUnavailableReason();

describe.skipIf(unavailable !== undefined)('an access group whose list names a database its pod does not mount', () => {
  it('applies every other database of the group and fails naming the one without credentials', async () => {
    const server = await startPostgres();
    try {
      const objects = renderEnvironment(fleet, 'test');
      // The pod template of before the move: the first database's Secret is not mounted yet.
      const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'acme-access-sync')!;
      const owners = job.spec.template.spec.volumes.find((v: any) => v.name === 'owners').projected;
      owners.sources = owners.sources.filter((s: any) => s.secret.name !== 'moved-in-db-credentials');
      const world = new RenderedWorld(server, objects);
      await world.operatorSyncCnpg();
      const run = await world.runJob('acme-access-sync');
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('database moved_in: no owner credentials mounted');
      expect(run.stderr).toContain('failed: moved_in');
      expect(run.stdout).toContain('2 database(s) applied');
      for (const db of ['orders', 'payments']) {
        const acl = server.psql('postgres', `SELECT datacl::text FROM pg_database WHERE datname = '${db}';`).trim();
        expect(acl, db).toMatch(/developers=c/);
        expect(acl, db).not.toMatch(/[{,]=[^,}]*c/);
      }
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe('the names of the later access groups of a cluster with a name of the longest length allowed', () => {
  // 45 characters (CLUSTER_NAME_MAX): `<cluster>-access` is exactly the 52 a CronJob may have, so
  // `<cluster>-access-2` could never fit. The fleet rendered until its databases took a second
  // Job, then stopped rendering and asked for a shorter cluster name: a new, empty cluster.
  const cluster = 'c'.repeat(45);
  const many = `name: ${cluster}
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
environments:
  test:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: none
services:
${Array.from({ length: 400 }, (_, i) => `  - name: s${String(i).padStart(4, '0')}-${'x'.repeat(57)}\n`).join('')}`;

  it('renders, every CronJob name within 52 characters and every Job name within 63, the first group named as before', () => {
    const objects = renderEnvironment(many, 'test');
    const cronJobs = objects
      .filter((o) => o.kind === 'CronJob' && o.metadata.name.startsWith(`${cluster}-acc`))
      .map((o) => o.metadata.name);
    const jobs = objects.filter((o) => o.kind === 'Job' && o.metadata.name.startsWith(`${cluster}-acc`)).map((o) => o.metadata.name);
    expect(cronJobs.length).toBeGreaterThan(1);
    expect(cronJobs).toContain(`${cluster}-access`);
    expect(jobs).toContain(`${cluster}-access-sync`);
    for (const n of cronJobs) expect(n.length, n).toBeLessThanOrEqual(52);
    for (const n of jobs) expect(n.length, n).toBeLessThanOrEqual(63);
    expect(new Set(cronJobs).size).toBe(cronJobs.length);
  });
});
