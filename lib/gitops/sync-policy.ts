// Argo CD sync behaviour, decided in one place for every object dbfleet renders: stateful
// objects are never pruned or deleted by a sync, and waves order the rest so that what an
// object needs exists before it.
import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';

export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
/** Removing a service from fleet.yaml must never drop its data in a sync. */
export const PROTECTED_SYNC_OPTIONS = 'Prune=false,Delete=false';

/**
 * Kinds whose deletion loses data (or everything in them), by `apiVersion group/Kind`.
 * A Namespace takes its PVCs with it; a ScheduledBackup owns its Backup objects.
 */
export const PROTECTED_KINDS: ReadonlySet<string> = new Set([
  '/Namespace',
  '/PersistentVolumeClaim',
  'postgresql.cnpg.io/Cluster',
  'postgresql.cnpg.io/Database',
  'postgresql.cnpg.io/ScheduledBackup',
  'postgresql.cnpg.io/Backup',
  'acid.zalan.do/postgresql',
  'velero.io/Backup',
]);

/** Lower waves sync first; a wave waits until the previous one is healthy. */
const WAVES: ReadonlyArray<[number, readonly string[]]> = [
  // Generated passwords are pushed before anything reads them back (store-keys.ts): a PushSecret
  // is Healthy only once the value exists in the store.
  [-2, ['/Namespace', 'generators.external-secrets.io/Password', 'external-secrets.io/PushSecret']],
  [-1, [
    'external-secrets.io/ExternalSecret', '/Secret', '/ConfigMap', 'networking.k8s.io/NetworkPolicy',
    // A Cluster's plugin resolves its ObjectStore when it starts.
    'barmancloud.cnpg.io/ObjectStore', '/ServiceAccount', 'rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/RoleBinding',
    // A Cluster's imageCatalogRef must resolve when it starts.
    'postgresql.cnpg.io/ImageCatalog',
  ]],
  [0, ['postgresql.cnpg.io/Cluster', 'acid.zalan.do/postgresql']],
  [1, ['postgresql.cnpg.io/Database', 'postgresql.cnpg.io/Pooler', 'postgresql.cnpg.io/ScheduledBackup']],
  [2, ['monitoring.coreos.com/PodMonitor', 'monitoring.coreos.com/PrometheusRule', 'batch/CronJob', 'batch/Job', 'velero.io/Schedule']],
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

/** Annotates every ApiObject below `scope` (hooks keep their own phase and are left alone). */
export function applySyncPolicy(scope: IConstruct): void {
  for (const node of scope.node.findAll()) {
    if (!(node instanceof ApiObject)) continue;
    // Only Jobs are hooks here; reading annotations resolves the whole metadata, so ask Jobs only.
    if (node.kind === 'Job' && node.metadata.toJson().annotations?.['argocd.argoproj.io/hook']) continue;
    if (isProtected(node.apiVersion, node.kind)) node.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, PROTECTED_SYNC_OPTIONS);
    const wave = syncWave(node.apiVersion, node.kind);
    if (wave !== undefined) node.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(wave));
  }
}
