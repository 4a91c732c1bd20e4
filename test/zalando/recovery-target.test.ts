// The Zalando restore drill's recovery target on real PostgreSQL (issue 30): the source archives
// WAL into a folder (archive_command, standing in for WAL-G's bucket), a base backup is taken,
// the source goes idle, and a recovery from the backup with recovery_target_time replays the
// archive as Spilo's clone_with_wale does (restore_command from the folder, recovery_target_action
// promote; zalando/spilo@4.0-p3 configure_spilo.py). On PostgreSQL >= 13:
// - "now" on an idle source is not reachable (FATAL "recovery ended before configured recovery
//   target was reached"): the problem;
// - the target chooseRecoveryTarget picks, logged in as a database owner (no superuser), is reached
//   (inclusive as Spilo's template leaves it, and non-inclusive as the operator's docs describe),
//   the recovery promotes, keeps every commit before the target and none after.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archivedThrough, chooseRecoveryTarget, cloneTimestamp } from '../../lib/ops/restore-drill/recovery-target';
import { baseBackup, postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

const skip = postgresUnavailableReason();
const ARCHIVE_TIMEOUT = 2;
const OWNER_PASSWORD = 'owner-drill-password';
/** The clone.timestamp pattern of the postgresql CRD (postgres-operator@v2.0.1 pkg/apis/acid.zalan.do/v1/postgresql_type.go CloneDescription). */
const CRD_TIMESTAMP =
  /^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(([+-]([01][0-9]|2[0-3]):[0-5][0-9]))$/;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('recovery target helpers', () => {
  it('formats the target as the CRD pattern wants (a numeric offset, no Z)', () => {
    const t = cloneTimestamp(Date.UTC(2026, 11, 7, 15, 4, 5, 123));
    expect(t).toBe('2026-12-07T15:04:05.123+00:00');
    expect(t).toMatch(CRD_TIMESTAMP);
    expect(new Date(0).toISOString()).not.toMatch(CRD_TIMESTAMP);
  });

  it('counts a WAL file archived only through a later or equal segment of the same timeline', () => {
    const wal = '000000010000000000000005';
    expect(archivedThrough('000000010000000000000005', wal)).toBe(true);
    expect(archivedThrough('000000010000000100000000', wal)).toBe(true);
    expect(archivedThrough('000000010000000000000004', wal)).toBe(false);
    expect(archivedThrough('000000020000000000000009', wal)).toBe(false);
    expect(archivedThrough('00000002.history', wal)).toBe(false);
    expect(archivedThrough('000000010000000000000006.00000028.backup', wal)).toBe(false);
    expect(archivedThrough(null, wal)).toBe(false);
  });
});

describe.skipIf(skip)('recovery target on real PostgreSQL (idle source, archive in a folder)', () => {
  let archive: string;
  let source: PostgresServer;
  let backup: string;
  const servers: PostgresServer[] = [];
  const snapshots: string[] = [];

  /** A recovery from the base backup to `target`, as Spilo configures a clone; resolves once promoted. */
  async function recoverTo(target: string, inclusive?: boolean, from = archive): Promise<PostgresServer> {
    const server = await startPostgres({
      standbyOf: source,
      baseBackupDir: backup,
      signal: 'recovery',
      settings: [
        `restore_command = 'cp ${from}/%f %p'`,
        `recovery_target_time = '${target}'`,
        "recovery_target_timeline = 'latest'",
        "recovery_target_action = 'promote'",
        ...(inclusive === false ? ['recovery_target_inclusive = false'] : []),
        'archive_mode = off',
      ],
    });
    servers.push(server);
    for (let i = 0; i < 100; i++) {
      let inRecovery: string;
      try {
        inRecovery = server.psql('postgres', 'SELECT pg_is_in_recovery()').trim();
      } catch (error) {
        // pg_ctl returns once a hot standby takes connections: recovery may still fail after.
        throw new Error(`${(error as Error).message}\n${server.log()}`, { cause: error });
      }
      if (inRecovery === 'f') return server;
      await sleep(100);
    }
    throw new Error(`not promoted:\n${server.log()}`);
  }

  async function waitArchived(): Promise<void> {
    const wal = source.psql('postgres', 'SELECT pg_walfile_name(pg_current_wal_flush_lsn())').trim();
    for (let i = 0; i < 100; i++) {
      if (archivedThrough(source.psql('postgres', 'SELECT last_archived_wal FROM pg_stat_archiver').trim(), wal)) return;
      await sleep(200);
    }
    throw new Error(`${wal} not archived:\n${source.log()}`);
  }

  beforeAll(async () => {
    archive = mkdtempSync(join(tmpdir(), 'dbfleet-wal-archive-'));
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', archive]);
    source = await startPostgres({
      settings: [
        'wal_level = replica',
        'archive_mode = on',
        `archive_command = 'cp %p ${archive}/%f'`,
        `archive_timeout = ${ARCHIVE_TIMEOUT}`,
      ],
    });
    // The owner the drill logs in as: no superuser, read-only by default (an owner may be).
    source.psql(
      'postgres',
      `CREATE ROLE orders_owner LOGIN PASSWORD '${OWNER_PASSWORD}';
       ALTER ROLE orders_owner SET default_transaction_read_only = on;`,
    );
    const admin = await source.connect({ user: source.superuser, password: source.superuserPassword, database: 'postgres' });
    await admin.query('CREATE DATABASE orders OWNER orders_owner');
    await admin.end();
    source.psql(
      'orders',
      "SET ROLE orders_owner; SET default_transaction_read_only = off; CREATE TABLE t (v text); INSERT INTO t VALUES ('before-backup');",
    );
    backup = baseBackup(source);
    source.psql('orders', "INSERT INTO t VALUES ('after-backup')");
    await waitArchived();
    // Idle: no commit from here on, and every WAL file with a commit is archived.
    await sleep((ARCHIVE_TIMEOUT + 1) * 1000);
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    await source?.stop();
    if (backup) rmSync(join(backup, '..'), { recursive: true, force: true });
    for (const dir of [archive, ...snapshots]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the problem: on PostgreSQL >= 13 a target after the last commit of an idle source is never reached', async () => {
    expect(source.major).toBeGreaterThanOrEqual(13);
    const now = Number(source.psql('postgres', 'SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint').trim());
    await expect(recoverTo(cloneTimestamp(now))).rejects.toThrow(/recovery ended before configured recovery target was reached/);
  }, 120_000);

  it('the chosen target is reached on the idle source, as the owner, inclusive or not; commits before it are kept, after it not', async () => {
    const target = await chooseRecoveryTarget(
      { host: source.host, port: source.port, user: 'orders_owner', password: OWNER_PASSWORD, database: 'orders', ssl: source.ssl },
      { timeoutMs: 60_000, pollMs: 200, now: Date.now, sleep: (ms) => sleep(ms) },
    );
    expect(target.timestamp).toMatch(CRD_TIMESTAMP);
    // The archive as it is when the target is returned (the clone may start at once): a copy.
    const snapshot = `${archive}-at-target`;
    execFileSync('cp', ['-a', archive, snapshot]);
    snapshots.push(snapshot);
    const rows = (server: PostgresServer) => server.psql('orders', "SELECT string_agg(v, ',' ORDER BY v) FROM t").trim();
    // Nothing but the drill's marker commit follows the target: that alone makes it reachable.
    for (const inclusive of [undefined, false]) {
      const recovered = await recoverTo(target.timestamp, inclusive, snapshot);
      expect(rows(recovered)).toBe('after-backup,before-backup');
      expect(recovered.log()).toMatch(/recovery stopping before commit of transaction/);
    }
    // A later commit, archived too: the recovery still stops at the target, before it.
    source.psql('orders', "INSERT INTO t VALUES ('after-target')");
    await waitArchived();
    expect(rows(await recoverTo(target.timestamp))).toBe('after-backup,before-backup');
  }, 180_000);

  // Attack on issue 30: the owner the drill logs in as puts its own schema first and shadows the
  // clock and the WAL file name; without the pinned search_path T was 2026-01-01 and the "archived"
  // wait passed at once. Last: it leaves the shadows in place.
  it('a hostile owner cannot move the target or fake the archived file (search_path pinned, calls qualified)', async () => {
    source.psql(
      'orders',
      `SET ROLE orders_owner; SET default_transaction_read_only = off;
       CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2026-01-01 00:00:00+00'::timestamptz $$;
       CREATE FUNCTION public.pg_walfile_name(pg_lsn) RETURNS text LANGUAGE sql AS $$ SELECT '000000010000000000000001'::text $$;
       ALTER ROLE orders_owner SET search_path = public, pg_catalog;`,
    );
    const before = Date.now();
    const target = await chooseRecoveryTarget(
      { host: source.host, port: source.port, user: 'orders_owner', password: OWNER_PASSWORD, database: 'orders', ssl: source.ssl },
      { timeoutMs: 60_000, pollMs: 200, now: Date.now, sleep: (ms) => sleep(ms) },
    );
    expect(Math.abs(Date.parse(target.timestamp) - before)).toBeLessThan(60_000);
    expect(target.walFile).not.toBe('000000010000000000000001');
  }, 120_000);
});
