import { Construct } from 'constructs';
import { ApplicationSet } from '../../imports/argoproj.io';
import type { DeliveryPart } from './delivery-parts';

/** One Application: one part (database or services) of one environment. */
export interface EnvironmentTarget {
  readonly environment: string;
  /** Which of the environment's two Applications (lib/gitops/delivery-parts.ts). */
  readonly part: DeliveryPart;
  /** The Application's name. */
  readonly application: string;
  /** The Application's AppProject. */
  readonly project: string;
  /** Folder of its manifests in the repository (`<path>/<environment>`, `<path>/<environment>/services`). */
  readonly path: string;
  /** The environment's cluster: API server URL or Argo CD cluster name (all targets use the same form). */
  readonly server?: string;
  readonly name?: string;
  /**
   * Default namespace of the Application (objects in dist/ all name their namespace); one of its
   * project's destinations, or Argo CD refuses the Application (argo-cd@v3.5.1 util/argo/argo.go
   * ValidatePermissions → IsDestinationPermitted).
   */
  readonly namespace: string;
}

export interface EnvironmentsApplicationSetProps {
  readonly name: string;
  /** Argo CD's namespace. */
  readonly namespace: string;
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly targets: readonly EnvironmentTarget[];
  readonly labels: Record<string, string>;
}

/**
 * The Argo CD Applications of every environment, from `dist/<environment>/` (database) and
 * `dist/<environment>/services/` (services) to that environment's cluster: automated sync with
 * self-heal and prune (stateful objects opt out of pruning with their own sync options), retries
 * with backoff, and Applications whose deletion leaves the databases running
 * (`preserveResourcesOnDeletion`).
 */
export class EnvironmentsApplicationSet extends Construct {
  constructor(scope: Construct, id: string, props: EnvironmentsApplicationSetProps) {
    super(scope, id);
    const byName = props.targets.some((t) => t.name !== undefined);
    if (byName && props.targets.some((t) => t.name === undefined)) {
      throw new Error(`ApplicationSet ${props.name}: every environment must name its cluster the same way (all by server, or all by name)`);
    }
    new ApplicationSet(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        generators: [
          {
            list: {
              elements: props.targets.map((t) => ({
                application: t.application,
                environment: t.environment,
                part: t.part,
                project: t.project,
                path: t.path,
                ...(byName ? { cluster: t.name } : { server: t.server }),
                namespace: t.namespace,
              })),
            },
          },
        ],
        syncPolicy: { preserveResourcesOnDeletion: true },
        template: {
          metadata: {
            name: '{{ .application }}',
            labels: { ...props.labels, 'dbfleet.io/environment': '{{ .environment }}', 'dbfleet.io/delivery': '{{ .part }}' },
          },
          spec: {
            project: '{{ .project }}',
            // A plain directory source, not recursive (Argo CD's default: reposerver/repository/
            // repository.go getPotentiallyValidManifests skips sub-folders unless `recurse`): the
            // database Application's folder holds the services Application's as `services/`, and
            // each object is carried by one Application only. Not written as `recurse: false`:
            // util/argo/argo.go NormalizeSource drops a zero `directory`, a diff on every reconcile.
            source: { repoUrl: props.repoURL, targetRevision: props.targetRevision, path: '{{ .path }}' },
            destination: byName
              ? { name: '{{ .cluster }}', namespace: '{{ .namespace }}' }
              : { server: '{{ .server }}', namespace: '{{ .namespace }}' },
            syncPolicy: {
              automated: { prune: true, selfHeal: true },
              // No PruneLast: it moves every prune (also the skipped prunes of kept objects) into a
              // wave after the scheduled jobs', which would make a sync wait on their health
              // (sync-policy.ts). Prunes run in reverse wave order instead.
              syncOptions: ['PrunePropagationPolicy=foreground', 'RespectIgnoreDifferences=true'],
              retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
            },
          },
        },
      },
    });
  }
}
