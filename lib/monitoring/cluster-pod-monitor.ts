// One PodMonitor per CloudNativePG cluster. The operator's `.spec.monitoring.enablePodMonitor` is
// deprecated (CNPG docs, "Monitoring"), so we render our own: that way its labels are the ones our
// Prometheus selects, and its relabelings give every series the `cluster` label the alert rules
// (alert-rules.ts) rely on.
import { Construct } from 'constructs';
import { PodMonitor, PodMonitorSpecPodMetricsEndpointsRelabelingsAction } from '../../imports/monitoring.coreos.com';
import { standardLabels } from '../labels';

export interface ClusterPodMonitorProps {
  /** The CNPG Cluster's name; also the PodMonitor's name (stable, no hash suffix). */
  readonly cluster: string;
  /** The cluster's namespace: the PodMonitor lives next to the pods it selects. */
  readonly namespace: string;
  /** The fleet's name (`app.kubernetes.io/part-of`). */
  readonly fleet: string;
  /**
   * Labels the Prometheus' podMonitorSelector matches (fleet.monitoring.podMonitorLabels). They win
   * over the standard labels on a clash, since selection depends on them.
   * @default {}
   */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /**
   * Scrape interval of the metrics endpoint.
   * @default the Prometheus' own scrapeInterval (unset here)
   */
  readonly interval?: string;
  /**
   * Labels of the instance pods that serve metrics.
   * @default CloudNativePG's `cnpg.io/cluster: <cluster>`, `cnpg.io/podRole: instance`
   */
  readonly podSelector?: Readonly<Record<string, string>>;
  /**
   * Pod label holding the cluster name, copied into the `cluster` label.
   * @default `cnpg.io/cluster`
   */
  readonly clusterPodLabel?: string;
}

/** `cnpg.io/cluster` → `__meta_kubernetes_pod_label_cnpg_io_cluster` (Prometheus' sanitised label names). */
function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** Prometheus label the rules use for the CNPG cluster name. */
export const CLUSTER_LABEL = 'cluster';

export class ClusterPodMonitor extends Construct {
  readonly podMonitor: PodMonitor;

  constructor(scope: Construct, id: string, props: ClusterPodMonitorProps) {
    super(scope, id);
    this.podMonitor = new PodMonitor(this, 'Resource', {
      metadata: {
        name: props.cluster,
        namespace: props.namespace,
        labels: {
          ...standardLabels({ fleet: props.fleet, name: 'postgres-metrics', instance: props.cluster, component: 'monitoring' }),
          ...props.selectorLabels,
        },
      },
      spec: {
        // Instances only: the same cnpg.io/cluster label is on initdb/join Jobs' pods, which have no exporter.
        selector: { matchLabels: { ...(props.podSelector ?? { 'cnpg.io/cluster': props.cluster, 'cnpg.io/podRole': 'instance' }) } },
        podMetricsEndpoints: [
          {
            port: 'metrics',
            ...(props.interval ? { interval: props.interval } : {}),
            // The Operator already adds namespace, pod, container, endpoint and job to every target;
            // the CNPG cluster name is only a pod label, so copy it into `cluster` for the rules.
            relabelings: [
              {
                action: PodMonitorSpecPodMetricsEndpointsRelabelingsAction.REPLACE,
                sourceLabels: [podLabelMeta(props.clusterPodLabel ?? 'cnpg.io/cluster')],
                targetLabel: CLUSTER_LABEL,
              },
            ],
          },
        ],
      },
    });
  }
}
