import { Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { DeveloperAccess, PostgresCluster } from '../config/model';
import { withoutAddressLabel } from '../workloads/without-address-label';
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_PROPS, RESTRICTED_POD_SECURITY } from '../workloads/restricted';
import { APPLY_SCRIPT_KEY, privilegesSql } from './privileges-sql';

/** Pod label the cluster's NetworkPolicy admits to port 5432; the value is the cluster's name. */
import { ACCESS_CLIENT_LABEL } from '../network/cluster-ingress-policy';

export { ACCESS_CLIENT_LABEL };
/** UID and GID of `postgres` in the CloudNativePG PostgreSQL images. */
export const CNPG_POSTGRES_UID = 26;
/** Where the ConfigMap (script and SQL) is mounted. */
export const ACCESS_MOUNT_PATH = '/etc/dbfleet/access';
/** Kubernetes appends an 11-character suffix to a CronJob's Jobs; the CronJob name may have at most 52. */
const CRONJOB_NAME_MAX = 52;

export interface DeveloperAccessProps {
  readonly cluster: PostgresCluster;
  /** Developer names from `developers:` (the fleet's); other `dev_*` members of the group lose access. */
  readonly developers: readonly string[];
  /** 5-field cron of the CronJob that re-applies the SQL (the environment's `accessSchedule`). */
  readonly schedule: string;
  /** Labels of every object (and of the pods, next to the access-client label). */
  readonly labels: Record<string, string>;
  /**
   * The access mode the SQL establishes.
   * @default cluster.developerAccess
   */
  readonly access?: DeveloperAccess;
  /**
   * Secret with `username`/`password` of a superuser. CloudNativePG creates `<cluster>-superuser`
   * only with `spec.enableSuperuserAccess: true`.
   * @default `${cluster.name}-superuser`
   */
  readonly superuserSecretName?: string;
  /**
   * Host psql connects to: the primary, where GRANTs can be written.
   * @default `${cluster.name}-rw` (the Service in the cluster's namespace)
   */
  readonly host?: string;
  /**
   * Image with psql and sh.
   * @default cluster.imageName (the cluster's own PostgreSQL image: psql of the same major)
   */
  readonly image?: string;
}

/**
 * Applies the developer-access SQL of one cluster (privileges-sql.ts) with psql, twice over:
 * - a Job that Argo CD runs as a PostSync hook, so a change to fleet.yaml is in force right after
 *   the sync that rendered it;
 * - a CronJob on the environment's `accessSchedule`, which covers objects created later by roles
 *   other than the service owner and repairs drift (a GRANT done by hand is revoked again).
 * Both connect as the superuser: GRANTs on another role's objects and ALTER DEFAULT PRIVILEGES
 * FOR ROLE <owner> need either ownership or superuser, and the service roles must not hold the
 * developer group's privileges. Runs in the cluster's namespace and carries
 * `dbfleet.io/access-client: <cluster>`, the label the cluster's NetworkPolicy admits.
 */
export class DeveloperAccessJobs extends Construct {
  readonly configMapName: string;
  readonly jobName: string;
  readonly cronJobName: string;

  constructor(scope: Construct, id: string, props: DeveloperAccessProps) {
    super(scope, id);
    const { cluster } = props;
    const access = props.access ?? cluster.developerAccess;
    this.configMapName = `${cluster.name}-access-sql`;
    this.jobName = `${cluster.name}-access-sync`;
    this.cronJobName = `${cluster.name}-access`;
    if (this.cronJobName.length > CRONJOB_NAME_MAX) {
      throw new Error(`cluster ${cluster.name}: CronJob name "${this.cronJobName}" is longer than ${CRONJOB_NAME_MAX} characters (Kubernetes appends a suffix to its Jobs); shorten the cluster name to ${CRONJOB_NAME_MAX - '-access'.length} characters`);
    }

    const sql = privilegesSql(cluster, access, { developers: props.developers });
    const configMap = new kplus.ConfigMap(this, 'Sql', {
      metadata: { name: this.configMapName, namespace: cluster.namespace, labels: props.labels },
      data: Object.fromEntries([[APPLY_SCRIPT_KEY, sql.script], ...sql.files.map((f) => [f.key, f.sql])]),
    });

    const superuser = kplus.Secret.fromSecretName(this, 'Superuser', props.superuserSecretName ?? `${cluster.name}-superuser`);
    const podLabels = { ...props.labels, [ACCESS_CLIENT_LABEL]: cluster.name };
    // The root filesystem is read-only; psql needs no writable directory for a --file run, but
    // libpq and the shell may look at HOME and TMPDIR, so both point at a small emptyDir.
    const tmp = (scope: Construct) => kplus.Volume.fromEmptyDir(scope, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(16) });
    const sqlVolume = (scope: Construct) => kplus.Volume.fromConfigMap(scope, 'SqlVolume', configMap, { name: 'sql', defaultMode: 0o444 });

    const container = (scope: Construct): kplus.ContainerProps => ({
      name: 'psql',
      image: props.image ?? cluster.imageName,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['sh', `${ACCESS_MOUNT_PATH}/${APPLY_SCRIPT_KEY}`],
      envVariables: {
        PGHOST: kplus.EnvValue.fromValue(props.host ?? `${cluster.name}-rw`),
        PGPORT: kplus.EnvValue.fromValue('5432'),
        // The operator's TLS is always on; `require` encrypts without needing the CA mounted.
        PGSSLMODE: kplus.EnvValue.fromValue('require'),
        PGCONNECT_TIMEOUT: kplus.EnvValue.fromValue('10'),
        PGAPPNAME: kplus.EnvValue.fromValue('dbfleet-developer-access'),
        // Never queue behind a long migration: fail, and let the retry or the next run converge.
        PGOPTIONS: kplus.EnvValue.fromValue('-c lock_timeout=10s -c statement_timeout=300s'),
        PGUSER: kplus.EnvValue.fromSecretValue({ secret: superuser, key: 'username' }),
        PGPASSWORD: kplus.EnvValue.fromSecretValue({ secret: superuser, key: 'password' }),
        HOME: kplus.EnvValue.fromValue('/tmp'),
        TMPDIR: kplus.EnvValue.fromValue('/tmp'),
      },
      // The CloudNativePG images run as postgres (26); still non-root, every other restriction kept.
      securityContext: { ...RESTRICTED_CONTAINER_SECURITY, user: CNPG_POSTGRES_UID, group: CNPG_POSTGRES_UID },
      resources: {
        cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(200) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
      },
      volumeMounts: [
        { path: ACCESS_MOUNT_PATH, volume: sqlVolume(scope), readOnly: true },
        { path: '/tmp', volume: tmp(scope) },
      ],
    });
    const pod = {
      ...RESTRICTED_POD_PROPS,
      securityContext: { ...RESTRICTED_POD_SECURITY, user: CNPG_POSTGRES_UID, group: CNPG_POSTGRES_UID, fsGroup: CNPG_POSTGRES_UID },
      restartPolicy: kplus.RestartPolicy.NEVER,
    };

    // PostSync hook. BeforeHookCreation: the Job has a fixed name and an immutable pod template,
    // so the previous run must be deleted before the next sync creates it again; unlike
    // HookSucceeded it keeps the last run (and its logs) until then, failed or not.
    const hookScope = new Construct(this, 'Hook');
    const job = new kplus.Job(hookScope, 'Resource', {
      metadata: {
        name: this.jobName,
        namespace: cluster.namespace,
        labels: props.labels,
        annotations: {
          'argocd.argoproj.io/hook': 'PostSync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        },
      },
      podMetadata: { labels: podLabels },
      // Right after the first sync the operator may still be creating roles and databases: the
      // preflight fails and the back-off (10s, 20s, ... ≈ 10 min over 6 retries) waits for it.
      backoffLimit: 6,
      activeDeadline: Duration.minutes(20),
      ...pod,
      containers: [container(hookScope)],
    });

    const [minute, hour, day, month, weekDay] = props.schedule.trim().split(/\s+/);
    const cronScope = new Construct(this, 'Schedule');
    const cronJob = new kplus.CronJob(cronScope, 'Resource', {
      metadata: { name: this.cronJobName, namespace: cluster.namespace, labels: props.labels },
      podMetadata: { labels: podLabels },
      schedule: Cron.schedule({ minute, hour, day, month, weekDay }),
      timeZone: 'Etc/UTC',
      // Two runs at once would only contend for the same catalog rows.
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline: Duration.minutes(10),
      suspend: false,
      successfulJobsRetained: 1,
      failedJobsRetained: 3,
      backoffLimit: 2,
      activeDeadline: Duration.minutes(10),
      ...pod,
      containers: [container(cronScope)],
    });

    withoutAddressLabel(job, '/spec/template');
    withoutAddressLabel(cronJob, '/spec/jobTemplate/spec/template');
  }
}
