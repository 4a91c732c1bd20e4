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

/**
 * A major version change of an Aurora cluster (`postgres.version`). ACK rds-controller@v1.11.1
 * pkg/resource/db_cluster/custom_update.go newCustomUpdateRequestPayload sends every
 * ModifyDBCluster with ApplyImmediately and AllowMajorVersionUpgrade, and the new engineVersion when
 * its major differs (requireEngineVersionUpdate): the sync itself starts an in-place major upgrade,
 * the whole cluster unavailable while it runs. The cluster parameter group keeps its name and, in
 * AWS, the family it was created with (pkg/resource/db_cluster_parameter_group/sdk.go sends
 * DBParameterGroupFamily only to CreateDBClusterParameterGroup). A member of a GlobalCluster is
 * upgraded through the global cluster (ModifyGlobalCluster), not per member.
 */
export const auroraMajorVersion: DangerRule = {
  name: 'aurora-major-version',
  check: ({ type, before, after }) => {
    if (type !== 'changed' || after?.kind !== 'DBCluster' || !after.apiVersion.startsWith('rds.services.k8s.aws/')) return [];
    const major = (o: typeof before) => String(((o?.spec ?? {}) as Record<string, unknown>).engineVersion ?? '').split('.')[0];
    const from = major(before);
    const to = major(after);
    if (from === '' || to === '' || from === to) return [];
    const member = ((after.spec ?? {}) as Record<string, unknown>).globalClusterIdentifier;
    return [
      `PostgreSQL major version ${from} → ${to} (spec.engineVersion): ACK sends it at the next sync as ModifyDBCluster with ApplyImmediately and AllowMajorVersionUpgrade, an in-place major upgrade with the cluster unavailable while it runs` +
        (Number(to) < Number(from) ? ' (RDS has no major downgrade: going back is a new cluster and a copy of the data)' : '') +
        `; its DBClusterParameterGroup keeps the name and, in AWS, the family it was created with (aurora-postgresql${from}), which the new major needs in its own family` +
        (member !== undefined
          ? `; this cluster is a member of GlobalCluster ${String(member)}: upgrade it through the global cluster (aws rds modify-global-cluster --engine-version … --allow-major-version-upgrade), not per member`
          : '') +
        '. Test the upgrade on a clone first (docs/aurora.md)',
    ];
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
  check: ({ type, before, after }, context) => {
    const isAck = (o: typeof before) => o?.apiVersion.startsWith('rds.services.k8s.aws/') === true;
    const field = (o: typeof before, key: string) => ((o?.spec ?? {}) as Record<string, unknown>)[key];
    const swapHint =
      'if this is the role swap after a promotion, keep the GlobalCluster where it was made: set aws.globalClusterFrom to the former source at the new source';
    if (type === 'added' && after?.kind === 'GlobalCluster' && isAck(after)) {
      // Made from a cluster that already is a member of a global cluster: CreateGlobalCluster
      // refuses it (a cluster belongs to one global database), so this object never becomes ready.
      const arn = String(field(after, 'sourceDBClusterIdentifier') ?? '');
      const identifier = arn.slice(arn.lastIndexOf(':') + 1);
      // A member now, or before this change (a swap that drops its globalClusterIdentifier does not
      // take it out of the global database: ACK never sends the removal).
      const environments = [...new Set(context.transitions.map((t) => t.environment))];
      const member = [...environments.flatMap((e) => context.headObjects(e)), ...context.transitions.map((t) => t.before)].find(
        (o) => o?.kind === 'DBCluster' && isAck(o) && field(o, 'dbClusterIdentifier') === identifier && field(o, 'globalClusterIdentifier'),
      );
      if (member)
        return [
          `is made from ${identifier}, which is already a member of GlobalCluster ${String(field(member, 'globalClusterIdentifier'))}: AWS refuses a second global cluster from it (${swapHint}; ${PROMOTION_RUNBOOK})`,
        ];
      return [];
    }
    if (before?.kind === 'GlobalCluster' && isAck(before)) {
      if (type === 'removed')
        return [
          `the GlobalCluster goes: its secondary region stops being a DR copy (promotion or dissolving the pair is done in AWS first; ${swapHint}: ${PROMOTION_RUNBOOK})`,
        ];
      if (type === 'changed' && field(before, 'globalClusterIdentifier') !== field(after, 'globalClusterIdentifier'))
        return [
          `the GlobalCluster's identifier changes (spec.globalClusterIdentifier): ACK finds no global cluster by the new one and tries to create it from a cluster that is already a member; the old one is no longer managed (${swapHint}; ${PROMOTION_RUNBOOK})`,
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
