// CloudNativePG's Cluster admission rules on create (and, since the webhook runs them on every
// update too, on update): the checks of cloudnative-pg@v1.30.0
// internal/webhook/v1/cluster_webhook.go `validate` that can touch a field dbfleet renders.
// Each function below names the upstream function it follows; the rules dbfleet cannot
// trigger (it never sets their fields) are listed as not applicable in catalog.ts.
import { CNPG, CNPG_CLUSTER_WEBHOOK, child, refuser, specOf, type AdmissionViolation, type Loose } from './rule';
import { promotionTokenProblem } from './promotion-token';
import { CNPG_FIXED_PARAMETERS } from '../../config/postgres-parameters';
import { imageTag, majorFromTag, parsePostgresQuantity, parseQuantity, postgresBoolean } from './values';

type Refuse = (path: string, message: string) => void;

/** A rule of the Cluster webhook: its upstream function name and the check. */
interface ClusterRule {
  readonly func: string;
  check(cluster: Loose, refuse: Refuse): void;
}

/**
 * Parameters the operator manages itself (fixed) or that must keep PostgreSQL's default
 * (blocked): cloudnative-pg@v1.30.0 pkg/postgres/configuration.go FixedConfigurationParameters.
 * The webhook accepts one only when its value equals what the operator would write anyway
 * (validateConfiguration: the sanitized configuration's value), listed in FIXED_DEFAULTS.
 */
export { CNPG_FIXED_PARAMETERS };

/**
 * The defaults the webhook's sanitized configuration holds for fixed parameters
 * (pkg/postgres/configuration.go CnpgConfigurationSettings.GlobalDefaultSettings); archive_mode
 * is added per cluster (CreatePostgresqlConfiguration: off when WAL archiving is skipped,
 * always for a replica cluster, else on).
 */
const FIXED_DEFAULTS: Readonly<Record<string, string>> = {
  logging_collector: 'on',
  log_destination: 'csvlog',
  log_directory: '/controller/log',
  log_filename: 'postgres',
  log_rotation_age: '0',
  log_rotation_size: '0',
  log_truncate_on_rotation: 'false',
  shared_preload_libraries: '',
};

/** The annotation that turns WAL archiving off (pkg/utils/labels_annotations.go SkipWalArchiving). */
const SKIP_WAL_ARCHIVING = 'cnpg.io/skipWalArchiving';
const POSTGRES_PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const parametersOf = (spec: Loose): Record<string, string> => {
  const p = spec.postgresql?.parameters;
  return p && typeof p === 'object' ? (p as Record<string, string>) : {};
};

/** api/v1/cluster_funcs.go IsReplica: `enabled` when given, else self (default: the name) differs from primary. */
export function isReplicaCluster(cluster: Loose): boolean {
  const r = specOf(cluster).replica as Loose | undefined;
  if (!r) return false;
  if (r.enabled !== undefined && r.enabled !== null) return r.enabled === true;
  const self = typeof r.self === 'string' && r.self !== '' ? r.self : cluster.metadata?.name;
  return self !== (r.primary ?? '');
}

/** api/v1/cluster_funcs.go GetPostgresqlMajorVersion: the catalog's major, else the image tag's. */
export function clusterMajor(cluster: Loose): number | undefined {
  const s = specOf(cluster);
  if (s.imageCatalogRef) return typeof s.imageCatalogRef.major === 'number' ? s.imageCatalogRef.major : undefined;
  if (typeof s.imageName === 'string' && s.imageName !== '') return majorFromTag(imageTag(s.imageName));
  return undefined;
}

const externalCluster = (spec: Loose, name: unknown): Loose | undefined =>
  ((spec.externalClusters ?? []) as Loose[]).find((e) => e && e.name === name);

const hasRecoveryMaterial = (e: Loose | undefined): boolean =>
  !!e && (e.connectionParameters != null || e.barmanObjectStore != null || e.plugin != null);

/** The sanitized wal_level and archive_mode of validateConfiguration (pkg/postgres CreatePostgresqlConfiguration). */
function sanitized(cluster: Loose): { walLevel: string; archiveMode: string } {
  const params = parametersOf(specOf(cluster));
  const archiveMode =
    cluster.metadata?.annotations?.[SKIP_WAL_ARCHIVING] === 'enabled' ? 'off' : isReplicaCluster(cluster) ? 'always' : 'on';
  return { walLevel: params.wal_level ?? 'logical', archiveMode };
}

export const CLUSTER_RULES: readonly ClusterRule[] = [
  {
    // Only one of initdb, recovery and pg_basebackup.
    func: 'validateBootstrapMethod',
    check: (c, refuse) => {
      const b = specOf(c).bootstrap as Loose | undefined;
      if (!b) return;
      if ([b.initdb, b.recovery, b.pg_basebackup].filter((m) => m != null).length > 1)
        refuse('spec.bootstrap', 'Only one bootstrap method can be specified at a time');
    },
  },
  {
    // validateRecoveryApplicationDatabase → validateApplicationDatabase: database and owner go together.
    func: 'validateRecoveryApplicationDatabase',
    check: (c, refuse) => {
      const r = specOf(c).bootstrap?.recovery as Loose | undefined;
      if (!r) return;
      const database = (r.database as string | undefined) ?? '';
      const owner = (r.owner as string | undefined) ?? '';
      if (database !== '' && owner === '') refuse('spec.bootstrap.recovery.owner', 'You need to specify the database owner user');
      if (database === '' && owner !== '') refuse('spec.bootstrap.recovery.database', 'You need to specify the database name');
    },
  },
  {
    func: 'validateImageName',
    check: (c, refuse) => {
      const image = specOf(c).imageName;
      if (typeof image !== 'string' || image === '') return;
      const tag = imageTag(image);
      if (tag === 'latest') refuse('spec.imageName', `"${image}": Can't use 'latest' as image tag as we can't detect upgrades`);
      else if (tag === '') refuse('spec.imageName', `"${image}": Can't use just the image sha as we can't detect upgrades`);
      else if (majorFromTag(tag) === undefined) refuse('spec.imageName', `"${image}": invalid version tag`);
    },
  },
  {
    func: 'validatePrimaryUpdateStrategy',
    check: (c, refuse) => {
      const s = specOf(c);
      const strategy = s.primaryUpdateStrategy as string | undefined;
      if (strategy === undefined || strategy === '') return;
      if (strategy !== 'supervised' && strategy !== 'unsupervised')
        refuse('spec.primaryUpdateStrategy', "primaryUpdateStrategy should be empty, 'supervised' or 'unsupervised'");
      else if (strategy === 'supervised' && s.instances === 1)
        refuse('spec.primaryUpdateStrategy', 'supervised update strategy is not allowed for clusters with a single instance');
    },
  },
  {
    func: 'validateMinSyncReplicas',
    check: (c, refuse) => {
      const s = specOf(c);
      const min = (s.minSyncReplicas as number | undefined) ?? 0;
      const max = (s.maxSyncReplicas as number | undefined) ?? 0;
      if (min < 0) refuse('spec.minSyncReplicas', 'minSyncReplicas must be a non negative integer');
      if (min > max) refuse('spec.minSyncReplicas', 'minSyncReplicas cannot be greater than maxSyncReplicas');
    },
  },
  {
    func: 'validateMaxSyncReplicas',
    check: (c, refuse) => {
      const s = specOf(c);
      const max = (s.maxSyncReplicas as number | undefined) ?? 0;
      if (max < 0) refuse('spec.maxSyncReplicas', 'maxSyncReplicas must be a non negative integer');
      if (max >= ((s.instances as number | undefined) ?? 0))
        refuse('spec.maxSyncReplicas', `maxSyncReplicas must be lower than the number of instances (${s.instances ?? 0})`);
    },
  },
  {
    // validateStorageSize → validateStorageConfigurationSize
    func: 'validateStorageSize',
    check: (c, refuse) => checkStorageSize(specOf(c).storage as Loose | undefined, 'spec.storage', refuse),
  },
  {
    func: 'validateWalStorageSize',
    check: (c, refuse) => {
      const wal = specOf(c).walStorage as Loose | undefined;
      if (wal) checkStorageSize(wal, 'spec.walStorage', refuse);
    },
  },
  {
    func: 'validateName',
    check: (c, refuse) => {
      const name = String(c.metadata?.name ?? '');
      if (!(DNS1035_LABEL.test(name) && name.length <= 63)) refuse('metadata.name', `"${name}": cluster name must be a valid DNS label`);
      if (name.length > 50) refuse('metadata.name', `"${name}": the maximum length of a cluster name is 50 characters`);
    },
  },
  {
    func: 'validateBootstrapRecoverySource',
    check: (c, refuse) => {
      const s = specOf(c);
      const source = s.bootstrap?.recovery?.source as string | undefined;
      if (s.bootstrap?.recovery == null || !source) return;
      const e = externalCluster(s, source);
      if (!e) refuse('spec.bootstrap.recovery.source', `External cluster ${source} not found`);
      // Upstream checks the zero-valued external cluster too: a missing one is reported twice.
      if (!hasRecoveryMaterial(e))
        refuse(
          'spec.bootstrap.recovery.source',
          `External cluster ${source} cannot be used for recovery: missing connection parameters, Barman, or CNPG-i configuration`,
        );
    },
  },
  {
    // validateExternalClusters → validateExternalCluster
    func: 'validateExternalClusters',
    check: (c, refuse) => {
      const list = (specOf(c).externalClusters ?? []) as Loose[];
      const names = new Set<unknown>();
      list.forEach((e, i) => {
        const path = child('spec.externalClusters', i);
        names.add(e?.name);
        if (!hasRecoveryMaterial(e)) refuse(path, 'one of connectionParameters, plugin and barmanObjectStore is required');
        const unsafe = (v: unknown) => typeof v === 'string' && (v === '.' || v === '..' || /[/\\]/.test(v));
        if (unsafe(e?.name)) refuse(`${path}.name`, "cannot contain a path separator or a '..' component");
        for (const key of ['sslCert', 'sslKey', 'sslRootCert']) {
          const selector = e?.[key] as Loose | undefined;
          if (!selector) continue;
          if (unsafe(selector.name)) refuse(`${path}.${key}.name`, "cannot contain a path separator or a '..' component");
          if (unsafe(selector.key)) refuse(`${path}.${key}.key`, "cannot contain a path separator or a '..' component");
        }
      });
      if (names.size !== list.length) refuse('spec.externalClusters', 'the list of external clusters contains duplicate values');
    },
  },
  {
    func: 'validateAntiAffinity',
    check: (c, refuse) => {
      const type = specOf(c).affinity?.podAntiAffinityType as string | undefined;
      if (type !== undefined && type !== '' && type !== 'preferred' && type !== 'required')
        refuse('spec.affinity.podAntiAffinityType', "pod anti-affinity type must be 'preferred' (default if empty) or 'required'");
    },
  },
  {
    // validateReplicaMode (+ validateReplicaClusterExternalClusters, which it calls). dbfleet
    // renders create-time objects (no resourceVersion), as the API server sees them on create.
    func: 'validateReplicaMode',
    check: (c, refuse) => {
      const s = specOf(c);
      const r = s.replica as Loose | undefined;
      if (!r) return;
      const hasEnabled = r.enabled !== undefined && r.enabled !== null;
      if (typeof r.primary === 'string' && r.primary !== '' && hasEnabled)
        refuse('spec.replica.enabled', 'replica mode enabled is not compatible with the primary field');
      // The defaulting webhook runs first (cluster_webhook.go Default → api/v1/cluster_defaults.go
      // setDefaults): a missing bootstrap becomes initdb, so "bootstrap configuration is required"
      // cannot fire. The initdb-vs-replica refusal is create-only (no resourceVersion). dbfleet
      // renders a replica without a bootstrap only for a site that was the primary (a demotion:
      // switchover step 1/2 or a failover), whose Cluster exists: an update, which the webhook admits.
      // A replica dbfleet creates (a standby) always bootstraps by recovery.
      if (isReplicaCluster(c) && s.bootstrap) {
        if (s.bootstrap.pg_basebackup == null && s.bootstrap.recovery == null && !c.metadata?.resourceVersion)
          refuse('spec.replica', 'replica mode bootstrap is compatible only with pg_basebackup or recovery');
      }
      if (!externalCluster(s, r.source)) refuse('spec.replica.source', `External cluster ${r.source ?? ''} not found`);
      if (typeof r.self === 'string' && r.self !== '' && !externalCluster(s, r.self))
        refuse('spec.replica.self', `External cluster ${r.self} not found`);
      if (typeof r.primary === 'string' && r.primary !== '' && !externalCluster(s, r.primary))
        refuse('spec.replica.primary', `External cluster ${r.primary} not found`);
    },
  },
  {
    func: 'validateConfiguration',
    check: (c, refuse) => checkConfiguration(c, refuse),
  },
  {
    // validateManagedExtensions → validatePgFailoverSlots: a pg_failover_slots.* parameter needs
    // hot_standby_feedback (replicationSlots.highAvailability is on by default).
    func: 'validatePgFailoverSlots',
    check: (c, refuse) => {
      const s = specOf(c);
      const params = parametersOf(s);
      if (!Object.keys(params).some((k) => k.startsWith('pg_failover_slots.'))) return;
      if (postgresBoolean(params.hot_standby_feedback ?? '') !== true)
        refuse(
          'spec.postgresql.parameters.hot_standby_feedback',
          '`hot_standby_feedback` must be enabled to use pg_failover_slots extension',
        );
      const ha = s.replicationSlots?.highAvailability as Loose | undefined;
      if (s.replicationSlots && (!ha || ha.enabled === false))
        refuse('spec.replicationSlots.highAvailability', 'High Availability replication slots must be enabled');
    },
  },
  {
    func: 'validateResources',
    check: (c, refuse) => checkResources(c, refuse),
  },
  {
    // A promotion token is checked only on a cluster that is (becoming) primary; on a replica it
    // is refused outright, and so is minApplyDelay beside it.
    func: 'validatePromotionToken',
    check: (c, refuse) => {
      const r = specOf(c).replica as Loose | undefined;
      const token = r?.promotionToken;
      if (typeof token !== 'string' || token === '') return;
      if (r?.minApplyDelay != null) return refuse('spec.replica.minApplyDelay', 'minApplyDelay cannot be applied with a promotion token');
      if (isReplicaCluster(c)) return refuse('spec.replica.promotionToken', 'promotionToken is only allowed for primary clusters');
      const problem = promotionTokenProblem(token);
      if (problem) refuse('spec.replica.promotionToken', problem);
    },
  },
  {
    func: 'validatePluginConfiguration',
    check: (c, refuse) => {
      const s = specOf(c);
      const plugins = (s.plugins ?? []) as Loose[];
      if (plugins.length === 0) return;
      const archivers = plugins.filter((p) => p.enabled !== false && p.isWALArchiver === true).map((p) => String(p.name));
      if (s.backup?.barmanObjectStore != null && archivers.length > 0)
        refuse('spec.plugins', `[${archivers.join(', ')}]: Cannot enable a WAL archiver plugin when barmanObjectStore is configured`);
      if (archivers.length > 1) refuse('spec.plugins', `[${archivers.join(', ')}]: Cannot enable more than one WAL archiver plugin`);
    },
  },
];

function checkStorageSize(storage: Loose | undefined, path: string, refuse: Refuse): void {
  const size = storage?.size as string | undefined;
  if (size !== undefined && size !== '' && parseQuantity(size) === undefined) refuse(`${path}.size`, `"${size}": Size value isn't valid`);
  const templateRequest = storage?.pvcTemplate?.resources?.requests?.storage;
  if ((size === undefined || size === '') && !parseQuantity(templateRequest))
    refuse(`${path}.size`, 'Size not configured. Please add it, or a storage request in the pvcTemplate.');
}

/** validateConfiguration (and validateWalSizeConfiguration, validateSyncReplicaElectionConstraint, which it calls). */
function checkConfiguration(c: Loose, refuse: Refuse): void {
  const s = specOf(c);
  const params = parametersOf(s);
  const at = (key: string) => child('spec.postgresql.parameters', key);
  if (s.postgresql?.synchronous != null && ((s.minSyncReplicas ?? 0) > 0 || (s.maxSyncReplicas ?? 0) > 0))
    refuse('spec.postgresql.synchronous', "Can't have both legacy synchronous replica configuration and new one");
  const major = clusterMajor(c);
  if (major === undefined && s.imageCatalogRef == null && s.imageName) return; // validateImageName reports it
  if (major !== undefined && major < 13)
    refuse(
      s.imageCatalogRef ? 'spec.imageCatalogRef.major' : 'spec.imageName',
      'Unsupported PostgreSQL version. Versions 13 or newer are supported',
    );
  const { walLevel, archiveMode } = sanitized(c);
  for (const [key, value] of Object.entries(params)) {
    if (!POSTGRES_PARAMETER_NAME.test(key)) {
      refuse(at(key), 'must be a valid PostgreSQL configuration parameter name (a GUC name, optionally namespaced with a single dot)');
      continue;
    }
    if (!CNPG_FIXED_PARAMETERS.has(key)) continue;
    const allowed = key === 'archive_mode' ? archiveMode : FIXED_DEFAULTS[key];
    if (allowed === undefined || String(value) !== allowed) refuse(at(key), `"${value}": Can't set fixed configuration parameter`);
  }
  const requirement = (s.instances ?? 0) > 1 || archiveMode !== 'off' || isReplicaCluster(c);
  if (!['logical', 'replica', 'minimal'].includes(walLevel)) {
    refuse(at('wal_level'), `"${walLevel}": unrecognized \`wal_level\` value - allowed values: \`logical\`, \`replica\`, \`minimal\``);
  } else if (requirement && walLevel === 'minimal') {
    const why = [
      (s.instances ?? 0) > 1 ? 'more than one instance' : undefined,
      archiveMode !== 'off'
        ? `archive_mode is ${archiveMode} (the operator always archives WAL unless ${SKIP_WAL_ARCHIVING} is set)`
        : undefined,
      isReplicaCluster(c) ? 'this is a replica cluster' : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    refuse(
      at('wal_level'),
      `\`wal_level\` should be set at \`logical\` or \`replica\` when \`archive_mode\` is \`on\`, '.instances' field is greater than 1, or this is a replica cluster (here: ${why})`,
    );
  }
  if (walLevel === 'minimal' && params.max_wal_senders !== '0')
    refuse(at('max_wal_senders'), '`max_wal_senders` should be set at `0` when `wal_level` is `minimal`');
  const sharedBuffers = params.shared_buffers;
  if (sharedBuffers !== undefined && sharedBuffers !== '' && parsePostgresQuantity(String(sharedBuffers)) === undefined)
    refuse(at('shared_buffers'), `"${sharedBuffers}": Invalid value for configuration parameter shared_buffers`);
  for (const key of ['hot_standby_feedback', 'sync_replication_slots', 'wal_log_hints']) {
    if (key in params && postgresBoolean(String(params[key])) === undefined)
      refuse(at(key), `"${params[key]}": invalid \`${key}\` value. Must be a postgres boolean`);
  }
  if (postgresBoolean(String(params.wal_log_hints ?? '')) === false && (s.instances ?? 0) > 1)
    refuse(at('wal_log_hints'), '`wal_log_hints` must be set to `on` when `instances` > 1');
  checkWalSizes(params, s.walStorage?.size as string | undefined, refuse);
  const constraint = s.postgresql?.syncReplicaElectionConstraint as Loose | undefined;
  if (constraint?.enabled === true && !(constraint.nodeLabelsAntiAffinity?.length > 0))
    refuse(
      'spec.postgresql.syncReplicaElectionConstraint.nodeLabelsAntiAffinity',
      "Can't enable syncReplicaConstraints without passing labels for comparison inside nodeLabelsAntiAffinity",
    );
}

/** validateWalSizeConfiguration: min_wal_size < max_wal_size, and each set one < the WAL volume. */
function checkWalSizes(params: Record<string, string>, walVolume: string | undefined, refuse: Refuse): void {
  const read = (key: string, fallback: string) => {
    const raw = params[key];
    const given = raw !== undefined && raw !== '';
    const text = given ? String(raw) : fallback;
    const value = parsePostgresQuantity(text);
    if (value === undefined)
      refuse(child('spec.postgresql.parameters', key), `"${text}": Invalid value for configuration parameter ${key}`);
    return { given, text, value: value ?? 0 };
  };
  const min = read('min_wal_size', '80MB');
  const max = read('max_wal_size', '1GB');
  if (min.value !== 0 && max.value !== 0 && min.value >= max.value)
    refuse(
      'spec.postgresql.parameters.min_wal_size',
      `"${min.text}": Parameter min_wal_size (default 80MB) should be smaller than parameter max_wal_size (default 1GB, here ${max.text})`,
    );
  const volume = walVolume === undefined ? undefined : parseQuantity(walVolume);
  if (volume === undefined) return;
  for (const [key, v] of [
    ['min_wal_size', min],
    ['max_wal_size', max],
  ] as const) {
    if (v.given && v.value !== 0 && v.value >= volume)
      refuse(
        child('spec.postgresql.parameters', key),
        `"${v.text}": Parameter ${key} should be smaller than WAL volume size (walStorage ${walVolume})`,
      );
  }
}

/** validateResources (+ validateHugePagesResources, hasEnoughMemoryForSharedBuffers). */
function checkResources(c: Loose, refuse: Refuse): void {
  const s = specOf(c);
  const requests = (s.resources?.requests ?? {}) as Loose;
  const limits = (s.resources?.limits ?? {}) as Loose;
  const q = (v: unknown) => parseQuantity(v) ?? 0;
  for (const [name, path, label] of [
    ['cpu', 'spec.resources.requests.cpu', 'CPU'],
    ['memory', 'spec.resources.requests.memory', 'Memory'],
    ['ephemeral-storage', 'spec.resources.requests.storage', 'Ephemeral storage'],
  ] as const) {
    const request = q(requests[name]);
    const limit = q(limits[name]);
    if (request !== 0 && limit !== 0 && request > limit)
      refuse(path, `${requests[name]}: ${label} request is greater than the limit (${limits[name]})`);
  }
  const hugePages = new Map<string, number>();
  for (const [name, v] of Object.entries(limits)) if (name.startsWith('hugepages-')) hugePages.set(name, q(v));
  for (const [name, v] of Object.entries(requests)) {
    if (!name.startsWith('hugepages-')) continue;
    const existing = hugePages.get(name);
    if (existing !== undefined) {
      if (existing !== q(v)) refuse(child('spec.resources.requests', name), `${v}: HugePages requests must equal the limits`);
      continue;
    }
    hugePages.set(name, q(v));
  }
  if (q(requests.cpu) === 0 && q(limits.cpu) === 0 && q(requests.memory) === 0 && q(limits.memory) === 0 && hugePages.size > 0)
    refuse('spec.resources', 'HugePages require cpu or memory');
  const raw = parametersOf(s).shared_buffers;
  if (raw === undefined || raw === '') return;
  const sharedBuffers = parsePostgresQuantity(String(raw));
  const memory = q(requests.memory);
  if (sharedBuffers === undefined || memory === 0 || sharedBuffers <= memory) return;
  if ([...hugePages.values()].some((h) => sharedBuffers <= h)) return;
  refuse(
    'spec.resources.requests',
    `${requests.memory}: Memory request is lower than PostgreSQL \`shared_buffers\` value (shared_buffers ${raw} is ${Math.round(sharedBuffers / 2 ** 20)}Mi)`,
  );
}

/** Every create-time refusal of the Cluster webhook for this object. */
export function clusterViolations(cluster: Loose): AdmissionViolation[] {
  const out: AdmissionViolation[] = [];
  for (const rule of CLUSTER_RULES)
    rule.check(cluster, refuser(`cnpg.cluster.${rule.func}`, { repo: CNPG, file: CNPG_CLUSTER_WEBHOOK, func: rule.func }, out));
  return out;
}
