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

/** `dist/argocd/`: the AppProject and the ApplicationSet that deliver every environment. */
export class ArgoCdChart extends Chart {
  constructor(scope: Construct, props: ArgoCdChartProps) {
    super(scope, ARGOCD_FOLDER, { disableResourceNameHashes: true });
    const { fleet, gitops } = props;
    const labels = standardLabels({ fleet: fleet.name, name: 'argocd', instance: fleet.name, component: 'delivery' });

    const destinations: Array<{ server?: string; name?: string; namespace: string }> = [];
    const clusterResources = new Set<string>();
    const namespacedResources = new Set<string>();
    // Operators' own unowned objects are expected in these namespaces, not orphans to warn about.
    const expectedOrphans = new Map<string, { group: string; kind: string; name: string }>();
    for (const chart of props.environments) {
      const environment = fleet.environments.find((e) => e.name === chart.node.id)!;
      const namespaces = new Set<string>();
      for (const object of chart.node.findAll().filter((n): n is ApiObject => n instanceof ApiObject)) {
        const namespace = object.metadata.namespace;
        if (namespace) {
          namespaces.add(namespace);
          namespacedResources.add(groupKind(object.apiVersion, object.kind));
        } else {
          clusterResources.add(groupKind(object.apiVersion, object.kind));
        }
      }
      for (const namespace of [...namespaces].sort()) destinations.push({ ...environment.destination, namespace });
      for (const cluster of chart.clusters) {
        for (const o of cluster.unownedOperatorObjects ?? []) expectedOrphans.set(`${o.group}/${o.kind}/${o.name}`, { ...o });
      }
    }

    new AppProject(this, 'Project', {
      name: gitops.project,
      namespace: gitops.argocdNamespace,
      description: `Databases of the ${fleet.name} fleet, rendered by dbfleet`,
      sourceRepo: gitops.repoURL,
      destinations,
      clusterResources: [...clusterResources],
      namespacedResources: [...namespacedResources],
      expectedOrphans: [...expectedOrphans.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, o]) => o),
      labels,
    });
    new EnvironmentsApplicationSet(this, 'ApplicationSet', {
      name: `${fleet.name}-databases`,
      namespace: gitops.argocdNamespace,
      project: gitops.project,
      repoURL: gitops.repoURL,
      targetRevision: gitops.targetRevision,
      path: gitops.path,
      applicationPrefix: `${fleet.name}-databases`,
      targets: fleet.environments.map((e) => ({ environment: e.name, ...e.destination, namespace: e.namespace })),
      labels,
    });
  }
}
