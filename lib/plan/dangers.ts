// What makes a change dangerous enough to stop a merge. Each rule is a small function that
// looks at one object's transition (added, removed, changed, moved) and explains, in one line
// each, what would be lost, opened or refused. Rules for new kinds of change are added to
// DANGER_RULES (e.g. a pooler's pool mode, an operator switch, a switchover).
import { parseImage } from '../config/postgres-image';
import { quantityToNumber } from '../config/quantity';
import { isProtected, PROTECTED_SYNC_OPTIONS, SYNC_OPTIONS_ANNOTATION } from '../gitops/sync-policy';
import { DEVELOPER_ACCESS_ANNOTATION } from '../labels';
import type { KubernetesObject } from '../output/render';
import { admissionRefused } from './admission-refused';
import { describe } from './objects';
import { perPlan } from './per-plan';

export { perPlan } from './per-plan';
import { drSwitchover } from './dr-switchover';
import { operatorSwitch } from './operator-switch';
import { allBackends } from '../backends';

export interface Danger {
  readonly environment: string;
  /** `Kind namespace/name`. */
  readonly object: string;
  readonly message: string;
  /** The rule that found it (DangerRule.name). */
  readonly rule: string;
}

/** One object's fate in a plan. */
export interface Transition {
  readonly type: 'added' | 'removed' | 'changed' | 'moved';
  readonly environment: string;
  /** Removed, changed and moved objects: the object at the base revision. */
  readonly before?: KubernetesObject;
  /** Added, changed and moved objects: the object as rendered now. */
  readonly after?: KubernetesObject;
  /** Changed and moved objects: the dist/-relative file at the base revision. @default unknown */
  readonly beforePath?: string;
  /** Changed and moved objects: the dist/-relative file rendered now. @default unknown */
  readonly afterPath?: string;
}

export interface DangerContext {
  /** Every transition of the plan (rules that need the neighbours look here). */
  readonly transitions: readonly Transition[];
  /** The head side's objects of an environment (e.g. to find the default-deny policy that remains). */
  readonly headObjects: (environment: string) => readonly KubernetesObject[];
  /**
   * The CRD transition rules (`oldSelf`) an update violates: what the API server would refuse.
   * @default not checked
   */
  readonly rejectedUpdate?: (
    before: KubernetesObject,
    after: KubernetesObject,
  ) => ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

export interface DangerRule {
  readonly name: string;
  /** The messages for this transition (none: not dangerous by this rule). */
  check(transition: Transition, context: DangerContext): readonly string[];
}

// Rules read fields of many kinds of object, each checked where it is used.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Spec = Record<string, any>;
const spec = (o: KubernetesObject | undefined): Spec => (o?.spec ?? {}) as Spec;
const isPostgresCluster = (o: KubernetesObject | undefined) => o?.kind === 'Cluster' || o?.kind === 'postgresql';
const ACCESS_RANK: Record<string, number> = { none: 0, 'read-only': 1, 'read-write': 2 };

/** A data-bearing object that is removed without a replacement that takes its place. */
const removedDataBearing: DangerRule = {
  name: 'removed-data-bearing',
  // NetworkPolicies are protected too (a kept cluster needs its own): network-policy-removed says what that means.
  check: ({ type, before }) =>
    type === 'removed' && before && isProtected(before.apiVersion, before.kind) && before.kind !== 'NetworkPolicy'
      ? ['is removed: Argo CD will not prune it (Prune=false), but it is no longer managed and its data is orphaned']
      : [],
};

/** Renamed or moved to another namespace: Kubernetes creates a new, empty object. */
const movedDataBearing: DangerRule = {
  name: 'moved-data-bearing',
  check: ({ type, before, after }) => {
    if (type !== 'moved' || !before || !after || !isProtected(before.apiVersion, before.kind)) return [];
    if (before.metadata.namespace !== after.metadata.namespace) {
      return [
        `moves from namespace ${before.metadata.namespace} to ${after.metadata.namespace}: Kubernetes cannot move an object, so ${describe(after)} is a new, empty ${after.kind}, and the old one stays, unmanaged, with its data`,
      ];
    }
    return [
      `is renamed to ${after.metadata.name}: a rename creates a new, empty ${after.kind} (${describe(after)}) and leaves the old one unmanaged with its data`,
    ];
  },
};

const lostProtection: DangerRule = {
  name: 'lost-protection',
  check: ({ type, before, after }) =>
    type === 'changed' &&
    before &&
    after &&
    isProtected(before.apiVersion, before.kind) &&
    before.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] === PROTECTED_SYNC_OPTIONS &&
    after.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] !== PROTECTED_SYNC_OPTIONS
      ? [`loses its "${PROTECTED_SYNC_OPTIONS}" sync options: a later sync could delete it`]
      : [],
};

const volumeShrink: DangerRule = {
  name: 'volume-shrink',
  check: ({ type, before, after }) => {
    if (type !== 'changed' || !isPostgresCluster(before)) return [];
    const a = spec(before);
    const b = spec(after);
    const out: string[] = [];
    for (const [field, from, to] of [
      ['spec.storage.size', a.storage?.size, b.storage?.size],
      ['spec.walStorage.size', a.walStorage?.size, b.walStorage?.size],
      ['spec.volume.size', a.volume?.size, b.volume?.size],
    ] as const) {
      if (from && to && quantityToNumber(to) < quantityToNumber(from))
        out.push(`${field} shrinks from ${from} to ${to}: volumes cannot shrink, and the operator will refuse or fail`);
      if (from && !to && field === 'spec.walStorage.size')
        out.push(`loses its separate WAL volume (${from}): changing the WAL layout of a running cluster is not supported`);
    }
    return out;
  },
};

const instancesToOne: DangerRule = {
  name: 'single-instance',
  check: ({ type, before, after }) => {
    if (type !== 'changed' || !isPostgresCluster(before)) return [];
    const from = spec(before).instances ?? spec(before).numberOfInstances;
    const to = spec(after).instances ?? spec(after).numberOfInstances;
    return from >= 2 && to < 2
      ? [`instances drop from ${from} to ${to}: no standby is left to fail over to, and the dropped instances' volumes are deleted`]
      : [];
  },
};

/** The PostgreSQL major a cluster runs: the catalog's major, the image tag's, or Zalando's version. */
export function postgresMajor(object: KubernetesObject | undefined): number | undefined {
  const s = spec(object);
  if (object?.kind === 'postgresql') return s.postgresql?.version ? Number(s.postgresql.version) : undefined;
  if (s.imageCatalogRef?.major !== undefined) return Number(s.imageCatalogRef.major);
  const tag = s.imageName ? parseImage(s.imageName).tag : undefined;
  const major = tag ? /^(\d+)/.exec(tag)?.[1] : undefined;
  return major ? Number(major) : undefined;
}

/** CloudNativePG's path for a major change: cloudnative-pg@v1.30.0 docs/src/postgres_upgrades.md. */
const majorVersionChange: DangerRule = {
  name: 'major-version',
  check: ({ type, before, after }) => {
    if (type !== 'changed' || !isPostgresCluster(before)) return [];
    const from = postgresMajor(before);
    const to = postgresMajor(after);
    if (from === undefined || to === undefined || from === to) return [];
    if (to < from) {
      return [
        `PostgreSQL major version goes down from ${from} to ${to}: CloudNativePG refuses it ("can't downgrade from major ${from} to ${to}"); going back needs a dump and restore into a new cluster`,
      ];
    }
    return [
      `PostgreSQL major version ${from} → ${to}: CloudNativePG runs an offline in-place upgrade (pg_upgrade --link in a Job): the whole cluster, replicas included, is down while it runs, replicas are re-cloned afterwards, and backups taken before cannot restore to a point in time after it. Back up first and run the upgrade in a test environment first (docs/postgres-upgrades.md)`,
    ];
  },
};

const developerAccessWidens: DangerRule = {
  name: 'developer-access',
  check: ({ type, before, after }) => {
    if (type !== 'changed' || !isPostgresCluster(before)) return [];
    const from = before!.metadata.annotations?.[DEVELOPER_ACCESS_ANNOTATION];
    const to = after!.metadata.annotations?.[DEVELOPER_ACCESS_ANNOTATION];
    return from && to && ACCESS_RANK[to] > ACCESS_RANK[from] ? [`developer access widens from ${from} to ${to}`] : [];
  },
};

const databaseChanges: DangerRule = {
  name: 'database',
  check: ({ type, before, after }) => {
    if (type !== 'changed' || before?.kind !== 'Database') return [];
    const a = spec(before);
    const b = spec(after);
    const out: string[] = [];
    if (a.name !== b.name) out.push(`database name changes from "${a.name}" to "${b.name}": the operator creates a new, empty database`);
    if (b.databaseReclaimPolicy === 'delete' && a.databaseReclaimPolicy !== 'delete')
      out.push('databaseReclaimPolicy becomes delete: deleting the object will drop the database');
    return out;
  },
};

/** An update the API server refuses: a CRD rule on `oldSelf` (e.g. an immutable field). */
const rejectedUpdate: DangerRule = {
  name: 'rejected-update',
  check: ({ type, before, after }, context) => {
    if (type !== 'changed' || !before || !after || !context.rejectedUpdate) return [];
    return context
      .rejectedUpdate(before, after)
      .map(
        (v) =>
          `the API server will reject this update: "${v.message}" (${v.path || 'the object'}, a CRD transition rule): the sync fails here, after the objects of earlier waves (e.g. connection Secrets) are already applied`,
      );
  },
};

/** An ingress policy selecting nothing and allowing nothing: all other ingress is denied. */
function isDefaultDeny(o: KubernetesObject): boolean {
  const s = spec(o);
  return (
    o.kind === 'NetworkPolicy' &&
    Object.keys(s.podSelector ?? {}).every((k) => Object.keys(s.podSelector[k] ?? {}).length === 0) &&
    (s.ingress ?? []).length === 0 &&
    (s.policyTypes ?? ['Ingress']).includes('Ingress')
  );
}

/**
 * Policies are additive allow-lists: removing one that allows traffic CUTS that traffic when a
 * default-deny remains; removing the default-deny OPENS every pod no other policy selects.
 */
const removedNetworkPolicy: DangerRule = {
  name: 'network-policy-removed',
  check: ({ type, environment, before }, context) => {
    if (type !== 'removed' || before?.kind !== 'NetworkPolicy') return [];
    if ((before.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '').split(',').includes('Prune=false')) {
      // Kept by Argo CD for the cluster it admits traffic to (a removed service's kept cluster).
      return [
        'is removed: Argo CD keeps it as it is (Prune=false), but it is no longer managed; delete it by hand once its cluster is gone',
      ];
    }
    if (isDefaultDeny(before)) {
      return [
        `is removed: it denied all ingress in namespace ${before.metadata.namespace}; pods no other policy selects now accept traffic from anywhere`,
      ];
    }
    const grants = ingressGrants(spec(before));
    const denyRemains = perPlan(
      context,
      `default-deny namespaces ${environment}`,
      () =>
        new Set(
          context
            .headObjects(environment)
            .filter(isDefaultDeny)
            .map((o) => o.metadata.namespace),
        ),
    ).has(before.metadata.namespace);
    const allowed = grants.length ? grants.join('; ') : 'nothing';
    return [
      denyRemains
        ? `is removed: it only allowed traffic (${allowed}); the namespace's default-deny remains, so that traffic is CUT`
        : `is removed: the pods it selected are no longer restricted by it (${allowed} was allowed); without a default-deny they may accept traffic from anywhere`,
    ];
  },
};

const networkPolicyWidened: DangerRule = {
  name: 'network-policy-widened',
  check: ({ type, before, after }, context) => {
    if (type !== 'changed' || before?.kind !== 'NetworkPolicy') return [];
    const a = spec(before);
    const b = spec(after);
    const allowed = new Set(ingressGrants(a));
    const clients = perPlan(context, 'new-service-clients', () => newServiceClients(context.transitions));
    // CloudNativePG's instance label, or Zalando's (cluster-name).
    const cluster = b.podSelector?.matchLabels?.['cnpg.io/cluster'] ?? b.podSelector?.matchLabels?.['cluster-name'];
    const out = ingressGrants(b)
      .filter((g) => !allowed.has(g) && !clients.has(`${cluster} ${g}`))
      .map((g) => `now also allows ${g}`);
    if (JSON.stringify(a.podSelector) !== JSON.stringify(b.podSelector))
      out.push('selects other pods: review which pods lose or gain protection');
    return out;
  },
};

/** CloudNativePG's default when a Pooler sets no pgbouncer.poolMode. */
const DEFAULT_POOL_MODE = 'session';
const poolMode = (o: KubernetesObject | undefined) => (spec(o).pgbouncer?.poolMode as string | undefined) ?? DEFAULT_POOL_MODE;
const TRANSACTION_BREAKS = 'SET, session advisory locks, LISTEN, temporary tables, SQL PREPARE';

/**
 * Transaction pooling changes what the apps behind a pooler may rely on (docs/pooling.md): flagged
 * when a Pooler switches from session to transaction, and when a transaction-mode Pooler appears
 * in front of a cluster that already existed (the apps' `uri` moves from a direct, session
 * connection onto it). A transaction pooler for a cluster added in the same change is not: no app
 * depended on it yet.
 */
const poolModeToTransaction: DangerRule = {
  name: 'pool-mode',
  check: ({ type, environment, before, after }, context) => {
    if (after?.kind !== 'Pooler' || poolMode(after) !== 'transaction') return [];
    const cluster = spec(after).cluster?.name as string | undefined;
    if (type === 'changed' && poolMode(before) !== 'transaction') {
      return [
        `pool mode changes from ${poolMode(before)} to transaction: session state (${TRANSACTION_BREAKS}) no longer survives between transactions for the apps of cluster ${cluster} — check them first (docs/pooling.md)`,
      ];
    }
    const clusterIsNew = perPlan(
      context,
      'added-clusters',
      () =>
        new Set(
          context.transitions
            .filter((t) => t.type === 'added' && t.after?.kind === 'Cluster')
            .map((t) => `${t.environment} ${t.after!.metadata.namespace} ${t.after!.metadata.name}`),
        ),
    ).has(`${environment} ${after.metadata.namespace} ${cluster}`);
    if (type === 'added' && !clusterIsNew) {
      return [
        `is added in transaction mode in front of the existing cluster ${cluster}: its apps' endpoint moves from a session connection to transaction pooling (${TRANSACTION_BREAKS} break) — check them first (docs/pooling.md)`,
      ];
    }
    return [];
  },
};

/** Every rule, in the order their messages are listed. */
/**
 * LOGIN roles that can no longer log in (the last step of a credential rotation, or a role turned
 * NOLOGIN by hand): every connection still using them fails. Roles are read from a Cluster's
 * `managed.roles` and from DatabaseRole objects.
 */
const loginRevoked: DangerRule = {
  name: 'login-revoked',
  check: ({ type, before, after }) => {
    if (type !== 'changed' || !before || !after) return [];
    const logins = (o: KubernetesObject): Map<string, boolean> => {
      if (o.kind === 'DatabaseRole') return new Map([[spec(o).name as string, spec(o).login === true]]);
      if (o.kind === 'Cluster') return new Map(((spec(o).managed?.roles ?? []) as Spec[]).map((r) => [r.name as string, r.login === true]));
      return new Map();
    };
    const now = logins(after);
    return [...logins(before)]
      .filter(([role, login]) => login && now.get(role) === false)
      .map(
        ([role]) =>
          `role ${role} can no longer log in: connections with its credentials fail from this sync on; first check that none remain ` +
          `(SELECT count(*) FROM pg_stat_activity WHERE usename = '${role}') — the app's pods must have restarted with the new Secret`,
      );
  },
};

/** The remote keys an ExternalSecret reads or a PushSecret writes. */
function remoteKeys(o: KubernetesObject | undefined): string[] {
  if (o?.kind === 'ExternalSecret') return ((spec(o).data ?? []) as Spec[]).map((d) => d.remoteRef?.key as string).filter(Boolean);
  if (o?.kind === 'PushSecret') return ((spec(o).data ?? []) as Spec[]).map((d) => d.match?.remoteRef?.remoteKey as string).filter(Boolean);
  return [];
}

/**
 * The services/platform key layout (lib/secrets/key-layout.ts) moves every dbfleet key once:
 * `<prefix>/<env>/<service>` → `<prefix>/<env>/services/<service>`, `<prefix>/<env>/developers/<name>`
 * and `<prefix>/<env>/dbfleet-access` → `<prefix>/<env>/platform/…`. Synced before the values are
 * copied, a PushSecret (`updatePolicy: IfNotExists`) finds the new key empty and pushes a new
 * random password, the ExternalSecrets follow, and the role's password changes under running apps;
 * with `passwords: existing` the ExternalSecrets fail to read. Rotations also change remote keys
 * (`…/rotation-<g>`), but by design: only the layout move is flagged.
 */
const storeKeyMoved: DangerRule = {
  name: 'store-key-moved',
  check: ({ type, before, after }) => {
    if (type !== 'changed') return [];
    const oldKeys = remoteKeys(before);
    const old = new Set(oldKeys);
    const verb = after!.kind === 'PushSecret' ? 'pushes to' : 'reads';
    const copy = (key: string, from: string) =>
      `copy the value once before this syncs (e.g. \`vault kv get -format=json ${from}\` then \`vault kv put ${key} password=…\`; every key: \`dbfleet secrets\`), ` +
      `or the PushSecret generates a new password at the empty key and the role's password changes under running apps (passwords: existing: the ExternalSecret fails to read). Delete ${from} after the sync.`;
    return remoteKeys(after).flatMap((key, index) => {
      if (old.has(key)) return [];
      const legacy = key.replace(/\/(services|platform)\//, '/');
      if (legacy !== key && old.has(legacy))
        return [`${verb} store key ${key} instead of ${legacy} (the services/platform key layout, docs/security.md): ${copy(key, legacy)}`];
      // The same key of another environment: a DR pair's role swap (a standby reads its source's
      // keys, `secretsEnvironment`), e.g. the Aurora promotion runbook's step 2 or Zalando's
      // promote-standby step 3. Exactly one segment before the last differs; rotations change the
      // last one (…/rotation-<g>) by design.
      const was = oldKeys[index];
      if (was === undefined) return [];
      const a = was.split('/');
      const b = key.split('/');
      const differing = a.flatMap((segment, i) => (segment === b[i] ? [] : [i]));
      if (a.length !== b.length || differing.length !== 1 || differing[0] === a.length - 1) return [];
      return [
        `${verb} store key ${key} instead of ${was} (another environment's key: a DR role swap moves every key to the promoted environment, docs/runbooks/AuroraGlobalClusterPromotion.md, docs/runbooks/zalando-promote-standby.md): ${copy(key, was)}`,
      ];
    });
  },
};

/** `production/services/x.yaml` → `production/services`: the folder, i.e. the Argo CD Application, that carries a file. */
const folderOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));

/**
 * An object that changes Application (its dist/ folder: `dist/<env>/` → `dist/<env>/services/`,
 * lib/gitops/delivery-parts.ts) is extraneous to the old Application before the new one adopts it.
 * The old Application skips the prune only if the *live* object carries Prune=false
 * (argo-cd@v3.5.1 gitops-engine/pkg/sync/sync_context.go pruneObject → isPruningDisabled(liveObj)),
 * i.e. if the base revision's object did; Prune=false only on the new object is too late. A pruned
 * connection ExternalSecret takes its app Secret with it (creationPolicy: Owner, foreground
 * propagation) until the new Application applies it again.
 */
const applicationChanged: DangerRule = {
  name: 'application-changed',
  check: ({ type, before, after, beforePath, afterPath }) => {
    if ((type !== 'changed' && type !== 'moved') || !before || !after || beforePath === undefined || afterPath === undefined) return [];
    const from = folderOf(beforePath);
    const to = folderOf(afterPath);
    if (from === to) return [];
    if ((before.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '').split(',').includes('Prune=false')) return [];
    return [
      `moves from the Application of dist/${from}/ to the Application of dist/${to}/, and the object synced now (the base revision's) does not carry Prune=false: ` +
        `the old Application prunes it as soon as it syncs this revision (Argo CD reads Prune=false from the live object), before the new Application applies it` +
        (before.kind === 'ExternalSecret'
          ? ', and its Secret is garbage-collected with it (creationPolicy: Owner): pods that start meanwhile find no Secret'
          : '') +
        `. Either sync a revision that adds Prune=false where the object is now first, or apply dist/argocd/ before this syncs (the old AppProject then no longer admits the namespace and the old Application ignores the object)`,
    ];
  },
};

export const DANGER_RULES: readonly DangerRule[] = [
  admissionRefused,
  applicationChanged,
  loginRevoked,
  storeKeyMoved,
  removedDataBearing,
  movedDataBearing,
  lostProtection,
  volumeShrink,
  instancesToOne,
  majorVersionChange,
  developerAccessWidens,
  databaseChanges,
  rejectedUpdate,
  removedNetworkPolicy,
  networkPolicyWidened,
  operatorSwitch,
  poolModeToTransaction,
  drSwitchover,
  // What only one backend knows (lib/backends/<backend>/).
  ...allBackends().flatMap((b) => b.dangerRules),
];

export function findDangers(context: DangerContext, rules: readonly DangerRule[] = DANGER_RULES): Danger[] {
  const dangers: Danger[] = [];
  for (const t of context.transitions) {
    const object = t.type === 'added' ? t.after! : t.before!;
    for (const rule of rules) {
      for (const message of rule.check(t, context))
        dangers.push({ environment: t.environment, object: describe(object), message, rule: rule.name });
    }
  }
  return dangers;
}

/**
 * A service added in this change opens its cluster to its namespace: that is the point of
 * adding it, not a widening. Found from the new services' connection secrets (which name the
 * cluster's host); keyed like the grants, `<cluster> <grant>`.
 */
function newServiceClients(transitions: readonly Transition[]): Set<string> {
  const expected = new Set<string>();
  // The same secret removed elsewhere is a service changing namespace, not a new service.
  const removed = new Set(
    transitions
      .filter((t) => t.type === 'removed' && t.before?.kind === 'ExternalSecret')
      .map((t) => `${t.environment} ${t.before!.metadata.name}`),
  );
  for (const t of transitions) {
    if (t.type !== 'added' || t.after?.kind !== 'ExternalSecret' || removed.has(`${t.environment} ${t.after.metadata.name}`)) continue;
    const data = spec(t.after).target?.template?.data;
    // `direct-host` is the cluster's own Service even when `host` is a pooler's:
    // CloudNativePG's `<cluster>-rw.<ns>.svc`, or Zalando's master Service `<cluster>.<ns>.svc`.
    const host = (data?.['direct-host'] ?? data?.host) as string | undefined;
    const cluster = host?.match(/^(.+)-rw\./)?.[1] ?? host?.match(/^([^.]+)\./)?.[1];
    if (!cluster || !t.after.metadata.namespace) continue;
    const peer = describePeer({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': t.after.metadata.namespace } } });
    expected.add(`${cluster} ${peer} on TCP 5432`);
  }
  return expected;
}

/** Each (source, port) an ingress policy allows, as a readable string. An empty `from` is everyone. */
function ingressGrants(s: Spec): string[] {
  const grants: string[] = [];
  for (const rule of (s.ingress ?? []) as Spec[]) {
    const peers = (rule.from ?? [{ everyone: true }]) as Spec[];
    const ports = (rule.ports ?? [{ port: 'any port' }]) as Spec[];
    for (const peer of peers.flatMap(perNamespace))
      for (const port of ports) grants.push(`${describePeer(peer)} on ${port.protocol ?? 'TCP'} ${port.port}`);
  }
  return grants;
}

/**
 * A peer selecting namespaces by name with `In` is the same as one peer per namespace: compared
 * that way, adding a namespace to the list is one new grant, not a different peer.
 */
function perNamespace(peer: Spec): Spec[] {
  const expressions = peer.namespaceSelector?.matchExpressions as Spec[] | undefined;
  if (!expressions || expressions.length !== 1 || peer.namespaceSelector.matchLabels) return [peer];
  const [e] = expressions;
  if (e.key !== 'kubernetes.io/metadata.name' || e.operator !== 'In') return [peer];
  return (e.values as string[]).map((name) => ({ ...peer, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } }));
}

function describePeer(peer: Spec): string {
  if (peer.everyone) return 'traffic from anywhere';
  if (peer.ipBlock) return `ipBlock ${peer.ipBlock.cidr}`;
  const parts = [];
  if (peer.namespaceSelector) parts.push(`namespaces ${JSON.stringify(peer.namespaceSelector)}`);
  if (peer.podSelector) parts.push(`pods ${JSON.stringify(peer.podSelector)}`);
  return parts.join(' and ');
}
