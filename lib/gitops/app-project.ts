import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface AppProjectDestination {
  readonly server?: string;
  readonly name?: string;
  readonly namespace: string;
}

export interface AppProjectProps {
  readonly name: string;
  /** Argo CD's namespace. */
  readonly namespace: string;
  readonly description: string;
  /** The only repository Applications of this project may read. */
  readonly sourceRepo: string;
  readonly destinations: readonly AppProjectDestination[];
  /** Cluster-scoped kinds the project may manage, as `group/Kind` (core group: `/Kind`). */
  readonly clusterResources: readonly string[];
  /** Namespaced kinds the project may manage, as `group/Kind`. */
  readonly namespacedResources: readonly string[];
  readonly labels: Record<string, string>;
}

/**
 * An Argo CD AppProject (argoproj.io/v1alpha1) fenced to exactly what the fleet renders: one
 * source repository, the namespaces the fleet uses on each environment's cluster, and an
 * allow-list of the kinds in dist/. No CRD for AppProject is vendored in ../shared/crds, so
 * this is a plain ApiObject and the schema validator reports it as not validated.
 */
export class AppProject extends Construct {
  constructor(scope: Construct, id: string, props: AppProjectProps) {
    super(scope, id);
    const split = (groupKind: string) => {
      const slash = groupKind.lastIndexOf('/');
      return { group: groupKind.slice(0, slash), kind: groupKind.slice(slash + 1) };
    };
    new ApiObject(this, 'Resource', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        description: props.description,
        sourceRepos: [props.sourceRepo],
        destinations: props.destinations.map((d) => ({ ...d })),
        clusterResourceWhitelist: [...new Set(props.clusterResources)].sort().map(split),
        namespaceResourceWhitelist: [...new Set(props.namespacedResources)].sort().map(split),
        // Anything in these namespaces that dbfleet did not render shows up as a warning.
        orphanedResources: { warn: true },
      },
    });
  }
}
