import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { AwsSettings, RestoreDrill } from '../../config/model';
import { RESTORE_DRILL_CLUSTER, RESTORE_DRILL_NAME } from '../../backup/backup-names';
import { OpsCronJob } from '../../backup/ops-cron-job';
import { ADMISSION_POLICY_API_VERSION, restoreDrillPolicyName, serviceAccountUser } from '../../backup/restore-drill-admission-policy';
import { ownerSecretNames, restoreDrillArgs } from '../../backup/restore-drill-args';
import {
  DELETE_AUTOMATED_BACKUPS_ANNOTATION,
  SKIP_FINAL_SNAPSHOT_ANNOTATION,
  scratchInstanceName,
  ACK_REGION_ANNOTATION,
} from '../../ops/restore-drill/aurora-drill';
import { SERVERLESS_INSTANCE_CLASS } from './aurora-cluster';

/** RDS identifiers: at most 63 characters (aurora-cluster.ts). */
const MAX_IDENTIFIER = 63;

export interface AuroraRestoreDrillClusterTarget {
  /** The cluster's name (its DBCluster's Kubernetes name). */
  readonly name: string;
  /** Database → Secret (username, password) of its owner in the namespace. */
  readonly owners: Readonly<Record<string, string>>;
}

export interface AuroraRestoreDrillProps {
  readonly environment: string;
  readonly namespace: string;
  /** `<fleet>-<environment>-`: a cluster's RDS identifier is this + its name (auroraIdentifier). */
  readonly identifierPrefix: string;
  readonly clusters: readonly AuroraRestoreDrillClusterTarget[];
  readonly aws: AwsSettings;
  readonly drill: RestoreDrill;
  readonly image: string;
  readonly labels: Record<string, string>;
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const list = (items: readonly string[]) => `[${[...new Set(items)].sort().map(quote).join(', ')}]`;

/**
 * The restore drill of an Aurora environment: on the drill's schedule, the `restore-drill` ops
 * command (`--source auroraClone`, lib/ops/restore-drill/aurora-drill.ts) creates, one cluster
 * after the other, a copy-on-write clone `restore-drill-scratch` (DBCluster) with one DBInstance
 * `restore-drill-scratch-1`, checks every service database as its owner, pushes the same metrics
 * as on CloudNativePG, and deletes both (no final snapshot, automated backups deleted).
 *
 * The Role: DBClusters and DBInstances may be created (RBAC cannot restrict `create` by name),
 * read and deleted only by the scratch names; the owner Secrets read by name. What RBAC cannot say
 * — what a created DBCluster/DBInstance is — the ValidatingAdmissionPolicy below says for this
 * ServiceAccount only: the scratch names, a copy-on-write clone of one of this environment's
 * clusters at its latest restorable time into the scratch identifier, in the source's subnet and
 * parameter groups and security groups, never public, no deletion protection, no master
 * credentials, and the skip-final-snapshot annotation. So the token cannot create a cluster of
 * its own design, open one to the Internet, or clone a cluster of another environment.
 * Note what it can do: read every database of the environment's clusters (the owners' passwords).
 */
export class AuroraRestoreDrill extends Construct {
  constructor(scope: Construct, id: string, props: AuroraRestoreDrillProps) {
    super(scope, id);
    const d = props.drill;
    const scratchIdentifier = `${props.identifierPrefix}${RESTORE_DRILL_CLUSTER}`;
    if (scratchIdentifier.length + 2 > MAX_IDENTIFIER)
      throw new Error(
        `environment ${props.environment}: the restore drill's RDS identifier "${scratchIdentifier}-1" is longer than ${MAX_IDENTIFIER} characters: shorten the fleet or environment name`,
      );
    const instanceClass = props.aws.serverless ? SERVERLESS_INSTANCE_CLASS : props.aws.instanceClass!;
    const scratchInstance = scratchInstanceName({ scratchCluster: RESTORE_DRILL_CLUSTER });
    const owners = Object.fromEntries(props.clusters.flatMap((c) => Object.entries(c.owners)));
    const ownerSecrets = ownerSecretNames(owners);
    new OpsCronJob(this, 'Job', {
      name: RESTORE_DRILL_NAME,
      namespace: props.namespace,
      image: props.image,
      args: restoreDrillArgs({
        namespace: props.namespace,
        environment: props.environment,
        source: 'auroraClone',
        drill: d,
        owners,
        clusters: props.clusters.map((c) => ({ name: c.name, databases: Object.keys(c.owners) })),
        backendFlags: [
          '--identifier-prefix',
          props.identifierPrefix,
          '--region',
          props.aws.region,
          ...props.aws.securityGroupIDs.flatMap((sg) => ['--security-group', sg]),
          '--instance-class',
          instanceClass,
          ...(props.aws.serverless ? ['--serverless', `${props.aws.serverless.minCapacity}:${props.aws.serverless.maxCapacity}`] : []),
        ],
      }),
      schedule: d.schedule,
      activeDeadlineSeconds: d.activeDeadlineSeconds,
      // A failed drill is a finding, not a transient error: retrying only hides it and doubles the cost.
      backoffLimit: 0,
      // Room to ask for the deletion of the clone after SIGTERM.
      terminationGracePeriodSeconds: 60,
      rules: [
        { apiGroups: ['rds.services.k8s.aws'], resources: ['dbclusters', 'dbinstances'], verbs: ['create'] },
        {
          apiGroups: ['rds.services.k8s.aws'],
          resources: ['dbclusters'],
          verbs: ['get', 'delete'],
          resourceNames: [RESTORE_DRILL_CLUSTER],
        },
        { apiGroups: ['rds.services.k8s.aws'], resources: ['dbinstances'], verbs: ['get', 'delete'], resourceNames: [scratchInstance] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ownerSecrets },
      ],
      labels: props.labels,
    });

    // The fence (see the class comment), for requests of the drill's ServiceAccount only.
    const policyName = restoreDrillPolicyName(props.namespace);
    const namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': props.namespace } };
    const spec = 'object.spec';
    // Exactly the drill's two annotations, both 'true', and the region annotation naming this
    // environment's region (the clone is made where its source is). Any other steers ACK outside
    // the spec the checks below read: services.k8s.aws/adoption-policy + adoption-fields adopt an
    // existing RDS resource under the scratch name (aws-controllers-k8s/runtime@v0.61.0
    // pkg/runtime/reconciler.go handlePopulation, feature gate ResourceAdoption on by default;
    // rds-controller@v1.11.1 db_instance/resource.go PopulateResourceFromAnnotation takes
    // dbInstanceIdentifier from it), so the drill's delete-by-scratch-name would delete a production
    // instance; another region moves the clone, deletion-policy: retain leaves it behind.
    const drillAnnotations = [SKIP_FINAL_SNAPSHOT_ANNOTATION, DELETE_AUTOMATED_BACKUPS_ANNOTATION];
    const annotations =
      `has(object.metadata.annotations) && ${quote(SKIP_FINAL_SNAPSHOT_ANNOTATION)} in object.metadata.annotations && ` +
      `${quote(ACK_REGION_ANNOTATION)} in object.metadata.annotations && ` +
      `object.metadata.annotations.all(k, (k in ${list(drillAnnotations)} && object.metadata.annotations[k] == 'true') || ` +
      `(k == ${quote(ACK_REGION_ANNOTATION)} && object.metadata.annotations[k] == ${quote(props.aws.region)}))`;
    const sources = props.clusters.map((c) => `${props.identifierPrefix}${c.name}`);
    const isCluster = `(object.kind == 'DBCluster')`;
    const isInstance = `(object.kind == 'DBInstance')`;
    const allowedClusterFields = [
      'dbClusterIdentifier',
      'engine',
      'sourceDBClusterIdentifier',
      'restoreType',
      'useLatestRestorableTime',
      'dbSubnetGroupName',
      'dbClusterParameterGroupName',
      'vpcSecurityGroupIDs',
      'publiclyAccessible',
      'deletionProtection',
      'copyTagsToSnapshot',
      'serverlessV2ScalingConfiguration',
      'tags',
    ];
    const allowedInstanceFields = [
      'dbInstanceIdentifier',
      'dbClusterIdentifier',
      'dbInstanceClass',
      'engine',
      'publiclyAccessible',
      'tags',
    ];
    // Tags decide access where IAM policies read aws:ResourceTag (a clone tagged as another team's
    // would be theirs to read): only the drill's two, naming a source of this environment.
    const tags =
      `!has(${spec}.tags) || ${spec}.tags.all(t, has(t.key) && has(t.value) && ` +
      `((t.key == 'app.kubernetes.io/managed-by' && t.value == 'dbfleet') || (t.key == 'dbfleet.io/restore-drill-of' && t.value in ${list(sources)})))`;
    const validations = [
      {
        expression: tags,
        message: `the scratch objects carry only the tags app.kubernetes.io/managed-by: dbfleet and dbfleet.io/restore-drill-of: <one of ${sources.join(', ')}>`,
      },
      {
        expression: `${isCluster} || ${isInstance}`,
        message: 'the drill creates DBClusters and DBInstances only',
      },
      {
        expression: `${isCluster} ? object.metadata.name == ${quote(RESTORE_DRILL_CLUSTER)} : object.metadata.name == ${quote(scratchInstance)}`,
        message: `the drill creates only the DBCluster ${RESTORE_DRILL_CLUSTER} and the DBInstance ${scratchInstance}`,
      },
      {
        expression: annotations,
        message: `the scratch objects carry ${SKIP_FINAL_SNAPSHOT_ANNOTATION}: "true", ${ACK_REGION_ANNOTATION}: ${props.aws.region}, and no annotation but these and ${DELETE_AUTOMATED_BACKUPS_ANNOTATION} ("true"): no adoption, other region or deletion-policy annotation`,
      },
      {
        expression: `!${isCluster} || (${spec}.all(k, k in ${list(allowedClusterFields)}) && ${spec}.dbClusterIdentifier == ${quote(scratchIdentifier)} && ${spec}.engine == 'aurora-postgresql' && has(${spec}.sourceDBClusterIdentifier) && ${spec}.sourceDBClusterIdentifier in ${list(sources)} && has(${spec}.restoreType) && ${spec}.restoreType == 'copy-on-write' && has(${spec}.useLatestRestorableTime) && ${spec}.useLatestRestorableTime == true)`,
        message: `the scratch DBCluster is ${scratchIdentifier}, a copy-on-write clone at the latest restorable time of one of ${sources.join(', ')}, with no master credentials and nothing else`,
      },
      {
        expression: `!${isCluster} || (has(${spec}.dbSubnetGroupName) && ${spec}.dbSubnetGroupName == ${spec}.sourceDBClusterIdentifier && (!has(${spec}.dbClusterParameterGroupName) || ${spec}.dbClusterParameterGroupName == ${spec}.sourceDBClusterIdentifier) && has(${spec}.vpcSecurityGroupIDs) && ${spec}.vpcSecurityGroupIDs.all(g, g in ${list(props.aws.securityGroupIDs)}) && has(${spec}.publiclyAccessible) && ${spec}.publiclyAccessible == false && has(${spec}.deletionProtection) && ${spec}.deletionProtection == false)`,
        message:
          "the scratch DBCluster sits in its source's subnet group and security groups, is not public and has no deletion protection",
      },
      {
        expression: `!${isInstance} || (${spec}.all(k, k in ${list(allowedInstanceFields)}) && ${spec}.dbInstanceIdentifier == ${quote(`${scratchIdentifier}-1`)} && has(${spec}.dbClusterIdentifier) && ${spec}.dbClusterIdentifier == ${quote(scratchIdentifier)} && ${spec}.dbInstanceClass == ${quote(instanceClass)} && ${spec}.engine == 'aurora-postgresql' && has(${spec}.publiclyAccessible) && ${spec}.publiclyAccessible == false)`,
        message: `the scratch DBInstance is ${scratchIdentifier}-1 (${instanceClass}) in the scratch cluster, not public, and nothing else`,
      },
    ];
    new ApiObject(this, 'Policy', {
      apiVersion: ADMISSION_POLICY_API_VERSION,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: policyName, labels: props.labels },
      spec: {
        // An unevaluable policy refuses: the drill fails, it never runs unfenced.
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ['rds.services.k8s.aws'],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['dbclusters', 'dbinstances'],
            },
          ],
          namespaceSelector,
        },
        matchConditions: [
          {
            name: 'restore-drill-service-account',
            expression: `request.userInfo.username == ${quote(serviceAccountUser(props.namespace, RESTORE_DRILL_NAME))}`,
          },
        ],
        validations: validations.map((v) => ({ ...v, reason: 'Forbidden' })),
      },
    });
    new ApiObject(this, 'Binding', {
      apiVersion: ADMISSION_POLICY_API_VERSION,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: policyName, labels: props.labels },
      spec: { policyName, validationActions: ['Deny'], matchResources: { namespaceSelector } },
    });
  }
}
