import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { RestoreDrill } from '../../config/model';
import { RESTORE_DRILL_CLUSTER, RESTORE_DRILL_NAME } from '../../backup/backup-names';
import { OpsCronJob } from '../../backup/ops-cron-job';
import { ownerSecretNames, restoreDrillArgs } from '../../backup/restore-drill-args';
import {
  ADMISSION_POLICY_API_VERSION,
  restoreDrillPolicyName,
  serviceAccountUser,
  type PolicyValidation,
} from '../../backup/restore-drill-admission-policy';
import { ACCESS_CLIENT_LABEL } from '../../network/cluster-ingress-policy';
import { CLONE_CREDENTIAL_ENV, SCRATCH_NO_ARCHIVE_ENV } from '../../ops/restore-drill/zalando-drill';
import { PATRONI_PORT, SPILO_GID, SPILO_UID, ZALANDO_CLUSTER_LABEL } from './zalando-cluster';

const POSTGRES_PORT = 5432;

/** What the scratch cluster may take from one source cluster: exactly what dbfleet renders for it. */
export interface ZalandoDrillSource {
  readonly name: string;
  readonly teamId: string;
  /** `spec.postgresql.version`. */
  readonly version: string;
  readonly dockerImage?: string;
  readonly parameters: Readonly<Record<string, string>>;
  /** `spec.patroni.pg_hba`, or [] when the cluster renders none. */
  readonly pgHba: readonly string[];
  /** Its archive: `clone.s3_wal_path` (zalando-wal-g.ts walgPrefix). */
  readonly walPath: string;
  /** The owner Secret of each of its databases. */
  readonly owners: Readonly<Record<string, string>>;
}

export interface ZalandoRestoreDrillProps {
  readonly environment: string;
  readonly namespace: string;
  readonly clusters: readonly ZalandoDrillSource[];
  /** The object store's credentials Secret and its two keys (the sources' spec.env). */
  readonly credentialsSecret: string;
  readonly credentialKeys: readonly [accessKeyId: string, secretAccessKey: string];
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle: boolean;
  readonly drill: RestoreDrill;
  readonly operatorNamespace: string;
  readonly image: string;
  readonly labels: Record<string, string>;
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const list = (items: readonly string[]) => `[${[...new Set(items)].sort().map(quote).join(', ')}]`;
const stringList = (items: readonly string[]) => `[${items.map(quote).join(', ')}]`;
const map = (entries: ReadonlyArray<[string, string]>) => `{${entries.map(([k, v]) => `${quote(k)}: ${v}`).join(', ')}}`;

/** spec fields the scratch `postgresql` may set (zalando-drill.ts zalandoScratchManifest): nothing else. */
export const SCRATCH_SPEC_FIELDS = [
  'teamId',
  'numberOfInstances',
  'dockerImage',
  'postgresql',
  'volume',
  'resources',
  'patroni',
  'spiloRunAsUser',
  'spiloRunAsGroup',
  'spiloFsGroup',
  'clone',
  'env',
] as const;

/**
 * The validations of the Zalando drill's admission policy, in order (exported so the tests
 * evaluate the exact expressions against the drill's own scratch object and crafted ones).
 * An allow-list: every spec field is one the drill sets, with the value it sets from one of this
 * environment's clusters. So no sidecars or initContainers (the operator gives every sidecar the
 * superuser's password, k8sres.go patchSidecarContainers), no users or flags, no load balancer,
 * pooler, TLS or volume Secret, no other archive, no pg_hba or parameter of its own, no clone of
 * another cluster or from a live cluster (without a timestamp the operator clones from the running
 * source with the replication login), and no S3 key in the manifest.
 */
export function zalandoRestoreDrillValidations(
  props: Omit<ZalandoRestoreDrillProps, 'drill' | 'image' | 'labels' | 'operatorNamespace' | 'environment'>,
): PolicyValidation[] {
  const spec = 'object.spec';
  const c = `${spec}.clone.cluster`;
  const byCluster = (value: (s: ZalandoDrillSource) => string) => `${map(props.clusters.map((s) => [s.name, value(s)]))}[${c}]`;
  const names = props.clusters.map((s) => s.name);
  const images = props.clusters.flatMap((s) => (s.dockerImage ? [s.dockerImage] : []));
  const [accessKey, secretKey] = props.credentialKeys;
  const secretRef = (key: string) =>
    `(!has(e.value) && has(e.valueFrom) && e.valueFrom.all(k, k == 'secretKeyRef') && e.valueFrom.secretKeyRef.all(k, k in ['name', 'key']) && e.valueFrom.secretKeyRef.name == ${quote(props.credentialsSecret)} && e.valueFrom.secretKeyRef.key == ${quote(key)})`;
  const envRule =
    `(e.name in ${list(SCRATCH_NO_ARCHIVE_ENV)} && !has(e.valueFrom) && (!has(e.value) || e.value == '')) || ` +
    `(e.name == ${quote(CLONE_CREDENTIAL_ENV[0])} && ${secretRef(accessKey)}) || ` +
    `(e.name == ${quote(CLONE_CREDENTIAL_ENV[1])} && ${secretRef(secretKey)})` +
    (props.region ? ` || (e.name == 'CLONE_AWS_REGION' && !has(e.valueFrom) && has(e.value) && e.value == ${quote(props.region)})` : '');
  return [
    {
      expression: `object.metadata.name == ${quote(RESTORE_DRILL_CLUSTER)}`,
      message: `the restore drill may create only the postgresql ${RESTORE_DRILL_CLUSTER}`,
    },
    {
      // The operator acts on annotations (acid.zalan.do/controller hands the object to another
      // operator instance; delete_annotation_* keys): the drill sets none.
      expression: `!has(object.metadata.annotations) || size(object.metadata.annotations) == 0`,
      message: 'the scratch postgresql carries no annotations',
    },
    {
      expression: `${spec}.all(k, k in ${list(SCRATCH_SPEC_FIELDS)})`,
      message: `the scratch postgresql sets only ${SCRATCH_SPEC_FIELDS.join(', ')} (no sidecars, initContainers, users, databases, pooler, load balancer, TLS, volumes, logical backup or standby)`,
    },
    {
      expression: `has(${spec}.numberOfInstances) && ${spec}.numberOfInstances == 1`,
      message: 'the scratch cluster has exactly one instance',
    },
    {
      expression:
        `has(${spec}.clone) && ${spec}.clone.all(k, k in ['cluster', 'timestamp', 's3_wal_path', 's3_endpoint', 's3_force_path_style']) && ` +
        `has(${c}) && ${c} in ${list(names)} && has(${spec}.clone.timestamp) && has(${spec}.clone.s3_wal_path) && ` +
        `${spec}.clone.s3_wal_path == ${byCluster((s) => quote(s.walPath))}`,
      message: `the scratch cluster clones one of ${names.join(', ')} from its own archive to a point in time (no uid, no S3 keys in the manifest, never from the running cluster)`,
    },
    {
      expression:
        (props.endpoint
          ? `(!has(${spec}.clone.s3_endpoint) || ${spec}.clone.s3_endpoint == ${quote(props.endpoint)})`
          : `!has(${spec}.clone.s3_endpoint)`) +
        ` && (!has(${spec}.clone.s3_force_path_style) || ${spec}.clone.s3_force_path_style == ${props.forcePathStyle})`,
      message: `the clone reads ${props.endpoint ? `the object store's endpoint ${props.endpoint}` : "the object store's default endpoint"} only`,
    },
    {
      expression: `has(${spec}.teamId) && ${spec}.teamId == ${byCluster((s) => quote(s.teamId))} && (!has(${spec}.dockerImage) || ${spec}.dockerImage in ${list(images)})`,
      message: `the scratch cluster has its source's team and image (${[...new Set(images)].sort().join(', ') || 'the operator default'})`,
    },
    {
      expression:
        `has(${spec}.postgresql) && ${spec}.postgresql.all(k, k in ['version', 'parameters']) && ${spec}.postgresql.version == ${byCluster((s) => quote(s.version))} && ` +
        `(!has(${spec}.postgresql.parameters) || ${spec}.postgresql.parameters == ${byCluster((s) =>
          map(
            Object.entries(s.parameters)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, v]) => [k, quote(v)]),
          ),
        )})`,
      message:
        "the scratch cluster has its source's PostgreSQL version and parameters, nothing else (no archive_command, no preload library)",
    },
    {
      expression: `!has(${spec}.patroni) || (${spec}.patroni.all(k, k == 'pg_hba') && (!has(${spec}.patroni.pg_hba) || ${spec}.patroni.pg_hba == ${byCluster((s) => stringList(s.pgHba))}))`,
      message: "the scratch cluster's pg_hba is its source's (no trust, no other Patroni setting)",
    },
    {
      expression: `has(${spec}.volume) && ${spec}.volume.all(k, k in ['size', 'storageClass'])`,
      message: "the scratch cluster's volume has only size and storageClass (no selector: it could bind another volume)",
    },
    {
      expression: `!has(${spec}.resources) || ${spec}.resources.all(k, k in ['requests', 'limits'] && ${spec}.resources[k].all(r, r in ['cpu', 'memory']))`,
      message: "the scratch cluster's resources are cpu and memory requests and limits",
    },
    {
      expression:
        `(!has(${spec}.spiloRunAsUser) || ${spec}.spiloRunAsUser == ${SPILO_UID}) && ` +
        `(!has(${spec}.spiloRunAsGroup) || ${spec}.spiloRunAsGroup == ${SPILO_GID}) && (!has(${spec}.spiloFsGroup) || ${spec}.spiloFsGroup == ${SPILO_GID})`,
      message: `the scratch cluster runs Spilo as ${SPILO_UID}:${SPILO_GID}`,
    },
    {
      expression: `has(${spec}.env) && ${spec}.env.all(e, ${envRule}) && ${list(SCRATCH_NO_ARCHIVE_ENV)}.all(n, ${spec}.env.exists(e, e.name == n))`,
      message: `the scratch cluster's env switches every archive off (${SCRATCH_NO_ARCHIVE_ENV.join(', ')} empty) and reads the object store's keys from ${props.credentialsSecret} for the clone only`,
    },
  ];
}

/**
 * The restore drill of a Zalando environment: on the drill's schedule, the `restore-drill` ops
 * command (`--source zalandoClone`, lib/ops/restore-drill/zalando-drill.ts) marks a reachable
 * recovery target on each source (recovery-target.ts), creates the scratch `postgresql`
 * `restore-drill-scratch` cloned from the source's WAL-G archive to it, checks every service
 * database as its owner, pushes the same metrics as on CloudNativePG, and deletes the scratch.
 *
 * The Role: `postgresql`s may be created (RBAC cannot restrict `create` by name), read by the
 * source and scratch names, deleted by the scratch name only; the owner Secrets read by name. The
 * scratch's superuser Secret (the operator creates one for every cluster) is not readable. What a
 * created `postgresql` may contain, the ValidatingAdmissionPolicy says for this ServiceAccount
 * only (zalandoRestoreDrillValidations).
 * Note what the token can do: read every database of the environment's clusters (the owners'
 * passwords), and commit one empty marker transaction on each source per run.
 */
export class ZalandoRestoreDrill extends Construct {
  constructor(scope: Construct, id: string, props: ZalandoRestoreDrillProps) {
    super(scope, id);
    const d = props.drill;
    const names = props.clusters.map((c) => c.name);
    const owners = Object.fromEntries(props.clusters.flatMap((c) => Object.entries(c.owners)));
    const ownerSecrets = ownerSecretNames(owners);
    new OpsCronJob(this, 'Job', {
      name: RESTORE_DRILL_NAME,
      namespace: props.namespace,
      image: props.image,
      args: restoreDrillArgs({
        namespace: props.namespace,
        environment: props.environment,
        source: 'zalandoClone',
        drill: d,
        owners,
        clusters: props.clusters.map((c) => ({ name: c.name, databases: Object.keys(c.owners) })),
      }),
      schedule: d.schedule,
      activeDeadlineSeconds: d.activeDeadlineSeconds,
      // A failed drill is a finding, not a transient error: retrying only hides it and doubles the cost.
      backoffLimit: 0,
      // Room to delete the scratch cluster after SIGTERM.
      terminationGracePeriodSeconds: 60,
      rules: [
        { apiGroups: ['acid.zalan.do'], resources: ['postgresqls'], verbs: ['create'] },
        {
          apiGroups: ['acid.zalan.do'],
          resources: ['postgresqls'],
          verbs: ['get'],
          resourceNames: [...names, RESTORE_DRILL_CLUSTER].sort(),
        },
        { apiGroups: ['acid.zalan.do'], resources: ['postgresqls'], verbs: ['delete'], resourceNames: [RESTORE_DRILL_CLUSTER] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ownerSecrets },
      ],
      labels: props.labels,
      podLabels: { [ACCESS_CLIENT_LABEL]: RESTORE_DRILL_CLUSTER },
    });

    const policyName = restoreDrillPolicyName(props.namespace);
    const namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': props.namespace } };
    new ApiObject(this, 'Policy', {
      apiVersion: ADMISSION_POLICY_API_VERSION,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: policyName, labels: props.labels },
      spec: {
        // An unevaluable policy refuses: the drill fails, it never runs unfenced.
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: ['acid.zalan.do'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['postgresqls'] },
          ],
          namespaceSelector,
        },
        matchConditions: [
          {
            name: 'restore-drill-service-account',
            expression: `request.userInfo.username == ${quote(serviceAccountUser(props.namespace, RESTORE_DRILL_NAME))}`,
          },
        ],
        validations: zalandoRestoreDrillValidations(props).map((v) => ({ ...v, reason: 'Forbidden' })),
      },
    });
    new ApiObject(this, 'Binding', {
      apiVersion: ADMISSION_POLICY_API_VERSION,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: policyName, labels: props.labels },
      spec: { policyName, validationActions: ['Deny'], matchResources: { namespaceSelector } },
    });

    const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
    const drillPod = { podSelector: { matchLabels: { [ACCESS_CLIENT_LABEL]: RESTORE_DRILL_CLUSTER } } };
    // The namespace denies all ingress: the scratch Spilo pod needs the operator (Patroni API,
    // PostgreSQL) and the drill (the check).
    new k8s.KubeNetworkPolicy(this, 'Ingress', {
      metadata: { name: `${RESTORE_DRILL_NAME}-ingress`, namespace: props.namespace, labels: props.labels },
      spec: {
        podSelector: { matchLabels: { application: 'spilo', [ZALANDO_CLUSTER_LABEL]: RESTORE_DRILL_CLUSTER } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.operatorNamespace } } }],
            ports: tcp(POSTGRES_PORT, PATRONI_PORT),
          },
          { from: [drillPod], ports: tcp(POSTGRES_PORT) },
        ],
      },
    });
    // The drill marks the recovery target on each source's primary (recovery-target.ts).
    new k8s.KubeNetworkPolicy(this, 'ToSources', {
      metadata: { name: `${RESTORE_DRILL_NAME}-to-sources`, namespace: props.namespace, labels: props.labels },
      spec: {
        podSelector: {
          matchLabels: { application: 'spilo' },
          matchExpressions: [{ key: ZALANDO_CLUSTER_LABEL, operator: 'In', values: [...names].sort() }],
        },
        policyTypes: ['Ingress'],
        ingress: [{ from: [drillPod], ports: tcp(POSTGRES_PORT) }],
      },
    });
  }
}
