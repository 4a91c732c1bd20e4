// The recommended app.kubernetes.io labels, the same on every object dbfleet renders, so
// `kubectl get all -l app.kubernetes.io/part-of=<fleet>` finds everything and nothing else.

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

export function standardLabels(props: LabelProps): Record<string, string> {
  return {
    'app.kubernetes.io/component': props.component,
    'app.kubernetes.io/instance': props.instance,
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
