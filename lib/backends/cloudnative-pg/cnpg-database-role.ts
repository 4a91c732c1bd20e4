import { Construct } from 'constructs';
import { DatabaseRole, DatabaseRoleSpecDatabaseRoleReclaimPolicy } from '../../../imports/postgresql.cnpg.io';
import { SERVER_SIDE_APPLY, SYNC_OPTIONS_ANNOTATION } from '../../gitops/sync-policy';
import type { ClusterRole } from '../../postgres/postgres-cluster';

export interface CnpgDatabaseRoleProps {
  /** Kubernetes name of the DatabaseRole object. */
  readonly name: string;
  /** The Cluster's namespace: the DatabaseRole, its Cluster and its password Secret must share it. */
  readonly namespace: string;
  /** The CloudNativePG Cluster the role lives in. */
  readonly cluster: string;
  readonly role: ClusterRole;
  readonly labels: Record<string, string>;
}

/**
 * One PostgreSQL role as a CloudNativePG 1.30 `DatabaseRole` (cloudnative-pg@v1.30.0:
 * docs/src/declarative_role_management.md): a role per object, so no object grows with the
 * number of services, and a role can be removed by deleting its object. The reclaim policy
 * decides what deleting does in PostgreSQL (`retain`: nothing; `delete`: DROP ROLE, which waits
 * while the role owns objects). Every field the CRD defaults is written out, so Argo CD shows no
 * drift. The password Secret must be a `kubernetes.io/basic-auth` Secret labelled `cnpg.io/reload`
 * (RoleCredentials) so a rotation applies at once.
 */
export class CnpgDatabaseRole extends Construct {
  constructor(scope: Construct, id: string, props: CnpgDatabaseRoleProps) {
    super(scope, id);
    const { role } = props;
    if (!role.login && role.passwordSecret) throw new Error(`role ${role.name}: a password Secret needs a LOGIN role`);
    new DatabaseRole(this, 'Resource', {
      // Applied server-side: the access role's `inRoles` lists every service of its cluster, and no
      // role object should hit the 262144-byte last-applied annotation of client-side apply.
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: props.labels,
        annotations: { [SYNC_OPTIONS_ANNOTATION]: SERVER_SIDE_APPLY },
      },
      spec: {
        cluster: { name: props.cluster },
        name: role.name,
        comment: role.comment,
        login: role.login,
        superuser: false,
        createdb: false,
        createrole: false,
        replication: false,
        bypassrls: false,
        inherit: true,
        connectionLimit: role.connectionLimit ?? -1,
        inRoles: role.inRoles && role.inRoles.length > 0 ? [...role.inRoles] : undefined,
        // A group role has no password at all, not merely an unknown one.
        disablePassword: role.login ? undefined : true,
        passwordSecret: role.passwordSecret ? { name: role.passwordSecret } : undefined,
        databaseRoleReclaimPolicy:
          role.reclaim === 'delete' ? DatabaseRoleSpecDatabaseRoleReclaimPolicy.DELETE : DatabaseRoleSpecDatabaseRoleReclaimPolicy.RETAIN,
      },
    });
  }
}

/**
 * Object name of a cluster-level role (developers, the access role): `<cluster>.<role>` with `_`
 * as `-`. The dot keeps it apart from the service roles' objects, which carry the service's name
 * (a DNS label never contains a dot).
 */
export function clusterRoleObjectName(cluster: string, role: string): string {
  const name = `${cluster}.${role.replace(/_/g, '-')}`;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name) || name.length > 253) {
    throw new Error(`role ${role} of cluster ${cluster}: "${name}" is not a valid object name`);
  }
  return name;
}
