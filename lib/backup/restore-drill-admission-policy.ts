import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * admissionregistration.k8s.io/v1: ValidatingAdmissionPolicy is GA (and v1 served by default)
 * since Kubernetes 1.30. The Kubernetes schema dbfleet ships is 1.28's, where the same types are
 * v1beta1 and beta APIs are off by default (the policy would not be served at all); the v1 types
 * of 1.30 are field for field the v1beta1 types of 1.28 (compared without descriptions:
 * cdk8s-team/cdk8s@71f8cba7 kubernetes-schemas/v1.30.0 and v1.28.0 _definitions.json), so the
 * validator checks v1 against the 1.28 v1beta1 definitions (lib/validate/schema-source.ts).
 */
export const ADMISSION_POLICY_API_VERSION = 'admissionregistration.k8s.io/v1';

/** `plugin-barman-cloud`'s plugin name (the drill restores from the object store through it). */
const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';

/**
 * Fields of a Cluster spec the drill never sets and CloudNativePG's defaulting never fills
 * (cloudnative-pg@v1.30.0 api/v1/cluster_defaults.go setDefaults; CRD defaults in
 * config/crd/bases/postgresql.cnpg.io_clusters.yaml): each must be absent or empty. Between them
 * they are every way a Cluster reads a Secret or ConfigMap of the namespace (superuser, TLS,
 * env, projected volumes, managed roles, backup credentials), sends data elsewhere (backup,
 * replica, managed services), or changes who or where the pods run.
 */
const FORBIDDEN_SPEC_FIELDS = [
  'backup',
  'certificates',
  'env',
  'envFrom',
  'ephemeralVolumeSource',
  'imagePullSecrets',
  'inheritedMetadata',
  'managed',
  'podSecurityContext',
  'podSelectorRefs',
  'priorityClassName',
  'projectedVolumeTemplate',
  'replica',
  'schedulerName',
  'seccompProfile',
  'securityContext',
  'serviceAccountName',
  'serviceAccountTemplate',
  'superuserSecret',
  'tablespaces',
  'topologySpreadConstraints',
] as const;

/** `postgresql` stanza fields that change authentication or load code: absent or empty. */
const FORBIDDEN_POSTGRESQL_FIELDS = ['extensions', 'ldap', 'pg_hba', 'pg_ident', 'shared_preload_libraries', 'synchronous'] as const;

/** `affinity` fields that move the pod (defaulting sets only podAntiAffinityType): absent or empty. */
const FORBIDDEN_AFFINITY_FIELDS = [
  'additionalPodAffinity',
  'additionalPodAntiAffinity',
  'nodeAffinity',
  'nodeSelector',
  'tolerations',
] as const;

export interface RestoreDrillAdmissionPolicyProps {
  /** The database namespace the drill restores into. */
  readonly namespace: string;
  /** The drill's ServiceAccount (in `namespace`): the only requester the policy applies to. */
  readonly serviceAccount: string;
  /** The only Cluster name the drill may create. */
  readonly scratchCluster: string;
  /** The clusters whose backups the drill restores (object-store `serverName`s). */
  readonly sourceClusters: readonly string[];
  /** Images of the source clusters: the only `imageName`s the scratch cluster may run. */
  readonly images: readonly string[];
  /** ImageCatalogs of the source clusters: the only `imageCatalogRef`s. */
  readonly imageCatalogs: readonly string[];
  /** The ObjectStore a drill from the object store reads; undefined: no external cluster at all. */
  readonly objectStore?: string;
  readonly labels: Record<string, string>;
}

/** One CEL validation of a ValidatingAdmissionPolicy. */
export interface PolicyValidation {
  readonly expression: string;
  readonly message: string;
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const list = (items: readonly string[]) => `[${[...new Set(items)].sort().map(quote).join(', ')}]`;
/** CEL: `field` of `parent` is absent, or an empty string, list or map. */
const emptyOrAbsent = (parent: string, field: string) => `!has(${parent}.${field}) || size(${parent}.${field}) == 0`;

/** The name of the policy and of its binding: cluster-scoped, so one per database namespace. */
export function restoreDrillPolicyName(namespace: string): string {
  return `dbfleet-restore-drill.${namespace}`;
}

/** The user name the API server gives a ServiceAccount's token. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * The validations, in order, as the policy renders them (exported so the tests evaluate the
 * exact expressions against the drill's own scratch Cluster and against crafted ones).
 */
export function restoreDrillValidations(props: RestoreDrillAdmissionPolicyProps): PolicyValidation[] {
  const spec = 'object.spec';
  const out: PolicyValidation[] = [
    {
      expression: `object.metadata.name == ${quote(props.scratchCluster)}`,
      message: `the restore drill may create only the Cluster ${props.scratchCluster}`,
    },
    {
      // Annotations steer CloudNativePG outside the spec: cnpg.io/podPatch is a JSON patch applied
      // to every instance pod (cloudnative-pg@v1.30.0 pkg/specs/pods.go NewInstance; the webhook
      // only checks that it applies, validatePodPatchAnnotation): any Secret as a volume, any
      // ServiceAccount of the namespace, any command. cnpg.io/validation: disabled skips the
      // operator's webhook (internal/webhook/v1/common.go). The drill sets none.
      expression: `!has(object.metadata.annotations) || size(object.metadata.annotations) == 0`,
      message:
        'the scratch cluster carries no annotations (cnpg.io/podPatch would rewrite its pods, cnpg.io/validation turn off the webhook)',
    },
    { expression: `has(${spec}.instances) && ${spec}.instances == 1`, message: 'the scratch cluster has exactly one instance' },
    {
      expression: `has(${spec}.enablePDB) && ${spec}.enablePDB == false`,
      message: 'the scratch cluster has no PodDisruptionBudget (enablePDB: false)',
    },
    {
      // The drill checks as each database's owner (issue 24): no superuser login on the scratch cluster.
      expression: `!has(${spec}.enableSuperuserAccess) || ${spec}.enableSuperuserAccess == false`,
      message: 'the scratch cluster has no superuser access (enableSuperuserAccess: false)',
    },
    {
      expression: `!has(${spec}.imageName) || ${spec}.imageName in ${list(props.images)}`,
      message: `the scratch cluster runs the image of a cluster it restores (${[...new Set(props.images)].sort().join(', ') || 'none'})`,
    },
    {
      expression:
        `!has(${spec}.imageCatalogRef) || (${spec}.imageCatalogRef.kind == 'ImageCatalog' && ` +
        `${spec}.imageCatalogRef.name in ${list(props.imageCatalogs)})`,
      message: `the scratch cluster's imageCatalogRef is the ImageCatalog of a cluster it restores (${[...new Set(props.imageCatalogs)].sort().join(', ') || 'none'})`,
    },
    ...FORBIDDEN_SPEC_FIELDS.map((field) => ({
      expression: emptyOrAbsent(spec, field),
      message: `the scratch cluster sets no spec.${field}`,
    })),
    {
      expression: `!has(${spec}.postgresql) || (${FORBIDDEN_POSTGRESQL_FIELDS.map((f) => `(${emptyOrAbsent(`${spec}.postgresql`, f)})`).join(' && ')} && (!has(${spec}.postgresql.enableAlterSystem) || ${spec}.postgresql.enableAlterSystem == false))`,
      message: `the scratch cluster's postgresql stanza sets only parameters (no ${FORBIDDEN_POSTGRESQL_FIELDS.join(', ')}, enableAlterSystem)`,
    },
    {
      expression: `!has(${spec}.affinity) || (${FORBIDDEN_AFFINITY_FIELDS.map((f) => `(${emptyOrAbsent(`${spec}.affinity`, f)})`).join(' && ')})`,
      message: `the scratch cluster's affinity sets none of ${FORBIDDEN_AFFINITY_FIELDS.join(', ')}`,
    },
    ...['storage', 'walStorage'].map((field) => ({
      expression: `!has(${spec}.${field}) || ${spec}.${field}.all(k, k in ['size', 'storageClass', 'resizeInUseVolumes'])`,
      message: `the scratch cluster's ${field} has only size and storageClass (no pvcTemplate: it could clone any volume)`,
    })),
    {
      expression: `!has(${spec}.postgresUID) || ${spec}.postgresUID == 26`,
      message: 'the scratch cluster runs PostgreSQL as the image user 26',
    },
    {
      expression: `!has(${spec}.postgresGID) || ${spec}.postgresGID == 26`,
      message: 'the scratch cluster runs PostgreSQL as the image group 26',
    },
    // The operator may add its default monitoring queries (MONITORING_QUERIES_CONFIGMAP/SECRET,
    // cluster_defaults.go defaultMonitoringQueries): that name, and no other Secret.
    {
      expression:
        `!has(${spec}.monitoring) || !has(${spec}.monitoring.customQueriesSecret) || ` +
        `${spec}.monitoring.customQueriesSecret.all(s, s.name == 'cnpg-default-monitoring')`,
      message: "the scratch cluster's monitoring reads no Secret but the operator's cnpg-default-monitoring",
    },
    // The operator adds its INCLUDE_PLUGINS as { name, enabled } (setDefaultPlugins): a plugin
    // with parameters (e.g. a WAL archive to another bucket) is not the drill's.
    {
      expression:
        `!has(${spec}.plugins) || ${spec}.plugins.all(p, (!has(p.parameters) || size(p.parameters) == 0) && ` +
        `(!has(p.isWALArchiver) || p.isWALArchiver == false))`,
      message: 'the scratch cluster archives no WAL and configures no plugin',
    },
    {
      expression: `has(${spec}.bootstrap) && ${spec}.bootstrap.all(k, k == 'recovery')`,
      message: 'the scratch cluster bootstraps by recovery only (no initdb, postInitSQL or pg_basebackup)',
    },
    {
      expression:
        `has(${spec}.bootstrap) && has(${spec}.bootstrap.recovery) && ` +
        `${spec}.bootstrap.recovery.all(k, k in ['backup', 'source', 'database', 'owner']) && ` +
        `(has(${spec}.bootstrap.recovery.backup) ? (${spec}.bootstrap.recovery.backup.all(k, k == 'name') && !has(${spec}.bootstrap.recovery.source)) : ` +
        `(has(${spec}.bootstrap.recovery.source) && ${spec}.bootstrap.recovery.source == 'origin'))`,
      message:
        'the scratch cluster recovers from a Backup by name, or from the external cluster origin (no secret, volumeSnapshots or recoveryTarget)',
    },
  ];
  const origin =
    props.objectStore === undefined
      ? `false`
      : `c.name == 'origin' && c.all(k, k in ['name', 'plugin']) && has(c.plugin) && c.plugin.name == ${quote(BARMAN_CLOUD_PLUGIN)} && ` +
        `c.plugin.all(k, k in ['name', 'parameters', 'enabled', 'isWALArchiver']) && has(c.plugin.parameters) && ` +
        `c.plugin.parameters.all(k, k in ['barmanObjectName', 'serverName']) && ` +
        `c.plugin.parameters.barmanObjectName == ${quote(props.objectStore)} && c.plugin.parameters.serverName in ${list(props.sourceClusters)}`;
  out.push({
    expression: `!has(${spec}.externalClusters) || (size(${spec}.externalClusters) <= 1 && ${spec}.externalClusters.all(c, ${origin}))`,
    message:
      props.objectStore === undefined
        ? 'the scratch cluster has no external cluster'
        : `the scratch cluster's only external cluster is origin: the ObjectStore ${props.objectStore} through ${BARMAN_CLOUD_PLUGIN}, serverName a cluster it restores`,
  });
  return out;
}

/**
 * Fences the restore drill's ServiceAccount (issue 24 item 6). RBAC cannot restrict what a
 * created object contains: the drill's Role may create any Cluster, and a Cluster can read any
 * Secret of its namespace, run SQL as superuser at bootstrap, archive to another bucket or be
 * exposed through a LoadBalancer. This policy admits, for requests of that ServiceAccount only,
 * exactly the shape `scratchClusterSpec` (lib/ops/restore-drill/drill.ts) creates: one instance,
 * no PDB, a source cluster's image, recovery from a Backup or from this environment's object
 * store, nothing else that names a Secret, a ConfigMap, a node or another destination.
 *
 * The policy sees the object after CloudNativePG's mutating webhook, so what its defaulting adds
 * (monitoring queries, included plugins, affinity type, parameters, probes, …) is admitted; the
 * checks are on what the drill sets and on fields nothing but a crafted request sets.
 */
export class RestoreDrillAdmissionPolicy extends Construct {
  readonly policyName: string;

  constructor(scope: Construct, id: string, props: RestoreDrillAdmissionPolicyProps) {
    super(scope, id);
    this.policyName = restoreDrillPolicyName(props.namespace);
    const namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': props.namespace } };
    new ApiObject(this, 'Policy', {
      apiVersion: ADMISSION_POLICY_API_VERSION,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: this.policyName, labels: props.labels },
      spec: {
        // An unevaluable policy refuses: the drill fails, it never runs unfenced.
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: ['postgresql.cnpg.io'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['clusters'] },
          ],
          namespaceSelector,
        },
        matchConditions: [
          {
            name: 'restore-drill-service-account',
            expression: `request.userInfo.username == ${quote(serviceAccountUser(props.namespace, props.serviceAccount))}`,
          },
        ],
        validations: restoreDrillValidations(props).map((v) => ({ ...v, reason: 'Forbidden' })),
      },
    });
    new ApiObject(this, 'Binding', {
      apiVersion: ADMISSION_POLICY_API_VERSION,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: this.policyName, labels: props.labels },
      spec: { policyName: this.policyName, validationActions: ['Deny'], matchResources: { namespaceSelector } },
    });
  }
}
