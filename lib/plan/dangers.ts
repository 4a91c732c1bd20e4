// What makes a change dangerous enough to stop a merge: each rule looks at one object's
// before and after and explains, in one line, what would be lost or opened.
import { DEVELOPER_ACCESS_ANNOTATION } from '../labels';
import type { KubernetesObject } from '../output/render';
import { isProtected, PROTECTED_SYNC_OPTIONS, SYNC_OPTIONS_ANNOTATION } from '../gitops/sync-policy';
import { quantityToNumber } from '../config/quantity';
import type { Manifests } from './manifests';

const ACCESS_RANK: Record<string, number> = { none: 0, 'read-only': 1, 'read-write': 2 };

export interface Danger {
  readonly environment: string;
  /** `Kind namespace/name`. */
  readonly object: string;
  readonly message: string;
}

type Spec = Record<string, any>;

export function findDangers(base: Manifests, head: Manifests): Danger[] {
  const dangers: Danger[] = [];
  const newClients = newServiceClients(base, head);
  const add = (path: string, object: KubernetesObject, message: string) =>
    dangers.push({ environment: path.split('/')[0], object: describe(object), message });

  for (const [path, before] of base) {
    const after = head.get(path);
    if (!after) {
      if (isProtected(before.apiVersion, before.kind)) {
        const replacement = [...head.entries()].find(([p, o]) => !base.has(p) && p.split('/')[0] === path.split('/')[0] && o.kind === before.kind);
        add(path, before, replacement
          ? `is removed and ${describe(replacement[1])} is added: a rename creates a new, empty ${before.kind} and leaves the old one unmanaged`
          : `is removed: Argo CD will not prune it (Prune=false), but it is no longer managed and its data is orphaned`);
      } else if (before.kind === 'NetworkPolicy') {
        add(path, before, 'is removed: the traffic it restricted is no longer restricted by it');
      }
      continue;
    }
    const beforeSpec = (before.spec ?? {}) as Spec;
    const afterSpec = (after.spec ?? {}) as Spec;
    if (isProtected(before.apiVersion, before.kind)
      && before.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] === PROTECTED_SYNC_OPTIONS
      && after.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] !== PROTECTED_SYNC_OPTIONS) {
      add(path, after, `loses its "${PROTECTED_SYNC_OPTIONS}" sync options: a later sync could delete it`);
    }
    if (before.kind === 'Cluster' || before.kind === 'postgresql') {
      for (const [field, from, to] of [
        ['spec.storage.size', beforeSpec.storage?.size, afterSpec.storage?.size],
        ['spec.walStorage.size', beforeSpec.walStorage?.size, afterSpec.walStorage?.size],
        ['spec.volume.size', beforeSpec.volume?.size, afterSpec.volume?.size],
      ] as const) {
        if (from && to && quantityToNumber(to) < quantityToNumber(from)) add(path, after, `${field} shrinks from ${from} to ${to}: volumes cannot shrink, and the operator will refuse or fail`);
        if (from && !to && field === 'spec.walStorage.size') add(path, after, `loses its separate WAL volume (${from}): changing the WAL layout of a running cluster is not supported`);
      }
      const fromInstances = beforeSpec.instances ?? beforeSpec.numberOfInstances;
      const toInstances = afterSpec.instances ?? afterSpec.numberOfInstances;
      if (fromInstances >= 2 && toInstances < 2) add(path, after, `instances drop from ${fromInstances} to ${toInstances}: no standby is left to fail over to`);
      const fromAccess = before.metadata.annotations?.[DEVELOPER_ACCESS_ANNOTATION];
      const toAccess = after.metadata.annotations?.[DEVELOPER_ACCESS_ANNOTATION];
      if (fromAccess && toAccess && ACCESS_RANK[toAccess] > ACCESS_RANK[fromAccess]) add(path, after, `developer access widens from ${fromAccess} to ${toAccess}`);
    }
    if (before.kind === 'Database') {
      if (beforeSpec.name !== afterSpec.name) add(path, after, `database name changes from "${beforeSpec.name}" to "${afterSpec.name}": the operator creates a new, empty database`);
      if (afterSpec.databaseReclaimPolicy === 'delete' && beforeSpec.databaseReclaimPolicy !== 'delete') add(path, after, 'databaseReclaimPolicy becomes delete: deleting the object will drop the database');
    }
    if (before.kind === 'NetworkPolicy') {
      const allowed = new Set(ingressGrants(beforeSpec));
      const cluster = afterSpec.podSelector?.matchLabels?.['cnpg.io/cluster'];
      for (const grant of ingressGrants(afterSpec)) {
        if (!allowed.has(grant) && !newClients.has(`${cluster} ${grant}`)) add(path, after, `now also allows ${grant}`);
      }
      if (JSON.stringify(beforeSpec.podSelector) !== JSON.stringify(afterSpec.podSelector)) add(path, after, 'selects other pods: review which pods lose or gain protection');
    }
  }
  return dangers;
}

/**
 * A service added in this change opens its cluster to its namespace: that is the point of
 * adding it, not a widening. Found from the new services' connection secrets (which name the
 * cluster's host); keyed like the grants, `<cluster> <grant>`.
 */
function newServiceClients(base: Manifests, head: Manifests): Set<string> {
  const expected = new Set<string>();
  for (const [path, object] of head) {
    if (base.has(path) || object.kind !== 'ExternalSecret') continue;
    const host = (object.spec as Spec | undefined)?.target?.template?.data?.host as string | undefined;
    const cluster = host?.match(/^(.+)-rw\./)?.[1];
    if (!cluster || !object.metadata.namespace) continue;
    const peer = describePeer({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': object.metadata.namespace } } });
    expected.add(`${cluster} ${peer} on TCP 5432`);
  }
  return expected;
}

/** Each (source, port) an ingress policy allows, as a readable string. An empty `from` is everyone. */
function ingressGrants(spec: Spec): string[] {
  const grants: string[] = [];
  for (const rule of (spec.ingress ?? []) as Spec[]) {
    const peers = (rule.from ?? [{ everyone: true }]) as Spec[];
    const ports = (rule.ports ?? [{ port: 'any port' }]) as Spec[];
    for (const peer of peers) for (const port of ports) grants.push(`${describePeer(peer)} on ${port.protocol ?? 'TCP'} ${port.port}`);
  }
  return grants;
}

function describePeer(peer: Spec): string {
  if (peer.everyone) return 'traffic from anywhere';
  if (peer.ipBlock) return `ipBlock ${peer.ipBlock.cidr}`;
  const parts = [];
  if (peer.namespaceSelector) parts.push(`namespaces ${JSON.stringify(peer.namespaceSelector)}`);
  if (peer.podSelector) parts.push(`pods ${JSON.stringify(peer.podSelector)}`);
  return parts.join(' and ');
}

export function describe(object: KubernetesObject): string {
  return `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}
