// One PodMonitor per pooler, as CloudNativePG's docs suggest now that the Pooler's own
// `spec.monitoring.enablePodMonitor` is deprecated (cloudnative-pg@v1.30.0:
// docs/src/connection_pooling.md, "Monitoring"). A relabeling gives every series `pooler`, which
// the pooler alerts (pooler-alert-rules.ts) group by. Deliberately no `cluster` label: the
// cluster alerts select `up{cluster=...}` and must not count pooler pods as instances.
import { Construct } from 'constructs';
import { PodMonitor, PodMonitorSpecPodMetricsEndpointsRelabelingsAction } from '../../imports/monitoring.coreos.com';
import { standardLabels } from '../labels';
import { POOLER_NAME_LABEL } from '../backends/cloudnative-pg/cnpg-pooler';

/** Prometheus label the pooler rules use for the pooler's name. */
export const POOLER_LABEL = 'pooler';

export interface PoolerPodMonitorProps {
  /** The Pooler's name; also the PodMonitor's. */
  readonly pooler: string;
  readonly namespace: string;
  /** The fleet's name (`app.kubernetes.io/part-of`). */
  readonly fleet: string;
  /**
   * Labels the Prometheus' podMonitorSelector matches; they win over the standard labels.
   * @default {}
   */
  readonly selectorLabels?: Readonly<Record<string, string>>;
}

export class PoolerPodMonitor extends Construct {
  constructor(scope: Construct, id: string, props: PoolerPodMonitorProps) {
    super(scope, id);
    const replace = (label: string, target: string) => ({
      action: PodMonitorSpecPodMetricsEndpointsRelabelingsAction.REPLACE,
      sourceLabels: [`__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`],
      targetLabel: target,
    });
    new PodMonitor(this, 'Resource', {
      metadata: {
        name: props.pooler,
        namespace: props.namespace,
        labels: {
          ...standardLabels({ fleet: props.fleet, name: 'pooler-metrics', instance: props.pooler, component: 'monitoring' }),
          ...props.selectorLabels,
        },
      },
      spec: {
        selector: { matchLabels: { [POOLER_NAME_LABEL]: props.pooler } },
        podMetricsEndpoints: [
          {
            port: 'metrics',
            relabelings: [replace(POOLER_NAME_LABEL, POOLER_LABEL)],
          },
        ],
      },
    });
  }
}
