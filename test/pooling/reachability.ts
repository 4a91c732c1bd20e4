// A NetworkPolicy evaluator for tests: may a pod (namespace + labels) reach a target pod on a TCP
// port, given every ingress policy of the target's namespace? Kubernetes semantics: a pod selected
// by no policy accepts everything; a selected pod accepts the union of the selecting policies' rules.
import type { KubernetesObject } from '../../lib/output/render';

export interface Pod {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };

function matches(selector: Selector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'In' && !(has && e.values!.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export function mayReach(policies: readonly KubernetesObject[], from: Pod, to: Pod, port: number): boolean {
  const selecting = policies.filter(
    (p) =>
      p.kind === 'NetworkPolicy' &&
      p.metadata.namespace === to.namespace &&
      ((p as any).spec.policyTypes ?? ['Ingress']).includes('Ingress') &&
      matches((p as any).spec.podSelector, to.labels),
  );
  if (selecting.length === 0) return true;
  const nsLabels = { 'kubernetes.io/metadata.name': from.namespace };
  return selecting.some((p) =>
    ((p as any).spec.ingress ?? []).some((rule: any) => {
      const portOk =
        !rule.ports || rule.ports.some((r: any) => (r.protocol ?? 'TCP') === 'TCP' && (r.port === undefined || r.port === port));
      const peerOk =
        !rule.from ||
        rule.from.some((peer: any) => {
          if (peer.ipBlock) return false;
          const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, nsLabels) : from.namespace === to.namespace;
          return nsOk && matches(peer.podSelector, from.labels);
        });
      return portOk && peerOk;
    }),
  );
}
