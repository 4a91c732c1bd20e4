import type { IPostgresCluster } from '../postgres/postgres-cluster';
import type { ConnectionEndpoints } from './types';

/**
 * The endpoints of a cluster without a pooler: its Services. Without replicas there is no
 * read-only endpoint (the read-only Service has no endpoints then): reads go where writes go.
 */
export function directEndpoints(cluster: Pick<IPostgresCluster, 'readWriteHost' | 'readOnlyHost' | 'instances'>): ConnectionEndpoints {
  const directHost = cluster.readWriteHost;
  const directReadOnlyHost = cluster.instances > 1 ? cluster.readOnlyHost : directHost;
  return { host: directHost, readOnlyHost: directReadOnlyHost, directHost, directReadOnlyHost };
}
