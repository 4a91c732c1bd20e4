// The role the developer-access Job used to log in as, `dbfleet_access`: a member (INHERIT) of
// every service owner of its cluster, with one password for the whole environment. It could do
// whatever any service could, in every database of the cluster (it ran `DROP DATABASE` on a
// payments database in the review of issue 24), and SQL a service redirected ran with all of it.
//
// The Job now applies each database's SQL logged in as that database's own owner
// (privileges-sql.ts), so the role has no purpose left: it is declared absent, and the operator
// drops it (CloudNativePG `ensure: absent`; it owns nothing, and what it granted was granted as
// the owners). The name stays reserved (build-model.ts) so no service can take it over.
import { ACCESS_ROLE } from '../config/names';
import type { ClusterRole } from '../postgres/postgres-cluster';

export { ACCESS_ROLE };

/** The retired access role of a cluster: absent, so clusters that still have it drop it. */
export function retiredAccessRole(): ClusterRole {
  return {
    name: ACCESS_ROLE,
    login: false,
    absent: true,
    comment: 'dbfleet: retired developer-access role (was a member of every service owner); dropped',
  };
}
