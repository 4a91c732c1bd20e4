// Supply chain (issue 24 item 8): a tag can be moved to other bytes, a digest cannot. The plan
// warns about every image an added or changed object starts to run that carries no
// `@sha256:` digest. A warning, not a DANGER: the exit code stays as it is (a fleet may pin its
// images elsewhere, e.g. a registry that refuses tag overwrites), but the review sees it.
import type { KubernetesObject } from '../output/render';
import { describe } from './objects';
import type { Transition } from './dangers';

/** An image without a digest, and the objects that start running it. */
export interface ImageWarning {
  readonly image: string;
  /** `environment: Kind namespace/name`, in plan order. */
  readonly objects: readonly string[];
  readonly message: string;
}

/**
 * The container images an object names: `image` (containers, ImageCatalog entries, PgBouncer),
 * `imageName` (CloudNativePG Cluster) and `dockerImage` (Zalando postgresql), at any depth.
 */
export function imagesOf(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) imagesOf(v, found);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if ((key === 'image' || key === 'imageName' || key === 'dockerImage') && typeof v === 'string' && v !== '') found.add(v);
      else imagesOf(v, found);
    }
  }
  return found;
}

/** Pinned by content: `…@sha256:<64 hex>`. */
export function hasDigest(image: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(image);
}

/** The images without a digest that added, changed or moved objects start to run, grouped by image. */
export function imageDigestWarnings(transitions: readonly Transition[]): ImageWarning[] {
  const byImage = new Map<string, string[]>();
  for (const t of transitions) {
    if (!t.after) continue;
    const before = t.before ? imagesOf((t.before as KubernetesObject).spec) : new Set<string>();
    for (const image of imagesOf(t.after.spec)) {
      if (hasDigest(image) || before.has(image)) continue;
      if (!byImage.has(image)) byImage.set(image, []);
      byImage.get(image)!.push(`${t.environment}: ${describe(t.after)}`);
    }
  }
  return [...byImage].map(([image, objects]) => ({
    image,
    objects,
    message: `${image} has no digest: a tag can be moved to other bytes; pin it as <tag>@sha256:<digest> (crane digest ${image})`,
  }));
}
