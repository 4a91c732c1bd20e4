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
