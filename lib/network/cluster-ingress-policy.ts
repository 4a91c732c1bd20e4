import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { IPostgresCluster } from '../postgres/postgres-cluster';

/** Pods in the cluster's namespace carrying this label (value: the cluster) may connect to Postgres. */
export const ACCESS_CLIENT_LABEL = 'dbfleet.io/access-client';

export interface ClusterIngressPolicyProps {
  readonly cluster: IPostgresCluster;
  /** Namespaces of the services whose databases the cluster holds. */
  readonly clientNamespaces: readonly string[];
  /** Namespace of the Postgres operator. */
  readonly operatorNamespace: string;
  /** Namespace of the Prometheus that scrapes the metrics port. */
  readonly monitoringNamespace: string;
  readonly labels: Record<string, string>;
}

/**
 * What may reach one cluster's instances: Postgres from its services' namespaces, from its own
 * instances (replication) and from dbfleet's access jobs; the operator's status port from the
 * operator's namespace; the metrics port from monitoring only.
 */
export class ClusterIngressPolicy extends Construct {
  constructor(scope: Construct, id: string, props: ClusterIngressPolicyProps) {
    super(scope, id);
    const { cluster } = props;
    const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
    const namespace = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
    const namespaces = (names: string[]) =>
      names.length === 1
        ? namespace(names[0])
        : { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: names }] } };
    const ownPods = { podSelector: { matchLabels: { ...cluster.memberSelector } } };
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: `${cluster.clusterName}-ingress`, namespace: cluster.namespace, labels: props.labels },
      spec: {
        podSelector: { matchLabels: { ...cluster.instanceSelector } },
        policyTypes: ['Ingress'],
        ingress: [
          // One selector listing the namespaces: ~15 bytes per service, where a peer per namespace
          // cost ~80 (a shared cluster of thousands of services must stay a small object).
          { from: [namespaces([...new Set(props.clientNamespaces)].sort())], ports: tcp(cluster.port) },
          { from: [ownPods], ports: tcp(cluster.port, ...cluster.operatorPorts) },
          { from: [namespace(props.operatorNamespace)], ports: tcp(cluster.port, ...cluster.operatorPorts) },
          {
            from: [
              { podSelector: { matchLabels: { [ACCESS_CLIENT_LABEL]: cluster.clusterName } } },
              ...cluster.additionalClients.map((labels) => ({ podSelector: { matchLabels: { ...labels } } })),
            ],
            ports: tcp(cluster.port),
          },
          { from: [namespace(props.monitoringNamespace)], ports: tcp(cluster.metricsPort) },
        ],
      },
    });
  }
}
