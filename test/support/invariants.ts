// Operational rules that hold for ANY rendered fleet: what the schemas cannot see, but a real
// cluster would. Each rule reads the rendered objects (and the fleet they came from) and returns
// violations; test/invariants/*.test.ts holds them to the repo's fleet and to random fleets.
//
// Extending: add an Invariant to INVARIANTS (or pass your own list to checkInvariants). A rule
// gets every object of every environment and the resolved fleet; it must never throw on a kind
// it does not know, only skip it.
import type { Fleet } from '../../lib/config/model';
import {
  FINAL_WAVE,
  HOOK_ANNOTATION,
  IGNORE_HEALTHCHECK_ANNOTATION,
  isProtected,
  PROTECTED_SYNC_OPTIONS,
  SCHEDULED_KINDS,
  SYNC_OPTIONS_ANNOTATION,
  SYNC_WAVE_ANNOTATION,
  groupKind,
} from '../../lib/gitops/sync-policy';
import type { KubernetesObject, RenderedObject } from '../../lib/output/render';
import { ANNOTATION_LIMIT_BYTES, appliedSize, OBJECT_LIMIT_BYTES } from '../../lib/output/object-size';
import { imagesOf } from '../../lib/plan/image-digests';
import { parseImage } from '../../lib/config/postgres-image';
import { scanForSecrets } from './secret-scan';
import { boundedLabelValue } from '../../lib/labels';
import { namesWithinLimits } from './name-invariant';

export interface Violation {
  readonly rule: string;
  /** `<dist path>` of the object the rule is about. */
  readonly object: string;
  readonly message: string;
}

export interface InvariantContext {
  readonly fleet: Fleet;
  /** Every rendered object, all environments (paths `<environment>/<kind>-<name>.yaml`). */
  readonly objects: readonly RenderedObject[];
}

export interface Invariant {
  readonly id: string;
  /** One sentence: the rule, as an operator would state it. */
  readonly description: string;
  check(context: InvariantContext): Violation[];
}

// The limits and the size as Argo CD applies an object: the render-time guard's own (one definition).
export { ANNOTATION_LIMIT_BYTES, OBJECT_LIMIT_BYTES };

type Obj = KubernetesObject & { spec?: any };
const kindKey = (o: KubernetesObject) => groupKind(o.apiVersion, o.kind);
const environmentOf = (r: RenderedObject) => r.path.split('/')[0];
const syncOptions = (o: KubernetesObject) => (o.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '').split(',').filter(Boolean);
const protectedObject = (o: KubernetesObject) => PROTECTED_SYNC_OPTIONS.split(',').every((opt) => syncOptions(o).includes(opt));
const labelsMatch = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
/** A LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
const selectorMatches = (
  selector:
    { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined,
  labels: Record<string, string>,
) =>
  labelsMatch(selector?.matchLabels, labels) &&
  (selector?.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case 'In':
        return e.key in labels && (e.values ?? []).includes(labels[e.key]);
      case 'NotIn':
        return !(e.key in labels) || !(e.values ?? []).includes(labels[e.key]);
      case 'Exists':
        return e.key in labels;
      case 'DoesNotExist':
        return !(e.key in labels);
      default:
        return false;
    }
  });

/** The Secret names an object makes exist in its namespace (ExternalSecret targets, Secrets). */
function producedSecrets(objects: readonly RenderedObject[]): Map<string, Obj> {
  const produced = new Map<string, Obj>();
  for (const { object } of objects) {
    const o = object as Obj;
    if (o.kind === 'ExternalSecret') produced.set(`${o.metadata.namespace}/${o.spec?.target?.name ?? o.metadata.name}`, o);
    if (o.kind === 'Secret' && o.apiVersion === 'v1') produced.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
  }
  return produced;
}

/** Secret names referenced anywhere in a spec: `passwordSecret`, `*Secret`, `secretKeyRef`, `secret.secretName`. */
function referencedSecrets(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedSecrets(v, found);
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (v && typeof v === 'object' && /secret(KeyRef)?$/i.test(key) && typeof (v as { name?: unknown }).name === 'string')
        found.add((v as { name: string }).name);
      if (key === 'secret' && v && typeof v === 'object' && typeof (v as { secretName?: unknown }).secretName === 'string')
        found.add((v as { secretName: string }).secretName);
      referencedSecrets(v, found);
    }
  }
  return found;
}

// -------------------------------------------------------------------------------------------
// NetworkPolicy evaluation, enough for the peers dbfleet renders: namespaceSelector and
// podSelector with matchLabels, alone or together, and numeric ports.

interface Pod {
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

function admits(policies: readonly Obj[], from: Pod, to: Pod, port: number): boolean {
  const selecting = policies.filter(
    (p) =>
      p.metadata.namespace === to.namespace &&
      (p.spec?.policyTypes ?? ['Ingress']).includes('Ingress') &&
      labelsMatch(p.spec?.podSelector?.matchLabels, to.labels),
  );
  // No policy selects the pod: nothing restricts it (dbfleet always renders a default deny).
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (p.spec?.ingress ?? []).some((rule: any) => {
      const portOk =
        !rule.ports || rule.ports.length === 0 || rule.ports.some((q: any) => q.port === port && (q.protocol ?? 'TCP') === 'TCP');
      const peerOk =
        !rule.from ||
        rule.from.length === 0 ||
        rule.from.some((peer: any) => {
          const nsSel = peer.namespaceSelector;
          const podSel = peer.podSelector;
          const nsOk = nsSel
            ? selectorMatches(nsSel, { 'kubernetes.io/metadata.name': from.namespace })
            : from.namespace === p.metadata.namespace;
          const podOk = podSel ? selectorMatches(podSel, from.labels) : true;
          return nsOk && podOk;
        });
      return portOk && peerOk;
    }),
  );
}

// -------------------------------------------------------------------------------------------
// The rules.

const cnpgClusters = (objects: readonly RenderedObject[]) => objects.filter((r) => kindKey(r.object) === 'postgresql.cnpg.io/Cluster');

export const singleInstanceHasNoBlockingPdb: Invariant = {
  id: 'single-instance-no-blocking-pdb',
  description:
    "A 1-instance Cluster has enablePDB: false: the operator's primary PDB (minAvailable 1) would block every drain of its node.",
  check: ({ objects }) =>
    cnpgClusters(objects)
      .filter((r) => (r.object as Obj).spec?.instances === 1 && (r.object as Obj).spec?.enablePDB !== false)
      .map((r) => ({ rule: 'single-instance-no-blocking-pdb', object: r.path, message: 'instances: 1 without enablePDB: false' })),
};

export const noSuperuserAccess: Invariant = {
  id: 'no-superuser-access',
  description: 'No Cluster enables superuser access (a network login as postgres).',
  check: ({ objects }) =>
    cnpgClusters(objects)
      .filter((r) => (r.object as Obj).spec?.enableSuperuserAccess === true)
      .map((r) => ({ rule: 'no-superuser-access', object: r.path, message: 'enableSuperuserAccess: true' })),
};

export const protectedDependencies: Invariant = {
  id: 'protected-dependencies',
  description:
    'Whatever a protected (Prune=false) object needs stays as long as it stays: the Secrets it reads, the NetworkPolicy and PodMonitor of a Cluster, the role owning a Database.',
  check: ({ objects }) => {
    const violations: Violation[] = [];
    const produced = producedSecrets(objects);
    const all = objects.map((r) => r.object as Obj);
    for (const r of objects) {
      const o = r.object as Obj;
      if (!protectedObject(o)) continue;
      for (const name of referencedSecrets(o.spec)) {
        const producer = produced.get(`${o.metadata.namespace}/${name}`);
        if (producer && !protectedObject(producer))
          violations.push({
            rule: 'protected-dependencies',
            object: r.path,
            message: `reads Secret ${name}, produced by ${producer.kind} ${producer.metadata.name}, which a sync may prune`,
          });
      }
      if (kindKey(o) === 'postgresql.cnpg.io/Cluster') {
        const pods = { 'cnpg.io/cluster': o.metadata.name, 'cnpg.io/podRole': 'instance' };
        const policies = all.filter(
          (p) =>
            p.kind === 'NetworkPolicy' &&
            p.metadata.namespace === o.metadata.namespace &&
            Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length > 0 &&
            labelsMatch(p.spec.podSelector.matchLabels, pods),
        );
        for (const p of policies.filter((x) => !protectedObject(x)))
          violations.push({
            rule: 'protected-dependencies',
            object: r.path,
            message: `its NetworkPolicy ${p.metadata.name} may be pruned while the Cluster is kept`,
          });
        const monitors = all.filter(
          (m) =>
            m.kind === 'PodMonitor' &&
            labelsMatch(m.spec?.selector?.matchLabels, pods) &&
            (m.spec?.namespaceSelector?.matchNames ?? [m.metadata.namespace]).includes(o.metadata.namespace),
        );
        for (const m of monitors.filter((x) => !protectedObject(x)))
          violations.push({
            rule: 'protected-dependencies',
            object: r.path,
            message: `its PodMonitor ${m.metadata.name} may be pruned while the Cluster is kept`,
          });
      }
      if (kindKey(o) === 'postgresql.cnpg.io/Database') {
        const roles = all.filter(
          (x) =>
            kindKey(x) === 'postgresql.cnpg.io/DatabaseRole' &&
            x.metadata.namespace === o.metadata.namespace &&
            x.spec?.cluster?.name === o.spec?.cluster?.name &&
            x.spec?.name === o.spec?.owner,
        );
        for (const role of roles) {
          if (!protectedObject(role) && (role.spec?.databaseRoleReclaimPolicy ?? 'retain') !== 'retain') {
            violations.push({
              rule: 'protected-dependencies',
              object: r.path,
              message: `its owner ${o.spec.owner} would be dropped when DatabaseRole ${role.metadata.name} is pruned`,
            });
          }
        }
      }
    }
    return violations;
  },
};

/** Kinds an operator resolves by name from another object's spec (what a kept object may depend on). */
const REFERENCEABLE_KINDS = new Set([
  'barmancloud.cnpg.io/ObjectStore',
  'postgresql.cnpg.io/ImageCatalog',
  '/ConfigMap',
  '/Secret',
  'external-secrets.io/ExternalSecret',
  '/ServiceAccount',
]);

/** Every string in a value, at any depth. */
function stringLeaves(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') found.add(value);
  else if (Array.isArray(value)) for (const v of value) stringLeaves(v, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringLeaves(v, found);
  return found;
}

export const protectedClosure: Invariant = {
  id: 'protected-closure',
  description:
    'Every object a protected (Prune=false) object names in its spec (ObjectStore, ImageCatalog, ConfigMap, Secret or the ExternalSecret making it, ServiceAccount) is protected too, transitively: the object graph, not a list of kinds.',
  check: ({ objects }) => {
    const violations: Violation[] = [];
    const named = new Map<string, RenderedObject[]>();
    for (const r of objects) {
      const o = r.object as Obj;
      if (!REFERENCEABLE_KINDS.has(kindKey(o))) continue;
      const names = new Set([
        o.metadata.name,
        ...(o.kind === 'ExternalSecret' && o.spec?.target?.name ? [o.spec.target.name as string] : []),
      ]);
      for (const name of names) {
        const key = `${environmentOf(r)}/${o.metadata.namespace}/${name}`;
        named.set(key, [...(named.get(key) ?? []), r]);
      }
    }
    for (const r of objects) {
      const o = r.object as Obj;
      // A NetworkPolicy's spec is label selectors, CIDRs and ports: it names no object (a label
      // value like app.kubernetes.io/name: restore-drill is not the ServiceAccount of that name).
      if (!protectedObject(o) || o.kind === 'NetworkPolicy') continue;
      for (const value of stringLeaves(o.spec)) {
        for (const dependency of named.get(`${environmentOf(r)}/${o.metadata.namespace}/${value}`) ?? []) {
          if (dependency === r || protectedObject(dependency.object)) continue;
          violations.push({
            rule: 'protected-closure',
            object: r.path,
            message: `names ${dependency.object.kind} ${dependency.object.metadata.name}, which a sync may prune while this object is kept`,
          });
        }
      }
    }
    return violations;
  },
};

export const noWritesAtReplicaSite: Invariant = {
  id: 'no-writes-at-replica-site',
  description:
    'No Job or CronJob that logs in to PostgreSQL (a pod admitted as an access client, or PGHOST naming a cluster) runs against a replica cluster: a replica accepts no writes, the hook would fail and the sync with it.',
  check: ({ objects }) => {
    const violations: Violation[] = [];
    const replicas = new Set(
      cnpgClusters(objects)
        .filter((r) => {
          const replica = (r.object as Obj).spec?.replica;
          return replica?.primary !== undefined && replica.primary !== replica.self;
        })
        .map((r) => `${environmentOf(r)}/${r.object.metadata.namespace}/${r.object.metadata.name}`),
    );
    for (const r of objects.filter((x) => x.object.kind === 'Job' || x.object.kind === 'CronJob')) {
      const o = r.object as Obj;
      const pod = o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template : o.spec?.template;
      const targets = new Set<string>();
      const client = pod?.metadata?.labels?.['dbfleet.io/access-client'];
      if (client) targets.add(client);
      for (const c of pod?.spec?.containers ?? [])
        for (const e of c.env ?? [])
          if (e.name === 'PGHOST' && typeof e.value === 'string') targets.add(e.value.replace(/-rw(\..*)?$/, ''));
      for (const cluster of targets)
        if (replicas.has(`${environmentOf(r)}/${o.metadata.namespace}/${cluster}`))
          violations.push({ rule: 'no-writes-at-replica-site', object: r.path, message: `logs in to ${cluster}, a replica cluster here` });
    }
    return violations;
  },
};

/** Every remote key an ExternalSecret reads (`data[].remoteRef.key`, `dataFrom[].extract|find`). */
function remoteKeysRead(o: Obj): string[] {
  return [
    ...(o.spec?.data ?? []).map((d: any) => d?.remoteRef?.key),
    ...(o.spec?.dataFrom ?? []).map((d: any) => d?.extract?.key ?? d?.find?.path ?? d?.find?.name?.regexp),
  ].filter((k): k is string => typeof k === 'string');
}

export const noPeerWriteCredentials: Invariant = {
  id: 'no-peer-write-credentials',
  description:
    "No DR site can read the other site's object-store write credentials: no ExternalSecret of a site reads the remote key its peer's own ObjectStore writes with (the Barman Cloud plugin lets instance pods read every ObjectStore's Secret their Cluster refers to).",
  check: ({ objects, fleet }) => {
    const violations: Violation[] = [];
    for (const environment of fleet.environments) {
      if (!environment.dr) continue;
      const peer = fleet.environments.find((e) => e.name === environment.dr!.peer);
      const writeKey = peer?.backups.objectStore?.remoteKey;
      if (!writeKey) continue;
      for (const r of objects.filter((x) => environmentOf(x) === environment.name && x.object.kind === 'ExternalSecret'))
        if (remoteKeysRead(r.object as Obj).includes(writeKey))
          violations.push({
            rule: 'no-peer-write-credentials',
            object: r.path,
            message: `reads ${writeKey}, the read-write object-store key of ${peer!.name}`,
          });
    }
    return violations;
  },
};

export const objectSize: Invariant = {
  id: 'object-size',
  description: `No object exceeds ${OBJECT_LIMIT_BYTES} bytes; one applied client-side must also fit, with its last-applied copy, the ${ANNOTATION_LIMIT_BYTES}-byte annotation limit (lib/output/object-size.ts, the render-time guard).`,
  check: ({ objects }) =>
    objects.flatMap((r) => {
      const { bytes, limit, clientSide } = appliedSize(r.object);
      if (bytes > limit)
        return [{ rule: 'object-size', object: r.path, message: `${bytes} bytes${clientSide ? ' applied client-side' : ''}` }];
      return [];
    }),
};

export const scheduledJobsCannotFailSync: Invariant = {
  id: 'scheduled-jobs-cannot-fail-sync',
  description:
    'A scheduled job sits in the last sync wave, with no hook in or after it and no PruneLast: Argo CD never waits on its health, so a failed run cannot fail a sync.',
  check: ({ objects }) => {
    const violations: Violation[] = [];
    const byEnvironment = new Map<string, RenderedObject[]>();
    for (const r of objects) byEnvironment.set(environmentOf(r), [...(byEnvironment.get(environmentOf(r)) ?? []), r]);
    for (const [, rendered] of byEnvironment) {
      const wave = (o: KubernetesObject) => Number(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION] ?? 0);
      const hooks = rendered.filter((r) => r.object.metadata.annotations?.[HOOK_ANNOTATION]);
      const scheduled = rendered.filter((r) => SCHEDULED_KINDS.has(kindKey(r.object)));
      if (scheduled.length === 0) continue;
      const lastWave = Math.max(...rendered.filter((r) => !r.object.metadata.annotations?.[HOOK_ANNOTATION]).map((r) => wave(r.object)));
      for (const r of scheduled) {
        if (wave(r.object) !== lastWave)
          violations.push({
            rule: 'scheduled-jobs-cannot-fail-sync',
            object: r.path,
            message: `in wave ${wave(r.object)}, but wave ${lastWave} comes after it`,
          });
        if (r.object.metadata.annotations?.[IGNORE_HEALTHCHECK_ANNOTATION] !== 'true')
          violations.push({
            rule: 'scheduled-jobs-cannot-fail-sync',
            object: r.path,
            message: "its health counts in the Application's health",
          });
      }
      for (const h of hooks) {
        const phases = h.object.metadata.annotations![HOOK_ANNOTATION]!.split(',');
        if (phases.some((p) => p === 'PostSync') || (phases.includes('Sync') && wave(h.object) >= lastWave)) {
          violations.push({
            rule: 'scheduled-jobs-cannot-fail-sync',
            object: h.path,
            message: `hook ${phases.join(',')} in wave ${wave(h.object)} runs after the scheduled jobs, so Argo CD would wait on their health`,
          });
        }
      }
      for (const r of rendered)
        if (syncOptions(r.object).includes('PruneLast=true'))
          violations.push({
            rule: 'scheduled-jobs-cannot-fail-sync',
            object: r.path,
            message: "PruneLast moves prunes after the scheduled jobs' wave",
          });
    }
    for (const r of objects.filter((x) => x.object.kind === 'ApplicationSet')) {
      const options: string[] = (r.object as Obj).spec?.template?.spec?.syncPolicy?.syncOptions ?? [];
      if (options.includes('PruneLast=true'))
        violations.push({
          rule: 'scheduled-jobs-cannot-fail-sync',
          object: r.path,
          message: "PruneLast=true in the Applications' sync options",
        });
    }
    if (
      objects.some(
        (r) => SCHEDULED_KINDS.has(kindKey(r.object)) && Number(r.object.metadata.annotations?.[SYNC_WAVE_ANNOTATION]) !== FINAL_WAVE,
      )
    ) {
      violations.push({
        rule: 'scheduled-jobs-cannot-fail-sync',
        object: '-',
        message: `scheduled jobs must use FINAL_WAVE (${FINAL_WAVE})`,
      });
    }
    return violations;
  },
};

export const clusterTrafficAdmitted: Invariant = {
  id: 'cluster-traffic-admitted',
  description:
    "Every cluster's instances admit the operator (5432, 8000), their own instances (5432), the monitoring namespace (9187) and the namespaces of the services they hold (5432), and nothing from an unrelated namespace.",
  check: ({ objects, fleet }) => {
    const violations: Violation[] = [];
    const policies = objects.map((r) => r.object as Obj).filter((o) => o.kind === 'NetworkPolicy');
    for (const r of cnpgClusters(objects)) {
      const c = r.object as Obj;
      const environment = fleet.environments.find((e) => e.name === environmentOf(r));
      if (
        environment &&
        (environment as { operator?: string }).operator &&
        (environment as { operator?: string }).operator !== 'cloudnative-pg'
      )
        continue;
      const instance: Pod = {
        namespace: c.metadata.namespace!,
        labels: { 'cnpg.io/cluster': c.metadata.name, 'cnpg.io/podRole': 'instance' },
      };
      const expectations: Array<[string, Pod, number, boolean]> = [
        [
          'the operator on 8000',
          { namespace: fleet.operatorNamespace, labels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
          8000,
          true,
        ],
        [
          'the operator on 5432',
          { namespace: fleet.operatorNamespace, labels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
          5432,
          true,
        ],
        [
          'its own instances on 5432',
          { namespace: instance.namespace, labels: { 'cnpg.io/cluster': c.metadata.name, 'cnpg.io/podRole': 'instance' } },
          5432,
          true,
        ],
        ['monitoring on 9187', { namespace: fleet.monitoring.namespace, labels: { 'app.kubernetes.io/name': 'prometheus' } }, 9187, true],
        ['an unrelated namespace on 5432', { namespace: 'dbfleet-invariant-unrelated', labels: {} }, 5432, false],
        ...(environment?.clusters.find((x) => x.name === c.metadata.name)?.services ?? []).map((s): [string, Pod, number, boolean] => [
          `service ${s.name}'s namespace on 5432`,
          { namespace: s.namespace, labels: { app: s.name } },
          5432,
          true,
        ]),
        [
          "another cluster's instances on 5432",
          { namespace: instance.namespace, labels: { 'cnpg.io/cluster': `${c.metadata.name}-other`, 'cnpg.io/podRole': 'instance' } },
          5432,
          false,
        ],
      ];
      for (const [what, from, port, want] of expectations) {
        if (admits(policies, from, instance, port) !== want)
          violations.push({ rule: 'cluster-traffic-admitted', object: r.path, message: `${want ? 'does not admit' : 'admits'} ${what}` });
      }
    }
    return violations;
  },
};

export const roleObjectsBeside: Invariant = {
  id: 'database-roles-beside-cluster',
  description:
    "A DatabaseRole lives in its Cluster's namespace and reads a basic-auth Secret from there that is labelled cnpg.io/reload (so a rotation applies at once).",
  check: ({ objects }) => {
    const violations: Violation[] = [];
    // Per environment: each is synced to its own destination, and two environments may use the
    // same namespace name (a Zalando environment's `<service>-db-credentials`, without
    // cnpg.io/reload, is not the Secret a CloudNativePG environment's DatabaseRole reads).
    const producedIn = new Map<string, Map<string, Obj>>();
    const producedAt = (environment: string) => {
      if (!producedIn.has(environment))
        producedIn.set(environment, producedSecrets(objects.filter((x) => environmentOf(x) === environment)));
      return producedIn.get(environment)!;
    };
    const clusters = new Set(
      cnpgClusters(objects).map((r) => `${environmentOf(r)}/${r.object.metadata.namespace}/${r.object.metadata.name}`),
    );
    for (const r of objects.filter((x) => kindKey(x.object) === 'postgresql.cnpg.io/DatabaseRole')) {
      const o = r.object as Obj;
      if (!clusters.has(`${environmentOf(r)}/${o.metadata.namespace}/${o.spec?.cluster?.name}`))
        violations.push({
          rule: 'database-roles-beside-cluster',
          object: r.path,
          message: `no Cluster ${o.spec?.cluster?.name} in namespace ${o.metadata.namespace}`,
        });
      const secret = o.spec?.passwordSecret?.name;
      if (!secret) continue;
      const producer = producedAt(environmentOf(r)).get(`${o.metadata.namespace}/${secret}`);
      if (!producer) {
        violations.push({
          rule: 'database-roles-beside-cluster',
          object: r.path,
          message: `password Secret ${secret} is not rendered in ${o.metadata.namespace}`,
        });
      } else if (producer.kind === 'ExternalSecret') {
        const template = producer.spec?.target?.template;
        if (template?.type !== 'kubernetes.io/basic-auth')
          violations.push({ rule: 'database-roles-beside-cluster', object: r.path, message: `${secret} is not kubernetes.io/basic-auth` });
        if (template?.metadata?.labels?.['cnpg.io/reload'] !== 'true')
          violations.push({ rule: 'database-roles-beside-cluster', object: r.path, message: `${secret} is not labelled cnpg.io/reload` });
        if (template?.data?.username !== o.spec?.name)
          violations.push({
            rule: 'database-roles-beside-cluster',
            object: r.path,
            message: `${secret}'s username is not the role ${o.spec?.name}`,
          });
      }
    }
    return violations;
  },
};

export const podsReadRenderedSecrets: Invariant = {
  id: 'pod-secrets-rendered',
  description: 'Every Secret a Job or CronJob pod reads is rendered in its namespace (never an operator-made superuser Secret).',
  check: ({ objects }) => {
    const produced = producedSecrets(objects);
    return objects
      .filter((r) => r.object.kind === 'Job' || r.object.kind === 'CronJob')
      .flatMap((r) =>
        [...referencedSecrets((r.object as Obj).spec)]
          // Zalando's operator makes its users' Secrets itself (its access Job still reads the superuser's: issue #18).
          .filter(
            (name) => !produced.has(`${r.object.metadata.namespace}/${name}`) && !name.endsWith('.credentials.postgresql.acid.zalan.do'),
          )
          .map((name) => ({ rule: 'pod-secrets-rendered', object: r.path, message: `reads Secret ${name}, which nothing renders` })),
      );
  },
};

/**
 * The superuser Secrets of the rendered clusters: CloudNativePG's `<cluster>-superuser`
 * (cloudnative-pg@v1.30.0 api/v1/cluster_funcs.go GetSuperuserSecretName) and Zalando's
 * `postgres.<cluster>.credentials.postgresql.acid.zalan.do` (operator default super_username).
 */
function superuserSecrets(objects: readonly RenderedObject[]): Set<string> {
  const names = new Set<string>();
  for (const { object } of objects) {
    if (kindKey(object) === 'postgresql.cnpg.io/Cluster') names.add(`${object.metadata.namespace}/${object.metadata.name}-superuser`);
    if (kindKey(object) === 'acid.zalan.do/postgresql')
      names.add(`${object.metadata.namespace}/postgres.${object.metadata.name}.credentials.postgresql.acid.zalan.do`);
  }
  return names;
}

/** Every Secret a pod spec names: env secretKeyRef, envFrom secretRef, secret and projected volumes. */
function podSecretNames(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) podSecretNames(v, found);
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (['secret', 'secretRef', 'secretKeyRef'].includes(key) && v && typeof v === 'object') {
        const ref = v as { name?: unknown; secretName?: unknown };
        if (typeof ref.name === 'string') found.add(ref.name);
        if (typeof ref.secretName === 'string') found.add(ref.secretName);
      }
      podSecretNames(v, found);
    }
  }
  return found;
}

export const noSuperuserJobs: Invariant = {
  id: 'no-superuser-jobs',
  description:
    "No Job or CronJob logs in as a superuser: no pod env, envFrom or volume names a cluster's superuser Secret (CloudNativePG <cluster>-superuser, Zalando postgres.<cluster>.credentials…), no PGUSER is postgres, no Role lets a pod read such a Secret (also of a Cluster created at run time, like the restore drill's scratch cluster), and no rendered role (DatabaseRole, managed role, Zalando user) is a superuser.",
  check: ({ objects }) => {
    const superusers = superuserSecrets(objects);
    const isSuperuserSecret = (namespace: string, name: string) =>
      superusers.has(`${namespace}/${name}`) ||
      /-superuser$/.test(name) ||
      /^postgres\..*\.credentials\.postgresql\.acid\.zalan\.do$/.test(name);
    const violations: Violation[] = [];
    for (const r of objects) {
      const o = r.object as Obj;
      // Every kind that runs pods (issue 24 attack, low: Deployments were not looked at).
      if (POD_BEARING_KINDS.has(o.kind)) {
        const pod = podSpecOf(o);
        for (const name of podSecretNames(pod))
          if (isSuperuserSecret(o.metadata.namespace ?? '', name))
            violations.push({ rule: 'no-superuser-jobs', object: r.path, message: `its pod reads the superuser Secret ${name}` });
        for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])])
          for (const e of container.env ?? [])
            if (e.name === 'PGUSER' && e.value === 'postgres')
              violations.push({
                rule: 'no-superuser-jobs',
                object: r.path,
                message: `container ${container.name} logs in as postgres (PGUSER)`,
              });
      }
      // The login a Job uses must not be made a superuser either (a role's Secret is not named
      // like the superuser's): no rendered role has the SUPERUSER attribute (CloudNativePG
      // DatabaseRole or managed role, Zalando users flag `superuser`).
      const roles: Array<{ name: string; superuser: boolean }> =
        kindKey(o) === 'postgresql.cnpg.io/DatabaseRole'
          ? [{ name: String(o.spec?.name ?? o.metadata.name), superuser: o.spec?.superuser === true }]
          : kindKey(o) === 'postgresql.cnpg.io/Cluster'
            ? (o.spec?.managed?.roles ?? []).map((x: any) => ({ name: String(x?.name), superuser: x?.superuser === true }))
            : kindKey(o) === 'acid.zalan.do/postgresql'
              ? Object.entries((o.spec?.users ?? {}) as Record<string, unknown>).map(([name, flags]) => ({
                  name,
                  superuser: Array.isArray(flags) && flags.some((f) => String(f).toLowerCase() === 'superuser'),
                }))
              : [];
      for (const role of roles.filter((x) => x.superuser))
        violations.push({ rule: 'no-superuser-jobs', object: r.path, message: `role ${role.name} is a superuser` });
      // A pod could also fetch the Secret through the API: no Role grants a rendered cluster's.
      if (o.kind === 'Role' || o.kind === 'ClusterRole') {
        for (const rule of (o as { rules?: any[] }).rules ?? []) {
          if (!(rule.resources ?? []).some((x: string) => x === 'secrets' || x === '*')) continue;
          if (!(rule.verbs ?? []).some((v: string) => ['get', 'list', 'watch', '*'].includes(v))) continue;
          const names: string[] = rule.resourceNames ?? [];
          const namespace = o.metadata.namespace ?? '';
          const reachable =
            names.length === 0
              ? [...superusers].filter((s) => o.kind === 'ClusterRole' || s.startsWith(`${namespace}/`))
              : // By name pattern too: the restore drill's scratch cluster (restore-drill-scratch) is
                // created at run time, so no rendered Cluster names its superuser Secret.
                names.filter((n) => isSuperuserSecret(namespace, n));
          for (const name of reachable)
            violations.push({
              rule: 'no-superuser-jobs',
              object: r.path,
              message: `grants ${(rule.verbs ?? []).join(',')} on the superuser Secret ${name}`,
            });
        }
      }
    }
    return violations;
  },
};

/**
 * With `egress` on (issue 24 item 7), every pod of the database namespace and of the backups
 * namespaces is selected by a default-deny egress policy: an empty podSelector, policyType Egress,
 * allowing at most DNS (port 53). Pods: every pod-bearing object, and the operators' clusters and
 * poolers (whose pods the operators create).
 */
export const egressDefaultDeny: Invariant = {
  id: 'egress-default-deny',
  description:
    'With egress on, every pod in the database and backups namespaces (workloads, clusters, poolers) is selected by a default-deny egress policy that allows DNS only.',
  check: ({ fleet, objects }) => {
    const violations: Violation[] = [];
    for (const environment of fleet.environments) {
      if (!environment.egress) continue;
      const mine = objects.filter((r) => r.path.startsWith(`${environment.name}/`));
      const namespaces = new Set([environment.namespace, ...environment.mongoSnapshots.map((m) => m.namespace)]);
      const denied = new Set(
        mine
          .map((r) => r.object as Obj)
          .filter(
            (o) =>
              o.kind === 'NetworkPolicy' &&
              Object.keys(o.spec?.podSelector ?? {}).length === 0 &&
              (o.spec?.policyTypes ?? []).includes('Egress') &&
              (o.spec?.egress ?? []).every((rule: any) => (rule.ports ?? [{}]).every((p: any) => p.port === 53)),
          )
          .map((o) => o.metadata.namespace),
      );
      for (const r of mine) {
        const o = r.object as Obj;
        const ns = o.metadata.namespace ?? '';
        const runsPods = POD_BEARING_KINDS.has(o.kind) || ['Cluster', 'Pooler', 'postgresql'].includes(o.kind);
        if (runsPods && namespaces.has(ns) && !denied.has(ns))
          violations.push({
            rule: 'egress-default-deny',
            object: r.path,
            message: `its pods in ${ns} are not selected by a default-deny egress policy`,
          });
      }
    }
    return violations;
  },
};

/** Kinds whose objects run pods (their pod spec: podSpecOf). */
export const POD_BEARING_KINDS: ReadonlySet<string> = new Set([
  'Pod',
  'Job',
  'CronJob',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
]);

/** The pod spec of a pod-bearing object. */
function podSpecOf(o: Obj): any {
  if (o.kind === 'Pod') return o.spec;
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec;
}

/** Every rule; extend by appending (keep ids unique). */
export const noSecretValues: Invariant = {
  id: 'no-secret-values',
  description:
    'No rendered string holds a secret: no env entry named like a password with a literal value, no literal assigned to a password, no URL with a password, no high-entropy literal.',
  check: ({ objects }) =>
    objects.flatMap((r) =>
      scanForSecrets(r.object).map((f) => ({ rule: 'no-secret-values', object: r.path, message: `${f.path}: ${f.reason}` })),
    ),
};

/** Every (remote key, property) an ExternalSecret reads or a PushSecret writes. */
function storePairs(o: Obj): Array<{ key: string; property: string }> {
  const pairs =
    o.kind === 'ExternalSecret'
      ? [
          ...(o.spec?.data ?? []).map((d: any) => ({ key: d?.remoteRef?.key, property: d?.remoteRef?.property ?? '' })),
          // dataFrom reads every property of a key: '*' collides with any property of it.
          ...(o.spec?.dataFrom ?? []).map((d: any) => ({ key: d?.extract?.key ?? d?.find?.path, property: '*' })),
        ]
      : (o.spec?.data ?? []).map((d: any) => ({ key: d?.match?.remoteRef?.remoteKey, property: d?.match?.remoteRef?.property ?? '*' }));
  return pairs.filter((p: { key: unknown }): p is { key: string; property: string } => typeof p.key === 'string');
}

/**
 * What one store value is for, read from the rendered object (its labels, target and
 * environment), never from the key builders whose output is checked: a service's password (app
 * Secret, role Secret, read-only Secret and the PushSecret that generates it are one purpose), a
 * developer's, a cluster's admin/exporter/master login, the object-store credentials, a peer's
 * read-only object-store key, a MongoDB URI. A DR standby reads its source's values (same purpose).
 */
function storePurpose(fleet: Fleet, r: RenderedObject): string {
  const o = r.object as Obj;
  const labels = o.metadata.labels ?? {};
  const name = labels['app.kubernetes.io/name'] ?? o.kind;
  const instance = labels['app.kubernetes.io/instance'] ?? o.metadata.name;
  const environment = fleet.environments.find((e) => e.name === environmentOf(r));
  const secrets = environment?.dr?.source ?? environmentOf(r);
  switch (name) {
    case 'connection-secret':
    case 'readonly-connection-secret':
    case 'role-credentials':
      return `service ${instance} (${secrets})`;
    case 'developer-credentials': {
      const target = String(o.spec?.target?.name ?? '');
      const developer = /^developer-(.+)-credentials$/.exec(target)?.[1] ?? /^dev-([^.]+)\./.exec(target)?.[1] ?? target;
      return `developer ${developer.replace(/_/g, '-')} (${secrets})`;
    }
    case 'generated-password': {
      // `<service>-db`, and `<service>-db-rotation-<n>`: the second login of a rotation is the service's too.
      // A label value longer than 63 is bounded (lib/labels.ts boundedLabelValue): compare bounded.
      const generations = (s: Fleet['services'][number]) =>
        Array.from({ length: Math.max(0, ...Object.values(s.rotation ?? {}).map((x) => x.generation)) }, (_, g) => g + 1);
      const service = fleet.services.find(
        (s) =>
          instance === boundedLabelValue(`${s.name}-db`) ||
          generations(s).some((g) => instance === boundedLabelValue(`${s.name}-db-rotation-${g}`)),
      );
      if (service) return `service ${service.name} (${secrets})`;
      const developer = fleet.developers.find((d) => instance === boundedLabelValue(`developer-${d}`));
      if (developer) return `developer ${developer} (${secrets})`;
      // A cluster's platform login (`<cluster>-admin|exporter|master`): the ExternalSecret's purpose.
      for (const cluster of environment?.clusters ?? []) {
        const login = instance.startsWith(`${cluster.name}-`) ? instance.slice(cluster.name.length + 1) : undefined;
        if (login && !login.includes('-')) return `${login}-credentials ${cluster.name} (${secrets})`;
      }
      return `generated ${instance} (${secrets})`;
    }
    case 'object-store': {
      const peer = environment?.dr?.peerObjectStore;
      // Object-store credentials may be shared by environments (one bucket, prefixes per site).
      return peer && instance === peer.name ? `read-only object-store key of ${environment!.dr!.peer}` : 'object-store credentials';
    }
    case 'mongo-snapshot':
      return 'MongoDB connection string';
    default:
      // admin-credentials, exporter-credentials, master-credentials … of one cluster; anything new.
      return `${name} ${instance} (${secrets})`;
  }
}

export const uniqueStorePurpose: Invariant = {
  id: 'unique-store-purpose',
  description:
    'Every (store remote key, property) pair serves one purpose: no two ExternalSecrets/PushSecrets of different purposes (a service, a developer, a cluster login, object-store credentials, a peer read-only key, a MongoDB URI) read or write the same pair, and no ExternalSecret in a service namespace reads a <keyPrefix>/<environment>/platform/… key.',
  check: ({ objects, fleet }) => {
    const violations: Violation[] = [];
    const byKey = new Map<string, Array<{ property: string; purpose: string; path: string }>>();
    for (const r of objects) {
      if (r.object.kind !== 'ExternalSecret' && r.object.kind !== 'PushSecret') continue;
      const purpose = storePurpose(fleet, r);
      for (const { key, property } of storePairs(r.object as Obj)) {
        const seen = byKey.get(key) ?? [];
        byKey.set(key, seen);
        for (const other of seen)
          if ((other.property === property || other.property === '*' || property === '*') && other.purpose !== purpose)
            violations.push({
              rule: 'unique-store-purpose',
              object: r.path,
              message: `${key} property ${property} is ${purpose}, but ${other.path} uses ${key} property ${other.property} as ${other.purpose}`,
            });
        if (!seen.some((s) => s.property === property && s.purpose === purpose)) seen.push({ property, purpose, path: r.path });
      }
    }
    const platform = (e: string) => `${fleet.secretStore.keyPrefix}/${e}/platform/`;
    for (const r of objects) {
      if (r.object.kind !== 'ExternalSecret') continue;
      const environment = fleet.environments.find((e) => e.name === environmentOf(r));
      const namespace = r.object.metadata.namespace;
      if (!environment || !environment.services.some((s) => s.namespace === namespace)) continue;
      for (const { key } of storePairs(r.object as Obj))
        if (key.includes('/platform/') || fleet.environments.some((e) => key.startsWith(platform(e.name))))
          violations.push({
            rule: 'unique-store-purpose',
            object: r.path,
            message: `reads ${key} in service namespace ${namespace}: platform keys never reach a service's namespace`,
          });
    }
    return violations;
  },
};

/** Every string of the resolved fleet that is an image pinned by digest (`…:<tag>@sha256:<64 hex>`). */
function pinnedImages(value: unknown, found = new Map<string, string>()): Map<string, string> {
  if (typeof value === 'string') {
    if (/@sha256:[0-9a-f]{64}$/.test(value)) {
      const ref = parseImage(value);
      found.set(`${ref.repository}:${ref.tag ?? ''}`, value);
    }
  } else if (Array.isArray(value)) for (const v of value) pinnedImages(v, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) pinnedImages(v, found);
  return found;
}

export const pinnedImagesKeepDigest: Invariant = {
  id: 'pinned-images-keep-digest',
  description:
    'An image the fleet pins by digest runs with that digest wherever it is rendered (Cluster imageName, ImageCatalog entries, containers of Jobs, CronJobs, Deployments, PgBouncer, the drill): no object runs the same repository and tag without it, or with another digest.',
  check: ({ fleet, objects }) => {
    const pinned = pinnedImages(fleet);
    if (pinned.size === 0) return [];
    const violations: Violation[] = [];
    for (const r of objects) {
      const o = r.object as Obj;
      for (const image of imagesOf(o.spec)) {
        const ref = parseImage(image);
        const expected = pinned.get(`${ref.repository}:${ref.tag ?? ''}`);
        if (expected !== undefined && image !== expected)
          violations.push({ rule: 'pinned-images-keep-digest', object: r.path, message: `runs ${image}; the fleet pins ${expected}` });
      }
    }
    return violations;
  },
};

/**
 * Argo CD's glob for AppProject lists: `filepath.Match` for kinds and groups (argo-cd@v3.5.1
 * pkg/apis/application/v1alpha1/types.go isResourceInList, isNamedResourceInList) and gobwas glob
 * for destinations (app_project_types.go globMatch, `!` negates). dbfleet writes exact names; a
 * pattern with other glob syntax than `*` and `?` is not judged here (undefined).
 */
function argoGlob(pattern: string, value: string): boolean | undefined {
  if (/[[\]\\{}]/.test(pattern)) return undefined;
  const source = pattern
    .replace(/[.+^$()|]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${source}$`).test(value);
}

type GroupKindEntry = { group?: string; kind?: string; name?: string };
type ArgoProject = {
  metadata: { name: string };
  spec: {
    destinations?: Array<{ server?: string; name?: string; namespace?: string }>;
    namespaceResourceWhitelist?: GroupKindEntry[];
    namespaceResourceBlacklist?: GroupKindEntry[];
    clusterResourceWhitelist?: GroupKindEntry[];
    clusterResourceBlacklist?: GroupKindEntry[];
  };
};

/**
 * Whether an AppProject lets an Application sync an object to a cluster: a port of argo-cd@v3.5.1
 * controller/sync.go validateSyncPermissions → app_project_types.go IsGroupKindNamePermitted (kind
 * lists, the same for every destination; a missing namespaced whitelist admits every kind, a
 * missing cluster one none) and, for a namespaced object, IsDestinationPermitted →
 * isDestinationMatched (server or name, and namespace; `!` patterns deny). Exported for tests.
 */
export function argoProjectPermits(
  project: ArgoProject,
  object: { group: string; kind: string; name: string; namespace?: string },
  cluster: { server?: string; name?: string },
): boolean {
  const inList = (list: GroupKindEntry[], named: boolean) =>
    list.some(
      (i) =>
        argoGlob(i.kind ?? '', object.kind) === true &&
        argoGlob(i.group ?? '', object.group) === true &&
        (!named || !i.name || argoGlob(i.name, object.name) === true),
    );
  const spec = project.spec;
  if (object.namespace) {
    const white = spec.namespaceResourceWhitelist;
    const whitelisted = white === undefined || (white.length !== 0 && inList(white, false));
    const blacklisted = (spec.namespaceResourceBlacklist ?? []).length !== 0 && inList(spec.namespaceResourceBlacklist!, false);
    if (!whitelisted || blacklisted) return false;
  } else {
    const whitelisted = (spec.clusterResourceWhitelist ?? []).length !== 0 && inList(spec.clusterResourceWhitelist!, true);
    const blacklisted = (spec.clusterResourceBlacklist ?? []).length !== 0 && inList(spec.clusterResourceBlacklist!, true);
    return whitelisted && !blacklisted;
  }
  return argoDestinationPermitted(project, cluster, object.namespace);
}

/** argo-cd@v3.5.1 app_project_types.go isDestinationMatched (without project-scoped clusters). */
export function argoDestinationPermitted(project: ArgoProject, cluster: { server?: string; name?: string }, namespace: string): boolean {
  const glob = (pattern: string | undefined, value: string) => {
    if (pattern === undefined) return false;
    if (pattern.startsWith('!')) return argoGlob(pattern.slice(1), value) === false;
    return pattern === '*' || argoGlob(pattern, value) === true;
  };
  let matched = false;
  for (const d of project.spec.destinations ?? []) {
    const nameMatched = cluster.name !== undefined && cluster.name !== '' && glob(d.name, cluster.name);
    const serverMatched = cluster.server !== undefined && cluster.server !== '' && glob(d.server, cluster.server);
    const namespaceMatched = glob(d.namespace, namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) matched = true;
    else if ((!nameMatched && d.name?.startsWith('!')) || (!serverMatched && d.server?.startsWith('!') && namespaceMatched)) return false;
    else if (!namespaceMatched && d.namespace?.startsWith('!') && serverMatched) return false;
  }
  return matched;
}

/** Kinds that run code or grant rights: never in a service namespace (lib/gitops/delivery-parts.ts). */
const SERVICE_NAMESPACE_FORBIDDEN = new Set([
  '/ServiceAccount',
  'batch/Job',
  'batch/CronJob',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/RoleBinding',
]);

export const argocdFence: Invariant = {
  id: 'argocd-fence',
  description:
    "Nothing that runs code or grants rights (Role, RoleBinding, Job, CronJob, ServiceAccount) is rendered into a service's namespace; each object is in the folder of the Application its namespace belongs to (services' namespaces: dist/<env>/services/), and that Application's AppProject admits its namespace and kind (as Argo CD v3.5.1 decides it) while the environment's other project does not.",
  check: ({ fleet, objects }) => {
    const violations: Violation[] = [];
    const add = (object: string, message: string) => violations.push({ rule: 'argocd-fence', object, message });
    const serviceNamespaces = new Map(fleet.environments.map((e) => [e.name, new Set(e.services.map((s) => s.namespace))]));
    const appSet = objects.find((r) => r.object.kind === 'ApplicationSet')?.object as Obj | undefined;
    const elements: Array<Record<string, string>> = appSet?.spec?.generators?.[0]?.list?.elements ?? [];
    const projects = new Map(
      objects.filter((r) => r.object.kind === 'AppProject').map((r) => [r.object.metadata.name, r.object as unknown as ArgoProject]),
    );
    for (const element of elements) {
      const project = projects.get(element.project);
      if (!project) add('argocd/', `Application ${element.application} names AppProject ${element.project}, which is not rendered`);
      // util/argo/argo.go ValidatePermissions: the Application's own destination must be permitted.
      else if (!argoDestinationPermitted(project, { server: element.server, name: element.cluster }, element.namespace))
        add(
          'argocd/',
          `Application ${element.application}'s destination namespace ${element.namespace} is not a destination of ${element.project}`,
        );
    }
    for (const r of objects) {
      const environment = environmentOf(r);
      if (environment === 'argocd') continue;
      const o = r.object;
      const namespace = o.metadata.namespace;
      const inService = namespace !== undefined && (serviceNamespaces.get(environment)?.has(namespace) ?? false);
      if (inService && SERVICE_NAMESPACE_FORBIDDEN.has(kindKey(o)))
        add(
          r.path,
          `${o.kind} in service namespace ${namespace}: the services Application carries nothing that runs code or grants rights`,
        );
      const folder = r.path.slice(0, r.path.lastIndexOf('/'));
      const expected = inService ? `${environment}/services` : environment;
      if (folder !== expected)
        add(r.path, `in dist/${folder}/, but its namespace ${namespace ?? '(cluster-scoped)'} is delivered from dist/${expected}/`);
      if (!fleet.gitops || !appSet) continue;
      const carrier = elements.find((e) => e.path === `${fleet.gitops!.path}/${folder}`);
      if (!carrier) {
        add(r.path, `no Application of the ApplicationSet syncs ${fleet.gitops.path}/${folder}`);
        continue;
      }
      const slash = o.apiVersion.lastIndexOf('/');
      const subject = { group: slash === -1 ? '' : o.apiVersion.slice(0, slash), kind: o.kind, name: o.metadata.name, namespace };
      const own = projects.get(carrier.project);
      const cluster = { server: carrier.server, name: carrier.cluster };
      if (own && !argoProjectPermits(own, subject, cluster))
        add(
          r.path,
          `Argo CD would refuse it: AppProject ${carrier.project} of Application ${carrier.application} does not admit ${o.kind} in ${namespace ?? 'the cluster scope'}`,
        );
      for (const other of elements.filter((e) => e.environment === carrier.environment && e.project !== carrier.project)) {
        const project = projects.get(other.project);
        if (project && argoProjectPermits(project, subject, { server: other.server, name: other.cluster }))
          add(
            r.path,
            `AppProject ${other.project} of ${environment}'s other Application (${other.application}) admits it: exactly one project of an environment may`,
          );
      }
    }
    return violations;
  },
};

export const INVARIANTS: Invariant[] = [
  singleInstanceHasNoBlockingPdb,
  noSuperuserAccess,
  protectedDependencies,
  protectedClosure,
  noWritesAtReplicaSite,
  noPeerWriteCredentials,
  objectSize,
  scheduledJobsCannotFailSync,
  clusterTrafficAdmitted,
  roleObjectsBeside,
  podsReadRenderedSecrets,
  noSecretValues,
  noSuperuserJobs,
  uniqueStorePurpose,
  egressDefaultDeny,
  pinnedImagesKeepDigest,
  argocdFence,
  namesWithinLimits,
];

export function checkInvariants(context: InvariantContext, invariants: readonly Invariant[] = INVARIANTS): Violation[] {
  return invariants.flatMap((i) => i.check(context));
}

/** One line per violation, for failure messages. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.rule}: ${v.object}: ${v.message}`).join('\n');
}

// Re-exported for rules written elsewhere.
export { admits as networkPolicyAdmits, isProtected, producedSecrets, referencedSecrets };
