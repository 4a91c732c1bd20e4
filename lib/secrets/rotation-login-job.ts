import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { CNPG_POSTGRES_UID } from '../access/developer-access';
import { ACCESS_CLIENT_LABEL } from '../network/cluster-ingress-policy';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../workloads/restricted';

export interface RotationLoginJobProps {
  readonly service: string;
  /** The owner role the second login role acts as. */
  readonly owner: string;
  /** basic-auth Secret of the second login role (its own credentials). */
  readonly slotSecretName: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** An image with psql: the cluster's own PostgreSQL image. */
  readonly image: string;
  readonly labels: Record<string, string>;
}

/**
 * Makes a service's second login role (`<role>_alt`, credential-rotation.ts) act as the owner:
 * `ALTER ROLE CURRENT_USER SET role = '<owner>'`, run as that role itself. PostgreSQL lets a role
 * set its own session defaults ("Ordinary roles can only set defaults for themselves", ALTER ROLE
 * docs) and `role` may name any role it is a member of, so no privileged role is needed; every
 * session of the second role then starts as the owner, and what it creates is owned by the owner.
 * The DatabaseRole the operator manages has no field for session defaults, hence this Job.
 *
 * A PostSync hook, re-run on every sync while the role may log in (idempotent). It retries while
 * the operator is still creating the role or setting its password.
 */
export class RotationLoginJob extends Construct {
  readonly jobName: string;

  constructor(scope: Construct, id: string, props: RotationLoginJobProps) {
    super(scope, id);
    this.jobName = `${props.service}-rotation-login`;
    const owner = props.owner.replace(/'/g, "''");
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
        annotations: { 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' },
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
                command: ['psql', '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-c', `ALTER ROLE CURRENT_USER SET role = '${owner}'`],
                env: [
                  env('PGHOST', props.host),
                  env('PGPORT', String(props.port)),
                  env('PGDATABASE', props.database),
                  env('PGSSLMODE', 'require'),
                  env('PGCONNECT_TIMEOUT', '10'),
                  env('PGAPPNAME', 'dbfleet-rotation-login'),
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
