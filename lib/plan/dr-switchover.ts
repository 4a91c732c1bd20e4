// DANGER: a change of the primary site of a disaster-recovery pair (environments.<standby>.primarySite,
// promotionToken). CloudNativePG's distributed topology (cloudnative-pg@v1.30.0:docs/src/replica_cluster.md):
// changing `replica.primary` on the primary demotes it (writes stop, status.demotionToken appears);
// on a replica, `primary` = itself with the token promotes it once the token's LSN is replayed;
// without the token it is a failover and the former primary has to be rebuilt.
import type { KubernetesObject } from '../output/render';
import type { DangerRule } from './dangers';
import { perPlan } from './per-plan';

interface Replica {
  readonly self?: string;
  readonly primary?: string;
  readonly source?: string;
  readonly promotionToken?: string;
}
const replicaOf = (o: KubernetesObject | undefined): Replica | undefined =>
  o?.kind === 'Cluster' ? (o as { spec?: { replica?: Replica } }).spec?.replica : undefined;
const selfOf = (o: KubernetesObject, r: Replica) => r.self ?? o.metadata.name;

export const drSwitchover: DangerRule = {
  name: 'dr-switchover',
  check: ({ type, before, after, environment }, context) => {
    if (type !== 'changed' || !before || !after) return [];
    const was = replicaOf(before);
    const now = replicaOf(after);
    if (!now?.primary) return [];
    const self = selfOf(after, now);
    const name = after.metadata.name;
    const wasPrimary = was?.primary !== undefined ? was.primary === selfOf(before, was) : !was;
    const isPrimary = now.primary === self;
    if (was?.primary === now.primary && (was?.promotionToken === now.promotionToken || !isPrimary)) return [];
    if (wasPrimary && !isPrimary) {
      // Every cluster of the site demotes in the same change, and step 2 needs all their tokens in
      // one command: the message names them all (so it is the same for each, and grouped once).
      const demoted = perPlan(context, 'dr-demoted-clusters', () => {
        const index = new Map<string, Set<string>>();
        for (const t of context.transitions) {
          const r = t.type === 'changed' ? replicaOf(t.after) : undefined;
          if (!r?.primary || r.primary === selfOf(t.after!, r)) continue;
          const key = `${t.environment} ${t.after!.metadata.namespace}`;
          if (!index.has(key)) index.set(key, new Set());
          index.get(key)!.add(t.after!.metadata.name);
        }
        return index;
      });
      const namespace = after.metadata.namespace;
      const clusters = [...new Set([...(demoted.get(`${environment} ${namespace}`) ?? []), name])].sort();
      // `--token <cluster>=<token>` per cluster (lib/cli/switchover.ts), each read from the demoted cluster's status.
      const tokens = clusters
        .map((c) => `--token ${c}="$(kubectl get cluster ${c} -n ${namespace} -o jsonpath='{.status.demotionToken}')"`)
        .join(' ');
      return [
        `demotes site ${self} (switchover step 1 of 2): writes to its clusters (${clusters.join(', ')}) stop, their WAL up to the shutdown checkpoint is archived, ` +
          `and they follow ${now.source ?? now.primary} once that site is promoted. Step 2, once this is synced, with kubectl pointed at site ${self} ` +
          `(it reads each cluster's status.demotionToken): npx dbfleet switchover ${environment === now.primary ? self : now.primary} --to ${now.primary} ${tokens} ` +
          '(docs/disaster-recovery.md)',
      ];
    }
    if (!wasPrimary && isPrimary && now.promotionToken) {
      return [
        `promotes site ${self} (switchover step 2 of 2): cluster ${name} waits until it has replayed the WAL up to the former primary's demotion token, ` +
          'then becomes the primary on a new timeline; applications at this site can write. Only apply after the other site was demoted (step 1) and has archived its last WAL',
      ];
    }
    if (!wasPrimary && isPrimary) {
      return [
        `promotes site ${self} WITHOUT a demotion token: a FAILOVER. Cluster ${name} becomes primary with whatever WAL it has replayed ` +
          '(the RPO is the replication lag), and the former primary can never follow it again: when its site returns, demote it to a replica ' +
          'and rebuild its clusters from this site\'s archive (docs/disaster-recovery.md, "Failover"). For a planned switchover, demote the primary first and pass its token',
      ];
    }
    if (isPrimary && (now.promotionToken === was?.promotionToken || !now.promotionToken)) return [];
    if (isPrimary) {
      return [
        `changes the promotion token of the primary site ${self}: harmless once promoted, but a wrong token on a site still waiting blocks its promotion`,
      ];
    }
    return [`changes the primary site of cluster ${name} to ${now.primary}: this site stays a replica, now of ${now.source}`];
  },
};
