// The access Jobs of one shared cluster at any number of services (issue 24, "every object under
// 256 KiB at any scale"): at 1000 services of 63-character names the one CronJob was 261.6 KB,
// its projected volume listing every owner's Secret. The databases are now split over several
// ConfigMap/Job/CronJob triples (lib/access/developer-access.ts ACCESS_CHUNK_BYTES); this test
// renders 3000 such services, holds every object to the limit, checks that the triples together
// apply every database exactly once with its own owner's Secret only, and runs a sample of
// databases from the first, a middle and the last Job on a real PostgreSQL, as rendered.
import { describe, expect, it } from 'vitest';
import { DATABASES_KEY } from '../../lib/access/privileges-sql';
import { OBJECT_LIMIT_BYTES } from '../support/invariants';
import { postgresUnavailableReason, startPostgres } from '../support/postgres';
import { type Obj, renderEnvironment, RenderedWorld, succeeded } from '../security/harness';

const SERVICES = 3000;
const name = (i: number) => `s${String(i).padStart(4, '0')}-${'x'.repeat(57)}`;
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
${Array.from({ length: SERVICES }, (_, i) => `  - name: ${name(i)}\n`).join('')}`;

const unavailable = postgresUnavailableReason();

describe(`access Jobs of one shared cluster with ${SERVICES} services of 63-character names`, () => {
  const objects = renderEnvironment(fleet, 'test');
  const accessMaps = objects.filter((o) => o.kind === 'ConfigMap' && /^acme-access-sql(-\d+)?$/.test(o.metadata.name));
  const jobs = objects.filter((o) => o.kind === 'Job' && /^acme-access-sync(-\d+)?$/.test(o.metadata.name));
  const cronJobs = objects.filter((o) => o.kind === 'CronJob' && /^acme-access(-\d+)?$/.test(o.metadata.name));
  const lines = (cm: Obj) => cm.data![DATABASES_KEY].split('\n').filter(Boolean);
  const suffix = (n: string) => /-(\d+)$/.exec(n)?.[1] ?? '1';
  const mapOf = (job: Obj) =>
    accessMaps.find((m) => m.metadata.name === job.spec.template.spec.volumes.find((v: any) => v.name === 'sql').configMap.name)!;

  it(`renders every object under ${OBJECT_LIMIT_BYTES} bytes`, () => {
    expect(objects.length).toBeGreaterThan(SERVICES);
    const sizes = objects
      .map((o) => [`${o.kind} ${o.metadata.name}`, Buffer.byteLength(JSON.stringify(o))] as const)
      .sort((a, b) => b[1] - a[1]);
    console.log(
      `largest objects: ${sizes
        .slice(0, 3)
        .map(([n, b]) => `${n} ${b} B`)
        .join(', ')}; ${cronJobs.length} access CronJobs`,
    );
    expect(sizes.filter(([, b]) => b >= OBJECT_LIMIT_BYTES)).toEqual([]);
  });

  it("applies every database exactly once, each in one Job with its own owner Secret and nobody else's", () => {
    expect(cronJobs.length).toBeGreaterThan(1);
    expect(jobs.length).toBe(cronJobs.length);
    expect(accessMaps.length).toBe(cronJobs.length);
    const all: string[] = [];
    for (const job of jobs) {
      const cron = cronJobs.find((c) => suffix(c.metadata.name) === suffix(job.metadata.name))!;
      // The scheduled twin runs the very same pod.
      expect(cron.spec.jobTemplate.spec.template).toEqual(job.spec.template);
      const databases = lines(mapOf(job)).map((l) => l.split('\t')[0]);
      const secrets = job.spec.template.spec.volumes
        .find((v: any) => v.name === 'owners')
        .projected.sources.map((s: any) => [s.secret.name, s.secret.items.map((i: any) => i.path.split('/')[0])]);
      // One Secret per database of this Job's list, that service's own, mounted under its database.
      expect(secrets).toEqual(databases.map((d) => [`${d.replace(/_/g, '-')}-db-credentials`, [d, d]]));
      all.push(...databases);
    }
    expect(all.length).toBe(SERVICES);
    expect(new Set(all).size).toBe(SERVICES);
  });

  it.skipIf(unavailable !== undefined)(
    'applies sampled databases of the first, a middle and the last Job on a real PostgreSQL, as rendered',
    async () => {
      const server = await startPostgres();
      try {
        const picked = [jobs[0], jobs[Math.floor(jobs.length / 2)], jobs[jobs.length - 1]];
        const sample = new Set<string>();
        const owners = new Map<string, string>();
        for (const m of accessMaps) for (const l of lines(m)) owners.set(l.split('\t')[0], l.split('\t')[1]);
        // Only the ConfigMap's list is cut to a few databases (creating 3000 databases would take
        // minutes); the Job, its command, environment and owner Secrets stay exactly as rendered.
        const world0 = structuredClone(objects);
        for (const job of picked) {
          const cm = world0.find((o) => o.kind === 'ConfigMap' && o.metadata.name === mapOf(job).metadata.name)!;
          const kept = lines(cm).filter((_, i, all) => i === 0 || i === all.length - 1);
          for (const l of kept) sample.add(l.split('\t')[0]);
          cm.data![DATABASES_KEY] = kept.map((l) => `${l}\n`).join('');
        }
        const sampleOwners = new Set([...sample].map((d) => owners.get(d)));
        const allOwners = new Set(owners.values());
        const kept = world0.filter(
          (o) =>
            !(o.kind === 'Database' && !sample.has(o.spec.name)) &&
            !(o.kind === 'DatabaseRole' && allOwners.has(o.spec.name) && !sampleOwners.has(o.spec.name)),
        );
        const world = new RenderedWorld(server, kept);
        await world.operatorSyncCnpg();
        // The Secrets of databases outside the sample are mounted too (as rendered), never used.
        for (const [db, owner] of owners) if (!sample.has(db)) world.addSecret(`${db.replace(/_/g, '-')}-db-credentials`, owner);
        for (const job of picked) succeeded(await world.runJob(job.metadata.name));
        const acl = server.psql(
          'postgres',
          `SELECT datname || ' ' || datacl::text FROM pg_database WHERE datname IN (${[...sample].map((d) => `'${d}'`).join(', ')}) ORDER BY 1;`,
        );
        const rows = acl.trim().split('\n');
        expect(rows).toHaveLength(sample.size);
        expect(sample.size).toBe(6);
        for (const row of rows) {
          // Applied: PUBLIC lost CONNECT (no `=c` entry), the developers group has it.
          expect(row).toMatch(/developers=c/);
          expect(row).not.toMatch(/[{,]=[^,}]*c/);
        }
      } finally {
        await server.stop();
      }
    },
    300_000,
  );
});
