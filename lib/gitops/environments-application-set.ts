import { Construct } from 'constructs';
import { ApplicationSet } from '../../imports/argoproj.io';

export interface EnvironmentTarget {
  readonly environment: string;
  /** The environment's cluster: API server URL or Argo CD cluster name (all targets use the same form). */
  readonly server?: string;
  readonly name?: string;
  /** Default namespace of the Application (objects in dist/ all name their namespace). */
  readonly namespace: string;
}

export interface EnvironmentsApplicationSetProps {
  readonly name: string;
  /** Argo CD's namespace. */
  readonly namespace: string;
  /** The AppProject of each environment's Application. */
  readonly projectOf: (environment: string) => string;
  readonly repoURL: string;
  readonly targetRevision: string;
  /** Folder of the rendered manifests in the repository; each environment is `<path>/<environment>`. */
  readonly path: string;
  readonly targets: readonly EnvironmentTarget[];
  /** Prefix of the generated Applications' names (`<prefix>-<environment>`). */
  readonly applicationPrefix: string;
  readonly labels: Record<string, string>;
}

/**
 * One Argo CD Application per environment, from `dist/<environment>/` to that environment's
 * cluster: automated sync with self-heal and prune (stateful objects opt out of pruning with
 * their own sync options), retries with backoff, and Applications whose deletion leaves the
 * databases running (`preserveResourcesOnDeletion`).
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
              elements: props.targets.map((t) =>
                byName
                  ? { environment: t.environment, project: props.projectOf(t.environment), cluster: t.name, namespace: t.namespace }
                  : { environment: t.environment, project: props.projectOf(t.environment), server: t.server, namespace: t.namespace },
              ),
            },
          },
        ],
        syncPolicy: { preserveResourcesOnDeletion: true },
        template: {
          metadata: {
            name: `${props.applicationPrefix}-{{ .environment }}`,
            labels: { ...props.labels, 'dbfleet.io/environment': '{{ .environment }}' },
          },
          spec: {
            project: '{{ .project }}',
            source: { repoUrl: props.repoURL, targetRevision: props.targetRevision, path: `${props.path}/{{ .environment }}` },
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
