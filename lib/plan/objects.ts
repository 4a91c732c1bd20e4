// The objects of a plan: each is identified by where it lives and what it is, never by the file
// it is written to. Two environments are two Argo CD destinations, so the environment (the dist/
// folder) is part of the identity.
import type { KubernetesObject } from '../output/render';
import type { Manifests } from './manifests';

export interface PlannedObject {
  /** The dist/ folder (an environment, or `argocd`). */
  readonly environment: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** dist/-relative file. */
  readonly path: string;
}

/** `<environment> <apiVersion> <Kind> <namespace>/<name>`. */
export function identity(environment: string, object: KubernetesObject): string {
  return `${environment} ${object.apiVersion} ${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

export interface IndexedObject {
  readonly ref: PlannedObject;
  readonly object: KubernetesObject;
}

/** identity → object. The same identity twice on one side keeps the first (dist/ never has it). */
export function indexObjects(manifests: Manifests): Map<string, IndexedObject> {
  const index = new Map<string, IndexedObject>();
  for (const [path, object] of [...manifests].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!object?.metadata?.name || !object.kind) continue;
    const environment = path.split('/')[0];
    const key = identity(environment, object);
    if (index.has(key)) continue;
    index.set(key, {
      ref: {
        environment,
        apiVersion: object.apiVersion,
        kind: object.kind,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        path,
      },
      object,
    });
  }
  return index;
}

/** `Cluster databases/orders`. */
export function describeRef(ref: Pick<PlannedObject, 'kind' | 'namespace' | 'name'>): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

export function describe(object: KubernetesObject): string {
  return describeRef({ kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name });
}
