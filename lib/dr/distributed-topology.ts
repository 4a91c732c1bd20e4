// One cluster's place in a disaster-recovery pair, as CloudNativePG's distributed topology
// (cloudnative-pg@v1.30.0:docs/src/replica_cluster.md, "Distributed Topology"): every site's
// Cluster lists the same externalClusters, `replica.primary` names the primary site, and the
// others replay WAL from `replica.source`'s archive.
import type { DrSite, ObjectStoreBackup } from '../config/model';
import { BARMAN_CLOUD_PLUGIN } from '../config/names';
import type { ReplicaClusterSpec } from '../postgres/postgres-cluster';

export interface DistributedTopologyProps {
  /** The Cluster's name: the same at both sites (each archives under `<bucket path>/<name>`). */
  readonly cluster: string;
  readonly site: DrSite;
  /** This site's own object store (its WAL archive). */
  readonly ownObjectStore: ObjectStoreBackup;
}

/**
 * The `replica`, `externalClusters` and (standby only) `bootstrap` of one site's Cluster.
 * External clusters are named after the environments (`self` says which one is this Cluster),
 * and both list the same two entries in the same order, so the two sites' specs differ only in
 * `self`, `source` and the ObjectStore each entry names locally.
 */
export function distributedTopology(props: DistributedTopologyProps): ReplicaClusterSpec {
  const { site, cluster } = props;
  const entry = (name: string, objectStoreName: string) => ({
    name,
    // serverName: the folder the cluster archives into, its own name at both sites.
    plugin: {
      name: BARMAN_CLOUD_PLUGIN,
      enabled: true,
      isWalArchiver: false,
      parameters: { barmanObjectName: objectStoreName, serverName: cluster },
    },
  });
  const entries = [entry(site.self, props.ownObjectStore.name), entry(site.peer, site.peerObjectStore!.name)].sort((a, b) =>
    a.name < b.name ? -1 : 1,
  );
  return {
    replica: {
      self: site.self,
      primary: site.primary,
      // The primary's source is the site it follows once demoted; a replica's is the primary.
      source: site.peer,
      promotionToken: site.promotionTokens?.[cluster],
    },
    externalClusters: entries,
    // The standby starts as a copy of the source's latest base backup plus its WAL. Bootstrap
    // is read only when the Cluster is created, so it stays the same through switchovers.
    bootstrap: site.standby ? { recovery: { source: site.source } } : undefined,
  };
}

/** True when this site's clusters are replicas (read-only) right now. */
export function isReplicaSite(site: DrSite | undefined): boolean {
  return site !== undefined && site.primary !== site.self;
}
