import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { OPS_ENTRYPOINT, opsArgs } from '../workloads/ops-image';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../workloads/restricted';

export interface OpsCronJobProps {
  /** Names the CronJob, its ServiceAccount, Role and RoleBinding. */
  readonly name: string;
  readonly namespace: string;
  /** The ops image (`opsImage`); its entrypoint takes the command as first argument. */
  readonly image: string;
  /** The ops command and its flags, e.g. `['prune-backups', '--keep', '7']`. */
  readonly args: readonly string[];
  /** 5-field cron. */
  readonly schedule: string;
  /** The Job's deadline. */
  readonly activeDeadlineSeconds: number;
  /** Exactly what the command may do in its namespace. */
  readonly rules: readonly k8s.PolicyRule[];
  readonly labels: Record<string, string>;
  /** Extra labels of the pod (e.g. what a NetworkPolicy admits). @default none */
  readonly podLabels?: Record<string, string>;
  /** @default 2 retries */
  readonly backoffLimit?: number;
  /** @default 30 */
  readonly terminationGracePeriodSeconds?: number;
}

/**
 * A CronJob running one of dbfleet's ops commands against the Kubernetes API, with its own
 * ServiceAccount and a namespaced Role granting exactly `rules`: the only dbfleet pods that get a
 * service-account token. Restricted like every other dbfleet pod; runs never overlap.
 */
export class OpsCronJob extends Construct {
  readonly cronJobName: string;

  constructor(scope: Construct, id: string, props: OpsCronJobProps) {
    super(scope, id);
    this.cronJobName = props.name;
    const metadata = { name: props.name, namespace: props.namespace, labels: props.labels };
    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata,
      // Only the pod that needs it mounts the token (below), not every pod using the account.
      automountServiceAccountToken: false,
    });
    new k8s.KubeRole(this, 'Role', { metadata, rules: props.rules.map((r) => ({ ...r })) });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: props.name },
      subjects: [{ kind: 'ServiceAccount', name: props.name, namespace: props.namespace }],
    });
    new k8s.KubeCronJob(this, 'Resource', {
      metadata,
      spec: {
        schedule: props.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 10 * 60,
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 5,
        jobTemplate: {
          spec: {
            backoffLimit: props.backoffLimit ?? 2,
            activeDeadlineSeconds: props.activeDeadlineSeconds,
            template: {
              metadata: { labels: { ...props.labels, ...props.podLabels } },
              spec: {
                serviceAccountName: props.name,
                automountServiceAccountToken: true,
                containers: [
                  {
                    name: props.args[0],
                    image: props.image,
                    imagePullPolicy: 'IfNotPresent',
                    // The image's entrypoint, named as the other ops CronJobs name it (docs/ops-image.md).
                    command: [...OPS_ENTRYPOINT],
                    args: opsArgs(props.args[0], props.args.slice(1)),
                    env: [{ name: 'HOME', value: '/tmp' }],
                    securityContext: restrictedContainerSecurity(),
                    resources: {
                      limits: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromString('256Mi') },
                      requests: { cpu: k8s.Quantity.fromString('20m'), memory: k8s.Quantity.fromString('64Mi') },
                    },
                    volumeMounts: [{ mountPath: '/tmp', name: 'tmp' }],
                  },
                ],
                dnsPolicy: 'ClusterFirst',
                hostNetwork: false,
                restartPolicy: 'Never',
                securityContext: restrictedPodSecurity(),
                setHostnameAsFqdn: false,
                terminationGracePeriodSeconds: props.terminationGracePeriodSeconds ?? 30,
                volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } }],
              },
            },
          },
        },
      },
    });
  }
}
