import type { BackendTraits } from '../traits';
import { walgObjectStoreProblems } from './zalando-wal-g';
import { zalandoPoolerName, zalandoPoolerParameterProblem } from './zalando-pooler-settings';

export const ZALANDO_TRAITS: BackendTraits = {
  operator: 'zalando',
  title: "Zalando's operator",
  product: "Zalando's postgres-operator",
  settingsKey: 'zalando',
  // The operator's own PgBouncer (enableConnectionPooler / enableReplicaConnectionPooler).
  poolers: true,
  poolerParameterProblem: zalandoPoolerParameterProblem,
  // One `connectionPooler` section configures both Deployments (postgres-operator@v2.0.1
  // pkg/cluster/connection_pooler.go generateConnectionPoolerDeployment and getConnectionPoolerEnvVars
  // read spec.ConnectionPooler whatever the role).
  poolersShareSettings:
    "Zalando's operator configures its read-write and read-only poolers from one connectionPooler section (pkg/cluster/connection_pooler.go), so both must have the same instances, poolMode and parameters",
  poolerName: zalandoPoolerName,
  // dbfleet's two logins through the operator's rotation users (zalando-rotation.ts).
  ownerRotation: true,
  // The operator never takes LOGIN away (pkg/util/users/users.go ProduceSyncRequests).
  rotationRetire: 'own-login',
  // The postgresql's `standby` section, replaying the source's WAL-G archive (zalando-standby.ts).
  standbySites: true,
  // zalando/postgres-operator@v2.0.1 docs/user.md "Promote the standby" / "Adding standby section
  // after promotion": promotion is removing the section, and a running cluster cannot follow
  // another again (it turns read-only and does not sync).
  siteSwitchover:
    'Zalando\'s operator cannot demote a primary or make a running cluster follow another again (postgres-operator v2.0.1 docs/user.md, "Adding standby section after promotion"): promote the standby by removing its standbyOf, a reviewed change (docs/runbooks/zalando-promote-standby.md)',
  // Spilo's bootstrap.dcs postgresql.parameters (zalando/spilo@4.0-p3 postgres-appliance/scripts/configure_spilo.py).
  defaultArchiveTimeout: '1800s',
  // docs/user.md "Providing credentials of source cluster": roles arrive from the source, so the
  // `standby` replication role's password is the source's, which the operator generated there and
  // dbfleet never holds; a standby replica fails to stream from the standby leader with the DR
  // site's own Secret ("WAL files will pile up"). A standby leader alone is safe until promotion.
  standbyReplicas:
    'a Zalando standby cluster runs its standby leader only: its replicas would log in as the operator\'s `standby` role with the DR site\'s generated password, but the role (and its password) arrive from the source (postgres-operator v2.0.1 docs/user.md, "Providing credentials of source cluster"); set instances: 1 at the standby and raise it after the promotion (docs/runbooks/zalando-promote-standby.md)',
  // zalando/postgres-operator@v2.0.1 pkg/cluster/util.go normalizeUserFlags: users take flags only.
  developerConnectionLimit:
    'cannot be rendered on operator: zalando (Zalando\'s users take flags only, and no dbfleet Job may ALTER a role there); remove it (docs/security.md, "What is not defended")',
  developerSessionTimeouts: true,
  // WAL-G in Spilo, through the postgresql's own env (zalando-wal-g.ts, docs/zalando.md "Point-in-time recovery").
  objectStore: true,
  objectStoreProblems: walgObjectStoreProblems,
  // A scratch postgresql cloned from the WAL-G archive to a point in time (zalando-restore-drill.ts);
  // it needs backups.objectStore (build-model.ts: the drill's source is the object store).
  restoreDrill: true,
  // Retention pruning drives CloudNativePG objects (docs/zalando.md, Backups).
  snapshotRetention:
    "has no meaning on operator: zalando (it prunes CloudNativePG volume snapshots); logical backups expire by the operator's logical_backup_s3_retention_time",
  logicalBackup: true,
  // Spilo is the image (zalando.dockerImage); the CloudNativePG image is not used there.
  postgresImage: false,
  // Spilo containers do not meet `restricted` (database-namespace.ts).
  podSecurity: 'baseline',
  clusterKinds: ['acid.zalan.do/postgresql'],
};
