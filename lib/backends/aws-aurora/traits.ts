import type { BackendTraits } from '../traits';
import { auroraParameterProblem } from './aurora-parameters';

const AURORA = 'has no meaning on operator: aws-aurora';

export const AWS_AURORA_TRAITS: BackendTraits = {
  operator: 'aws-aurora',
  title: 'Aurora (ACK rds-controller)',
  product: 'Amazon Aurora PostgreSQL (ACK rds-controller)',
  settingsKey: 'aws',
  poolers: `${AURORA} (CloudNativePG Poolers; use RDS Proxy, which dbfleet does not render: docs/aurora.md)`,
  ownerRotation:
    'dbfleet\'s owner rotation needs CloudNativePG DatabaseRoles (see README "Credentials"); rotate an Aurora owner\'s password in the store and re-run the access Job (docs/aurora.md)',
  // A secondary DBCluster in the standby's region, joined to a GlobalCluster made from the
  // source's cluster (aurora-global-cluster.ts; checks in lib/config/global-cluster-pair.ts).
  standbySites: true,
  standbyReplication: 'globalCluster',
  objectStore: `${AURORA} (Aurora backs up continuously on its own: set aws.backupRetentionDays)`,
  // A copy-on-write clone of the cluster (aurora-restore-drill.ts, lib/ops/restore-drill/aurora-drill.ts).
  fixedRestoreDrillSource: 'auroraClone',
  // On each developer role, and its session defaults, set by the provisioning as dbfleet_admin (aurora-sql.ts).
  developerConnectionLimit: true,
  developerSessionTimeouts: true,
  restoreDrill: true,
  snapshotRetention: `${AURORA} (Aurora keeps continuous backups for aws.backupRetentionDays)`,
  logicalBackup: "logical is the Zalando operator's logical backup; Aurora backs up continuously (aws.backupRetentionDays)",
  scheduledBackups: `${AURORA} (Aurora backs up continuously: set aws.backupRetentionDays instead of a schedule)`,
  walStorage: `${AURORA} (Aurora storage grows on its own and has no WAL volume)`,
  // The access Job's psql: the PostgreSQL image of the same major (build-model.ts).
  postgresImage: true,
  // IAM database authentication (GRANT rds_iam): no developer password.
  developerPasswords: false,
  masterPassword: true,
  externalDatabase: true,
  parameterProblem: auroraParameterProblem,
  clusterKinds: ['rds.services.k8s.aws/DBCluster'],
};
