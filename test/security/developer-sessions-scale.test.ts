// The developer-sessions Job at scale ("every object under 256 KiB at any scale"): one Job of 1000
// developers with 42-character names was 313 KB (each developer's Secret source and name in the
// script) and failed at sync. The developers are now split over `<cluster>-developer-sessions`,
// `-2`, … (DEVELOPER_SESSIONS_CHUNK_BYTES, grouped by groupBySize as the access Jobs are). This
// test holds every object to the limit as Argo CD applies it, checks every developer is set by
// exactly one Job that reads its Secret and nobody else's, and runs the first and the last Job as
// rendered on a real PostgreSQL.
import { describe, expect, it } from 'vitest';
import { appliedSize } from '../../lib/output/object-size';
import { postgresUnavailableReason, startPostgres } from '../support/postgres';
import { renderEnvironment, RenderedWorld, succeeded } from './harness';

const DEVELOPERS = 1000;
const developer = (i: number) => `d${String(i).padStart(4, '0')}-${'x'.repeat(36)}`;
const fleet = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [${Array.from({ length: DEVELOPERS }, (_, i) => developer(i)).join(', ')}]
environments:
  test:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: read-only
    developerSessions: { statementTimeout: 7s }
services:
  - name: orders
`;
const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: developer sessions at scale on a real PostgreSQL: ${unavailable}`);

describe(`developer-sessions Jobs of ${DEVELOPERS} developers with 42-character names`, () => {
  const objects = renderEnvironment(fleet, 'test');
  const part = (name: string) => Number(/-(\d+)$/.exec(name)?.[1] ?? 1);
  // dist/ order puts `-2` before the unsuffixed name: in part order.
  const jobs = objects
    .filter((o) => o.kind === 'Job' && /^acme-developer-sessions(-\d+)?$/.test(o.metadata.name))
    .sort((a, b) => part(a.metadata.name) - part(b.metadata.name));
  const developersOf = (job: (typeof jobs)[number]) =>
    (job.spec.template.spec.volumes.find((v: any) => v.name === 'developers').projected.sources as any[]).map(
      (s) => s.secret.items[0].path.split('/')[0] as string,
    );

  it('renders every object under the limit as Argo CD applies it, the developers split over several Jobs', () => {
    expect(developer(0)).toHaveLength(42);
    const over = objects.map((o) => ({ name: `${o.kind} ${o.metadata.name}`, ...appliedSize(o) })).filter((s) => s.bytes > s.limit);
    expect(over).toEqual([]);
    expect(jobs.map((j) => j.metadata.name)).toEqual(
      jobs.map((_, i) => (i === 0 ? 'acme-developer-sessions' : `acme-developer-sessions-${i + 1}`)),
    );
    expect(jobs.length).toBeGreaterThan(1);
  });

  it('sets every developer exactly once, each Job in its own developers only (script and Secrets agree)', () => {
    const all = jobs.flatMap(developersOf);
    expect(all).toEqual(Array.from({ length: DEVELOPERS }, (_, i) => developer(i)));
    for (const job of jobs) {
      const script: string = job.spec.template.spec.containers[0].command[2];
      const listed = /for developer in (.*); do/
        .exec(script)![1]
        .split(' ')
        .map((s) => s.replace(/'/g, ''));
      expect(listed).toEqual(developersOf(job));
    }
  });

  it.skipIf(unavailable !== undefined)(
    'the first and the last Job, as rendered, set their developers session defaults on a real PostgreSQL',
    async () => {
      const server = await startPostgres();
      try {
        const world = new RenderedWorld(server, objects);
        await world.operatorSyncCnpg();
        succeeded(await world.runJob('acme-access-sync'));
        for (const job of [jobs[0], jobs[jobs.length - 1]]) {
          const run = succeeded(await world.runJob(job.metadata.name));
          const mine = developersOf(job);
          expect(new Set(run.secretsRead.map((s) => s.split('/')[0])).size).toBe(mine.length);
          for (const d of [mine[0], mine[mine.length - 1]])
            expect(
              server
                .psql('postgres', `SELECT rolconfig FROM pg_roles WHERE rolname IN ('dev_${d}', 'dev_${d.replace(/-/g, '_')}');`)
                .trim(),
            ).toContain('statement_timeout=7s');
        }
        // A developer of a middle Job is not set by the first and the last.
        const middle = developersOf(jobs[1])[0];
        if (jobs.length > 2)
          expect(
            server
              .psql(
                'postgres',
                `SELECT coalesce(rolconfig::text, '') FROM pg_roles WHERE rolname IN ('dev_${middle}', 'dev_${middle.replace(/-/g, '_')}');`,
              )
              .trim(),
          ).toBe('');
      } finally {
        await server.stop();
      }
    },
    300_000,
  );
});
