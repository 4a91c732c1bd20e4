// DANGER: a Zalando DR standby promoted, or a running Zalando cluster told to follow another.
//
// zalando/postgres-operator@v2.0.1 docs/user.md "Promote the standby": removing the `standby`
// section promotes ("a rolling update … removing the STANDBY_* environment variables from the pods,
// followed by a Patroni config update that promotes the cluster"), with whatever WAL the standby has
// replayed. "Adding standby section after promotion": a running cluster given the section turns
// read-only on the next sync "but it does not sync automatically with the source cluster again".
// Neither can be undone in place, so both are reviewed changes (docs/runbooks/zalando-promote-standby.md).
import type { KubernetesObject } from '../../output/render';
import type { DangerRule } from '../../plan/dangers';

const standbyOf = (o: KubernetesObject | undefined): { s3_wal_path?: string; standby_host?: string } | undefined =>
  o?.kind === 'postgresql' ? (o as { spec?: { standby?: { s3_wal_path?: string; standby_host?: string } } }).spec?.standby : undefined;

export const RUNBOOK = 'docs/runbooks/zalando-promote-standby.md';

export const zalandoPromotion: DangerRule = {
  name: 'zalando-standby',
  check: ({ type, before, after, environment }) => {
    if (type !== 'changed' || !before || !after) return [];
    const was = standbyOf(before);
    const now = standbyOf(after);
    const name = after.metadata.name;
    if (was && !now) {
      return [
        `PROMOTES the Zalando standby cluster ${name} at ${environment} (its standby section is removed): it stops replaying ${was.s3_wal_path ?? was.standby_host} ` +
          'and accepts writes, with only the WAL it has replayed (writes at the source since its last archived segment are lost unless the source was stopped first). ' +
          'There is no way back: Zalando cannot make this cluster, or the old source, follow the other site again; the old source keeps accepting writes until it is stopped ' +
          "(two primaries). Before merging: stop writes at the source, check the last write arrived, and copy the source's password keys to this environment's " +
          `(it stops reading the source's keys once standbyOf is gone): ${RUNBOOK}`,
      ];
    }
    if (!was && now) {
      return [
        `turns the running Zalando cluster ${name} at ${environment} into a standby of ${now.s3_wal_path ?? now.standby_host}: the operator makes it read-only ` +
          'on its next sync, but it never replays the source (postgres-operator v2.0.1 docs/user.md, "Adding standby section after promotion"). ' +
          "Its PostgreSQL is its own (another system identifier, its own timeline), so the source's WAL cannot be replayed there; " +
          "archive_mode = always reaches Patroni only through the operator's config patch and a restart (zalando/postgres-operator@v2.0.1 " +
          'pkg/cluster/sync.go syncStandbyClusterConfiguration, checkAndSetGlobalPostgreSQLConfiguration), and then re-archives nothing from the other site: ' +
          'the cross-site ZalandoReplicaSiteWALStale alert fires at this site until it is rebuilt. ' +
          `A Zalando standby must be created as one: delete the cluster (and its volumes) first, then sync (${RUNBOOK}, "Rebuilding a standby")`,
      ];
    }
    return [];
  },
};
