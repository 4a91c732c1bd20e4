import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { ARGOCD_FOLDER } from '../config/build-model';
import type { Fleet, GitopsSettings } from '../config/model';
import { AppProject } from '../gitops/app-project';
import {
  deliveryFolder,
  deliveryPart,
  forbiddenInServiceNamespaces,
  SERVICES_FORBIDDEN_KINDS,
  type DeliveryPart,
} from '../gitops/delivery-parts';
import { EnvironmentsApplicationSet, type EnvironmentTarget } from '../gitops/environments-application-set';
import { groupKind } from '../gitops/sync-policy';
import { standardLabels } from '../labels';
import type { EnvironmentChart } from './environment-chart';

export interface ArgoCdChartProps {
  readonly fleet: Fleet;
  readonly gitops: GitopsSettings;
  /** The rendered environments: the projects allow exactly their namespaces and kinds. */
  readonly environments: readonly EnvironmentChart[];
}

/** The database AppProject of one environment: `<gitops.project>-<environment>`. */
export function environmentProject(project: string, environment: string): string {
  return `${project}-${environment}`;
}

/** The services AppProject of one environment: `<gitops.project>-<environment>-services`. */
export function servicesProject(project: string, environment: string): string {
  return `${project}-${environment}-services`;
}

/** The Application of one part of an environment: `<fleet>-databases-<environment>[-services]`. */
export function applicationName(fleet: string, environment: string, part: DeliveryPart): string {
  return `${fleet}-databases-${environment}${part === 'services' ? '-services' : ''}`;
}

/**
 * `dist/argocd/`: two AppProjects per environment and the ApplicationSet that makes their
 * Applications (lib/gitops/delivery-parts.ts). The database project admits the namespaces and
 * kinds of everything outside the services' namespaces; the services project only the services'
 * namespaces and the kinds rendered there (ExternalSecrets), never a Job, Role or ServiceAccount,
 * and nothing cluster-scoped. A service file can add a namespace only to the services project.
 */
export class ArgoCdChart extends Chart {
  constructor(scope: Construct, props: ArgoCdChartProps) {
    super(scope, ARGOCD_FOLDER, { disableResourceNameHashes: true });
    const { fleet, gitops } = props;
    const labels = standardLabels({ fleet: fleet.name, name: 'argocd', instance: fleet.name, component: 'delivery' });
    const targets: EnvironmentTarget[] = [];

    // Two AppProjects per environment, each admitting only its part's namespaces and kinds; each
    // stays far below the 256 KiB an object may have when it is applied client-side (one project
    // for all environments held 4,000 destinations at 1000 services).
    for (const chart of props.environments) {
      const environment = fleet.environments.find((e) => e.name === chart.node.id)!;
      const parts = new Map<DeliveryPart, { namespaces: Set<string>; kinds: Set<string> }>([
        ['database', { namespaces: new Set(), kinds: new Set() }],
        ['services', { namespaces: new Set(), kinds: new Set() }],
      ]);
      const clusterResources: Array<{ groupKind: string; name: string }> = [];
      const refused: string[] = [];
      // Operators' own unowned objects are expected in these namespaces, not orphans to warn about.
      const expectedOrphans = new Map<string, { group: string; kind: string; name: string }>();
      for (const object of chart.node.findAll().filter((n): n is ApiObject => n instanceof ApiObject)) {
        const namespace = object.metadata.namespace;
        if (!namespace) {
          clusterResources.push({ groupKind: groupKind(object.apiVersion, object.kind), name: object.metadata.name! });
          continue;
        }
        const part = deliveryPart(chart.serviceNamespaces, namespace);
        if (part === 'services' && forbiddenInServiceNamespaces(object.apiVersion, object.kind))
          refused.push(`${object.kind} ${namespace}/${object.metadata.name}`);
        parts.get(part)!.namespaces.add(namespace);
        parts.get(part)!.kinds.add(groupKind(object.apiVersion, object.kind));
      }
      // An extension (FleetAppProps.extend) is the only way to get here: dbfleet renders none.
      if (refused.length > 0)
        throw new Error(
          `environment ${environment.name}: ${refused.join(', ')} would be delivered into a service namespace, where the services AppProject admits no ${SERVICES_FORBIDDEN_KINDS.map((k) => k.split('/')[1]).join('/')}: put it in the database namespace`,
        );
      for (const cluster of chart.clusters) {
        for (const o of cluster.unownedOperatorObjects ?? []) expectedOrphans.set(`${o.group}/${o.kind}/${o.name}`, { ...o });
      }
      const destinationsOf = (namespaces: Set<string>) =>
        [...namespaces].sort().map((namespace) => ({ ...environment.destination, namespace }));

      const database = parts.get('database')!;
      new AppProject(this, `Project-${environment.name}`, {
        name: environmentProject(gitops.project, environment.name),
        namespace: gitops.argocdNamespace,
        description: `Databases of the ${fleet.name} fleet in ${environment.name}, rendered by dbfleet`,
        sourceRepo: gitops.repoURL,
        destinations: destinationsOf(database.namespaces),
        clusterResources,
        namespacedResources: [...database.kinds],
        expectedOrphans: [...expectedOrphans.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, o]) => o),
        labels,
      });
      targets.push({
        environment: environment.name,
        part: 'database',
        application: applicationName(fleet.name, environment.name, 'database'),
        project: environmentProject(gitops.project, environment.name),
        path: `${gitops.path}/${deliveryFolder(environment.name, 'database')}`,
        ...environment.destination,
        namespace: environment.namespace,
      });

      // Without objects in a service namespace there is no services Application (and its project
      // would have an empty whitelist, which Argo CD reads as every kind).
      const services = parts.get('services')!;
      if (services.kinds.size === 0) continue;
      new AppProject(this, `ServicesProject-${environment.name}`, {
        name: servicesProject(gitops.project, environment.name),
        namespace: gitops.argocdNamespace,
        description: `Connection Secrets of the ${fleet.name} fleet's services in ${environment.name}, rendered by dbfleet`,
        sourceRepo: gitops.repoURL,
        destinations: destinationsOf(services.namespaces),
        // Nothing cluster-scoped: an empty clusterResourceWhitelist admits no cluster-scoped kind
        // (IsGroupKindNamePermitted: `len(clusterWhitelist) != 0 && …`).
        clusterResources: [],
        namespacedResources: [...services.kinds],
        namespacedDenied: SERVICES_FORBIDDEN_KINDS,
        // The teams' namespaces hold the teams' own workloads: not orphans of this project.
        warnOrphans: false,
        labels,
      });
      targets.push({
        environment: environment.name,
        part: 'services',
        application: applicationName(fleet.name, environment.name, 'services'),
        project: servicesProject(gitops.project, environment.name),
        path: `${gitops.path}/${deliveryFolder(environment.name, 'services')}`,
        ...environment.destination,
        // A destination of the services project (Argo CD refuses an Application whose own
        // destination namespace its project does not admit).
        namespace: [...services.namespaces].sort()[0],
      });
    }

    new EnvironmentsApplicationSet(this, 'ApplicationSet', {
      name: `${fleet.name}-databases`,
      namespace: gitops.argocdNamespace,
      repoURL: gitops.repoURL,
      targetRevision: gitops.targetRevision,
      targets,
      labels,
    });
  }
}
