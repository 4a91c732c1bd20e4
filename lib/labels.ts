// The recommended app.kubernetes.io labels, the same on every object dbfleet renders, so
// `kubectl get all -l app.kubernetes.io/part-of=<fleet>` finds everything and nothing else.

import { createHash } from 'node:crypto';

export const MANAGED_BY = 'dbfleet';

export interface LabelProps {
  /** The fleet (`app.kubernetes.io/part-of`). */
  readonly fleet: string;
  /** What it is (`app.kubernetes.io/name`), e.g. `postgres`, `developer-access`. */
  readonly name: string;
  /** Which one (`app.kubernetes.io/instance`), e.g. the cluster or service name. */
  readonly instance: string;
  /** Its role in the architecture (`app.kubernetes.io/component`), e.g. `database`, `credentials`. */
  readonly component: string;
}

/** Kubernetes refuses a label value longer than 63 characters (k8s.io/apimachinery IsValidLabelValue). */
export const LABEL_VALUE_MAX = 63;

/**
 * A label value that fits: the value itself when it does (every value that was accepted before
 * stays as it was: selectors and `kubectl -l` keep finding it), else its first characters and 8 hex
 * of its SHA-256, so two long values still differ (`<service>-db` of a 63-character service,
 * `developer-<name>`, `<fleet>-object-store` would otherwise be refused by the API server).
 */
export function boundedLabelValue(value: string): string {
  if (value.length <= LABEL_VALUE_MAX) return value;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 8);
  return `${value.slice(0, LABEL_VALUE_MAX - hash.length - 1).replace(/[^A-Za-z0-9]+$/, '')}-${hash}`;
}

export function standardLabels(props: LabelProps): Record<string, string> {
  return {
    'app.kubernetes.io/component': props.component,
    'app.kubernetes.io/instance': boundedLabelValue(props.instance),
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/name': props.name,
    'app.kubernetes.io/part-of': props.fleet,
  };
}

/**
 * On each Cluster: the environment's developer access (`read-write`, `read-only`, `none`), so
 * that `npm run plan` can see a widening in the rendered manifests alone.
 */
export const DEVELOPER_ACCESS_ANNOTATION = 'dbfleet.io/developer-access';
