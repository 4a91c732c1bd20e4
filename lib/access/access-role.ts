// The role the developer-access Job logs in as. Clusters run with superuser access off (a network
// login as `postgres` owns every database, and anyone who can read Secrets in the namespace would
// have it), so the Job needs a role of its own, with exactly what the SQL needs and nothing more:
// - LOGIN, with a password from the fleet's secret store (one per environment);
// - member (INHERIT) of every service owner role of its cluster: PostgreSQL lets a member of the
//   owning role GRANT/REVOKE on the owner's objects and databases (performed as the owner) and
//   ALTER DEFAULT PRIVILEGES FOR ROLE <owner>; in PostgreSQL 16 membership must also carry SET,
//   which a plain GRANT does by default;
// - no SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS and no predefined role: it cannot
//   read pg_authid, create or alter roles (developer roles are created and dropped by the
//   operator, never by the Job), or touch databases of roles it is not a member of.
// Operator-neutral: a ClusterRole any IPostgresCluster implementation renders its own way.
import type { SecretStoreRef } from '../config/model';
import { ACCESS_ROLE } from '../config/names';
import type { ClusterRole } from '../postgres/postgres-cluster';
import { platformRemoteKey } from '../secrets/key-layout';

export { ACCESS_ROLE };

/** The basic-auth Secret with the access role's password, in the environment's database namespace. */
export const ACCESS_ROLE_SECRET = 'dbfleet-access-credentials';

/** Remote key of the access role's password: `<keyPrefix>/<environment>/platform/dbfleet-access` (property `password`). */
export function accessRoleRemoteKey(store: SecretStoreRef, environment: string): string {
  return platformRemoteKey(store.keyPrefix, environment, 'dbfleet-access');
}

/** The access role of one cluster: a member of each of `owners` (the cluster's service roles). */
export function accessClusterRole(owners: readonly string[]): ClusterRole {
  return {
    name: ACCESS_ROLE,
    login: true,
    inRoles: [...new Set(owners)],
    passwordSecret: ACCESS_ROLE_SECRET,
    comment: 'dbfleet: applies developer access (member of every service owner role; no other privilege)',
    // Dropping it needs its memberships gone first; nothing depends on keeping it either.
    reclaim: 'retain',
  };
}
