// postgres_exporter for one Aurora cluster: a Deployment in the cluster's namespace that logs in
// to the writer endpoint as dbfleet_exporter (pg_monitor only; created by the bootstrap Job), with
// its PodMonitor. Aurora has no pods of its own in Kubernetes: this pod is the only scrape target
// of the cluster, so `up` is the exporter's and `pg_up` the database's (aurora-alert-rules.ts).
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DEFAULT_POSTGRES_EXPORTER_IMAGE } from '../../config/schema';
import { ACCESS_CLIENT_LABEL } from '../../access/developer-access';
import { ClusterPodMonitor } from '../../monitoring/cluster-pod-monitor';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../../workloads/restricted';
import { AURORA_EXPORTER_ROLE } from './aurora-sql';

/** The pod label naming the cluster (copied into the `cluster` metric label). */
export const AURORA_CLUSTER_POD_LABEL = 'dbfleet.io/cluster';
/** postgres_exporter's default listen port. */
const EXPORTER_PORT = 9187;
/** `nobody`: the postgres_exporter image's user. */
const EXPORTER_UID = 65534;

export interface AuroraExporterProps {
  readonly cluster: string;
  readonly namespace: string;
  readonly fleet: string;
  /** The writer endpoint. */
  readonly host: string;
  /** The Secret with dbfleet_exporter's `password`. */
  readonly passwordSecret: string;
  /** @default DEFAULT_POSTGRES_EXPORTER_IMAGE */
  readonly image?: string;
  /** Labels the Prometheus Operator selects PodMonitors by. @default none */
  readonly podMonitorLabels?: Readonly<Record<string, string>>;
  readonly labels: Record<string, string>;
}

export class AuroraExporter extends Construct {
  readonly deploymentName: string;

  constructor(scope: Construct, id: string, props: AuroraExporterProps) {
    super(scope, id);
    this.deploymentName = `${props.cluster}-exporter`;
    const selector = {
      ...pick(props.labels, 'app.kubernetes.io/name', 'app.kubernetes.io/instance'),
      [AURORA_CLUSTER_POD_LABEL]: props.cluster,
    };
    new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: this.deploymentName, namespace: props.namespace, labels: props.labels },
      spec: {
        // One is enough: a second would double every series; Prometheus alerts when it is gone.
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          // The access-client label: the pod reaches PostgreSQL like dbfleet's Jobs do.
          metadata: { labels: { ...props.labels, ...selector, [ACCESS_CLIENT_LABEL]: props.cluster } },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'exporter',
                image: props.image ?? DEFAULT_POSTGRES_EXPORTER_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: [
                  '/bin/postgres_exporter',
                  // Off by default; the XID wraparound alerts need it.
                  '--collector.database_wraparound',
                ],
                env: [
                  // RDS always serves TLS; no CA is mounted, so encrypted without verification as the Jobs.
                  { name: 'DATA_SOURCE_URI', value: `${props.host}:5432/postgres?sslmode=require` },
                  { name: 'DATA_SOURCE_USER', value: AURORA_EXPORTER_ROLE },
                  { name: 'DATA_SOURCE_PASS', valueFrom: { secretKeyRef: { name: props.passwordSecret, key: 'password' } } },
                ],
                ports: [{ name: 'metrics', containerPort: EXPORTER_PORT, protocol: 'TCP' }],
                readinessProbe: {
                  httpGet: { path: '/metrics', port: k8s.IntOrString.fromString('metrics') },
                  periodSeconds: 30,
                  timeoutSeconds: 10,
                },
                securityContext: restrictedContainerSecurity(EXPORTER_UID),
                resources: {
                  limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('128Mi') },
                  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
                },
              },
            ],
            securityContext: restrictedPodSecurity(EXPORTER_UID),
          },
        },
      },
    });
    new ClusterPodMonitor(this, 'PodMonitor', {
      cluster: props.cluster,
      namespace: props.namespace,
      fleet: props.fleet,
      selectorLabels: props.podMonitorLabels,
      podSelector: selector,
      clusterPodLabel: AURORA_CLUSTER_POD_LABEL,
    });
  }
}

function pick(labels: Record<string, string>, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => labels[k] !== undefined).map((k) => [k, labels[k]]));
}
