// A DANGER rule of `npm run plan` for Aurora: changes RDS can only make by replacing the cluster.
// ACK sends them as ModifyDBCluster and AWS refuses them, or (engine, encryption) they need a new
// cluster restored from a snapshot: either way the data is not carried over by dbfleet.
import type { DangerRule } from '../../plan/dangers';

/** Spec fields of a DBCluster whose change means a new cluster, with why. */
const REPLACING: ReadonlyArray<readonly [string, string]> = [
  ['engine', 'the engine'],
  ['dbSubnetGroupRef', 'the subnet group (the VPC)'],
  ['dbSubnetGroupName', 'the subnet group (the VPC)'],
  ['storageEncrypted', 'storage encryption'],
  ['kmsKeyID', 'the encryption key'],
  ['dbClusterIdentifier', 'the cluster identifier'],
];

export const auroraReplacement: DangerRule = {
  name: 'aurora-replacement',
  check: ({ type, before, after }) => {
    if (type !== 'changed' || after?.kind !== 'DBCluster' || !after.apiVersion.startsWith('rds.services.k8s.aws/')) return [];
    const a = (before?.spec ?? {}) as Record<string, unknown>;
    const b = (after.spec ?? {}) as Record<string, unknown>;
    return REPLACING.filter(([field]) => JSON.stringify(a[field]) !== JSON.stringify(b[field])).map(
      ([field, what]) =>
        `${what} changes (spec.${field}): Aurora cannot change it in place; this needs a new cluster and a copy of the data (snapshot restore, or dump/restore: docs/aurora.md, "Replacing a cluster")`,
    );
  },
};

const PROMOTION_RUNBOOK = 'docs/runbooks/AuroraGlobalClusterPromotion.md';

/**
 * A DR pair's GlobalCluster membership changes: promotion (the secondary leaves the global cluster
 * or the pair is dissolved), a cluster joining one, or the GlobalCluster itself going or changing
 * its primary. ACK rds-controller@v1.11.1 sends a DBCluster's globalClusterIdentifier only at create
 * (pkg/resource/db_cluster/sdk.go newCreateRequestPayload; custom_update.go's ModifyDBCluster has
 * no such field, and no RemoveFromGlobalCluster/FailoverGlobalCluster exists in pkg/): the sync does
 * not do it, AWS must, in the order the runbook gives.
 */
export const auroraGlobalCluster: DangerRule = {
  name: 'aurora-global-cluster',
  check: ({ type, before, after }) => {
    const isAck = (o: typeof before) => o?.apiVersion.startsWith('rds.services.k8s.aws/') === true;
    const field = (o: typeof before, key: string) => ((o?.spec ?? {}) as Record<string, unknown>)[key];
    if (before?.kind === 'GlobalCluster' && isAck(before)) {
      if (type === 'removed')
        return [
          `the GlobalCluster goes: its secondary region stops being a DR copy (promotion or dissolving the pair is done in AWS first: ${PROMOTION_RUNBOOK})`,
        ];
      if (
        type === 'changed' &&
        JSON.stringify(field(before, 'sourceDBClusterIdentifier')) !== JSON.stringify(field(after, 'sourceDBClusterIdentifier'))
      )
        return [
          `the GlobalCluster's primary changes (spec.sourceDBClusterIdentifier): only read at create; a switchover or failover is done in AWS (${PROMOTION_RUNBOOK})`,
        ];
      return [];
    }
    if (type !== 'changed' || after?.kind !== 'DBCluster' || !isAck(after)) return [];
    const was = field(before, 'globalClusterIdentifier');
    const now = field(after, 'globalClusterIdentifier');
    if (was === now) return [];
    if (was !== undefined)
      return [
        `leaves GlobalCluster ${String(was)} (spec.globalClusterIdentifier): PROMOTION of a secondary region to a standalone, writable cluster. ACK does not detach it: detach or fail over in AWS first, then merge this (${PROMOTION_RUNBOOK})`,
      ];
    return [
      `joins GlobalCluster ${String(now)} (spec.globalClusterIdentifier), which ACK sends only when it creates a cluster: an existing cluster must be added in AWS, or re-created empty as a secondary (${PROMOTION_RUNBOOK})`,
    ];
  },
};
