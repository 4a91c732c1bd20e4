// Who may reach a pooler, and the poolers' way to their instances. Kept apart from the cluster's own
// policy (lib/network/cluster-ingress-policy.ts): NetworkPolicies add up, so these only open
// what pooling needs, and the cluster's policy stays as it is whether pooling is on or off.
//
// Chosen: apps are NOT forced through the pooler. The Secret's `direct-*` keys exist for
// migrations and tools that need session features (advisory locks, LISTEN/NOTIFY, prepared
// statements across transactions), so the instances stay open to the services' namespaces.
// The operator needs nothing on a pooler pod: the pooler's own instance manager watches the Pooler
// through the API server and runs PAUSE/RESUME locally (cloudnative-pg@v1.30.0:
// internal/pgbouncer/management/controller); its pods expose only 5432 and 9127.
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { partName, PRUNABLE_PART_ANNOTATION } from '../output/object-size';
import { namespaceGroups } from '../network/cluster-ingress-policy';
import type { IPostgresCluster } from '../postgres/postgres-cluster';

/** A rendered pooler as its policies need it (CloudNativePG's Pooler, Zalando's connection pooler). */
export interface IPooler {
  readonly poolerName: string;
  readonly namespace: string;
  /** Labels selecting the pooler's pods (its ingress policy). */
  readonly podSelector: Readonly<Record<string, string>>;
  /** The one label that tells its pods apart (the cluster's from-poolers policy). */
  readonly nameSelector: Readonly<Record<string, string>>;
  readonly port: number;
  /** Its exporter's port; undefined when the pooler exports no metrics. */
  readonly metricsPort?: number;
}

const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
const namespace = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });

export interface PoolerIngressPolicyProps {
  readonly pooler: IPooler;
  /** Namespaces of the services whose databases the pooler's cluster holds. */
  readonly clientNamespaces: readonly string[];
  /** Namespace of the Prometheus that scrapes the exporter. */
  readonly monitoringNamespace: string;
  readonly labels: Record<string, string>;
}

/** `<pooler>-ingress`: PgBouncer from the services of its cluster only, its exporter (if any) from monitoring only. */
export class PoolerIngressPolicy extends Construct {
  constructor(scope: Construct, id: string, props: PoolerIngressPolicyProps) {
    super(scope, id);
    const { pooler } = props;
    // A peer per namespace (~80 bytes): split like the cluster's policy (NETWORK_POLICY_PEERS_BYTES),
    // `<pooler>-ingress`, `<pooler>-ingress-2`, …; the exporter's rule stays in the first.
    const groups = namespaceGroups(props.clientNamespaces, (name) => JSON.stringify(namespace(name)).length + 1);
    const name = `${pooler.poolerName}-ingress`;
    groups.forEach((group, i) => {
      new k8s.KubeNetworkPolicy(this, i === 0 ? 'Resource' : `Resource-${i + 1}`, {
        metadata: {
          name: partName(name, i),
          namespace: pooler.namespace,
          labels: props.labels,
          ...(i > 0 ? { annotations: { [PRUNABLE_PART_ANNOTATION]: 'true' } } : {}),
        },
        spec: {
          podSelector: { matchLabels: { ...pooler.podSelector } },
          policyTypes: ['Ingress'],
          ingress: [
            { from: group.map(namespace), ports: tcp(pooler.port) },
            ...(i === 0 && pooler.metricsPort !== undefined
              ? [{ from: [namespace(props.monitoringNamespace)], ports: tcp(pooler.metricsPort) }]
              : []),
          ],
        },
      });
    });
  }
}

export interface PoolerUpstreamPolicyProps {
  readonly cluster: IPostgresCluster;
  readonly poolers: readonly IPooler[];
  readonly labels: Record<string, string>;
}

/**
 * `<cluster>-from-poolers`: the cluster's instances accept Postgres connections from its poolers'
 * pods. Explicit, rather than relying on the pooler pods also carrying `cnpg.io/cluster`.
 */
export class PoolerUpstreamPolicy extends Construct {
  constructor(scope: Construct, id: string, props: PoolerUpstreamPolicyProps) {
    super(scope, id);
    const { cluster } = props;
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: `${cluster.clusterName}-from-poolers`, namespace: cluster.namespace, labels: props.labels },
      spec: {
        podSelector: { matchLabels: { ...cluster.instanceSelector } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: props.poolers.map((p) => ({ podSelector: { matchLabels: { ...p.nameSelector } } })),
            ports: tcp(cluster.port),
          },
        ],
      },
    });
  }
}
