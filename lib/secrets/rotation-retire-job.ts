import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { CNPG_POSTGRES_UID } from '../access/developer-access';
import { JOB_PGOPTIONS } from '../access/privileges-sql';
import { ACCESS_CLIENT_LABEL } from '../network/cluster-ingress-policy';
import { HOOK_ANNOTATION } from '../gitops/sync-policy';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../workloads/restricted';
import { ROTATION_GENERATION_ANNOTATION, ROTATION_SITE_ANNOTATION } from './rotation-login-job';

export interface RotationRetireJobProps {
  readonly service: string;
  /** Secret (username, password) of the login being retired: its last generation's password. */
  readonly slotSecretName: string;
  /** The generation whose `done` step this is (the retired login held generation - 1). */
  readonly generation: number;
  /** The environment the Job is rendered for. */
  readonly site: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** An image with psql and sh. */
  readonly image: string;
  readonly labels: Record<string, string>;
}

/**
 * The statement the retired login runs on itself. `SET ROLE NONE` first: a second login role's
 * sessions start as the owner (its `role` default), and an ordinary role may only change the
 * password of the current user ("an unprivileged user can change their own password", PostgreSQL
 * src/backend/commands/user.c AlterRole). PASSWORD NULL: "password authentication will always fail
 * for that user" (CREATE ROLE docs), for every host and through PgBouncer's auth_query alike.
 */
export const ROTATION_RETIRE_SQL = 'SET LOCAL search_path = pg_catalog, pg_temp; SET ROLE NONE; ALTER ROLE SESSION_USER PASSWORD NULL';

/**
 * The script: log in with the retired password and clear it, then prove that it no longer logs
 * in. A run that cannot log in because the password is refused has nothing left to do: the only
 * password this role ever had from the store is the one in the Secret, so a refusal is exactly the
 * state the step wants (a re-run at the next sync, as a Sync hook is, succeeds). Any other failure
 * (no server, a timeout) fails the Job, and Argo CD's sync with it.
 */
export const ROTATION_RETIRE_SCRIPT = [
  'set -u',
  // libpq's message for a refused password ("password authentication failed for user …")
  'refused() { case "$1" in *"authentication failed for user"*) return 0;; *) return 1;; esac; }',
  'if out=$(psql -v ON_ERROR_STOP=1 -X -q -c "$RETIRE_SQL" 2>&1); then',
  '  echo "retired: $PGUSER logged in one last time and cleared its own login"',
  'elif refused "$out"; then',
  '  echo "already retired: $PGUSER no longer logs in"; exit 0',
  'else',
  '  echo "$out" >&2; exit 1',
  'fi',
  'if out=$(psql -X -q -c "SELECT 1" 2>&1); then echo "$PGUSER still logs in" >&2; exit 1; fi',
  'refused "$out" || { echo "$out" >&2; exit 1; }',
  'echo "checked: $PGUSER no longer logs in"',
].join('\n');

/**
 * The `done` step where the operator cannot take a login away (Zalando: zalando-rotation.ts): the
 * retired login clears its own password. A `Sync` hook in the Jobs' wave, like the rotation-login
 * Job (see there why not PostSync), rendered only at the `done` step and only where the cluster
 * accepts writes. No privileged role: it logs in as the very role it retires.
 */
export class RotationRetireJob extends Construct {
  readonly jobName: string;

  constructor(scope: Construct, id: string, props: RotationRetireJobProps) {
    super(scope, id);
    this.jobName = `${props.service}-rotation-retire`;
    const env = (name: string, value: string): k8s.EnvVar => ({ name, value });
    const fromSecret = (name: string, key: string): k8s.EnvVar => ({
      name,
      valueFrom: { secretKeyRef: { name: props.slotSecretName, key } },
    });
    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: this.jobName,
        namespace: props.namespace,
        labels: props.labels,
        annotations: {
          [HOOK_ANNOTATION]: 'Sync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
          [ROTATION_GENERATION_ANNOTATION]: String(props.generation),
          [ROTATION_SITE_ANNOTATION]: props.site,
        },
      },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 20 * 60,
        template: {
          metadata: { labels: { ...props.labels, [ACCESS_CLIENT_LABEL]: props.cluster } },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'psql',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', ROTATION_RETIRE_SCRIPT],
                env: [
                  env('PGHOST', props.host),
                  env('PGPORT', String(props.port)),
                  env('PGDATABASE', props.database),
                  env('PGSSLMODE', 'require'),
                  env('PGCHANNELBINDING', 'require'),
                  env('PGCONNECT_TIMEOUT', '10'),
                  env('PGAPPNAME', 'dbfleet-rotation-retire'),
                  env('PGOPTIONS', JOB_PGOPTIONS),
                  env('RETIRE_SQL', ROTATION_RETIRE_SQL),
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
        },
      },
    });
  }
}
