// Every upstream admission check dbfleet knows of, with what dbfleet does about it: `covered`
// (ported: the rendered objects are checked, and fleet settings that would trigger it are config
// errors where noted) or `not applicable` with the reason (dbfleet never sets the field the check
// reads). docs/admission.md holds this table (test/admission/catalog.test.ts keeps them equal).
import { CNPG, CNPG_CLUSTER_WEBHOOK, CNPG_DATABASE_WEBHOOK, CNPG_POOLER_WEBHOOK, CNPG_SCHEDULED_BACKUP_WEBHOOK } from './rule';

export interface CatalogEntry {
  /** `cloudnative-pg@v1.30.0`, … */
  readonly repo: string;
  readonly file: string;
  readonly func: string;
  /** The object kind the check runs on. */
  readonly kind: string;
  readonly on: 'create+update' | 'update';
  /** `covered`, or why it cannot apply to what dbfleet renders. */
  readonly status: 'covered' | 'covered (fleet error too)' | `not applicable: ${string}`;
}

const never = (fields: string) => `not applicable: dbfleet never sets ${fields}` as const;

const cluster = (func: string, status: CatalogEntry['status'], on: CatalogEntry['on'] = 'create+update'): CatalogEntry => ({
  repo: CNPG,
  file: CNPG_CLUSTER_WEBHOOK,
  func,
  kind: 'Cluster',
  on,
  status,
});

export const CATALOG: readonly CatalogEntry[] = [
  // ClusterCustomValidator.validate, in upstream order.
  cluster('validateInitDB', never('spec.bootstrap.initdb')),
  cluster('validateRecoveryApplicationDatabase', 'covered'),
  cluster('validatePgBaseBackupApplicationDatabase', never('spec.bootstrap.pg_basebackup')),
  cluster('validateImport', never('spec.bootstrap.initdb.import')),
  cluster('validateSuperuserSecret', never('spec.superuserSecret')),
  cluster('validateCerts', never('spec.certificates')),
  cluster('validateBootstrapMethod', 'covered'),
  cluster('validateImageName', 'covered (fleet error too)'),
  cluster('validateImagePullPolicy', never('spec.imagePullPolicy')),
  cluster('validateRecoveryTarget', never('spec.bootstrap.recovery.recoveryTarget')),
  cluster('validatePrimaryUpdateStrategy', 'covered'),
  cluster('validateMinSyncReplicas', 'covered'),
  cluster('validateMaxSyncReplicas', 'covered'),
  cluster('validateStorageSize', 'covered (fleet error too)'),
  cluster('validateWalStorageSize', 'covered (fleet error too)'),
  cluster('validateEphemeralVolumeSource', never('spec.ephemeralVolumeSource / ephemeralVolumesSizeLimit')),
  cluster('validateTablespaceStorageSize', never('spec.tablespaces')),
  cluster('validateName', 'covered'),
  cluster('validateTablespaceNames', never('spec.tablespaces')),
  cluster('validateBootstrapPgBaseBackupSource', never('spec.bootstrap.pg_basebackup')),
  cluster('validateTablespaceBackupSnapshot', never('spec.backup.volumeSnapshot.tablespaceClassName')),
  cluster('validateBootstrapRecoverySource', 'covered'),
  cluster('validateBootstrapRecoveryDataSource', never('spec.bootstrap.recovery.volumeSnapshots')),
  cluster('validateExternalClusters', 'covered'),
  cluster('validateTolerations', never('spec.affinity.tolerations')),
  cluster('validateAntiAffinity', 'covered'),
  cluster('validateReplicaMode', 'covered'),
  cluster(
    'validateBackupConfiguration',
    never('spec.backup.barmanObjectStore (WAL archiving and backups go through the Barman Cloud plugin)'),
  ),
  cluster('validateRetentionPolicy', never('spec.backup.retentionPolicy (retention is the ObjectStore’s)')),
  cluster('validateConfiguration', 'covered (fleet error too)'),
  cluster('validateSynchronousReplicaConfiguration', never('spec.postgresql.synchronous')),
  cluster('validateFailoverQuorumAlphaAnnotation', never('the alpha.cnpg.io/failoverQuorum annotation')),
  cluster('validateFailoverQuorum', never('spec.postgresql.synchronous.failoverQuorum')),
  cluster('validateLDAP', never('spec.postgresql.ldap')),
  cluster('validateReplicationSlots', never('spec.replicationSlots (the defaults have no exclude patterns)')),
  cluster('validateSynchronizeLogicalDecoding', never('spec.replicationSlots.highAvailability.synchronizeLogicalDecoding')),
  cluster('validateEnv', never('spec.env')),
  cluster('validateManagedServices', never('spec.managed.services')),
  cluster('validateManagedRoles', never('spec.managed.roles (roles are DatabaseRole objects)')),
  cluster('validatePgFailoverSlots', 'covered (fleet error too)'),
  cluster('validateResources', 'covered (fleet error too)'),
  cluster('validateHibernationAnnotation', never('the cnpg.io/hibernation annotation')),
  cluster('validatePodPatchAnnotation', never('the cnpg.io/podPatch annotation')),
  cluster('validatePromotionToken', 'covered (fleet error too)'),
  cluster('validatePluginConfiguration', 'covered'),
  cluster('validateLivenessPingerProbe', never('the alpha.cnpg.io/livenessPinger annotation')),
  cluster('validatePodSelectorRefs', never('spec.podSelectorRefs')),
  cluster('validateExtensions', never('spec.postgresql.extensions (image volume extensions)')),
  cluster('validateServiceAccountConfig', never('spec.serviceAccountName / serviceAccountTemplate')),
  cluster('validatePrimaryLease', never('spec.primaryLease')),
  // ClusterCustomValidator.validateClusterChanges: `plan` reports these as REFUSED.
  cluster('validateImageChange', 'covered', 'update'),
  cluster('validateConfigurationChange', 'covered', 'update'),
  cluster('validateStorageChange', 'covered', 'update'),
  cluster('validateWalStorageChange', 'covered', 'update'),
  cluster('validateTablespacesChange', never('spec.tablespaces'), 'update'),
  cluster('validateUnixPermissionIdentifierChange', 'covered', 'update'),
  cluster('validateReplicationSlotsChange', never('spec.replicationSlots'), 'update'),
  cluster('validateWALLevelChange', 'covered', 'update'),
  cluster(
    'validateReplicaClusterChange',
    'not applicable: it refuses only while status.switchReplicaClusterStatus.inProgress, a live state no pull request can see',
    'update',
  ),
  // PoolerCustomValidator.validate
  {
    repo: CNPG,
    file: CNPG_POOLER_WEBHOOK,
    func: 'validatePgBouncer',
    kind: 'Pooler',
    on: 'create+update',
    status: 'covered (fleet error too)',
  },
  { repo: CNPG, file: CNPG_POOLER_WEBHOOK, func: 'validateCluster', kind: 'Pooler', on: 'create+update', status: 'covered' },
  {
    repo: CNPG,
    file: CNPG_POOLER_WEBHOOK,
    func: 'validateMonitoring',
    kind: 'Pooler',
    on: 'create+update',
    status: 'covered',
  },
  // ScheduledBackupCustomValidator.validate
  {
    repo: CNPG,
    file: CNPG_SCHEDULED_BACKUP_WEBHOOK,
    func: 'validate (schedule, online, onlineConfiguration)',
    kind: 'ScheduledBackup',
    on: 'create+update',
    status: 'covered (fleet error too)',
  },
  {
    repo: CNPG,
    file: CNPG_SCHEDULED_BACKUP_WEBHOOK,
    func: 'validate (volumeSnapshot without the VolumeSnapshot CRD)',
    kind: 'ScheduledBackup',
    on: 'create+update',
    status: 'not applicable: it depends on the target cluster having the VolumeSnapshot CRD, which no pull request can see',
  },
  // BackupCustomValidator.validate, on the Backups a ScheduledBackup creates.
  {
    repo: CNPG,
    file: 'internal/webhook/v1/backup_webhook.go',
    func: 'validate (on the Backup a ScheduledBackup creates)',
    kind: 'ScheduledBackup',
    on: 'create+update',
    status: 'covered',
  },
  // DatabaseCustomValidator.validate (validateDatabaseChanges checks nothing).
  { repo: CNPG, file: CNPG_DATABASE_WEBHOOK, func: 'validateExtensions', kind: 'Database', on: 'create+update', status: 'covered' },
  { repo: CNPG, file: CNPG_DATABASE_WEBHOOK, func: 'validateSchemas', kind: 'Database', on: 'create+update', status: 'covered' },
  { repo: CNPG, file: CNPG_DATABASE_WEBHOOK, func: 'validateFDWs', kind: 'Database', on: 'create+update', status: 'covered' },
  { repo: CNPG, file: CNPG_DATABASE_WEBHOOK, func: 'validateForeignServers', kind: 'Database', on: 'create+update', status: 'covered' },
  // External Secrets: ExternalSecretValidator (create and update: validateExternalSecret).
  ...(
    [
      'validatePolicies',
      'validateExternalSecret (data or dataFrom)',
      'validatePrivilegedTemplate',
      'validateTemplateFromTarget',
      'validateExtractFindGenerator',
      'validateFindExtractSourceRef',
      'validateSourceRef',
      'validateDuplicateKeys',
    ] as const
  ).map((func): CatalogEntry => ({
    repo: 'external-secrets@v2.9.0',
    file: 'apis/externalsecrets/v1/externalsecret_validator.go',
    func,
    kind: 'ExternalSecret',
    on: 'create+update',
    status: 'covered',
  })),
  {
    repo: 'external-secrets@v2.9.0',
    file: 'apis/externalsecrets/v1/secretstore_validator.go',
    func: 'SecretStore / ClusterSecretStore validation',
    kind: 'SecretStore',
    on: 'create+update',
    status: 'not applicable: dbfleet renders no SecretStore (it names an existing one)',
  },
  {
    repo: 'external-secrets@v2.9.0',
    file: 'apis/generators/v1alpha1/types_webhook.go',
    func: 'generator webhooks (Password)',
    kind: 'Password',
    on: 'create+update',
    status: 'not applicable: not ported in this session (sources not read); the CRD schema and CEL rules still apply',
  },
  // Zalando: no webhook; the operator's own checks on a manifest.
  {
    repo: 'postgres-operator@v2.0.1',
    file: 'pkg/cluster/k8sres.go',
    func: 'validateContainers',
    kind: 'postgresql',
    on: 'create+update',
    status: 'covered',
  },
  {
    repo: 'postgres-operator@v2.0.1',
    file: 'pkg/apis/acid.zalan.do/v1/util.go',
    func: 'validateCloneClusterDescription',
    kind: 'postgresql',
    on: 'create+update',
    status: never('spec.clone'),
  },
  {
    repo: 'postgres-operator@v2.0.1',
    file: 'pkg/apis/acid.zalan.do/v1/util.go',
    func: 'extractClusterName',
    kind: 'postgresql',
    on: 'create+update',
    status:
      'not applicable: depends on the operator setting enable_team_id_clustername_prefix; dbfleet names the cluster <teamId>-<name> itself when the fleet says the prefix is on (config: zalando.teamIdPrefix)',
  },
  // Argo CD
  {
    repo: 'argo-cd@v3.5.1',
    file: '(AppProject, ApplicationSet)',
    func: 'Argo CD validation of AppProject / ApplicationSet',
    kind: 'AppProject, ApplicationSet',
    on: 'create+update',
    status: 'not applicable: not ported in this session (Argo CD v3.5.1 sources not read); the CRD schemas and CEL rules still apply',
  },
];

/** The docs table (docs/admission.md, between the catalog markers). */
export function catalogTable(entries: readonly CatalogEntry[] = CATALOG): string {
  const lines = ['| Upstream rule | Kind | On | dbfleet |', '| --- | --- | --- | --- |'];
  for (const e of entries) lines.push(`| \`${e.repo}\` ${e.file} \`${e.func}\` | ${e.kind} | ${e.on} | ${e.status} |`);
  return lines.join('\n');
}
