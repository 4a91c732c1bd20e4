import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { groupBySize, partName, PRUNABLE_PART_ANNOTATION } from '../output/object-size';
import type { IPostgresCluster } from '../postgres/postgres-cluster';

/**
 * Budget, in bytes of JSON, of the client namespaces one ingress NetworkPolicy lists. Past it the
 * namespaces go on to `<name>-2`, `<name>-3`, … (same pods selected, same port): Kubernetes admits
 * a connection that any policy selecting the pod admits (NetworkPolicies add up), so the split
 * admits exactly what one policy would. Half the 256 KiB limit: the rest of the object, its
 * labels and its last-applied copy's overhead stay far below the other half. A policy listing
 * ~3900 namespaces of 63 characters was 331 KB and failed at sync.
 */
export const NETWORK_POLICY_PEERS_BYTES = 128 * 1024;

/**
 * The sorted, distinct namespaces split under NETWORK_POLICY_PEERS_BYTES: deterministic, and a
 * namespace added after the last (in name order) changes only the last policy.
 */
export function namespaceGroups(namespaces: readonly string[], cost: (name: string) => number): string[][] {
  return groupBySize([...new Set(namespaces)].sort(), cost, NETWORK_POLICY_PEERS_BYTES);
}

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
    const groups = namespaceGroups(props.clientNamespaces, (name) => JSON.stringify(name).length + 1);
    const name = `${cluster.clusterName}-ingress`;
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name, namespace: cluster.namespace, labels: props.labels },
      spec: {
        podSelector: { matchLabels: { ...cluster.instanceSelector } },
        policyTypes: ['Ingress'],
        ingress: [
          // One selector listing the namespaces: ~15 bytes per service, where a peer per namespace
          // cost ~80 (a shared cluster of thousands of services must stay a small object).
          { from: [namespaces(groups[0])], ports: tcp(cluster.port) },
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
    // The namespaces past the first policy's budget: policies of that one rule each.
    groups.slice(1).forEach((group, i) => {
      new k8s.KubeNetworkPolicy(this, `Resource-${i + 2}`, {
        metadata: {
          name: partName(name, i + 1),
          namespace: cluster.namespace,
          labels: props.labels,
          annotations: { [PRUNABLE_PART_ANNOTATION]: 'true' },
        },
        spec: {
          podSelector: { matchLabels: { ...cluster.instanceSelector } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [namespaces(group)], ports: tcp(cluster.port) }],
        },
      });
    });
  }
}
