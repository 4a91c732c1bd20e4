// Which volume-snapshot Backups go and which stay: a pure function, so the rules are tested
// without an API server. The rules, in order:
// - only Backups of the listed clusters' own ScheduledBackups (label cnpg.io/scheduled-backup =
//   the cluster's name, as dbfleet names them), method volumeSnapshot; on-demand and
//   object-store Backups are never touched (the object store has its own recovery window);
// - a Backup not finished (pending, started, running, finalizing, no phase yet) or already being
//   deleted stays;
// - completed Backups, newest first (by stop time): the newest `keep` stay (the newest one always
//   stays); beyond those, one goes when no maxAge is set or when it is older than maxAge;
// - a failed Backup goes once a newer Backup of its cluster completed (it is no recovery point,
//   and the newer one supersedes it as evidence); until then it stays, for diagnosis.
import type { KubeObject } from '../kube/client';

/** CloudNativePG's phases (cloudnative-pg@v1.30.0 api/v1/backup_types.go). */
const COMPLETED = 'completed';
const FAILED_PHASES = new Set(['failed', 'walArchivingFailing', 'invalid backup definition']);

export interface RetentionRules {
  /** Clusters whose ScheduledBackups' Backups are pruned. */
  readonly clusters: readonly string[];
  /** Completed backups kept per cluster, newest first. @default 1 */
  readonly keep?: number;
  /** Completed backups older than this go (never one of the newest `keep`). */
  readonly maxAgeSeconds?: number;
  /** Epoch milliseconds. */
  readonly now: number;
}

export interface Decision {
  readonly name: string;
  readonly cluster: string;
  readonly action: 'delete' | 'keep';
  readonly reason: string;
}

/** When a Backup finished (or, lacking that, started or was created), epoch ms. */
export function backupTime(backup: KubeObject): number {
  const s = backup.status ?? {};
  const t = Date.parse(s.stoppedAt ?? s.startedAt ?? backup.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

export function planPrune(backups: readonly KubeObject[], rules: RetentionRules): Decision[] {
  const keep = Math.max(1, rules.keep ?? 1);
  const decisions: Decision[] = [];
  const clusters = new Set(rules.clusters);
  const byCluster = new Map<string, KubeObject[]>();
  for (const b of backups) {
    const cluster = b.metadata.labels?.['cnpg.io/cluster'] ?? b.spec?.cluster?.name;
    // The ScheduledBackup of cluster X is named X (dbfleet's naming): anything else is not ours.
    if (!cluster || !clusters.has(cluster) || b.metadata.labels?.['cnpg.io/scheduled-backup'] !== cluster) continue;
    if ((b.spec?.method ?? b.status?.method) !== 'volumeSnapshot') continue;
    byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), b]);
  }
  for (const [cluster, list] of [...byCluster.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...list].sort((a, b) => backupTime(b) - backupTime(a) || b.metadata.name.localeCompare(a.metadata.name));
    const completed = sorted.filter((b) => b.status?.phase === COMPLETED && !b.metadata.deletionTimestamp);
    const newestCompleted = completed.length > 0 ? backupTime(completed[0]) : undefined;
    const decide = (b: KubeObject, action: Decision['action'], reason: string) =>
      decisions.push({ name: b.metadata.name, cluster, action, reason });
    for (const b of sorted) {
      const phase: string | undefined = b.status?.phase;
      if (b.metadata.deletionTimestamp) {
        decide(b, 'keep', 'already being deleted');
        continue;
      }
      if (phase === COMPLETED) {
        const rank = completed.indexOf(b);
        const ageSeconds = (rules.now - backupTime(b)) / 1000;
        if (rank < keep) decide(b, 'keep', `one of the newest ${keep} completed`);
        else if (rules.maxAgeSeconds !== undefined && ageSeconds <= rules.maxAgeSeconds)
          decide(b, 'keep', `younger than ${rules.maxAgeSeconds}s`);
        else
          decide(
            b,
            'delete',
            rules.maxAgeSeconds !== undefined
              ? `older than ${rules.maxAgeSeconds}s and not among the newest ${keep}`
              : `not among the newest ${keep} completed`,
          );
      } else if (phase !== undefined && FAILED_PHASES.has(phase)) {
        if (newestCompleted !== undefined && newestCompleted > backupTime(b)) decide(b, 'delete', `${phase}, and a newer backup completed`);
        else decide(b, 'keep', `${phase}, no newer completed backup yet`);
      } else {
        decide(b, 'keep', `in progress (${phase ?? 'no phase yet'})`);
      }
    }
  }
  return decisions;
}
