// The invariant `names-within-limits`: every name dbfleet renders, and every name an operator
// derives from inputs dbfleet chooses, is one the API server, the operator's webhook or its
// controller (or AWS, for ACK's identifiers) accepts. Three schemes bound names in lib/ (the
// `-acc-N` CronJobs, `-dev-sessions`, boundedServiceObjectName), each found after a name rendered
// that would have been refused; this rule holds every object to the limits at once, and the random
// fleets (test/support/arbitrary-fleet.ts) reach the longest names the config allows.
//
// Kubernetes' own rules (k8s.io/apimachinery util/validation, as lib/validate/object-metadata.ts
// ports them): a DNS-1123 subdomain (<= 253) for most kinds, a DNS-1123 label for a Namespace, a
// DNS-1035 label for a Service, a CronJob <= 52 (an 11-character suffix names its Jobs), a Job
// <= 63 (its name is its pods' `job-name` and `batch.kubernetes.io/job-name` label), label values
// <= 63 and of the label syntax, wherever labels or selectors appear (pod templates included).
import type { KubernetesObject, RenderedObject } from '../../lib/output/render';
import { groupKind } from '../../lib/gitops/sync-policy';
import { nameRuleFor } from '../../lib/validate/object-metadata';
import type { Invariant, Violation } from './invariants';

type Obj = KubernetesObject & { spec?: any };

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A Job's name is its pods' `job-name` label value: at most 63 characters. */
export const JOB_NAME_MAX = 63;
/** k8s.io/apimachinery validation: a label value, a DNS-1123/1035 label. */
export const LABEL_MAX = 63;
/** PostgreSQL identifiers: NAMEDATALEN - 1 bytes; a longer one is truncated, silently but for a NOTICE. */
const IDENTIFIER_MAX_BYTES = 63;

const label = (v: string, max = LABEL_MAX) =>
  v.length > max ? `${v.length} characters, more than ${max}` : DNS1123_LABEL.test(v) ? undefined : 'not a DNS-1123 label';
const label1035 = (v: string, max = LABEL_MAX) =>
  v.length > max
    ? `${v.length} characters, more than ${max}`
    : DNS1035_LABEL.test(v)
      ? undefined
      : 'not a DNS-1035 label (a lower-case letter first, then letters, digits and "-")';
const subdomain = (v: string) =>
  v.length > 253 ? `${v.length} characters, more than 253` : DNS1123_SUBDOMAIN.test(v) ? undefined : 'not a DNS-1123 subdomain';
const labelValue = (v: string) =>
  v.length > LABEL_MAX ? `${v.length} characters, more than ${LABEL_MAX}` : LABEL_VALUE.test(v) ? undefined : 'not a valid label value';
const labelKey = (k: string) => {
  const slash = k.indexOf('/');
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (slash >= 0 && subdomain(k.slice(0, slash))) return `prefix ${subdomain(k.slice(0, slash))}`;
  return name.length > LABEL_MAX ? `name part longer than ${LABEL_MAX}` : QUALIFIED_NAME.test(name) ? undefined : 'not a qualified name';
};
/**
 * RDS identifiers (DBCluster, DBInstance, GlobalCluster): 1 to 63 letters, digits or hyphens, a
 * letter first, no trailing hyphen, no two consecutive hyphens (aws-controllers-k8s/rds-controller@v1.11.1
 * apis/v1alpha1/db_cluster.go DBClusterIdentifier, db_instance.go DBInstanceIdentifier, the AWS API's
 * constraints ACK copies; RDS refuses the create, ACK only reports it in a condition).
 */
const rdsIdentifier = (v: string) =>
  v.length > 63
    ? `${v.length} characters, more than 63`
    : /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*$/.test(v) && !v.endsWith('-')
      ? undefined
      : 'not an RDS identifier (a letter first, letters, digits, single hyphens, no trailing hyphen)';
const identifier = (v: string) =>
  Buffer.byteLength(v) > IDENTIFIER_MAX_BYTES ? `${Buffer.byteLength(v)} bytes, more than PostgreSQL's ${IDENTIFIER_MAX_BYTES}` : undefined;

/** Labels and selectors anywhere in an object: `metadata.labels` at any depth, `matchLabels`, `matchExpressions` values. */
function labelProblems(value: unknown, path: string, out: string[], inMetadata = false): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => labelProblems(v, `${path}[${i}]`, out));
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = path ? `${path}.${key}` : key;
    const isLabelMap = (inMetadata && key === 'labels') || key === 'matchLabels';
    if (isLabelMap && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, lv] of Object.entries(v as Record<string, unknown>)) {
        // An ApplicationSet's template is filled in by Argo CD: `{{…}}` is not a label yet.
        if (typeof lv !== 'string' || lv.includes('{{') || k.includes('{{')) continue;
        const bad = labelKey(k) ?? labelValue(lv);
        if (bad) out.push(`${at}["${k}"] = "${lv}": ${bad}`);
      }
      continue;
    }
    if (key === 'matchExpressions' && Array.isArray(v)) {
      for (const e of v as Array<{ key?: string; operator?: string; values?: unknown[] }>)
        for (const lv of e.values ?? [])
          if (typeof lv === 'string' && (e.operator === 'In' || e.operator === 'NotIn') && labelValue(lv))
            out.push(`${at} ${e.key} ${e.operator} "${lv}": ${labelValue(lv)}`);
      continue;
    }
    labelProblems(v, at, out, key === 'metadata' || key === 'inheritedMetadata');
  }
}

/** Problems with one rendered object's names, and with the names its operator derives from it. */
export function nameProblems(o: Obj): string[] {
  const out: string[] = [];
  const name = o.metadata.name;
  const check = (what: string, value: string, rule: (v: string) => string | undefined) => {
    const bad = rule(value);
    if (bad) out.push(`${what} "${value}": ${bad}`);
  };
  const kind = groupKind(o.apiVersion, o.kind);
  check(`${o.kind} name`, name, (v) => nameRuleFor(o.apiVersion, o.kind)(v));
  if (o.metadata.namespace !== undefined) check('namespace', o.metadata.namespace, (v) => label(v));
  labelProblems(o, '', out);
  if (kind === '/Service' && o.spec?.selector) labelProblems({ matchLabels: o.spec.selector }, 'spec.selector', out);
  switch (kind) {
    case 'batch/Job':
      check("Job name (its pods' job-name label)", name, (v) =>
        v.length > JOB_NAME_MAX ? `${v.length} characters, more than ${JOB_NAME_MAX}` : undefined,
      );
      break;
    case 'external-secrets.io/ExternalSecret':
      if (o.spec?.target?.name) check('target Secret name', o.spec.target.name, subdomain);
      break;
    case 'postgresql.cnpg.io/Cluster': {
      // cloudnative-pg@v1.30.0 internal/webhook/v1/cluster_webhook.go validateName: a DNS-1035
      // label of at most 50 characters (its Services `<name>-rw|-ro|-r` must be DNS-1035 labels).
      check('CloudNativePG Cluster name', name, (v) => label1035(v, 50));
      // pkg/specs/jobs.go getJobName: `<instance>-<role>`, instance `<cluster>-<serial>`
      // (GetInstanceName); the Job name must fit 63. The bootstrap Job runs as serial 1, a replica
      // joins with its own serial (at least the instance count).
      const bootstrap = o.spec?.bootstrap ?? {};
      const role = bootstrap.recovery
        ? bootstrap.recovery.volumeSnapshots
          ? 'snapshot-recovery'
          : 'full-recovery'
        : bootstrap.pg_basebackup
          ? 'pgbasebackup'
          : 'initdb';
      check('CloudNativePG bootstrap Job', `${name}-1-${role}`, (v) => label(v, JOB_NAME_MAX));
      if ((o.spec?.instances ?? 1) > 1) check('CloudNativePG join Job', `${name}-${o.spec.instances}-join`, (v) => label(v, JOB_NAME_MAX));
      for (const r of o.spec?.managed?.roles ?? []) check('managed role', String(r?.name), identifier);
      break;
    }
    case 'postgresql.cnpg.io/Pooler':
      // pkg/specs/pgbouncer/services.go: the Pooler's Service (and Deployment) is named like it.
      check('CloudNativePG Pooler (its Service)', name, (v) => label1035(v));
      break;
    case 'postgresql.cnpg.io/ScheduledBackup':
      // internal/controller/scheduledbackup_controller.go: each Backup is labelled
      // cnpg.io/scheduled-backup=<name>; api/v1/scheduledbackup_funcs.go BackupName names it
      // `<name>-<YYYYMMDDhhmmss>`, and a volume-snapshot Backup's name is its VolumeSnapshots'
      // cnpg.io/backupName label (pkg/reconciler/backup/volumesnapshot/reconciler.go enrichSnapshot).
      check("ScheduledBackup (its Backups' cnpg.io/scheduled-backup label)", name, labelValue);
      check('Backup name', `${name}-20261207120000`, o.spec?.method === 'volumeSnapshot' ? labelValue : subdomain);
      break;
    case 'postgresql.cnpg.io/Database':
      check('database', String(o.spec?.name), identifier);
      check('database owner', String(o.spec?.owner), identifier);
      break;
    case 'postgresql.cnpg.io/DatabaseRole':
      check('role', String(o.spec?.name), identifier);
      break;
    case 'acid.zalan.do/postgresql': {
      // postgres-operator@v2.0.1 pkg/apis/acid.zalan.do/v1/util.go ExtractClusterName (const.go:
      // a DNS-1035 label of at most 63 - len("-repl")); pkg/cluster/k8sres.go serviceName:
      // Services `<name>`, `<name>-repl`, `<name>-config`; connection_pooler.go connectionPoolerName:
      // `<name>-pooler[-repl]` (Deployment and Service).
      check('Zalando cluster name', name, (v) => label1035(v, 63 - '-repl'.length));
      check('Zalando Service', `${name}-config`, (v) => label1035(v));
      if (o.spec?.enableConnectionPooler || o.spec?.enableReplicaConnectionPooler)
        check('Zalando pooler Service', `${name}-pooler-repl`, (v) => label1035(v));
      // pkg/cluster/cluster.go initRobotUsers: userRegexp; pkg/cluster/util.go
      // credentialSecretNameForCluster: `<user, _ as ->.<cluster>.credentials.postgresql.acid.zalan.do`.
      for (const user of [...Object.keys(o.spec?.users ?? {}), 'postgres', 'standby']) {
        check('Zalando user', user, (v) =>
          /^[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$/.test(v)
            ? identifier(v)
            : 'not a user name the operator accepts',
        );
        check('Zalando credentials Secret', `${user.replace(/_/g, '-')}.${name}.credentials.postgresql.acid.zalan.do`, subdomain);
      }
      for (const [db, owner] of Object.entries((o.spec?.databases ?? {}) as Record<string, string>)) {
        check('database', db, identifier);
        check('database owner', owner, identifier);
      }
      break;
    }
    case 'rds.services.k8s.aws/DBCluster':
      check('RDS DB cluster identifier', String(o.spec?.dbClusterIdentifier), rdsIdentifier);
      break;
    case 'rds.services.k8s.aws/DBInstance':
      check('RDS DB instance identifier', String(o.spec?.dbInstanceIdentifier), rdsIdentifier);
      break;
    case 'rds.services.k8s.aws/GlobalCluster':
      check('RDS global cluster identifier', String(o.spec?.globalClusterIdentifier), rdsIdentifier);
      break;
    case 'rds.services.k8s.aws/DBSubnetGroup':
    case 'rds.services.k8s.aws/DBClusterParameterGroup':
      // db_subnet_group.go / db_cluster_parameter_group.go Name: at most 255 characters.
      check(`${o.kind} name`, String(o.spec?.name), (v) => (v.length > 255 ? `${v.length} characters, more than 255` : undefined));
      break;
  }
  return out;
}

export const namesWithinLimits: Invariant = {
  id: 'names-within-limits',
  description:
    "Every rendered name is one the API server accepts for its kind (DNS-1123 subdomain or label, Service DNS-1035, Job <= 63, CronJob <= 52, label keys and values wherever they appear), and every name an operator derives from it is one the operator and the API server accept (CloudNativePG's Cluster <= 50 and its Jobs, Pooler Services, Backups; Zalando's Services, poolers, users and credentials Secrets; RDS identifiers; PostgreSQL identifiers <= 63 bytes).",
  check: ({ objects }) =>
    objects.flatMap((r: RenderedObject): Violation[] =>
      nameProblems(r.object as Obj).map((message) => ({ rule: 'names-within-limits', object: r.path, message })),
    ),
};
