// The roles half of developer access, operator-neutral: the cluster implementation renders them
// (CloudNativePG: one DatabaseRole each). The operator creates, reconciles and drops the roles
// (attributes, membership, password from a Secret); privileges are not its business (see
// privileges-sql.ts).
import type { DeveloperAccess, DeveloperSessions } from '../config/model';
import { DEVELOPER_GROUP_ROLE, developerRoleName } from '../config/names';
import type { ClusterRole } from '../postgres/postgres-cluster';
import { platformRemoteKey } from '../secrets/key-layout';

/**
 * Name of the `kubernetes.io/basic-auth` Secret holding a developer's password, in the
 * environment's namespace. One per developer and namespace: every cluster of the namespace uses it.
 */
export function developerSecretName(developer: string): string {
  return `developer-${developer}-credentials`;
}

/** Remote key of a developer's password in the secret store: `<keyPrefix>/<environment>/platform/developers/<name>`. */
export function developerRemoteKey(keyPrefix: string, environment: string, developer: string): string {
  return platformRemoteKey(keyPrefix, environment, 'developers', developer);
}

/**
 * The roles of developer access for one cluster, operator-neutral (`PostgresClusterProps.roles`):
 * the NOLOGIN group role first, then one LOGIN role per developer, in `developers:` order, member
 * of the group, with its password from `developerSecretName(developer)`. Reclaim policies:
 * - a developer's role is dropped when it leaves the fleet (removed from `developers:`, or the
 *   environment switched to `developerAccess: none`): the operator drops it when its object is
 *   deleted, so access ends at the root and the Job needs no power over roles. Developers own
 *   nothing (they may not create anything), so the DROP does not wait;
 * - the group is retained: it holds the grants in every service database, which the
 *   developer-access SQL revokes under `developerAccess: none`.
 * Each developer role carries the environment's `developerSessions.connectionLimit` (operators
 * that can declare it: CloudNativePG).
 * `developerAccess: none` → no roles at all.
 */
export function developerClusterRoles(
  developers: readonly string[],
  access: DeveloperAccess,
  sessions?: Pick<DeveloperSessions, 'connectionLimit'>,
): ClusterRole[] {
  if (access === 'none') return [];
  return [
    {
      name: DEVELOPER_GROUP_ROLE,
      comment: `dbfleet: developers (${access}); privileges are granted by the developer-access Job`,
      login: false,
      reclaim: 'retain',
    },
    ...developers.map((developer): ClusterRole => ({
      name: developerRoleName(developer),
      comment: `dbfleet: developer ${developer}`,
      login: true,
      passwordSecret: developerSecretName(developer),
      inRoles: [DEVELOPER_GROUP_ROLE],
      reclaim: 'delete',
      connectionLimit: sessions?.connectionLimit,
    })),
  ];
}

/**
 * Developers connect to service databases only: PUBLIC keeps CONNECT on `postgres`, `template1`
 * and CloudNativePG's bootstrap `app` database, and only their owners (the superuser, `app`)
 * could revoke it, so pg_hba turns members of the developer group away there, before the
 * operator's default rule. `none`: no developers, no rule.
 */
export function developerHostBasedAccess(access: DeveloperAccess): string[] {
  return access === 'none' ? [] : [`host postgres,template0,template1,app +${DEVELOPER_GROUP_ROLE} all reject`];
}
