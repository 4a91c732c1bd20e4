// "Every object under 256 KiB at any scale": what Argo CD applies must fit, or the fleet renders,
// validates, and then fails at sync. Checked on every render before anything is published
// (synthesize.ts), and the objects that grow with the fleet are split (groupBySize) so that
// large fleets render.
//
// What fails first is the annotation limit of client-side apply, not the object: Argo CD applies
// like `kubectl apply` unless ServerSideApply=true (argo-cd@v3.5.1 docs/user-guide/sync-options.md),
// which stores the whole object, as JSON, in its `kubectl.kubernetes.io/last-applied-configuration`
// annotation, and Kubernetes caps the sum of an object's annotation keys and values at 256 KiB
// (apimachinery ValidateAnnotationsSize, TotalAnnotationSizeLimitB; modelled in
// lib/validate/object-metadata.ts). So a client-side applied object must satisfy
//   its annotations + last-applied key + its JSON (which holds its annotations once more) ≤ 262144,
// plus what Argo CD adds before applying: its tracking annotation
// (`argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<namespace>/<name>`, argo-cd@v3.5.1
// util/argo/resource_tracking.go BuildAppInstanceValue), in the object and so in its copy too;
// ARGO_CD_ALLOWANCE_BYTES reserves room for it. Not "twice the JSON": the annotation holds the
// object once; the stored object (object + annotation, ~2× the JSON) is bounded by etcd's
// 1.5 MiB request limit, far above this. An object applied server-side has no such annotation;
// it is held to the product's own budget, 256 KiB of JSON, as every object is.
import type { KubernetesObject, RenderedObject } from './render';

/** The product's budget for any object (JSON bytes), and Kubernetes' cap on all annotations of one object. */
export const OBJECT_LIMIT_BYTES = 256 * 1024;
/** Kubernetes' cap on the sum of an object's annotation keys and values (TotalAnnotationSizeLimitB). */
export const ANNOTATION_LIMIT_BYTES = 256 * 1024;
/** Where client-side apply keeps the applied object. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/**
 * Room for Argo CD's tracking annotation (key 30 bytes, value up to ~640: an Application name and
 * an object's namespace and name), counted twice (in the object and in its last-applied copy),
 * and for an installation ID. Conservative: a real one is a few hundred bytes.
 */
export const ARGO_CD_ALLOWANCE_BYTES = 2048;

const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

/** Whether Argo CD applies the object server-side (no last-applied annotation). */
function serverSide(object: KubernetesObject): boolean {
  return (object.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '').split(',').includes('ServerSideApply=true');
}

/** The bytes that count against the limit as Argo CD would apply the object, and that limit's name. */
export function appliedSize(object: KubernetesObject): { bytes: number; limit: number; clientSide: boolean } {
  const json = Buffer.byteLength(JSON.stringify(object));
  if (serverSide(object)) return { bytes: json, limit: OBJECT_LIMIT_BYTES, clientSide: false };
  const annotations = Object.entries(object.metadata.annotations ?? {}).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  // The annotation's value is the JSON and a newline (json.Encoder).
  const bytes = annotations + LAST_APPLIED_ANNOTATION.length + json + 1 + ARGO_CD_ALLOWANCE_BYTES;
  return { bytes, limit: ANNOTATION_LIMIT_BYTES, clientSide: true };
}

/** What to change for an object of this kind that is too large. */
function remedy(object: KubernetesObject): string {
  if (object.kind === 'postgresql')
    return "a Zalando cluster's postgresql resource lists every role and database of its services and cannot be split (one per cluster): spread the services over more clusters (`topology: grouped` or `per-service`, or move services to another group's cluster)";
  return 'it grows with the services, developers or namespaces it lists: spread them over more clusters, or report it (dbfleet splits the objects it knows to grow)';
}

/** One message per object over its limit, all of them; empty when every object fits. */
export function checkObjectSizes(objects: readonly RenderedObject[]): string[] {
  const problems: string[] = [];
  for (const { path, object } of objects) {
    const { bytes, limit, clientSide } = appliedSize(object);
    if (bytes <= limit) continue;
    const what = `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
    problems.push(
      `${what} (dist/${path}): ${bytes} bytes ${clientSide ? 'as Argo CD applies it client-side (last-applied annotation)' : 'of JSON'}, over the limit of ${limit}; ${remedy(object)}`,
    );
  }
  return problems;
}

/**
 * Splits `items`, in their order, into consecutive groups whose costs add up to at most `budget`
 * each (an item costlier than the budget gets a group of its own). Deterministic, and items added
 * at the end change only the last group. Never empty: no items give one empty group.
 */
export function groupBySize<T>(items: readonly T[], cost: (item: T) => number, budget: number): T[][] {
  const groups: T[][] = [];
  let used = Infinity;
  for (const item of items) {
    const c = cost(item);
    if (used + c > budget) {
      groups.push([]);
      used = 0;
    }
    groups[groups.length - 1].push(item);
    used += c;
  }
  if (groups.length === 0) groups.push([]);
  return groups;
}

/**
 * Marks a later part (`-2`, `-3`, …) of a split NetworkPolicy that holds client namespaces only:
 * Argo CD may prune it (lib/gitops/sync-policy.ts), where the kind is otherwise protected. A part
 * that leaves dist/ when services go would else stay live and keep admitting the removed
 * namespaces (attack on the size split, medium).
 */
export const PRUNABLE_PART_ANNOTATION = 'dbfleet.io/prunable-part';

/** `name`, `name-2`, `name-3`, …: the name of the i-th (0-based) part of a split object. */
export function partName(name: string, index: number): string {
  return index === 0 ? name : `${name}-${index + 1}`;
}
