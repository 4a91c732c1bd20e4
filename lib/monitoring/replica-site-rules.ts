// Cross-site monitoring at a replica site (a DR standby, or a former primary after a switchover):
// is the other site's WAL still arriving here?
//
// The signal. A replica cluster's instances run with archive_mode = always
// (cloudnative-pg@v1.30.0 pkg/postgres/configuration.go CreatePostgresqlConfiguration: "case
// info.IsReplicaCluster"), so the designated primary re-archives every segment it restores from
// the source's archive into its own bucket, and its pg_stat_archiver.last_archived_time is the
// time the last segment arrived from the other site. CloudNativePG's default monitoring queries
// export it at a replica too: the pg_stat_archiver query's predicate is `NOT pg_is_in_recovery()
// OR archive_mode = 'always'` (cloudnative-pg@v1.30.0 config/manager/default-monitoring.yaml) —
// no custom query is needed.
//
// Not the signal: cnpg_pg_replication_lag (now() - pg_last_xact_replay_timestamp(), as there is no
// WAL receiver) grows without bound while the source is idle.
//
// The threshold. Seen from the replica site alone, an idle source and a broken link look the same:
// no new segment. archive_timeout only bounds the gap while the source writes (PostgreSQL switches
// a segment after archive_timeout only if WAL was written since the last switch). What always
// produces a segment is a base backup ON THE SOURCE'S PRIMARY: pg_backup_stop() switches to a new
// segment and archives the finished one. A backup on a standby does not (cloudnative-pg@v1.30.0
// docs/src/backup.md, prefer-standby), so a DR pair's backups run on the primary, and the
// threshold's heartbeat and that target come from one place: lib/dr/wal-heartbeat.ts. The longest
// quiet gap of a healthy pair is the source's longest gap between scheduled backups, plus
// archive_timeout; the rule fires at FRESHNESS_FACTOR × that gap + archive_timeout, and never at a
// healthy idle source. With daily backups that is 36 h: a link broken while the source is idle is
// seen only then (docs/runbooks/CNPGReplicaSiteWALStale.md says what that means). A busy source's
// lag (≤ archive_timeout, the drill's RPO) would need both sites' metrics in one Prometheus;
// docs/disaster-recovery.md says how to add that.
import { postgresDurationSeconds, CNPG_DEFAULT_ARCHIVE_TIMEOUT } from '../backends/cloudnative-pg/archive-replication';
import type { Environment, PostgresCluster } from '../config/model';
import { backendTraits } from '../backends/traits';
import { isReplicaSite } from '../dr/distributed-topology';
import { sourceHeartbeatSeconds } from '../dr/wal-heartbeat';
import { CLUSTER_REF, FRESHNESS_FACTOR, humanSeconds, promDuration, type AlertRule, type Context } from './alert-rules';

/** The other site's environment, whose archive a replica site replays. */
function sourceSite(ctx: Context): Environment {
  const peer = ctx.fleet.environments.find((e) => e.name === ctx.env.dr?.peer);
  if (!peer) throw new Error(`environment ${ctx.env.name}: its DR peer ${ctx.env.dr?.peer} is not in the fleet`);
  return peer;
}

/** Seconds after which no WAL segment from the source means the pair is broken, per cluster. */
export function replicaSiteThresholds(ctx: Context): Map<PostgresCluster, number> {
  const source = sourceSite(ctx);
  const heartbeat = sourceHeartbeatSeconds(source, ctx.env.dr!.peerObjectStore!);
  const out = new Map<PostgresCluster, number>();
  for (const cluster of ctx.env.clusters) {
    // The source's own cluster of the same name (both sites name it alike): its archive_timeout.
    const archiveTimeout =
      source.clusters.find((c) => c.name === cluster.name)?.parameters?.archive_timeout ??
      backendTraits(source.operator).defaultArchiveTimeout ??
      CNPG_DEFAULT_ARCHIVE_TIMEOUT;
    out.set(cluster, Math.round(FRESHNESS_FACTOR * heartbeat + postgresDurationSeconds(archiveTimeout)));
  }
  return out;
}

/**
 * How one backend's metrics say that a replica site's clusters are staler than `t` seconds, per
 * (namespace, cluster), the value being the age of the last arrival.
 */
export type StaleExpression = (ctx: Context, clusters: readonly PostgresCluster[], t: number) => string;

/**
 * CloudNativePG's exporter: pg_stat_archiver's last_archived_time per pod, -1 until the pod's first
 * archival since its statistics were reset (a crash, a new pod). Per cluster, the newest archival
 * any pod reported within the last `t` seconds (max_over_time), so a pod that restarts (its value
 * drops to -1) does not forget the last arrival it had reported. Only when no pod reported one in
 * that window does the cluster count from its OLDEST statistics reset seen in the window (a new
 * cluster counts from its creation): a restart of one pod, whose reset is recent, must not mask a
 * replay that stalled before it (a max over the resets did, for up to one threshold).
 *
 * A time alone is not an arrival: every start of an instance (a crash, a rollout, a drained node,
 * a restart loop) restores from the archive again the segment its last restartpoint is in, and
 * with archive_mode = always PostgreSQL archives a restored segment again (xlogarchive.c
 * KeepFileRestoredFromArchive: XLogArchiveNotify), so last_archived_time moves to the restart
 * while nothing new came from the source (test/dr/restart-rearchive-postgres.test.ts, real
 * PostgreSQL). The second branch therefore also fires when the position of the last archived
 * segment (last_archived_wal_start_lsn, from the WAL file name) has not passed, within the last
 * `t`, the highest position reported in the `t` before: a new segment from the source always
 * passes it, a re-archived one never does. Its value is `t` (the arrival time is unknown then).
 *
 * Timeline history files. The exporter's query parses the file name's last 16 hex digits
 * before the first dot into an int8 (cloudnative-pg@v1.30.0 config/manager/default-monitoring.yaml,
 * last_archived_wal_start_lsn): `0000000A.history` becomes `x0000000A` padded to bit(64), i.e.
 * `timeline << 32`, above every segment of a small database, and re-archived here once the
 * source fails over or switches over (a rolling update). Taken as the earlier window's highest
 * position, it made a healthy pair page one window after a source's failover. But its value is
 * also the position of a real segment: `000000010000000500000000` (every 256th segment of
 * 16 MiB) parses to `5 << 32` as well, so "leave out every value whose low 32 bits are zero"
 * (what this rule did) also left out a real last segment, and a replica site that stalled at
 * such a segment while restarting (each start re-archiving it) never paged. So a value with
 * zero low bits counts in the earlier window only as far as the window's LAST value (per pod,
 * the highest over pods) reaches it: a history file is followed within archive_timeout by the
 * new timeline's first segment, lower than it, while a last segment stays the last value; and
 * a recent segment with non-zero low bits above every such one of the earlier window is an
 * arrival whatever else (a history file at the window's end, the new timeline's segments after).
 */
export const cnpgStaleExpression: StaleExpression = (ctx, clusters, t) => {
  const sel = ctx.selector(clusters);
  const window = promDuration(t);
  const lsn = `cnpg_pg_stat_archiver_last_archived_wal_start_lsn{${sel}}`;
  const byTime =
    `time() - (max by (namespace, cluster) (max_over_time(cnpg_pg_stat_archiver_last_archived_time{${sel}}[${window}]) > 0)` +
    ` or min by (namespace, cluster) (min_over_time(cnpg_pg_stat_archiver_stats_reset_time{${sel}}[${window}]))) > ${t}`;
  // Positions with non-zero low 32 bits (never a history file), highest in the recent and in the earlier window.
  const segments = `(${lsn} unless ${lsn} % 4294967296 == 0)`;
  const recentSegment = `max by (namespace, cluster) (max_over_time(${segments}[${window}:30m]))`;
  const earlierSegment = `max by (namespace, cluster) (max_over_time(${segments}[${window}:30m] offset ${window}))`;
  // The earlier window's last value: its highest with zero low bits too, if that is where it ended.
  const earlierLast = `max by (namespace, cluster) (last_over_time(${lsn}[${window}] offset ${window}))`;
  const earlierHighest = `(${earlierSegment} >= ${earlierLast} or ${earlierLast} or ${earlierSegment})`;
  const noNewSegment =
    `((max by (namespace, cluster) (max_over_time(${lsn}[${window}])) <= ${earlierHighest})` +
    ` unless ${recentSegment} > ${earlierSegment}) * 0 + ${t}`;
  return `${byTime} or ${noNewSegment}`;
};

/** The replica site's rules (none elsewhere): the other site's WAL arrives. */
export function replicaSiteRules(
  ctx: Context,
  alert: 'CNPGReplicaSiteWALStale' | 'ZalandoReplicaSiteWALStale' = 'CNPGReplicaSiteWALStale',
  stale: StaleExpression = cnpgStaleExpression,
): AlertRule[] {
  const { env } = ctx;
  if (!isReplicaSite(env.dr) || env.clusters.length === 0) return [];
  const byThreshold = new Map<number, PostgresCluster[]>();
  for (const [cluster, t] of replicaSiteThresholds(ctx)) byThreshold.set(t, [...(byThreshold.get(t) ?? []), cluster]);
  const entries = [...byThreshold.entries()].sort(([a], [b]) => a - b);
  const thresholds = entries.map(([t]) => humanSeconds(t)).join(' / ');
  const heartbeat = sourceHeartbeatSeconds(sourceSite(ctx), env.dr!.peerObjectStore!);
  return [
    ctx.rule(
      alert,
      'critical',
      entries.map(([t, clusters]) => stale(ctx, clusters, t)).join(' or '),
      '10m',
      'No WAL from the primary site has reached this replica site for longer than the source could be quiet.',
      `Replica cluster ${CLUSTER_REF} (site ${env.dr!.self}, replaying ${env.dr!.peer}) last received a WAL segment from the other site's archive {{ $value | humanizeDuration }} ago; ` +
        `a healthy source archives at least one per scheduled backup (every ${humanSeconds(heartbeat)} at most), so the threshold is ${FRESHNESS_FACTOR} × that + archive_timeout (${thresholds}). ` +
        `Data written at ${env.dr!.peer} since then would be lost in a failover.`,
    ),
  ];
}
