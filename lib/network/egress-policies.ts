// Egress (issue 24 item 7): with an environment's `egress` set, every pod of the database namespace
// and of the backups namespaces may connect only to what it needs. NetworkPolicies add up: one
// `default-deny-egress` per namespace selects every pod and allows cluster DNS only, and one
// `<group>-egress` per kind of pod opens that kind's destinations. The kinds and what each needs
// are the backend's (Backend.egressGroups); the table is docs/security.md "Network", and
// test/security/egress.test.ts holds every rendered pod to it.
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { inClusterEndpoint } from '../config/build-model';
import type { Egress, EgressDestination, InClusterEndpoint } from '../config/model';
import { ACCESS_CLIENT_LABEL } from './cluster-ingress-policy';

/** A label selector as NetworkPolicy takes it. */
export interface PodSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: ReadonlyArray<{
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values?: readonly string[];
  }>;
}

/** Something a pod connects to, other than cluster DNS (which every pod gets). */
export type EgressNeed =
  /** One of the environment's `egress.*` CIDR destinations. */
  | { readonly to: 'apiServer' | 'objectStore' | 'database' | 'mongo' | 'snapshotAPI' }
  /** Pods of the same namespace on these TCP ports. */
  | { readonly to: 'pods'; readonly podSelector: PodSelector; readonly ports: readonly number[] }
  /** An in-cluster Service (a Pushgateway) by its namespace and port. */
  | { readonly to: 'service'; readonly endpoint: InClusterEndpoint };

/** One kind of pod in a namespace and what it connects to. */
export interface EgressPodGroup {
  /** The policy is `<name>-egress`. */
  readonly name: string;
  readonly namespace: string;
  readonly podSelector: PodSelector;
  readonly needs: readonly EgressNeed[];
}

const tcp = (ports: readonly number[]) => ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
const copySelector = (s: PodSelector): k8s.LabelSelector => ({
  ...(s.matchLabels ? { matchLabels: { ...s.matchLabels } } : {}),
  ...(s.matchExpressions
    ? {
        matchExpressions: s.matchExpressions.map((e) => ({
          key: e.key,
          operator: e.operator,
          ...(e.values ? { values: [...e.values] } : {}),
        })),
      }
    : {}),
});

/** The egress rule of a need, given the environment's destinations. */
function ruleOf(need: EgressNeed, egress: Egress, group: string): k8s.NetworkPolicyEgressRule {
  switch (need.to) {
    case 'pods':
      // No namespaceSelector: the policy's own namespace only.
      return { to: [{ podSelector: copySelector(need.podSelector) }], ports: tcp(need.ports) };
    case 'service':
      return {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': need.endpoint.namespace } } }],
        ports: tcp([need.endpoint.port]),
      };
    default: {
      const destination: EgressDestination | undefined = egress[need.to];
      // build-model.ts requires every destination a rendered pod needs; reaching here is a bug.
      if (!destination) throw new TypeError(`egress policy ${group}: egress.${need.to} is not set`);
      return { to: destination.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(destination.ports) };
    }
  }
}

export interface EgressPoliciesProps {
  readonly egress: Egress;
  /** The database namespace: gets `default-deny-egress` (DNS allowed). */
  readonly namespace: string;
  /** Backups namespaces: each gets `<namespace>-default-deny-egress` (one dist/ file per name). */
  readonly otherNamespaces: readonly string[];
  readonly groups: readonly EgressPodGroup[];
  readonly labels: (name: string) => Record<string, string>;
}

/** `default-deny-egress` per namespace, and `<group>-egress` per kind of pod. */
export class EgressPolicies extends Construct {
  constructor(scope: Construct, id: string, props: EgressPoliciesProps) {
    super(scope, id);
    const { egress } = props;
    const dns = {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': egress.dns.namespace } },
          podSelector: { matchLabels: { ...egress.dns.podLabels } },
        },
      ],
      ports: [53, 53].map((port, i) => ({ protocol: i === 0 ? 'UDP' : 'TCP', port: k8s.IntOrString.fromNumber(port) })),
    };
    const others = [...new Set(props.otherNamespaces)].filter((ns) => ns !== props.namespace).sort();
    for (const namespace of [props.namespace, ...others]) {
      const name = namespace === props.namespace ? 'default-deny-egress' : `${namespace}-default-deny-egress`;
      new k8s.KubeNetworkPolicy(this, `DefaultDeny-${namespace}`, {
        metadata: { name, namespace, labels: props.labels(name) },
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [dns] },
      });
    }
    const seen = new Set<string>();
    for (const group of props.groups) {
      const key = `${group.namespace}/${group.name}`;
      if (seen.has(key)) throw new TypeError(`two egress groups ${key}`);
      seen.add(key);
      new k8s.KubeNetworkPolicy(this, `Group-${key}`, {
        metadata: { name: `${group.name}-egress`, namespace: group.namespace, labels: props.labels(`${group.name}-egress`) },
        spec: {
          podSelector: copySelector(group.podSelector),
          policyTypes: ['Egress'],
          egress: group.needs.map((need) => ruleOf(need, egress, group.name)),
        },
      });
    }
  }
}

/** Pods carrying a label, whatever its value. */
export function withLabel(key: string, also: Partial<PodSelector> = {}): PodSelector {
  return { ...also, matchExpressions: [{ key, operator: 'Exists' }, ...(also.matchExpressions ?? [])] };
}

/**
 * dbfleet's Jobs that log in to a cluster (access, developer sessions, rotation login, the drill's
 * checks, Aurora's exporter): every pod labelled `dbfleet.io/access-client`, which is also what the
 * clusters' ingress policies admit (cluster-ingress-policy.ts).
 */
export function accessClientsGroup(namespace: string, to: EgressNeed): EgressPodGroup {
  return { name: 'access-clients', namespace, podSelector: withLabel(ACCESS_CLIENT_LABEL), needs: [to] };
}

/** The pods of one of the ops image's CronJobs (prune-backups, restore-drill) of this fleet. */
export function opsJobSelector(fleetName: string, name: string): PodSelector {
  return { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': fleetName } };
}

/** A Pushgateway URL as an egress need; build-model.ts refuses any other than an in-cluster Service's. */
export function pushgatewayNeeds(url: string | undefined): EgressNeed[] {
  if (!url) return [];
  const endpoint = inClusterEndpoint(url);
  if (!endpoint) throw new TypeError(`pushgateway ${url} is not an in-cluster Service URL`);
  return [{ to: 'service', endpoint }];
}
