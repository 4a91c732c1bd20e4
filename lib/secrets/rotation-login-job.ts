import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { CNPG_POSTGRES_UID } from '../access/developer-access';
import { JOB_PGOPTIONS, quoteLiteral } from '../access/privileges-sql';
import { ACCESS_CLIENT_LABEL } from '../network/cluster-ingress-policy';
import { HOOK_ANNOTATION } from '../gitops/sync-policy';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../workloads/restricted';

/** Kubernetes puts a Job's name in its pods' `job-name` label, a label value: at most 63 characters. */
export const JOB_NAME_MAX = 63;

/**
 * `<service>-<suffix>` where it fits `max` characters, else the service name cut and a hash of it,
 * `<service…>-<8 hex>-<tag>`, unique per service. A service name may have 63 characters (45 under
 * per-service): `<service>-rotation-login` could exceed what the API server accepts, and the sync of
 * the rotation step failed (attack on 9ba0360).
 */
export function boundedServiceObjectName(service: string, suffix: string, tag: string, max: number): string {
  const full = `${service}-${suffix}`;
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(service).digest('hex').slice(0, 8);
  const head = service.slice(0, max - `-${hash}-${tag}`.length).replace(/-+$/, '');
  return `${head}-${hash}-${tag}`;
}

/** The rotation-login Job's name (also what `dbfleet rotate` looks up). */
export function rotationLoginJobName(service: string): string {
  return boundedServiceObjectName(service, 'rotation-login', 'rl', JOB_NAME_MAX);
}

/** Annotation on the Job: the rotation generation whose password it makes act as the owner (read by `dbfleet rotate`). */
export const ROTATION_GENERATION_ANNOTATION = 'dbfleet.io/rotation-generation';

/**
 * Annotation on the Job: the environment (DR site) it was rendered for. Both sites of a DR pair
 * may use the same namespace (a standby inherits it), and a demoted primary keeps its last
 * rotation-login Job (BeforeHookCreation; Argo CD never prunes a hook), so only this tells
 * `dbfleet rotate` that the Job it found ran at the site that now accepts writes.
 */
export const ROTATION_SITE_ANNOTATION = 'dbfleet.io/rotation-site';

export interface RotationLoginJobProps {
  readonly service: string;
  /** The owner role the second login role acts as. */
  readonly owner: string;
  /** basic-auth Secret of the second login role (its own credentials). */
  readonly slotSecretName: string;
  /** The rotation generation the slot's password belongs to: `dbfleet rotate` checks the Job ran for it. */
  readonly generation: number;
  /** The environment the Job is rendered for: `dbfleet rotate` checks it is the writable site. */
  readonly site: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** An image with psql: the cluster's own PostgreSQL image. */
  readonly image: string;
  readonly labels: Record<string, string>;
  /** The statement to run as the second login role. @default rotationLoginSql(owner) */
  readonly sql?: string;
}

/**
 * The statement the Job runs, logged in as the second login role. `SESSION_USER`, not
 * `CURRENT_USER`: once the default is in place every new session of the second role starts as
 * the owner, so `CURRENT_USER` would name the owner and a re-run would give the *owner* a
 * `role` default (issue 24: `orders | {role=payments}` was seen). `SET ROLE NONE` first: an
 * ordinary role may only alter its own defaults, checked against the current user (`RESET ROLE`
 * would return to the session default, i.e. the owner again). A re-run writes the same value:
 * a no-op. The search_path is pinned although nothing here resolves a name through it.
 */
export function rotationLoginSql(owner: string): string {
  return `SET LOCAL search_path = pg_catalog, pg_temp; SET ROLE NONE; ALTER ROLE SESSION_USER SET role = ${quoteLiteral(owner)}`;
}

/**
 * Makes a service's second login role (`<role>_alt`, credential-rotation.ts) act as the owner:
 * `ALTER ROLE SESSION_USER SET role = '<owner>'`, run as that role itself. PostgreSQL lets a role
 * set its own session defaults ("Ordinary roles can only set defaults for themselves", ALTER ROLE
 * docs) and `role` may name any role it is a member of, so no privileged role is needed; every
 * session of the second role then starts as the owner, and what it creates is owned by the owner.
 * The DatabaseRole the operator manages has no field for session defaults, hence this Job.
 *
 * A `Sync` hook in the Jobs' wave (3, sync-policy.ts), like the developer-access Job: after the
 * DatabaseRoles (wave 1), before the CronJobs' final wave. Not PostSync: while a PostSync hook runs,
 * Argo CD waits on the health of every synced object, a CronJob Degraded after one failed run
 * included (argo-cd@v3.5.1 resource_customizations/batch/CronJob/health.lua), and any Degraded
 * task fails the sync (argo-cd@v3.5.1 gitops-engine/pkg/sync/sync_context.go Sync: "completed
 * but unsuccessful"; only a final wave of non-hooks succeeds "EVEN if those objects subsequently
 * degrades"). Re-run on every sync while the role may log in (idempotent). It retries while the
 * operator is still creating the role or setting its password. Rendered only where the cluster
 * accepts writes (environment-chart.ts): ALTER ROLE fails on a replica cluster.
 */
export class RotationLoginJob extends Construct {
  readonly jobName: string;

  constructor(scope: Construct, id: string, props: RotationLoginJobProps) {
    super(scope, id);
    this.jobName = rotationLoginJobName(props.service);
    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: this.jobName,
        namespace: props.namespace,
        labels: props.labels,
        annotations: {
          [HOOK_ANNOTATION]: 'Sync',
          // Kept after success until the next sync: `dbfleet rotate` reads its status.
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
          [ROTATION_GENERATION_ANNOTATION]: String(props.generation),
          [ROTATION_SITE_ANNOTATION]: props.site,
        },
      },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 20 * 60,
        template: rotationPsqlPod({
          labels: props.labels,
          cluster: props.cluster,
          image: props.image,
          command: ['psql', '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-c', props.sql ?? rotationLoginSql(props.owner)],
          host: props.host,
          port: props.port,
          database: props.database,
          appName: 'dbfleet-rotation-login',
          loginSecretName: props.slotSecretName,
        }),
      },
    });
  }
}

/** What a rotation hook's psql pod needs: where to connect, as whom, and what to run. */
export interface RotationPsqlPodProps {
  readonly labels: Record<string, string>;
  /** The cluster whose NetworkPolicy admits the pod (`dbfleet.io/access-client`). */
  readonly cluster: string;
  /** An image with psql (and sh, for a script). */
  readonly image: string;
  readonly command: string[];
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** `PGAPPNAME`: what the server's logs and pg_stat_activity call the session. */
  readonly appName: string;
  /** Secret (username, password) the pod logs in with. */
  readonly loginSecretName: string;
  /**
   * More environment, after the connection settings.
   * @default - none
   */
  readonly extraEnv?: readonly k8s.EnvVar[];
}

/**
 * The pod of the rotation hooks (login check, retirement, the keeper's schedule): one psql
 * container, restricted, no service-account token, over TLS with channel binding and the pinned
 * PGOPTIONS of every dbfleet Job.
 */
export function rotationPsqlPod(props: RotationPsqlPodProps): k8s.PodTemplateSpec {
  const env = (name: string, value: string): k8s.EnvVar => ({ name, value });
  const fromSecret = (name: string, key: string): k8s.EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: props.loginSecretName, key } },
  });
  return {
    metadata: { labels: { ...props.labels, [ACCESS_CLIENT_LABEL]: props.cluster } },
    spec: {
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'psql',
          image: props.image,
          imagePullPolicy: 'IfNotPresent',
          command: props.command,
          env: [
            env('PGHOST', props.host),
            env('PGPORT', String(props.port)),
            env('PGDATABASE', props.database),
            env('PGSSLMODE', 'require'),
            env('PGCHANNELBINDING', 'require'),
            env('PGCONNECT_TIMEOUT', '10'),
            env('PGAPPNAME', props.appName),
            env('PGOPTIONS', JOB_PGOPTIONS),
            ...(props.extraEnv ?? []),
            fromSecret('PGUSER', 'username'),
            fromSecret('PGPASSWORD', 'password'),
            env('HOME', '/tmp'),
          ],
          securityContext: restrictedContainerSecurity(CNPG_POSTGRES_UID),
          resources: {
            limits: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('64Mi') },
            requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
          },
          volumeMounts: [{ mountPath: '/tmp', name: 'tmp' }],
        },
      ],
      dnsPolicy: 'ClusterFirst',
      hostNetwork: false,
      restartPolicy: 'Never',
      securityContext: restrictedPodSecurity(CNPG_POSTGRES_UID),
      setHostnameAsFqdn: false,
      terminationGracePeriodSeconds: 30,
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Mi') } }],
    },
  };
}
