import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { DeveloperAccess, PostgresCluster } from '../config/model';
import { ACCESS_CLIENT_LABEL } from '../network/cluster-ingress-policy';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../workloads/restricted';
import { HOOK_ANNOTATION, SERVER_SIDE_APPLY, SYNC_OPTIONS_ANNOTATION } from '../gitops/sync-policy';
import { groupBySize } from '../output/object-size';
import {
  type AccessSqlFile,
  APPLY_SCRIPT_KEY,
  JOB_PGOPTIONS,
  OWNER_CREDENTIALS_ENV,
  ownerCredentialsPath,
  privilegesSql,
  type PrivilegesSqlOptions,
} from './privileges-sql';

/** Pod label the cluster's NetworkPolicy admits to port 5432; the value is the cluster's name. */
export { ACCESS_CLIENT_LABEL };
/** UID and GID of `postgres` in the CloudNativePG PostgreSQL images. */
export const CNPG_POSTGRES_UID = 26;
/** Where the ConfigMap (script and SQL) is mounted. */
export const ACCESS_MOUNT_PATH = '/etc/dbfleet/access';
/** Where the owners' credentials are mounted: `<database>/username` and `<database>/password`. */
export const OWNER_CREDENTIALS_MOUNT_PATH = '/etc/dbfleet/owners';
/** Kubernetes appends an 11-character suffix to a CronJob's Jobs; the CronJob name may have at most 52. */
export const CRONJOB_NAME_MAX = 52;
/**
 * Budget, in bytes of JSON, of what one access Job carries per service database: its owner's
 * projected Secret source (name, two items) in the pod template and its `databases.tsv` line in
 * the ConfigMap. A 63-character service costs ~300 bytes, so one Job holds ~300 such databases
 * and every object (CronJob, Job, ConfigMap: ~10 KiB of fixed content each) stays far below the
 * 262144-byte limit of an object whatever the number of services (issue 24: one CronJob of a
 * 1000-service shared cluster was 261.6 KB). Small clusters fit in one Job, named as before.
 */
export const ACCESS_CHUNK_BYTES = 96 * 1024;

export interface DeveloperAccessProps {
  readonly cluster: PostgresCluster;
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
   * Per service database, the Secret (`username`, `password`) of the login that acts as its
   * owner: the owner role, or during a credential rotation the slot the app uses. The Job applies
   * each database's SQL logged in with it, and nothing else: never a superuser, never a role
   * with power over another service.
   * @default `<service>-db-credentials` for every service
   */
  readonly ownerSecretNames?: Readonly<Record<string, string>>;
  /** Roles that keep CONNECT on every service database (the operator's metrics exporter). @default none */
  readonly monitoringRoles?: readonly string[];
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
  /** Developer names from `developers:`, for `operatorGaps.directGrants`. @default none */
  readonly developers?: readonly string[];
  /** What the operator's declarations leave to the SQL. @default nothing (CloudNativePG) */
  readonly operatorGaps?: PrivilegesSqlOptions['operatorGaps'];
  /**
   * A first container, before the access SQL, for a backend where nothing else creates the roles
   * and databases (Aurora: provision.sh as dbfleet_admin). Its files join the ConfigMap; it sees
   * the owners' credentials and its own logins, the access container does not see those.
   * @default none
   */
  readonly provision?: AccessProvisioning;
}

/** The provisioning container of DeveloperAccessProps. */
export interface AccessProvisioning {
  /** Files added to the ConfigMap. */
  readonly files: readonly AccessSqlFile[];
  /** The ConfigMap key of the script it runs with sh. */
  readonly script: string;
  /** Logins it reads, as directory → Secret (`username`, `password`), mounted at LOGINS_MOUNT_PATH/<directory>. */
  readonly logins: Readonly<Record<string, string>>;
  /** The environment variable that names LOGINS_MOUNT_PATH to the script. */
  readonly loginsEnv: string;
  /**
   * The files of the provisioning container of every access Job after the first (a cluster whose
   * databases take several Jobs, ACCESS_CHUNK_BYTES): each Job provisions its own databases (the
   * script reads its own `databases.tsv`), cluster-wide roles are the first Job's.
   * @default files
   */
  readonly laterJobFiles?: readonly AccessSqlFile[];
}

/** Where a provisioning container's logins are mounted: `<directory>/username` and `<directory>/password`. */
export const LOGINS_MOUNT_PATH = '/etc/dbfleet/logins';

/**
 * Applies the developer-access SQL of one cluster (privileges-sql.ts) with psql, twice over:
 * - a Job that Argo CD runs as a Sync hook once the roles and databases exist (sync wave 3), so a
 *   change to fleet.yaml is in force right after the sync that rendered it. Not PostSync: a hook
 *   after the scheduled jobs' final wave would make Argo CD wait on their health (sync-policy.ts);
 * - a CronJob on the environment's `accessSchedule`, which covers objects created later by roles
 *   other than the service owner and repairs drift (a GRANT done by hand is revoked again).
 * Each database's SQL runs logged in as that database's owner (its Secret, mounted read-only
 * from a projected volume): no role with power over several services exists (issue 24,
 * docs/security.md). TLS with SCRAM channel binding, the search_path pinned in PGOPTIONS. Runs
 * in the cluster's namespace and carries `dbfleet.io/access-client: <cluster>`, the label the
 * cluster's NetworkPolicy admits.
 */
export class DeveloperAccessJobs extends Construct {
  /** The first (for most clusters the only) Job's ConfigMap, Sync-hook Job and CronJob. */
  readonly configMapName: string;
  readonly jobName: string;
  readonly cronJobName: string;
  /** Every Job's names, in order: one entry per group of databases (see ACCESS_CHUNK_BYTES). */
  readonly chunks: readonly { configMapName: string; jobName: string; cronJobName: string; databases: readonly string[] }[];

  constructor(scope: Construct, id: string, props: DeveloperAccessProps) {
    super(scope, id);
    const { cluster } = props;
    const ownerSource = (s: PostgresCluster['services'][number]): k8s.VolumeProjection => {
      const dir = ownerCredentialsPath(s.database);
      return {
        secret: {
          name: props.ownerSecretNames?.[s.database] ?? `${s.name}-db-credentials`,
          items: [
            { key: 'username', path: `${dir}/username` },
            { key: 'password', path: `${dir}/password` },
          ],
        },
      };
    };
    // Why several Jobs rather than one Job reading a list from chunked ConfigMaps: the owners'
    // Secrets must be named in the pod template (a projected volume has no "every Secret with this
    // label"), and reading them through the API instead would give the Job a ServiceAccount that
    // may read every owner's Secret. So the databases are split, in file order, into groups whose
    // Secret sources and list lines fit ACCESS_CHUNK_BYTES; each group is its own ConfigMap, Job
    // and CronJob, identical but for the list and the Secrets. Each database is still applied as
    // its own owner, and no pod sees more owners' Secrets than before (fewer).
    // No databases give one empty group: privilegesSql refuses an empty cluster with its own message.
    const groups = groupBySize(
      cluster.services,
      (s) => JSON.stringify(ownerSource(s)).length + s.database.length + s.role.length + s.extensions.join(',').length + 3,
      ACCESS_CHUNK_BYTES,
    );
    this.chunks = groups.map((services, i) => {
      const suffix = i === 0 ? '' : `-${i + 1}`;
      // A cluster name of the longest length allowed (CLUSTER_NAME_MAX, 45) leaves exactly
      // `-access` within 52: a later group's CronJob is then `<cluster>-acc-N` (up to 99 groups).
      // Refusing it instead would ask a fleet that outgrew one Job to rename its cluster, i.e. to
      // move its data to a new, empty one.
      const cronJobName =
        `${cluster.name}-access${suffix}`.length > CRONJOB_NAME_MAX ? `${cluster.name}-acc${suffix}` : `${cluster.name}-access${suffix}`;
      return {
        configMapName: `${cluster.name}-access-sql${suffix}`,
        jobName: `${cluster.name}-access-sync${suffix}`,
        cronJobName,
        databases: services.map((s) => s.database),
      };
    });
    ({ configMapName: this.configMapName, jobName: this.jobName, cronJobName: this.cronJobName } = this.chunks[0]);
    const longest = this.chunks[this.chunks.length - 1].cronJobName;
    if (longest.length > CRONJOB_NAME_MAX) {
      const extra = Math.max(0, longest.length - `${cluster.name}-access`.length);
      throw new Error(
        `cluster ${cluster.name}: CronJob name "${longest}" is longer than ${CRONJOB_NAME_MAX} characters (Kubernetes appends a suffix to its Jobs)${this.chunks.length > 1 ? `; its ${cluster.services.length} databases take ${this.chunks.length} access CronJobs` : ''}; shorten the cluster name to ${CRONJOB_NAME_MAX - '-access'.length - extra} characters`,
      );
    }
    groups.forEach((services, i) =>
      this.renderChunk(i === 0 ? '' : `-${i + 1}`, { ...cluster, services }, this.chunks[i], props, ownerSource, i === 0),
    );
  }

  private renderChunk(
    idSuffix: string,
    cluster: PostgresCluster,
    names: DeveloperAccessJobs['chunks'][number],
    props: DeveloperAccessProps,
    ownerSource: (s: PostgresCluster['services'][number]) => k8s.VolumeProjection,
    first: boolean,
  ): void {
    const access = props.access ?? props.cluster.developerAccess;
    // Every Job provisions (Aurora) the owners and databases of its own list, from its own
    // databases.tsv and with its own owners' Secrets: nothing else creates them (attack on 89ecc0a:
    // provisioning in the first Job only left every later group's databases uncreated). Roles of
    // the whole cluster (developers) are the first Job's; another Job's preflight fails until they
    // exist, and its back-off retries (as while the operator creates them on the other backends).
    const provision =
      props.provision && !first ? { ...props.provision, files: props.provision.laterJobFiles ?? props.provision.files } : props.provision;
    const sql = privilegesSql(cluster, access, {
      monitoringRoles: props.monitoringRoles,
      developers: props.developers,
      operatorGaps: props.operatorGaps,
      // A provisioning container created the databases before the access SQL runs (Aurora, where
      // PUBLIC has no CONNECT on `postgres`): the preflight runs in each owner's own database.
      preflightInOwnDatabase: props.provision !== undefined,
    });
    new k8s.KubeConfigMap(this, `Sql${idSuffix}`, {
      // Grows by one short line per service: applied server-side, so the 262144-byte
      // last-applied annotation of client-side apply is never the limit (argo-cd@v3.5.1:
      // docs/user-guide/sync-options.md, Server-Side Apply).
      metadata: {
        name: names.configMapName,
        namespace: cluster.namespace,
        labels: props.labels,
        annotations: { [SYNC_OPTIONS_ANNOTATION]: SERVER_SIDE_APPLY },
      },
      data: Object.fromEntries([...sql.files, ...(provision?.files ?? [])].map((f) => [f.key, f.content])),
      // Re-rendered in place on every change of the fleet; the Jobs read it at start.
      immutable: false,
    });

    // Kubernetes' own types rather than cdk8s-plus workloads: with one cluster per service, a
    // large fleet renders thousands of these, and cdk8s-plus costs ~1 ms per workload to build
    // and resolve. The pod is spelled out in full, defaults included, as cdk8s-plus would.
    const env = (name: string, value: string): k8s.EnvVar => ({ name, value });
    // One projected volume: `<database>/username` and `<database>/password` of each owner's login.
    const ownerSources: k8s.VolumeProjection[] = cluster.services.map(ownerSource);
    const container = (name: string, script: string, extraEnv: k8s.EnvVar[], extraMounts: k8s.VolumeMount[]): k8s.Container => ({
      name,
      image: props.image ?? cluster.imageName,
      imagePullPolicy: 'IfNotPresent',
      command: ['sh', `${ACCESS_MOUNT_PATH}/${script}`],
      env: [
        env('PGHOST', props.host ?? `${cluster.name}-rw`),
        env('PGPORT', '5432'),
        // The operator's TLS is always on; `require` encrypts without needing the CA mounted,
        // and SCRAM channel binding (tls-server-end-point) ties the login to that TLS
        // session, so a server in the middle cannot relay the exchange.
        env('PGSSLMODE', 'require'),
        env('PGCHANNELBINDING', 'require'),
        env('PGCONNECT_TIMEOUT', '10'),
        env('PGAPPNAME', 'dbfleet-developer-access'),
        // search_path pinned for the whole session (every file pins it again per transaction);
        // never queue behind a long migration: fail, and let the retry or the next run converge.
        env('PGOPTIONS', JOB_PGOPTIONS),
        env(OWNER_CREDENTIALS_ENV, OWNER_CREDENTIALS_MOUNT_PATH),
        // The root filesystem is read-only; libpq and the shell may look at HOME and TMPDIR.
        env('HOME', '/tmp'),
        env('TMPDIR', '/tmp'),
        ...extraEnv,
      ],
      // The CloudNativePG images run as postgres (26): still non-root, every other restriction kept.
      securityContext: restrictedContainerSecurity(CNPG_POSTGRES_UID),
      resources: {
        limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('128Mi') },
        requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
      },
      volumeMounts: [
        { mountPath: ACCESS_MOUNT_PATH, name: 'sql', readOnly: true },
        { mountPath: OWNER_CREDENTIALS_MOUNT_PATH, name: 'owners', readOnly: true },
        ...extraMounts,
        { mountPath: '/tmp', name: 'tmp' },
      ],
    });
    const podTemplate: k8s.PodTemplateSpec = {
      metadata: { labels: { ...props.labels, [ACCESS_CLIENT_LABEL]: cluster.name } },
      spec: {
        automountServiceAccountToken: false,
        initContainers: provision
          ? [
              container(
                'provision',
                provision.script,
                [env(provision.loginsEnv, LOGINS_MOUNT_PATH)],
                [{ mountPath: LOGINS_MOUNT_PATH, name: 'logins', readOnly: true }],
              ),
            ]
          : undefined,
        containers: [container('psql', APPLY_SCRIPT_KEY, [], [])],
        dnsPolicy: 'ClusterFirst',
        hostNetwork: false,
        restartPolicy: 'Never',
        securityContext: restrictedPodSecurity(CNPG_POSTGRES_UID),
        setHostnameAsFqdn: false,
        terminationGracePeriodSeconds: 30,
        volumes: [
          { name: 'sql', configMap: { name: names.configMapName, defaultMode: 0o444 } },
          // Readable by the container's user only (the pod's fsGroup owns projected files).
          { name: 'owners', projected: { sources: ownerSources, defaultMode: 0o440 } },
          ...(provision
            ? [
                {
                  name: 'logins',
                  projected: {
                    sources: Object.entries(provision.logins).map(([dir, secret]) => ({
                      secret: {
                        name: secret,
                        items: [
                          { key: 'username', path: `${dir}/username` },
                          { key: 'password', path: `${dir}/password` },
                        ],
                      },
                    })),
                    defaultMode: 0o440,
                  },
                },
              ]
            : []),
          { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
        ],
      },
    };

    // Sync hook (its wave comes from sync-policy.ts). BeforeHookCreation: the Job has a fixed name and an immutable pod template,
    // so the previous run must be deleted before the next sync creates it again; unlike
    // HookSucceeded it keeps the last run (and its logs) until then, failed or not.
    const hookScope = new Construct(this, `Hook${idSuffix}`);
    new k8s.KubeJob(hookScope, 'Resource', {
      metadata: {
        name: names.jobName,
        namespace: cluster.namespace,
        labels: props.labels,
        annotations: {
          [HOOK_ANNOTATION]: 'Sync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        },
      },
      spec: {
        // Right after the first sync the operator may still be creating roles and databases: the
        // preflight fails and the back-off (10s, 20s, ... ≈ 10 min over 6 retries) waits for it.
        backoffLimit: 6,
        activeDeadlineSeconds: 20 * 60,
        template: podTemplate,
      },
    });

    const cronScope = new Construct(this, `Schedule${idSuffix}`);
    new k8s.KubeCronJob(cronScope, 'Resource', {
      metadata: { name: names.cronJobName, namespace: cluster.namespace, labels: props.labels },
      spec: {
        schedule: props.schedule,
        timeZone: 'Etc/UTC',
        // Two runs at once would only contend for the same catalog rows.
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 10 * 60,
        suspend: false,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: { spec: { backoffLimit: 2, activeDeadlineSeconds: 10 * 60, template: podTemplate } },
      },
    });
  }
}
