// The roles half of developer access: entries for a CloudNativePG Cluster's `spec.managed.roles`.
// The operator creates and reconciles the roles (attributes, membership, password from a Secret);
// privileges are not its business (see privileges-sql.ts).
import { ClusterSpecManagedRolesEnsure, type ClusterSpecManagedRoles } from '../../imports/postgresql.cnpg.io';
import type { DeveloperAccess } from '../config/model';
import { DEVELOPER_GROUP_ROLE, developerRoleName } from '../config/names';
import type { ClusterRole } from '../postgres/postgres-cluster';

/**
 * Name of the `kubernetes.io/basic-auth` Secret holding a developer's password, in the
 * environment's namespace. One per developer and namespace: every cluster of the namespace uses it.
 */
export function developerSecretName(developer: string): string {
  return `developer-${developer}-credentials`;
}

/** Remote key of a developer's password in the secret store: `<keyPrefix>/<environment>/developers/<name>`. */
export function developerRemoteKey(keyPrefix: string, environment: string, developer: string): string {
  return `${keyPrefix}/${environment}/developers/${developer}`;
}

/**
 * Every field the API server or the operator would default, written out: `spec.managed.roles` is
 * a list without a merge key, so Argo CD compares each entry as a whole and a field filled in on
 * the live object (ensure, inherit, connectionLimit are CRD defaults) would show as drift forever.
 * The booleans are the role attributes CloudNativePG reports in the role status; writing them out
 * also documents that no developer role is ever privileged.
 */
const UNPRIVILEGED = {
  ensure: ClusterSpecManagedRolesEnsure.PRESENT,
  inherit: true,
  connectionLimit: -1,
  superuser: false,
  createdb: false,
  createrole: false,
  replication: false,
  bypassrls: false,
} as const;

/**
 * The managed roles of developer access for one cluster, to append to the Cluster's
 * `spec.managed.roles`: the NOLOGIN group role first (the operator grants memberships after
 * creating every role, but reading top-down the group comes first), then one LOGIN role per
 * developer, in `developers:` order, member of the group, with its password from
 * `developerSecretName(developer)`. `developerAccess: none` → no roles at all.
 */
export function developerManagedRoles(developers: readonly string[], access: DeveloperAccess): ClusterSpecManagedRoles[] {
  if (access === 'none') return [];
  return [
    {
      name: DEVELOPER_GROUP_ROLE,
      comment: `dbfleet: developers (${access}); privileges are granted by the developer-access Job`,
      login: false,
      // Never a password: nobody logs in as the group.
      disablePassword: true,
      ...UNPRIVILEGED,
    },
    ...developers.map((developer) => ({
      name: developerRoleName(developer),
      comment: `dbfleet: developer ${developer}`,
      login: true,
      disablePassword: false,
      passwordSecret: { name: developerSecretName(developer) },
      inRoles: [DEVELOPER_GROUP_ROLE],
      ...UNPRIVILEGED,
    })),
  ];
}

/**
 * The same roles in the operator-neutral shape of `PostgresClusterProps.roles` (CnpgCluster fills
 * in the defaulted fields itself). Prefer developerManagedRoles() where the Cluster spec is built
 * directly: it also pins `disablePassword` (true for the group, false for developers).
 */
export function developerClusterRoles(developers: readonly string[], access: DeveloperAccess): ClusterRole[] {
  return developerManagedRoles(developers, access).map((role) => ({
    name: role.name,
    login: role.login ?? false,
    inRoles: role.inRoles,
    passwordSecret: role.passwordSecret?.name,
    comment: role.comment,
  }));
}
