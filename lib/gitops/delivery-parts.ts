// Each environment is delivered by two Argo CD Applications, each in its own AppProject (issue 24
// item 9): the *database* Application carries everything outside the services' namespaces (the
// database and backup namespaces, monitoring's rules, Velero's schedules, the cluster-scoped
// Namespaces and admission policies), the *services* Application only what lands in the
// services' own namespaces (their connection ExternalSecrets).
//
// Why two projects and not one: an AppProject's kind lists are one list for all of its
// destinations. argo-cd@v3.5.1 pkg/apis/application/v1alpha1/app_project_types.go
// IsGroupKindNamePermitted(gk, name, namespaced) takes no namespace, and IsDestinationPermitted
// (isDestinationMatched) admits a namespace for every kind alike; controller/sync.go
// validateSyncPermissions checks an object against exactly those two. So a project that may
// create Jobs and Roles in `databases` may create them in every namespace a service file names;
// only a second project, holding the service namespaces and none of those kinds, fences them out.
import { groupKind } from './sync-policy';

/** Which of an environment's two Applications carries an object. */
export type DeliveryPart = 'database' | 'services';

/** `dist/<environment>/services/`: the services Application's folder, inside the database one's. */
export const SERVICES_FOLDER = 'services';

/**
 * Kinds the services Application never carries: what runs code or grants rights in a team's
 * namespace. The services AppProject blacklists them as well as leaving them off its whitelist,
 * and rendering one into a service namespace is an error (lib/fleet/argocd-chart.ts).
 */
export const SERVICES_FORBIDDEN_KINDS: readonly string[] = [
  '/ServiceAccount',
  '/Pod',
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'batch/Job',
  'batch/CronJob',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/RoleBinding',
];

/** The Application that carries an object: services for an object in a service namespace, else database. */
export function deliveryPart(serviceNamespaces: ReadonlySet<string>, namespace: string | undefined): DeliveryPart {
  return namespace !== undefined && serviceNamespaces.has(namespace) ? 'services' : 'database';
}

/** The dist/ folder of one part of an environment: `<environment>` or `<environment>/services`. */
export function deliveryFolder(environment: string, part: DeliveryPart): string {
  return part === 'services' ? `${environment}/${SERVICES_FOLDER}` : environment;
}

/** Whether a `group/Kind` may never be carried by the services Application. */
export function forbiddenInServiceNamespaces(apiVersion: string, kind: string): boolean {
  return SERVICES_FORBIDDEN_KINDS.includes(groupKind(apiVersion, kind));
}
