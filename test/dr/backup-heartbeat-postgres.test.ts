// The cross-site alert's premise on real PostgreSQL (lib/dr/wal-heartbeat.ts): at an idle DR
// source, each scheduled backup archives a WAL segment, so the replica site's
// CNPGReplicaSiteWALStale threshold (1.5 × the longest gap between backups + archive_timeout)
// never fires at a healthy idle pair.
//
// From the example fleet's rendered objects: the DR source site's Cluster (2 instances) and its
// ScheduledBackups, each backup run as CloudNativePG runs an online one (pg_backup_start, then
// pg_backup_stop(wait_for_archive => true) on the instance its `target` selects:
// cloudnative-pg@v1.30.0 pkg/management/postgres/webserver/backup_connection.go). A primary that
// archives into a folder, with archive_timeout off (so only a backup can switch a segment), and a
// streaming standby of it, as a CloudNativePG Cluster of 2 instances runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { extendFleet } from '../../charts';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

const root = join(__dirname, '..', '..');
const skip = postgresUnavailableReason();

type Obj = KubernetesObject & { spec?: any };

/** The DR source site's first Cluster with more than one instance, and the targets of its ScheduledBackups. */
function renderedSourceBackups(): { environment: string; cluster: string; targets: string[] } {
  const objects = renderObjects(buildApp(loadFleet(root), { extend: extendFleet }));
  for (const r of objects) {
    const c = r.object as Obj;
    const replica = c.spec?.replica;
    if (c.kind !== 'Cluster' || !replica || replica.self !== replica.primary || (c.spec.instances ?? 1) < 2) continue;
    const environment = r.path.split('/')[0];
    const targets = objects
      .filter((o) => o.path.split('/')[0] === environment)
      .map((o) => o.object as Obj)
      .filter((o) => o.kind === 'ScheduledBackup' && o.spec?.cluster?.name === c.metadata.name)
      // A ScheduledBackup without a target takes the Cluster's, whose default is prefer-standby.
      .map((o) => o.spec.target ?? c.spec.backup?.target ?? 'prefer-standby');
    return { environment, cluster: c.metadata.name, targets };
  }
  throw new Error('the example fleet renders no DR source Cluster of 2 or more instances');
}

async function archivedCount(server: PostgresServer): Promise<number> {
  return Number(server.psql('postgres', 'SELECT archived_count FROM pg_catalog.pg_stat_archiver').trim());
}

/** Waits until the primary's archiver has been still for a second; returns its count. */
async function quiet(server: PostgresServer): Promise<number> {
  let last = -1;
  for (let still = 0; still < 5;) {
    const n = await archivedCount(server);
    still = n === last ? still + 1 : 0;
    last = n;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

/** An online base backup as CloudNativePG takes one, on `server`: start, then stop waiting for the archive. */
async function onlineBackup(server: PostgresServer, label: string): Promise<void> {
  const c = await server.connect({ user: server.superuser, password: server.superuserPassword, database: 'postgres' });
  try {
    await c.query('SELECT pg_catalog.pg_backup_start(label => $1, fast => true)', [label]);
    await c.query('SELECT lsn FROM pg_catalog.pg_backup_stop(wait_for_archive => true)');
  } finally {
    await c.end();
  }
}

/** Whether a segment reaches the primary's archive within `ms` after `before`. */
async function archivedWithin(primary: PostgresServer, before: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await archivedCount(primary)) > before) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe.skipIf(skip)(
  'an idle DR source: each scheduled backup archives a WAL segment (the cross-site alert can tell idle from broken)',
  () => {
    let bucket: string;
    let primary: PostgresServer | undefined;
    let standby: PostgresServer | undefined;

    afterAll(async () => {
      await standby?.stop();
      await primary?.stop();
      if (bucket) rmSync(bucket, { recursive: true, force: true });
    });

    it('runs the rendered backups where they switch WAL: a backup at the primary archives a segment, one at the standby does not', async () => {
      const source = renderedSourceBackups();
      expect(source.targets.length, `${source.environment}/${source.cluster} has scheduled backups`).toBeGreaterThan(0);

      bucket = mkdtempSync(join(tmpdir(), 'dbfleet-heartbeat-'));
      if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', bucket]);
      // full_page_writes on: a backup at a standby refuses WAL replayed with it off (PostgreSQL's
      // do_pg_backup_start), and CloudNativePG never turns it off.
      const common = ['wal_level = replica', 'full_page_writes = on', 'archive_timeout = 0'];
      primary = await startPostgres({
        settings: [...common, 'archive_mode = on', `archive_command = 'test ! -f ${bucket}/%f && cp %p ${bucket}/%f'`],
      });
      standby = await startPostgres({
        standbyOf: primary,
        settings: [
          ...common,
          `restore_command = 'cp ${bucket}/%f %p'`,
          `primary_conninfo = 'host=${primary.host} port=${primary.port} user=${primary.superuser} password=${primary.superuserPassword} sslmode=${primary.ssl ? 'require' : 'disable'}'`,
        ],
      });
      const instances = { primary, 'prefer-standby': standby };

      // What upstream says and the threshold relies on (cloudnative-pg@v1.30.0 docs/src/backup.md):
      // a backup at the standby switches no WAL on the idle primary; one at the primary does.
      const atStandby = await quiet(primary);
      await onlineBackup(standby, 'at-standby');
      expect(await archivedWithin(primary, atStandby, 3_000), 'a backup at the standby archives nothing at an idle primary').toBe(false);
      const atPrimary = await quiet(primary);
      await onlineBackup(primary, 'at-primary');
      expect(await archivedWithin(primary, atPrimary, 10_000), 'a backup at the primary archives a segment').toBe(true);

      // The rendered backups of the DR source: each must run where it archives a segment.
      for (const target of source.targets) {
        const server = instances[target as keyof typeof instances];
        expect(server, `${source.environment}/${source.cluster}: ScheduledBackup target ${target}`).toBeDefined();
        const before = await quiet(primary);
        await onlineBackup(server, `scheduled-${target}`);
        expect(
          await archivedWithin(primary, before, 10_000),
          `${source.environment}/${source.cluster}: a scheduled backup (target ${target}) at an idle source archives a WAL segment`,
        ).toBe(true);
      }
      expect(readdirSync(bucket).length).toBeGreaterThan(0);
    }, 120_000);
  },
);
