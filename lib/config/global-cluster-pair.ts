// The checks of an Aurora DR pair: the standby environment is the secondary region of a
// GlobalCluster made from the source's clusters (lib/backends/aws-aurora/aurora-global-cluster.ts,
// docs/aurora.md "Disaster recovery: GlobalCluster"). The standby inherits the source's `aws:`
// (standby inheritance is a deep merge), so everything that belongs to a region must be set again.
import type { ConfigProblem } from './load';
import type { Environment } from './model';
import type { FleetInput } from './schema';

type Report = (path: ConfigProblem['path'], message: string, atKey?: boolean) => void;

/** The runbook of an Aurora promotion (failover, switchover or detach): done in AWS, not by a sync. */
export const GLOBAL_CLUSTER_RUNBOOK = 'docs/runbooks/AuroraGlobalClusterPromotion.md';

/** True when the pair can be rendered; every problem is reported. */
export function checkGlobalClusterPair(input: FleetInput, source: Environment, standby: Environment, report: Report): boolean {
  const at = (env: string, ...path: string[]) => ['environments', env, ...path];
  const raw = input.environments[standby.name];
  const src = source.aws;
  const own = standby.aws;
  if (!src || !own) return false; // reported where the aws: section is missing
  let ok = true;
  if (!src.accountID) {
    report(
      at(source.name, 'aws', 'accountID'),
      `is required: ${standby.name} (standbyOf: ${source.name}) is a secondary region of a GlobalCluster, which names ${source.name}'s clusters by ARN (arn:aws:rds:${src.region}:<accountID>:cluster:…); set aws.accountID to the 12-digit AWS account ID`,
      true,
    );
    ok = false;
  } else if (own.accountID !== src.accountID) {
    report(
      at(standby.name, 'aws', 'accountID'),
      `must equal ${source.name}'s (${src.accountID}): dbfleet renders a GlobalCluster within one AWS account`,
      true,
    );
    ok = false;
  }
  if (own.region === src.region) {
    report(
      at(standby.name, 'aws', 'region'),
      `is ${source.name}'s region too (${src.region}): a GlobalCluster's secondary runs in another region; set the standby's own aws.region`,
      true,
    );
    ok = false;
  }
  // The GlobalClusters' home: one for the pair (the standby inherits the source's), one of the two.
  if (own.globalClusterFrom !== src.globalClusterFrom) {
    report(
      at(standby.name, 'aws', 'globalClusterFrom'),
      `must equal ${source.name}'s (${src.globalClusterFrom ?? 'unset: the source'}): the pair has one set of GlobalClusters; set it at the source only`,
      true,
    );
    ok = false;
  }
  if (src.globalClusterFrom !== undefined && ![source.name, standby.name].includes(src.globalClusterFrom)) {
    report(
      at(source.name, 'aws', 'globalClusterFrom'),
      `is "${src.globalClusterFrom}": it must name ${source.name} or ${standby.name}, the environment whose clusters the GlobalClusters were made from (${GLOBAL_CLUSTER_RUNBOOK})`,
      true,
    );
    ok = false;
  }
  // Region-bound settings the standby would otherwise inherit from the source's region.
  const regional: ReadonlyArray<readonly [keyof typeof own, string]> = [
    ['subnetIDs', 'subnets belong to a VPC in one region'],
    ['securityGroupIDs', 'security groups belong to a VPC in one region'],
    ['endpointId', "RDS endpoints carry an identifier per account and region (read it off an endpoint in the standby's region)"],
    ['kmsKeyID', "a KMS key belongs to one region (leave it out at both sites for each region's aws/rds key)"],
  ];
  if (own.region !== src.region)
    for (const [key, why] of regional) {
      if (src[key] !== undefined && JSON.stringify(own[key]) === JSON.stringify(src[key])) {
        report(
          at(standby.name, 'aws', key),
          `is ${source.name}'s (${own.region} is another region: ${why}): set the standby region's own`,
          true,
        );
        ok = false;
      }
    }
  // Promotion is not a sync on Aurora: ACK rds-controller v1.11.1 has no call that detaches or fails
  // over a global cluster (no RemoveFromGlobalCluster/FailoverGlobalCluster/SwitchoverGlobalCluster in
  // pkg/), so the CloudNativePG switchover keys cannot be honoured.
  for (const key of ['primarySite', 'switchoverTo', 'promotionTokens'] as const) {
    if (raw[key] !== undefined) {
      report(
        at(standby.name, key),
        `is not rendered for Aurora: promoting the secondary region is done in AWS (aws rds switchover-global-cluster / failover-global-cluster), then reviewed in the fleet (${GLOBAL_CLUSTER_RUNBOOK})`,
        true,
      );
      ok = false;
    }
  }
  return ok;
}
