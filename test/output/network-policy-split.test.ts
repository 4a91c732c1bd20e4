// Ingress NetworkPolicies at scale ("every object under 256 KiB at any scale"): a cluster's
// `<cluster>-ingress` listing ~3900 namespaces of 63 characters was 331 KB at 5000 and failed at
// sync; a pooler's `<pooler>-ingress` (a peer per namespace) failed sooner. Their namespaces are
// split over `<name>`, `<name>-2`, … (NETWORK_POLICY_PEERS_BYTES): NetworkPolicies add up, so the
// parts together admit exactly the namespaces one policy listed, on the same pods and port.
import { App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { applySyncPolicy } from '../../lib/gitops/sync-policy';
import { ClusterIngressPolicy } from '../../lib/network/cluster-ingress-policy';
import { appliedSize } from '../../lib/output/object-size';
import type { KubernetesObject } from '../../lib/output/render';
import { PoolerIngressPolicy } from '../../lib/pooling/pooler-network-policies';
import type { IPostgresCluster } from '../../lib/postgres/postgres-cluster';

const NAMESPACES = 5000;
const ns = (i: number) => `n${String(i).padStart(4, '0')}-${'x'.repeat(57)}`;
const cluster = {
  clusterName: 'acme',
  namespace: 'databases',
  port: 5432,
  metricsPort: 9187,
  operatorPorts: [8000],
  instanceSelector: { 'cnpg.io/cluster': 'acme' },
  memberSelector: { 'cnpg.io/cluster': 'acme' },
  additionalClients: [],
} as unknown as IPostgresCluster;

function render(namespaces: string[]): KubernetesObject[] {
  const app = new App();
  const chart = new Chart(app, 'test');
  new ClusterIngressPolicy(chart, 'Ingress', {
    cluster,
    clientNamespaces: namespaces,
    operatorNamespace: 'cnpg-system',
    monitoringNamespace: 'monitoring',
    labels: {},
  });
  new PoolerIngressPolicy(chart, 'PoolerIngress', {
    pooler: {
      poolerName: 'acme-pooler-rw',
      namespace: 'databases',
      podSelector: { 'cnpg.io/poolerName': 'acme-pooler-rw' },
      nameSelector: {},
      port: 5432,
      metricsPort: 9127,
    },
    clientNamespaces: namespaces,
    monitoringNamespace: 'monitoring',
    labels: {},
  });
  return chart.toJson() as KubernetesObject[];
}

/** The namespaces a set of policies admits to the database port. */
function admitted(policies: KubernetesObject[]): string[] {
  return policies.flatMap((p: any) =>
    p.spec.ingress
      .filter((r: any) => r.ports.some((x: any) => x.port === 5432))
      .flatMap((r: any) => r.from)
      .flatMap((peer: any) => {
        const sel = peer.namespaceSelector;
        if (!sel || peer.podSelector) return [];
        return sel.matchLabels ? [sel.matchLabels['kubernetes.io/metadata.name']] : sel.matchExpressions[0].values;
      })
      .filter((n: string) => n.startsWith('n')),
  );
}

describe(`ingress NetworkPolicies of a cluster with ${NAMESPACES} client namespaces of 63 characters`, () => {
  const names = Array.from({ length: NAMESPACES }, (_, i) => ns(i)).reverse();
  const objects = render(names);
  const cluster = objects.filter((o) => /^acme-ingress(-\d+)?$/.test(o.metadata.name));
  const pooler = objects.filter((o) => /^acme-pooler-rw-ingress(-\d+)?$/.test(o.metadata.name));

  it('every policy is under the limit as Argo CD applies it, split into <name>, <name>-2, …', () => {
    expect(objects.map((o) => ({ name: o.metadata.name, ...appliedSize(o) })).filter((s) => s.bytes > s.limit)).toEqual([]);
    expect(cluster.length).toBeGreaterThan(1);
    expect(pooler.length).toBeGreaterThan(1);
    expect(cluster.map((o) => o.metadata.name)).toEqual(cluster.map((_, i) => (i === 0 ? 'acme-ingress' : `acme-ingress-${i + 1}`)));
  });

  it('together admit every namespace exactly once, on the same pods; the other rules stay in the first', () => {
    const sorted = [...names].sort();
    expect(admitted(cluster)).toEqual(sorted);
    expect(admitted(pooler)).toEqual(sorted);
    for (const p of cluster as any[]) expect(p.spec.podSelector).toEqual({ matchLabels: { 'cnpg.io/cluster': 'acme' } });
    expect((cluster[0] as any).spec.ingress).toHaveLength(5);
    expect((pooler[0] as any).spec.ingress).toHaveLength(2);
    for (const p of [...cluster.slice(1), ...pooler.slice(1)] as any[]) expect(p.spec.ingress).toHaveLength(1);
  });

  it('is deterministic, and a namespace added last changes only the last policy', () => {
    const again = render([...names].reverse());
    expect(again).toEqual(objects);
    const more = render([...names, 'z-added']);
    const before = objects.filter((o) => o.metadata.name.startsWith('acme-ingress'));
    const after = more.filter((o) => o.metadata.name.startsWith('acme-ingress'));
    expect(after.slice(0, -1)).toEqual(before.slice(0, -1));
  });

  it('a small fleet keeps one policy', () => {
    expect(render([ns(1), ns(2)]).map((o) => o.metadata.name)).toEqual(['acme-ingress', 'acme-pooler-rw-ingress']);
  });
});

describe('a later part that leaves dist/', () => {
  // NetworkPolicy is a protected kind (Prune=false): a part `-2` that went away when services were
  // removed stayed live and kept admitting the removed namespaces. The later parts hold client
  // namespaces only, so Argo CD prunes them, last; the first part, with the operator's and the
  // replication rules, stays protected.
  it('is pruned (PruneLast), while the first part stays protected', () => {
    const app = new App();
    const chart = new Chart(app, 'test');
    new ClusterIngressPolicy(chart, 'Ingress', {
      cluster,
      clientNamespaces: Array.from({ length: NAMESPACES }, (_, i) => ns(i)),
      operatorNamespace: 'cnpg-system',
      monitoringNamespace: 'monitoring',
      labels: {},
    });
    applySyncPolicy(chart);
    const options = Object.fromEntries(
      (chart.toJson() as KubernetesObject[]).map((o) => [o.metadata.name, o.metadata.annotations?.['argocd.argoproj.io/sync-options']]),
    );
    expect(Object.keys(options).length).toBeGreaterThan(1);
    expect(options['acme-ingress']).toBe('Prune=false,Delete=false');
    for (const [name, option] of Object.entries(options).filter(([n]) => n !== 'acme-ingress'))
      expect([name, option]).toEqual([name, 'PruneLast=true']);
  });
});
