import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { ARGOCD_FOLDER } from '../config/build-model';
import type { Fleet, GitopsSettings } from '../config/model';
import { AppProject } from '../gitops/app-project';
import { EnvironmentsApplicationSet } from '../gitops/environments-application-set';
import { groupKind } from '../gitops/sync-policy';
import { standardLabels } from '../labels';
import type { EnvironmentChart } from './environment-chart';

export interface ArgoCdChartProps {
  readonly fleet: Fleet;
  readonly gitops: GitopsSettings;
  /** The rendered environments: the project allows exactly their namespaces and kinds. */
  readonly environments: readonly EnvironmentChart[];
}

/** The AppProject of one environment: `<gitops.project>-<environment>`. */
export function environmentProject(project: string, environment: string): string {
  return `${project}-${environment}`;
}

/** `dist/argocd/`: an AppProject per environment and the ApplicationSet that delivers them all. */
export class ArgoCdChart extends Chart {
  constructor(scope: Construct, props: ArgoCdChartProps) {
    super(scope, ARGOCD_FOLDER, { disableResourceNameHashes: true });
    const { fleet, gitops } = props;
    const labels = standardLabels({ fleet: fleet.name, name: 'argocd', instance: fleet.name, component: 'delivery' });

    // One AppProject per environment: each admits only that environment's namespaces and kinds (a
    // tighter fence than one project for all), and stays far below the 256 KiB an object may have
    // when it is applied client-side (one project for all held 4,000 destinations at 1000 services).
    for (const chart of props.environments) {
      const environment = fleet.environments.find((e) => e.name === chart.node.id)!;
      const namespaces = new Set<string>();
      const clusterResources: Array<{ groupKind: string; name: string }> = [];
      const namespacedResources = new Set<string>();
      // Operators' own unowned objects are expected in these namespaces, not orphans to warn about.
      const expectedOrphans = new Map<string, { group: string; kind: string; name: string }>();
      for (const object of chart.node.findAll().filter((n): n is ApiObject => n instanceof ApiObject)) {
        const namespace = object.metadata.namespace;
        if (namespace) {
          namespaces.add(namespace);
          namespacedResources.add(groupKind(object.apiVersion, object.kind));
        } else {
          clusterResources.push({ groupKind: groupKind(object.apiVersion, object.kind), name: object.metadata.name! });
        }
      }
      for (const cluster of chart.clusters) {
        for (const o of cluster.unownedOperatorObjects ?? []) expectedOrphans.set(`${o.group}/${o.kind}/${o.name}`, { ...o });
      }
      new AppProject(this, `Project-${environment.name}`, {
        name: environmentProject(gitops.project, environment.name),
        namespace: gitops.argocdNamespace,
        description: `Databases of the ${fleet.name} fleet in ${environment.name}, rendered by dbfleet`,
        sourceRepo: gitops.repoURL,
        destinations: [...namespaces].sort().map((namespace) => ({ ...environment.destination, namespace })),
        clusterResources,
        namespacedResources: [...namespacedResources],
        expectedOrphans: [...expectedOrphans.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, o]) => o),
        labels,
      });
    }

    new EnvironmentsApplicationSet(this, 'ApplicationSet', {
      name: `${fleet.name}-databases`,
      namespace: gitops.argocdNamespace,
      projectOf: (environment) => environmentProject(gitops.project, environment),
      repoURL: gitops.repoURL,
      targetRevision: gitops.targetRevision,
      path: gitops.path,
      applicationPrefix: `${fleet.name}-databases`,
      targets: fleet.environments.map((e) => ({ environment: e.name, ...e.destination, namespace: e.namespace })),
      labels,
    });
  }
}
