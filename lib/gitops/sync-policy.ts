// Argo CD sync behaviour, decided in one place for every object dbfleet renders: stateful
// objects, and everything they need to keep working, are never pruned or deleted by a sync;
// waves order the rest so that what an object needs exists before it; and scheduled jobs sync
// last, where their health can never fail a sync.
import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { PRUNABLE_PART_ANNOTATION } from '../output/object-size';

export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
/** Leaves an object out of the Application's aggregated health (argo-cd@v3.5.1:controller/health.go). */
export const IGNORE_HEALTHCHECK_ANNOTATION = 'argocd.argoproj.io/ignore-healthcheck';
/** Removing a service from fleet.yaml must never drop its data in a sync. */
export const PROTECTED_SYNC_OPTIONS = 'Prune=false,Delete=false';
/** For objects that may outgrow the 262144-byte last-applied annotation of client-side apply. */
export const SERVER_SIDE_APPLY = 'ServerSideApply=true';

/**
 * Kinds whose deletion loses data (or everything in them), by `apiVersion group/Kind`, and the
 * kinds a kept cluster needs to keep working. A Namespace takes its PVCs with it; a
 * ScheduledBackup owns its Backup objects. A NetworkPolicy admits the operator, replication and
 * monitoring to a cluster behind the namespace's default deny: pruned with a removed service
 * (per-service topology) it would cut the operator off from the cluster that is kept. A
 * PodMonitor keeps a kept cluster watched.
 */
export const PROTECTED_KINDS: ReadonlySet<string> = new Set([
  '/Namespace',
  '/PersistentVolumeClaim',
  'postgresql.cnpg.io/Cluster',
  'postgresql.cnpg.io/Database',
  'postgresql.cnpg.io/ScheduledBackup',
  'postgresql.cnpg.io/Backup',
  'acid.zalan.do/postgresql',
  // ACK deletes the AWS resource with the object (rds-controller@v1.11.1 pkg/resource/db_cluster/hooks.go
  // setDeleteDBClusterInput; DBInstances have no deletion protection): a pruned Aurora writer is an outage
  // (attack on issue 28).
  'rds.services.k8s.aws/DBCluster',
  'rds.services.k8s.aws/DBInstance',
  'rds.services.k8s.aws/GlobalCluster',
  'velero.io/Backup',
  'networking.k8s.io/NetworkPolicy',
  'monitoring.coreos.com/PodMonitor',
]);

/**
 * Kinds whose objects run on a schedule: their health reflects the last run. Argo CD marks a
 * CronJob Degraded after a failed run (argo-cd@v3.5.1:resource_customizations/batch/CronJob/health.lua)
 * and a sync fails when a resource of a wave it waits on is Degraded
 * (gitops-engine/pkg/sync/sync_context.go). They go into the final wave, alone with other
 * non-hooks: Argo CD does not wait for the health of the last wave when it holds no hook
 * ("successful EVEN if those objects subsequently degrades"). That only holds while no hook
 * runs after them (no PostSync hooks) and no prune is moved behind them (no PruneLast).
 */
export const SCHEDULED_KINDS: ReadonlySet<string> = new Set(['batch/CronJob']);

/** The wave of scheduled jobs: the last one. */
export const FINAL_WAVE = 4;

/** Lower waves sync first; a wave waits until the previous one is healthy. */
const WAVES: ReadonlyArray<[number, readonly string[]]> = [
  // Generated passwords are pushed before anything reads them back (store-keys.ts): a PushSecret
  // is Healthy only once the value exists in the store.
  [-2, ['/Namespace', 'generators.external-secrets.io/Password', 'external-secrets.io/PushSecret']],
  [
    -1,
    [
      'external-secrets.io/ExternalSecret',
      '/Secret',
      '/ConfigMap',
      'networking.k8s.io/NetworkPolicy',
      // A Cluster's plugin resolves its ObjectStore when it starts.
      'barmancloud.cnpg.io/ObjectStore',
      '/ServiceAccount',
      'rbac.authorization.k8s.io/Role',
      'rbac.authorization.k8s.io/RoleBinding',
      // A Cluster's imageCatalogRef must resolve when it starts.
      'postgresql.cnpg.io/ImageCatalog',
      // The restore drill's fence is in place before its CronJob (final wave) can run.
      'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
      'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
    ],
  ],
  [0, ['postgresql.cnpg.io/Cluster', 'acid.zalan.do/postgresql']],
  [1, ['postgresql.cnpg.io/DatabaseRole']],
  [2, ['postgresql.cnpg.io/Database', 'postgresql.cnpg.io/Pooler', 'postgresql.cnpg.io/ScheduledBackup']],
  // The developer-access Job is a Sync hook here: after the roles and databases, before the final wave.
  [3, ['monitoring.coreos.com/PodMonitor', 'monitoring.coreos.com/PrometheusRule', 'batch/Job', 'velero.io/Schedule']],
  [FINAL_WAVE, [...SCHEDULED_KINDS]],
];

/** `postgresql.cnpg.io/Cluster`, `/Namespace` for the core group. */
export function groupKind(apiVersion: string, kind: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return `${slash === -1 ? '' : apiVersion.slice(0, slash)}/${kind}`;
}

export function isProtected(apiVersion: string, kind: string): boolean {
  return PROTECTED_KINDS.has(groupKind(apiVersion, kind));
}

export function syncWave(apiVersion: string, kind: string): number | undefined {
  const key = groupKind(apiVersion, kind);
  return WAVES.find(([, kinds]) => kinds.includes(key))?.[0];
}

/** Adds one sync option to an object's sync-options annotation (kept in a stable order). */
export function addSyncOption(object: ApiObject, option: string): void {
  // Reading resolves the metadata: only done for the few objects that get an option here.
  const current = object.metadata.toJson().annotations?.[SYNC_OPTIONS_ANNOTATION] as string | undefined;
  const options = new Set([...(current ? current.split(',') : []), ...option.split(',')]);
  object.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, [...options].join(','));
}

/**
 * The objects an object's spec names, by the reference fields the operators resolve at run time:
 * a Secret (`*Secret`/`secretKeyRef`/`*Credentials` `.name`, any `{ name, key }` selector,
 * `secret.secretName`), an ImageCatalog
 * (`imageCatalogRef.name`), an ObjectStore (`barmanObjectName`, plugin-barman-cloud@v0.14.0).
 * Keyed `<kind>/<name>`; `Secret/<name>` stands for whatever produces that Secret.
 */
export function specReferences(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) specReferences(v, found);
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const name = v && typeof v === 'object' ? (v as { name?: unknown }).name : undefined;
      if (typeof name === 'string') {
        // `{ name, key }` is a SecretKeySelector (an object store's accessKeyId, applicationCredentials, …).
        const keyed = typeof (v as { key?: unknown }).key === 'string';
        if (keyed || /(secret|secretKeyRef|credentials)$/i.test(key)) found.add(`Secret/${name}`);
        if (key === 'imageCatalogRef') found.add(`ImageCatalog/${name}`);
      }
      if (key === 'secret' && v && typeof v === 'object' && typeof (v as { secretName?: unknown }).secretName === 'string')
        found.add(`Secret/${(v as { secretName: string }).secretName}`);
      if (key === 'barmanObjectName' && typeof v === 'string') found.add(`ObjectStore/${v}`);
      specReferences(v, found);
    }
  }
  return found;
}

/**
 * Protection is closed over references: whatever a protected object names (its ObjectStore,
 * ImageCatalog, the Secrets it and they read) is protected too, transitively, so a sync never
 * prunes what a kept Cluster needs to start, archive or restore. Computed from the objects, not
 * from a list of kinds: a new reference is covered the day it is rendered.
 */
function protectDependencies(objects: readonly ApiObject[]): void {
  const byRef = new Map<string, ApiObject[]>();
  const add = (key: string, o: ApiObject) => byRef.set(key, [...(byRef.get(key) ?? []), o]);
  const json = new Map<ApiObject, { spec?: unknown; metadata?: { namespace?: string } }>();
  const read = (o: ApiObject) => {
    let j = json.get(o);
    if (!j) json.set(o, (j = o.toJson() as { spec?: unknown; metadata?: { namespace?: string } }));
    return j;
  };
  for (const o of objects) {
    const ns = o.metadata.namespace ?? '';
    if (o.kind === 'Secret' && o.apiVersion === 'v1') add(`${ns}/Secret/${o.name}`, o);
    else if (o.kind === 'ExternalSecret') {
      const target = (read(o).spec as { target?: { name?: string } } | undefined)?.target?.name;
      add(`${ns}/Secret/${target ?? o.name}`, o);
    } else if (o.kind === 'ImageCatalog' || o.kind === 'ObjectStore') add(`${ns}/${o.kind}/${o.name}`, o);
  }
  const queue = objects.filter((o) => isProtected(o.apiVersion, o.kind));
  const seen = new Set(queue);
  while (queue.length > 0) {
    const o = queue.pop()!;
    const ns = o.metadata.namespace ?? '';
    for (const ref of specReferences(read(o).spec)) {
      for (const dependency of byRef.get(`${ns}/${ref}`) ?? []) {
        if (seen.has(dependency)) continue;
        seen.add(dependency);
        addSyncOption(dependency, PROTECTED_SYNC_OPTIONS);
        queue.push(dependency);
      }
    }
  }
}

/** Annotates every ApiObject below `scope`: protection, waves (hooks included), scheduled jobs. */
export function applySyncPolicy(scope: IConstruct): void {
  const objects = scope.node.findAll().filter((node): node is ApiObject => node instanceof ApiObject);
  protectDependencies(objects);
  for (const node of objects) {
    // A later part of a split NetworkPolicy holds client namespaces only: pruned (last, after the
    // parts that take its namespaces over are applied), so a removed service loses its access.
    // Argo CD reads PruneLast from the live object's annotation (argo-cd@v3.5.1
    // gitops-engine/pkg/sync/sync_context.go:1141, common.SyncOptionPruneLast in common/types.go:26).
    if (
      node.kind === 'NetworkPolicy' &&
      (node.metadata.toJson().annotations as Record<string, string> | undefined)?.[PRUNABLE_PART_ANNOTATION] === 'true'
    )
      addSyncOption(node, 'PruneLast=true');
    else if (isProtected(node.apiVersion, node.kind)) addSyncOption(node, PROTECTED_SYNC_OPTIONS);
    const wave = syncWave(node.apiVersion, node.kind);
    if (wave !== undefined) node.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(wave));
    // A failed run is reported by alerts, not by the Application's health.
    if (SCHEDULED_KINDS.has(groupKind(node.apiVersion, node.kind))) node.metadata.addAnnotation(IGNORE_HEALTHCHECK_ANNOTATION, 'true');
  }
}
