// The recovery target of a Zalando restore drill: a point in time that recovery is sure to reach.
//
// Why it must be chosen: Zalando's clone from the WAL archive always sets `recovery_target_time`
// (postgres-operator@v2.0.1 pkg/cluster/k8sres.go generateCloneEnvironment: `clone.timestamp` →
// CLONE_TARGET_TIME; zalando/spilo@4.0-p3, unchanged at 7cb50bd, postgres-appliance/scripts/
// configure_spilo.py bootstrap.clone_with_wale.recovery_conf writes it with
// recovery_target_action promote). PostgreSQL stops a time-targeted recovery only *before a
// transaction commit or abort record* whose timestamp is after the target (`recovery_target_time`
// and `recovery_target_inclusive` in the PostgreSQL manual, "Recovery Target"; xlogrecovery.c
// recoveryStopsBefore considers only RM_XACT_ID records). Since PostgreSQL 13, running out of
// WAL before that is fatal — "recovery ended before configured recovery target was reached" (PG 13
// release notes: "Generate an error if recovery does not reach the specified recovery target").
// On an idle source no commit follows any recent time, so "now" or "the end of the newest base
// backup" both fail; and a target before the base backup's end fails too ("requested recovery
// stop point is before consistent recovery point").
//
// What the drill does instead, logged in to the source's primary as a database owner (no
// superuser, no object-store credentials):
//   1. T = the server's clock_timestamp(), truncated to milliseconds, read inside a transaction
//      that takes a transaction id (txid_current()), writes a transactional logical message
//      (pg_logical_emit_message, prefix `dbfleet-restore-drill`: no table of the service is
//      touched) and commits: the commit record's time is taken at commit, after T, so a commit
//      later than T is in the WAL, whether or not the source is idle. The message matters: a
//      transaction that wrote no WAL before its commit record commits asynchronously whatever
//      synchronous_commit says (xact.c RecordTransactionCommit `wrote_xlog`), and its commit could
//      still be unflushed when the flush position is read below (seen in test/zalando/
//      recovery-target.test.ts). With it and synchronous_commit local the commit is flushed on return.
//   2. Wait until pg_stat_archiver reports a WAL file at or after the one holding that commit
//      (the archiver archives segments in order): an idle primary switches segments after
//      archive_timeout (Spilo: 1800s), so the wait is bounded by it.
//   3. The clone's timestamp is T. Spilo's clone_with_wale.py choose_backup restores the newest
//      base backup whose `modified` time (the upload of its stop sentinel, after pg_backup_stop) is
//      before T, so every commit before that backup's consistent point is older than T and recovery
//      stops after consistency, before the marker commit (inclusive or not, T < its time).
// T is the server's clock, not the drill pod's: commit timestamps and the backup times are the
// source's, so no skew between the drill and the database moves T to the wrong side.
import { Client } from 'pg';
import { SEARCH_PATH_OPTION, requireChannelBinding } from './check';

export interface SourceLogin {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** TLS with channel binding required, as the check. false: plain TCP (tests). @default true */
  readonly ssl?: boolean;
}

export interface RecoveryTarget {
  /** RFC 3339 with a numeric offset (`…+00:00`): the postgresql CRD's `clone.timestamp` pattern takes no `Z`. */
  readonly timestamp: string;
  /** T in epoch seconds (milliseconds kept). */
  readonly epochSeconds: number;
  /** The WAL file holding the marker commit, seen archived. */
  readonly walFile: string;
}

export interface RecoveryTargetOptions {
  /** Longest wait for the marker's WAL file to be archived (also bounded by archive_timeout + 2 min). */
  readonly timeoutMs: number;
  /** @default 10 s */
  readonly pollMs?: number;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
}

/** Slack over archive_timeout for the switch, the archive command and one poll. */
const ARCHIVE_SLACK_MS = 120_000;

/** `2026-12-07T15:04:05.123+00:00` for an epoch in ms. */
export function cloneTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, '+00:00');
}

const WAL_FILE = /^([0-9A-F]{8})([0-9A-F]{16})$/;

/**
 * Whether `archived` (pg_stat_archiver.last_archived_wal) shows `walFile` archived: a segment of
 * the same timeline at or after it. History, backup-label and .partial files say nothing.
 */
export function archivedThrough(archived: string | null | undefined, walFile: string): boolean {
  const a = WAL_FILE.exec(archived ?? '');
  const w = WAL_FILE.exec(walFile);
  return !!a && !!w && a[1] === w[1] && a[2] >= w[2];
}

export async function chooseRecoveryTarget(login: SourceLogin, options: RecoveryTargetOptions): Promise<RecoveryTarget> {
  const ssl = login.ssl !== false;
  const client = new Client({
    host: login.host,
    port: login.port,
    user: login.user,
    password: login.password,
    database: login.database,
    ssl: ssl ? { rejectUnauthorized: false } : false,
    enableChannelBinding: ssl,
    connectionTimeoutMillis: 15_000,
    statement_timeout: 60_000,
    application_name: 'dbfleet-restore-drill',
    // The login is a database owner, who may set its own search_path and shadow clock_timestamp() or
    // pg_walfile_name() in a schema before pg_catalog (attack on issue 30: a spoofed T and an "archived"
    // file passed at once). A startup option outranks role settings; the calls are qualified as well.
    options: SEARCH_PATH_OPTION,
  });
  if (ssl) requireChannelBinding(client);
  try {
    await client.connect();
    const settings = await client.query<{ standby: boolean; archive_mode: string; archive_timeout: number }>(
      `SELECT pg_catalog.pg_is_in_recovery() AS standby, pg_catalog.current_setting('archive_mode') AS archive_mode,
              (SELECT setting::int FROM pg_catalog.pg_settings WHERE name = 'archive_timeout') AS archive_timeout`,
    );
    const { standby, archive_mode: archiveMode, archive_timeout: archiveTimeout } = settings.rows[0];
    if (standby) throw new Error(`${login.host} is in recovery: the recovery target is marked on the primary`);
    if (archiveMode === 'off') throw new Error(`${login.host} does not archive WAL (archive_mode off): nothing to recover from`);

    // 1. T, then a commit after it (READ WRITE: an owner may default to read-only transactions).
    await client.query('BEGIN TRANSACTION READ WRITE');
    await client.query('SET LOCAL synchronous_commit = local');
    const marked = await client.query<{ t: string }>(
      `SELECT pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.clock_timestamp()) * 1000)::bigint::text AS t, pg_catalog.txid_current(),
              pg_catalog.pg_logical_emit_message(true, 'dbfleet-restore-drill', 'recovery target')`,
    );
    await client.query('COMMIT');
    const epochMs = Number(marked.rows[0].t);
    // The flush pointer is an end position: at a segment boundary pg_walfile_name names the
    // segment that ends there, the one holding the commit's last byte.
    const wal = await client.query<{ wal: string }>('SELECT pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_flush_lsn()) AS wal');
    const walFile = wal.rows[0].wal;

    // 2. Until that file is archived.
    const bound = archiveTimeout > 0 ? archiveTimeout * 1000 + ARCHIVE_SLACK_MS : Number.POSITIVE_INFINITY;
    const deadline = options.now() + Math.min(options.timeoutMs, bound);
    for (;;) {
      if (options.signal?.aborted) throw new Error('interrupted (SIGTERM)');
      const archiver = await client.query<{ last_archived_wal: string | null; last_failed_wal: string | null }>(
        'SELECT last_archived_wal, last_failed_wal FROM pg_catalog.pg_stat_archiver',
      );
      const { last_archived_wal: archived, last_failed_wal: failed } = archiver.rows[0];
      if (archivedThrough(archived, walFile)) return { timestamp: cloneTimestamp(epochMs), epochSeconds: epochMs / 1000, walFile };
      if (options.now() >= deadline)
        throw new Error(
          `WAL file ${walFile} (the drill's marker commit) was not archived within ${Math.round(Math.min(options.timeoutMs, bound) / 1000)}s ` +
            `(archive_timeout ${archiveTimeout}s; last archived ${archived ?? 'none'}, last failed ${failed ?? 'none'})`,
        );
      await options.sleep(Math.min(options.pollMs ?? 10_000, Math.max(0, deadline - options.now())), options.signal);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
