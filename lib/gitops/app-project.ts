import { Construct } from 'constructs';
import { AppProject as AppProjectResource, type AppProjectSpecOrphanedResourcesIgnore } from '../../imports/argoproj.io';

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
  /**
   * Cluster-scoped objects the project may manage, each as `group/Kind` (core group: `/Kind`) and
   * its name: the whitelist names each object (Argo CD v3.5.1 ClusterResourceRestrictionItem.name,
   * IsGroupKindNamePermitted), so the project cannot create another Namespace or admission policy.
   */
  readonly clusterResources: ReadonlyArray<{ readonly groupKind: string; readonly name: string }>;
  /**
   * Namespaced kinds the project may manage, as `group/Kind`: never empty (an empty
   * `namespaceResourceWhitelist` is left out of the manifest, and a missing one admits every kind:
   * argo-cd@v3.5.1 app_project_types.go IsGroupKindNamePermitted, `namespaceWhitelist == nil ||`).
   */
  readonly namespacedResources: readonly string[];
  /** Namespaced kinds the project refuses even if a later whitelist admitted them, as `group/Kind`. @default none */
  readonly namespacedDenied?: readonly string[];
  /**
   * Warn about objects in the project's namespaces that no Application carries. Off for a project
   * whose namespaces are teams' own (they hold the teams' workloads). @default true
   */
  readonly warnOrphans?: boolean;
  /**
   * Objects that live in the project's namespaces without an owner and without being in git,
   * created by an operator on purpose: not reported as orphans. @default none
   */
  readonly expectedOrphans?: readonly AppProjectSpecOrphanedResourcesIgnore[];
  readonly labels: Record<string, string>;
}

/**
 * An Argo CD AppProject (argoproj.io/v1alpha1, validated against the CRD in ../shared/crds/argo-cd)
 * fenced to exactly what the fleet renders: one source repository, the namespaces the fleet uses
 * on each environment's cluster, and an allow-list of the kinds in dist/. No `sourceNamespaces`:
 * only Applications in Argo CD's own namespace may use the project (argo-cd@v3.5.1
 * app_project_types.go IsAppNamespacePermitted), so no team can create an Application elsewhere
 * that borrows it.
 */
export class AppProject extends Construct {
  constructor(scope: Construct, id: string, props: AppProjectProps) {
    super(scope, id);
    if (props.namespacedResources.length === 0)
      throw new Error(`AppProject ${props.name}: no namespaced kinds: Argo CD would read the missing whitelist as "every kind"`);
    const split = (groupKind: string) => {
      const slash = groupKind.lastIndexOf('/');
      return { group: groupKind.slice(0, slash), kind: groupKind.slice(slash + 1) };
    };
    new AppProjectResource(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        description: props.description,
        sourceRepos: [props.sourceRepo],
        destinations: props.destinations.map((d) => ({ ...d })),
        // Names are matched as globs (filepath.Match): a name holding a glob character would admit more.
        clusterResourceWhitelist: [...new Map(props.clusterResources.map((r) => [`${r.groupKind}/${r.name}`, r])).entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([, r]) => {
            if (/[*?[\\]/.test(r.name))
              throw new Error(`cluster-scoped ${r.groupKind} "${r.name}": a name with a glob character cannot be fenced by name`);
            return { ...split(r.groupKind), name: r.name };
          }),
        namespaceResourceWhitelist: [...new Set(props.namespacedResources)].sort().map(split),
        namespaceResourceBlacklist:
          props.namespacedDenied && props.namespacedDenied.length > 0 ? [...new Set(props.namespacedDenied)].sort().map(split) : undefined,
        // Anything in these namespaces that dbfleet did not render shows up as a warning, except
        // what an operator creates there by design.
        orphanedResources:
          props.warnOrphans === false
            ? undefined
            : {
                warn: true,
                ignore:
                  props.expectedOrphans && props.expectedOrphans.length > 0 ? props.expectedOrphans.map((o) => ({ ...o })) : undefined,
              },
      },
    });
  }
}
