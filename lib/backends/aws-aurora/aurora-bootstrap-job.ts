// The one Job that may log in as an Aurora cluster's master user: it creates the platform roles
// dbfleet_admin and dbfleet_exporter (aurora-sql.ts, bootstrapFiles) and nothing else, and it
// opens the master login only when they are missing or broken. A Sync hook (no CronJob: the
// master credentials are never used on a schedule); the access Job's provisioning container
// retries until dbfleet_admin exists.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ACCESS_CLIENT_LABEL, CNPG_POSTGRES_UID, LOGINS_MOUNT_PATH } from '../../access/developer-access';
import { JOB_PGOPTIONS } from '../../access/privileges-sql';
import { HOOK_ANNOTATION } from '../../gitops/sync-policy';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../../workloads/restricted';
import { BOOTSTRAP_LOGINS, BOOTSTRAP_SCRIPT_KEY, bootstrapFiles, LOGINS_ENV } from './aurora-sql';

const MOUNT_PATH = '/etc/dbfleet/bootstrap';

export interface AuroraBootstrapJobProps {
  readonly cluster: string;
  readonly namespace: string;
  /** The writer endpoint. */
  readonly host: string;
  /** Image with psql and sh (the PostgreSQL image of the cluster's major). */
  readonly image: string;
  readonly iamAuthentication: boolean;
  /** The Secret (`username`, `password`) of each login: master, admin, exporter. */
  readonly loginSecrets: Readonly<Record<(typeof BOOTSTRAP_LOGINS)[number], string>>;
  readonly labels: Record<string, string>;
}

export class AuroraBootstrapJob extends Construct {
  readonly jobName: string;

  constructor(scope: Construct, id: string, props: AuroraBootstrapJobProps) {
    super(scope, id);
    this.jobName = `${props.cluster}-bootstrap`;
    const configMap = `${props.cluster}-bootstrap-sql`;
    new k8s.KubeConfigMap(this, 'Sql', {
      metadata: { name: configMap, namespace: props.namespace, labels: props.labels },
      data: Object.fromEntries(bootstrapFiles(props.cluster, props.iamAuthentication).map((f) => [f.key, f.content])),
    });
    const env = (name: string, value: string): k8s.EnvVar => ({ name, value });
    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: this.jobName,
        namespace: props.namespace,
        labels: props.labels,
        annotations: { [HOOK_ANNOTATION]: 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' },
      },
      spec: {
        // ACK creates the cluster in ~10 minutes after the first sync: the endpoint does not
        // resolve until then, and the back-off (≈ 10 min over 6 retries) waits for it.
        backoffLimit: 6,
        activeDeadlineSeconds: 30 * 60,
        template: {
          metadata: { labels: { ...props.labels, [ACCESS_CLIENT_LABEL]: props.cluster } },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'psql',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', `${MOUNT_PATH}/${BOOTSTRAP_SCRIPT_KEY}`],
                env: [
                  env('PGHOST', props.host),
                  env('PGPORT', '5432'),
                  env('PGSSLMODE', 'require'),
                  // The master password is stored as RDS chose (md5 on older parameter groups),
                  // which has no channel binding; the platform roles' are SCRAM (bootstrap.sql)
                  // and the access Job requires it for them.
                  env('PGCHANNELBINDING', 'prefer'),
                  env('PGCONNECT_TIMEOUT', '10'),
                  env('PGAPPNAME', 'dbfleet-bootstrap'),
                  env('PGOPTIONS', JOB_PGOPTIONS),
                  env(LOGINS_ENV, LOGINS_MOUNT_PATH),
                  env('HOME', '/tmp'),
                  env('TMPDIR', '/tmp'),
                ],
                securityContext: restrictedContainerSecurity(CNPG_POSTGRES_UID),
                resources: {
                  limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('128Mi') },
                  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
                },
                volumeMounts: [
                  { mountPath: MOUNT_PATH, name: 'sql', readOnly: true },
                  { mountPath: LOGINS_MOUNT_PATH, name: 'logins', readOnly: true },
                  { mountPath: '/tmp', name: 'tmp' },
                ],
              },
            ],
            restartPolicy: 'Never',
            securityContext: restrictedPodSecurity(CNPG_POSTGRES_UID),
            terminationGracePeriodSeconds: 30,
            volumes: [
              { name: 'sql', configMap: { name: configMap, defaultMode: 0o444 } },
              {
                name: 'logins',
                projected: {
                  sources: BOOTSTRAP_LOGINS.map((login) => ({
                    secret: {
                      name: props.loginSecrets[login],
                      items: [
                        { key: 'username', path: `${login}/username` },
                        { key: 'password', path: `${login}/password` },
                      ],
                    },
                  })),
                  defaultMode: 0o440,
                },
              },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
            ],
          },
        },
      },
    });
  }
}
