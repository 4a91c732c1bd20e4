// One Aurora PostgreSQL cluster as ACK rds-controller v1.11.1 objects: DBSubnetGroup,
// DBClusterParameterGroup, DBCluster, one DBInstance per instance, and FieldExports of its
// endpoints. Field semantics checked in aws-controllers-k8s/rds-controller@v1.11.1:
// - pkg/resource/db_cluster/sdk.go newCreateRequestPayload: masterUserPassword is read from the
//   referenced Secret (SecretValueFromReference) and sent as MasterUserPassword;
// - the same file, sdkCreate: a spec with sourceDBClusterIdentifier is created with
//   RestoreDBClusterToPointInTime (restoreType, useLatestRestorableTime), which the drill uses;
// - pkg/resource/db_cluster/hooks.go isAuroraEngine: Aurora engines take no allocatedStorage.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DbCluster, DbClusterParameterGroup, DbInstance, DbSubnetGroup } from '../../../imports/rds.services.k8s.aws';
import { FieldExport, FieldExportSpecToKind } from '../../../imports/services.k8s.aws';
import type { AwsSettings } from '../../config/model';
import type { IPostgresCluster, PostgresClusterProps } from '../../postgres/postgres-cluster';
import { ACK_REGION_ANNOTATION } from '../../ops/restore-drill/aurora-drill';

/** The master user: dbfleet's Jobs only, never an app (docs/aurora.md). */
export const AURORA_MASTER_USER = 'dbfleet_master';
/** Serverless v2 instances have this class (capacity comes from the cluster's scaling configuration). */
export const SERVERLESS_INSTANCE_CLASS = 'db.serverless';
/** PostgreSQL logs to CloudWatch (the only export Aurora PostgreSQL offers besides upgrade logs). */
const LOG_EXPORTS = ['postgresql'];
/** RDS identifiers: a letter, then letters, digits and single hyphens, at most 63 characters. */
const IDENTIFIER = /^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$/;

export interface AuroraClusterProps extends PostgresClusterProps {
  /** The RDS identifier of the cluster (unique per account and region). */
  readonly identifier: string;
  readonly postgresVersion: number;
  readonly aws: AwsSettings;
  /**
   * Secret (in the cluster's namespace, key `password`) holding the master password; unset on a
   * GlobalCluster's secondary, which has none of its own (a primary only). @default none
   */
  readonly masterPasswordSecret?: string;
  /**
   * Make this cluster a secondary (read-only) region of this GlobalCluster. @default a standalone
   * (or primary) cluster
   */
  readonly globalClusterIdentifier?: string;
  /**
   * Name the master user in the spec: a cluster created standalone, or the primary. Not a cluster
   * created as a secondary (it takes the primary's; CreateDBCluster with a GlobalClusterIdentifier
   * names none). @default true without globalClusterIdentifier
   */
  readonly masterUsername?: boolean;
}

/** The ConfigMap the FieldExports write the endpoints into (keys `host`, `ro-host`). */
export function endpointsConfigMapName(cluster: string): string {
  return `${cluster}-endpoints`;
}

export class AuroraCluster extends Construct implements IPostgresCluster {
  readonly clusterName: string;
  readonly namespace: string;
  readonly readWriteHost: string;
  readonly readOnlyHost: string;
  readonly instances: number;
  readonly port = 5432;
  // No pods in Kubernetes: nothing to select, nothing for NetworkPolicies (security groups decide).
  readonly instanceSelector = {};
  readonly memberSelector = {};
  readonly metricsClusterLabel = 'cluster';
  readonly additionalClients = [];
  readonly operatorPorts = [];
  readonly metricsPort = 9187;
  readonly identifier: string;

  constructor(scope: Construct, id: string, props: AuroraClusterProps) {
    super(scope, id);
    const { aws } = props;
    if (!IDENTIFIER.test(props.identifier))
      throw new Error(
        `cluster ${props.name}: RDS identifier "${props.identifier}" must start with a letter, hold letters, digits and single hyphens, and be at most 63 characters`,
      );
    // Its DBInstances are `<identifier>-<i>`, RDS identifiers too (rds-controller@v1.11.1
    // apis/v1alpha1/db_instance.go DBInstanceIdentifier: 1 to 63 characters): RDS would refuse
    // the last instance's create while the cluster's succeeded.
    const lastInstance = `${props.identifier}-${props.instances}`;
    if (lastInstance.length > 63)
      throw new Error(
        `cluster ${props.name}: RDS instance identifier "${lastInstance}" is longer than 63 characters (${props.instances} instance(s) of "${props.identifier}"): shorten the fleet, environment or cluster name`,
      );
    this.clusterName = props.name;
    this.namespace = props.namespace;
    this.instances = props.instances;
    this.identifier = props.identifier;
    // RDS's documented endpoint names (the FieldExports below write the real ones next to the cluster).
    this.readWriteHost = `${props.identifier}.cluster-${aws.endpointId}.${aws.region}.rds.amazonaws.com`;
    this.readOnlyHost = `${props.identifier}.cluster-ro-${aws.endpointId}.${aws.region}.rds.amazonaws.com`;
    // Every object that ACK turns into an AWS resource names its region (ACK_REGION_ANNOTATION): a
    // DR site's objects land in the site's own aws.region whatever the controller's default. Not the
    // ConfigMap and FieldExports: no AWS resource (the FieldExport reconciler only reads the DBCluster).
    const ackMetadata = (name: string, annotations?: Record<string, string>) => ({
      name,
      namespace: props.namespace,
      labels: props.labels,
      annotations: { ...annotations, [ACK_REGION_ANNOTATION]: aws.region },
    });
    const metadata = (name: string) => ({ name, namespace: props.namespace, labels: props.labels });
    const tags = [
      { key: 'app.kubernetes.io/part-of', value: props.labels['app.kubernetes.io/part-of'] ?? '' },
      { key: 'dbfleet.io/cluster', value: props.name },
    ];

    const subnetGroup = new DbSubnetGroup(this, 'SubnetGroup', {
      metadata: ackMetadata(props.name),
      spec: {
        name: props.identifier,
        description: `dbfleet: private subnets of Aurora cluster ${props.identifier}`,
        subnetIDs: [...aws.subnetIDs],
        tags,
      },
    });
    const family = `aurora-postgresql${props.postgresVersion}`;
    const parameterGroup = new DbClusterParameterGroup(this, 'ParameterGroup', {
      metadata: ackMetadata(props.name),
      spec: {
        name: props.identifier,
        family,
        description: `dbfleet: parameters of Aurora cluster ${props.identifier} (postgres.parameters)`,
        parameterOverrides: { ...props.parameters },
        tags,
      },
    });
    new DbCluster(this, 'Resource', {
      metadata: ackMetadata(props.name, props.annotations),
      spec: {
        dbClusterIdentifier: props.identifier,
        engine: 'aurora-postgresql',
        // The major only: RDS picks its default minor and autoMinorVersionUpgrade keeps it current;
        // a major change replaces nothing but is a DANGER in the plan (aurora-dangers.ts auroraMajorVersion).
        engineVersion: String(props.postgresVersion),
        autoMinorVersionUpgrade: true,
        dbSubnetGroupRef: { from: { name: subnetGroup.name } },
        dbClusterParameterGroupRef: { from: { name: parameterGroup.name } },
        vpcSecurityGroupIDs: [...aws.securityGroupIDs],
        publiclyAccessible: false,
        storageEncrypted: true,
        kmsKeyId: aws.kmsKeyID,
        deletionProtection: aws.deletionProtection,
        backupRetentionPeriod: aws.backupRetentionDays,
        copyTagsToSnapshot: true,
        enableCloudwatchLogsExports: LOG_EXPORTS,
        enableIamDatabaseAuthentication: aws.iamAuthentication,
        serverlessV2ScalingConfiguration: aws.serverless ? { ...aws.serverless } : undefined,
        // A secondary joins the GlobalCluster when it is created: ACK rds-controller@v1.11.1
        // pkg/resource/db_cluster/sdk.go newCreateRequestPayload sends globalClusterIdentifier to
        // CreateDBCluster, and nothing else ever does (custom_update.go's ModifyDBCluster payload
        // has no such field; no RemoveFromGlobalCluster in pkg/): leaving or joining later is done
        // in AWS (aurora-dangers.ts). It takes the primary's data, roles and master user, so it
        // names no master user or password. sourceRegion is not set: sdk.go passes it to
        // CreateDBCluster for a cross-region replica by ReplicationSourceIdentifier (PreSignedUrl),
        // which a global secondary is not. After a promotion and role swap the promoted cluster
        // keeps the identifier (it is still a member) and gains the master user and password of a
        // primary: ACK creates nothing then (the cluster exists), and a re-created pair starts again
        // from a fleet without the swap (docs/runbooks/AuroraGlobalClusterPromotion.md).
        globalClusterIdentifier: props.globalClusterIdentifier,
        masterUsername: (props.masterUsername ?? props.globalClusterIdentifier === undefined) ? AURORA_MASTER_USER : undefined,
        masterUserPassword: props.masterPasswordSecret
          ? { name: props.masterPasswordSecret, namespace: props.namespace, key: 'password' }
          : undefined,
        port: this.port,
        tags,
      },
    });
    const instanceClass = aws.serverless ? SERVERLESS_INSTANCE_CLASS : aws.instanceClass!;
    for (let i = 1; i <= props.instances; i++) {
      new DbInstance(this, `Instance${i}`, {
        metadata: ackMetadata(`${props.name}-${i}`),
        spec: {
          dbInstanceIdentifier: `${props.identifier}-${i}`,
          dbClusterIdentifier: props.identifier,
          dbInstanceClass: instanceClass,
          engine: 'aurora-postgresql',
          publiclyAccessible: false,
          // Tier 0 for the first two (a failover target of equal rank), then 1…: RDS promotes the
          // lowest tier first, spread over the subnet group's availability zones.
          promotionTier: Math.min(i - 1, 15),
          autoMinorVersionUpgrade: true,
          tags,
        },
      });
    }
    // The endpoints as RDS reports them, next to the cluster: the ConfigMap must exist before the
    // FieldExport writes to it (ACK runtime: it patches, it does not create).
    const configMap = endpointsConfigMapName(props.name);
    new k8s.KubeConfigMap(this, 'Endpoints', { metadata: metadata(configMap) });
    for (const [key, path] of [
      ['host', '.status.endpoint'],
      ['ro-host', '.status.readerEndpoint'],
    ] as const) {
      new FieldExport(this, `Export-${key}`, {
        metadata: metadata(`${props.name}-${key}`),
        spec: {
          from: { path, resource: { group: 'rds.services.k8s.aws', kind: 'DBCluster', name: props.name } },
          to: { kind: FieldExportSpecToKind.CONFIGMAP, name: configMap, namespace: props.namespace, key },
        },
      });
    }
  }
}
