// Why CNPGReplicaSiteWALStale cannot trust last_archived_time alone (lib/monitoring/replica-site-rules.ts
// cnpgStaleExpression), on real PostgreSQL: a replica site's instance runs with archive_mode =
// always (cloudnative-pg@v1.30.0 pkg/postgres/configuration.go, IsReplicaCluster) and restores
// from the source's archive. Every start of it (a rollout, a drained node, a crash loop) restores
// the segment of its last restartpoint again and archives it again, so pg_stat_archiver's
// last_archived_time moves to the restart while no new WAL came from the source; the archived
// segment's name (last_archived_wal, exported as last_archived_wal_start_lsn) does not move.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

const skip = postgresUnavailableReason();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** pg_ctl on a test server's data directory, as its OS user. */
function pgCtl(server: PostgresServer, ...args: string[]): void {
  const command = [join(server.binDir, 'pg_ctl'), '-D', join(server.dir, 'data'), '-l', join(server.dir, 'server.log'), '-w', ...args];
  const [cmd, cmdArgs] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', ...command]] : [command[0], command.slice(1)];
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pg_ctl ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
}

interface Archiver {
  readonly wal: string;
  readonly time: number;
}

async function archiver(server: PostgresServer, after?: number): Promise<Archiver> {
  for (let i = 0; i < 100; i++) {
    const [wal, time] = server
      .psql('postgres', 'SELECT last_archived_wal, extract(epoch FROM last_archived_time) FROM pg_catalog.pg_stat_archiver')
      .trim()
      .split('|');
    if (wal && (after === undefined || Number(time) > after)) return { wal, time: Number(time) };
    await sleep(200);
  }
  throw new Error(`nothing archived${after === undefined ? '' : ` after ${after}`}:\n${server.log()}`);
}

describe.skipIf(skip)('a replica site instance re-archives a restored segment at every start', () => {
  const folders: string[] = [];
  let primary: PostgresServer | undefined;
  let standby: PostgresServer | undefined;
  afterAll(async () => {
    await standby?.stop();
    await primary?.stop();
    for (const f of folders) rmSync(f, { recursive: true, force: true });
  });

  it('moves last_archived_time, not last_archived_wal, on a clean and on a crash restart with an idle source', async () => {
    const [source, own] = [mkdtempSync(join(tmpdir(), 'dbfleet-src-')), mkdtempSync(join(tmpdir(), 'dbfleet-own-'))];
    folders.push(source, own);
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', source, own]);
    primary = await startPostgres({
      settings: ['wal_level = replica', 'archive_mode = on', 'archive_timeout = 0', `archive_command = 'cp %p ${source}/%f'`],
    });
    primary.psql('postgres', 'CREATE TABLE t (x int); INSERT INTO t VALUES (1); SELECT pg_catalog.pg_switch_wal()');
    // The replica site: restores from the source's bucket, archives (always) into its own, with
    // an overwrite as barman-cloud-wal-archive does.
    standby = await startPostgres({
      standbyOf: primary,
      settings: ['archive_mode = always', `archive_command = 'cp %p ${own}/%f'`, `restore_command = 'cp ${source}/%f %p'`],
    });
    const arrived = await archiver(standby);
    await sleep(1500);
    pgCtl(standby, '-m', 'fast', 'restart');
    const afterClean = await archiver(standby, arrived.time);
    await sleep(1500);
    pgCtl(standby, '-m', 'immediate', 'restart');
    const afterCrash = await archiver(standby, afterClean.time);
    // The source wrote nothing meanwhile: no segment is newer than the one that had arrived.
    expect(afterClean.wal).toBe(arrived.wal);
    expect(afterCrash.wal).toBe(arrived.wal);
    expect(afterClean.time).toBeGreaterThan(arrived.time);
    expect(afterCrash.time).toBeGreaterThan(afterClean.time);
  }, 120_000);
});
