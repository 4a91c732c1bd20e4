import type { BackendTraits } from '../traits';

export const CLOUDNATIVE_PG_TRAITS: BackendTraits = {
  operator: 'cloudnative-pg',
  title: 'CloudNativePG',
  product: 'CloudNativePG',
  poolers: true,
  ownerRotation: true,
  standbySites: true,
  objectStore: true,
  developerConnectionLimit: true,
  developerSessionTimeouts: true,
  restoreDrill: true,
  snapshotRetention: true,
  logicalBackup: "logical is the Zalando operator's logical backup; on cloudnative-pg use volumeSnapshot or plugin",
  postgresImage: true,
  clusterKinds: ['postgresql.cnpg.io/Cluster'],
};
