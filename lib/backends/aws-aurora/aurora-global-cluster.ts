// The GlobalCluster of an Aurora DR pair, rendered at the source environment (its ACK controller
// runs in the primary's region): made from the source's existing DBCluster, which becomes its
// primary; the standby environment's DBCluster of the same name joins it as the secondary region
// (aurora-cluster.ts, globalClusterIdentifier). Spec checked in aws-controllers-k8s/rds-controller@v1.11.1:
// - apis/v1alpha1/global_cluster.go GlobalClusterSpec: sourceDBClusterIdentifier is the primary's
//   ARN, and with it databaseName, engine, engineVersion and storageEncrypted must not be set
//   (Aurora takes them from the source);
// - pkg/resource/global_cluster/sdk.go newCreateRequestPayload sends deletionProtection, engine,
//   engineVersion, globalClusterIdentifier, sourceDBClusterIdentifier (and storageEncrypted,
//   databaseName); newUpdateRequestPayload (ModifyGlobalCluster) only deletionProtection,
//   engineVersion and the identifier. Tags are left out: generator.yaml ignores
//   CreateGlobalClusterInput.Tags, so they would only arrive with a later update (hooks.go syncTags).
import { Construct } from 'constructs';
import { GlobalCluster } from '../../../imports/rds.services.k8s.aws';
import { ACK_REGION_ANNOTATION } from '../../ops/restore-drill/aurora-drill';

/** RDS identifiers: a letter, then letters, digits and single hyphens, at most 63 characters. */
const IDENTIFIER = /^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$/;

export interface AuroraGlobalClusterProps {
  /** The Kubernetes name (the source's cluster name: one GlobalCluster per cluster). */
  readonly name: string;
  readonly namespace: string;
  /** The GlobalCluster's identifier (unique per account). */
  readonly globalClusterIdentifier: string;
  /** The primary DBCluster's identifier, region and account (its ARN). */
  readonly source: { readonly identifier: string; readonly region: string; readonly accountID: string };
  readonly deletionProtection: boolean;
  readonly labels: Record<string, string>;
}

/** `arn:aws:rds:<region>:<account>:cluster:<identifier>` (the commercial partition). */
export function dbClusterArn(region: string, accountID: string, identifier: string): string {
  return `arn:aws:rds:${region}:${accountID}:cluster:${identifier}`;
}

export class AuroraGlobalCluster extends Construct {
  constructor(scope: Construct, id: string, props: AuroraGlobalClusterProps) {
    super(scope, id);
    if (!IDENTIFIER.test(props.globalClusterIdentifier))
      throw new Error(
        `cluster ${props.name}: GlobalCluster identifier "${props.globalClusterIdentifier}" must start with a letter, hold letters, digits and single hyphens, and be at most 63 characters`,
      );
    new GlobalCluster(this, 'Resource', {
      // The region of the ACK controller that owns it (the source's; a global database's API calls
      // are made in a member region).
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: props.labels,
        annotations: { [ACK_REGION_ANNOTATION]: props.source.region },
      },
      spec: {
        globalClusterIdentifier: props.globalClusterIdentifier,
        sourceDbClusterIdentifier: dbClusterArn(props.source.region, props.source.accountID, props.source.identifier),
        deletionProtection: props.deletionProtection,
      },
    });
  }
}
