// What a rendered CloudNativePG Cluster means for PostgreSQL's own WAL archiving and archive-fed
// recovery: where it archives, where a replica site restores from, and the settings the operator
// adds. Read from the rendered objects (not from the fleet), so that a drill on a real PostgreSQL
// (test/dr/drill-postgres.test.ts) checks what dbfleet actually renders, and the cross-site
// alerts derive their thresholds from the same numbers.
import { BARMAN_CLOUD_PLUGIN } from '../../config/names';
import type { KubernetesObject } from '../../output/render';

/** One WAL folder in an object store, as the Barman Cloud plugin addresses it. */
export interface WalLocation {
  /** The ObjectStore object that holds the bucket settings. */
  readonly objectStore: string;
  /** `spec.configuration.destinationPath` of that ObjectStore (e.g. `s3://bucket/prefix`). */
  readonly destinationPath: string;
  /** The folder under destinationPath: the archiving cluster's server name. */
  readonly serverName: string;
  /** `spec.configuration.wal.compression` (gzip, bzip2, snappy, …), if any. */
  readonly compression?: string;
}

export interface ArchiveReplication {
  /** Where this Cluster archives its WAL (its WAL-archiver plugin), if it archives. */
  readonly archiveTo?: WalLocation;
  /** Where this Cluster restores WAL from while it is a replica of another site, if it is one. */
  readonly restoreFrom?: WalLocation;
  /** `archive_timeout`: the longest a written transaction waits before its segment is archived. */
  readonly archiveTimeout: string;
  /** Recovery follows the newest timeline (after the source site is promoted). */
  readonly recoveryTargetTimeline: 'latest';
}

// cloudnative-pg@v1.30.0 pkg/postgres/configuration.go CnpgConfigurationSettings.GlobalDefaultSettings.
export const CNPG_DEFAULT_ARCHIVE_TIMEOUT = '5min';

type Obj = KubernetesObject & { spec?: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- rendered specs

/**
 * The archive replication of `cluster`, with the ObjectStores of the same site. The server name
 * defaults to the Cluster's name, as plugin-barman-cloud@v0.14.0
 * internal/cnpgi/operator/config/config.go builds ServerName / ReplicaSourceServerName; a replica
 * restores from its `replica.source` external cluster (internal/cnpgi/common/wal.go
 * resolveRestoreObjectStore).
 */
export function archiveReplication(cluster: Obj, objectStores: readonly Obj[]): ArchiveReplication {
  const spec = cluster.spec ?? {};
  const location = (parameters: Record<string, string> | undefined): WalLocation | undefined => {
    const name = parameters?.barmanObjectName;
    if (!name) return undefined;
    const store = objectStores.find((o) => o.kind === 'ObjectStore' && o.metadata.name === name);
    if (!store) throw new Error(`Cluster ${cluster.metadata.name} names ObjectStore ${name}, which is not rendered beside it`);
    return {
      objectStore: name,
      destinationPath: store.spec?.configuration?.destinationPath,
      serverName: parameters?.serverName ?? cluster.metadata.name,
      compression: store.spec?.configuration?.wal?.compression,
    };
  };
  const archiver = (spec.plugins ?? []).find(
    (p: { name?: string; isWALArchiver?: boolean }) => p.name === BARMAN_CLOUD_PLUGIN && p.isWALArchiver,
  );
  const replica = spec.replica;
  const isReplica = replica !== undefined && replica.primary !== undefined && replica.primary !== replica.self;
  const source = isReplica ? (spec.externalClusters ?? []).find((c: { name: string }) => c.name === replica.source) : undefined;
  if (isReplica && !source)
    throw new Error(`Cluster ${cluster.metadata.name} replicates from ${replica.source}, which is not among its externalClusters`);
  return {
    archiveTo: location(archiver?.parameters),
    restoreFrom: source ? location(source.plugin?.parameters) : undefined,
    archiveTimeout: spec.postgresql?.parameters?.archive_timeout ?? CNPG_DEFAULT_ARCHIVE_TIMEOUT,
    recoveryTargetTimeline: 'latest',
  };
}

/** A PostgreSQL duration (`5min`, `30s`, `1h`, plain seconds) in seconds. */
export function postgresDurationSeconds(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/.exec(value);
  if (!m) throw new Error(`not a PostgreSQL duration: ${value}`);
  const factor = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 }[m[2] ?? 's'] ?? 1;
  return Number(m[1]) * factor;
}
