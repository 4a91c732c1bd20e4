// The shape of fleet.yaml, checked field by field. Rules that span fields (name collisions,
// references between sections, cron and duration arithmetic) live in validate-fleet.ts.
import { z } from 'zod';
import { isIPv4, isIPv6 } from 'node:net';
import { ROTATION_STEPS } from '../secrets/credential-rotation';
import { isQuantity } from './quantity';
import { durationToSeconds, isDuration } from './duration';

const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'is not a valid DNS-1123 label (lower case letters, digits and "-", starting and ending with a letter or digit)',
  )
  .max(63, 'is longer than 63 characters, the Kubernetes limit for a name');
const quantity = z.string().refine(isQuantity, 'is not a valid Kubernetes quantity (e.g. 5Gi, 500Mi)');
const duration = z.string().refine(isDuration, 'is not a valid duration (e.g. 90s, 30m, 168h, 1h30m)');
const labelMap = z.record(z.string(), z.string());

export const TOPOLOGIES = ['shared', 'per-service', 'grouped'] as const;
export const DEVELOPER_ACCESS = ['read-write', 'read-only', 'none'] as const;
/** The Postgres operator of an environment (a contract: the names do not change). */
export const OPERATORS = ['cloudnative-pg', 'zalando', 'aws-aurora'] as const;
/** postgres_exporter, run as a sidecar of every Spilo pod (Zalando has no built-in exporter). */
export const DEFAULT_POSTGRES_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.20.1';

/** Settings only Zalando's postgres-operator has; allowed only with `operator: zalando`. */
const zalando = z.strictObject({
  /** `spec.teamId` of every postgresql object (default: the fleet name). */
  teamId: dnsLabel.optional(),
  /**
   * Prefix every cluster name with `<teamId>-`: required when the operator runs with
   * `enable_team_id_clustername_prefix: true` (it then ignores other clusters).
   */
  teamIdPrefix: z.boolean().default(false),
  /** Where the operator runs (it talks to Patroni on 8008 and to Postgres on 5432). */
  operatorNamespace: dnsLabel.default('postgres-operator'),
  /** Spilo image (`spec.dockerImage`). Default: the operator's `docker_image`. */
  dockerImage: z.string().min(1).optional(),
  /** postgres_exporter sidecar image. */
  exporterImage: z.string().min(1).default(DEFAULT_POSTGRES_EXPORTER_IMAGE),
});

/**
 * Aurora PostgreSQL through AWS Controllers for Kubernetes (ACK rds-controller); allowed only with
 * `operator: aws-aurora` (lib/backends/aws-aurora/, docs/aurora.md).
 */
const aws = z
  .strictObject({
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-central-1'),
    /** Private subnets of at least two availability zones (the DBSubnetGroup). */
    subnetIDs: z
      .array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must be a subnet ID (subnet-…)'))
      .min(2, 'needs subnets in at least two availability zones'),
    /** The clusters' VPC security groups: they, not NetworkPolicies, decide who reaches Aurora. */
    securityGroupIDs: z.array(z.string().regex(/^sg-[0-9a-f]+$/, 'must be a security group ID (sg-…)')).min(1),
    /** Aurora Serverless v2 capacity in ACUs; or instanceClass. */
    serverless: z.strictObject({ minCapacity: z.number().min(0).max(256), maxCapacity: z.number().min(1).max(256) }).optional(),
    /** Provisioned instances of this class (db.r7g.large); or serverless. */
    instanceClass: z
      .string()
      .regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be a DB instance class such as db.r7g.large')
      .optional(),
    /**
     * The account's and region's identifier in every RDS endpoint
     * (`<cluster>.cluster-<endpointId>.<region>.rds.amazonaws.com`): the app Secrets name the
     * endpoints before they exist (the FieldExports confirm them, docs/aurora.md).
     */
    endpointId: z.string().regex(/^[a-z0-9]+$/, 'must be the lower-case identifier of your RDS endpoints'),
    /** IAM database authentication: developers log in with IAM tokens, no password. */
    iamAuthentication: z.boolean().default(true),
    /** Continuous backup (point-in-time recovery) window, 1-35 days. */
    backupRetentionDays: z.number().int().min(1).max(35).default(7),
    /** Refuse deletion of the clusters in AWS. */
    deletionProtection: z.boolean().default(true),
    /** KMS key for storage encryption. Default: the account's aws/rds key. */
    kmsKeyID: z.string().min(1).optional(),
    /**
     * The AWS account of the clusters: needed for a standby region (the GlobalCluster names its
     * primary cluster by ARN, which holds the account).
     */
    accountID: z
      .string()
      .regex(/^\d{12}$/, 'must be the 12-digit AWS account ID')
      .optional(),
    /**
     * An Aurora DR pair's GlobalClusters were made from this environment's clusters: they keep its
     * name and stay in its output across a role swap. Default: the source (standbyOf's target).
     */
    globalClusterFrom: z.string().min(1).optional(),
  })
  .refine((a) => (a.serverless === undefined) !== (a.instanceClass === undefined), 'set exactly one of serverless and instanceClass')
  // A KMS key belongs to one region; CreateDBCluster's KmsKeyId must be valid in the cluster's own
  // region, also for a cross-region secondary (RDS API reference, CreateDBCluster KmsKeyId: "set
  // KmsKeyId to a KMS key identifier that is valid in the destination AWS Region"). A key or alias
  // ARN says its region (arn:<partition>:kms:<region>:…); a bare key ID or alias cannot be checked.
  .refine((a) => !a.kmsKeyID?.startsWith('arn:') || a.kmsKeyID.split(':')[3] === a.region, {
    path: ['kmsKeyID'],
    message:
      "is a KMS key of another region than aws.region: a cluster's key must be in its own region (a DR standby needs its own region's key)",
  });

export const QOS_CLASSES = ['guaranteed', 'burstable'] as const;

/** A CPU quantity: `2`, `1.5` or `500m` (a YAML number is read as cores). */
const cpu = z
  .union([z.string(), z.number().positive()])
  .transform((v) => String(v))
  .pipe(quantity);

/** Pod resources of every Postgres instance. Both optional: an override may set one. */
const resources = z.strictObject({ cpu: cpu.optional(), memory: quantity.optional() });

/**
 * postgresql.conf parameters, as CloudNativePG takes them (strings). YAML numbers and booleans
 * are accepted and written as PostgreSQL would read them (`on`/`off`).
 */
const parameters = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()]).transform((v) => (typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v))),
);

/**
 * `postgres:` at the fleet level and in `environments.<env>.postgres` (same keys: the
 * environment's win, parameters are merged key by key).
 */
const postgresSettings = z.strictObject({
  version: z
    .number()
    .int()
    .min(13, 'must be >= 13 (oldest PostgreSQL major CloudNativePG 1.30 supports)')
    .max(18, 'must be <= 18')
    .optional(),
  imageName: z.string().min(1).optional(),
  parameters: parameters.optional(),
  /** Render a CloudNativePG ImageCatalog per environment and point the clusters at it. */
  imageCatalog: z.boolean().optional(),
});

/** What an environment or a service override may change about a cluster. */
const clusterShape = {
  instances: z.number().int().min(1, 'must be >= 1').max(9, 'must be <= 9'),
  storage: quantity,
  walStorage: quantity.optional(),
  storageClass: z.string().min(1).optional(),
  resources: resources.optional(),
};

/** A PgBouncer value as YAML gives it; CloudNativePG takes strings (spec.pgbouncer.parameters). */
const pgbouncerValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * One pooler (read-write or read-only) of `pooler:` (environments) and `overrides.<env>.pooler:`
 * (services). The parameter names are checked in build-model.ts against the list CloudNativePG's
 * webhook allows, so the error can name the parameter.
 */
const poolerShape = {
  instances: z.number().int().min(1, 'must be >= 1').max(20, 'must be <= 20'),
  poolMode: z.enum(['session', 'transaction']),
  parameters: z.record(z.string(), pgbouncerValue),
};
const pooler = z.strictObject({
  instances: poolerShape.instances.default(2),
  poolMode: poolerShape.poolMode.default('session'),
  parameters: poolerShape.parameters.default({}),
});
const poolers = z.strictObject({ rw: pooler.optional(), ro: pooler.optional() });
const poolerOverride = z.strictObject({
  rw: z.strictObject(poolerShape).partial().optional(),
  ro: z.strictObject(poolerShape).partial().optional(),
});

/** `overrides.<env>` of a service or a group: any cluster setting, and extra parameters. */
const override = z
  .strictObject({
    ...clusterShape,
    postgres: z.strictObject({ parameters }),
    pooler: poolerOverride,
  })
  .partial();

/** `groups.<name>`: `{}`, or settings of the clusters that hold only this group's services (not a shared cluster). */
const group = z.strictObject({ overrides: z.record(z.string(), override).default({}) });

const veleroBackup = z.strictObject({
  schedule: z.string(),
  namespace: dnsLabel.default('velero'),
  ttl: duration.default('168h'),
  storageLocation: z.string().min(1).default('default'),
  snapshotVolumes: z.boolean().default(true),
  includeServiceNamespaces: z.boolean().default(false),
});

const postgresBackup = z.strictObject({
  schedule: z.string(),
  // barmanObjectStore is deprecated in CloudNativePG 1.30 and removed in 1.31: not offered.
  // logical: Zalando's logical backup CronJob (pg_dumpall to the operator's configured bucket).
  method: z.enum(['volumeSnapshot', 'plugin', 'logical']).default('volumeSnapshot'),
  volumeSnapshotClass: z.string().min(1).optional(),
  /** For method: plugin: the CNPG-I plugin; only the Barman Cloud plugin is configured by dbfleet. */
  pluginName: z.string().min(1).optional(),
  /** Retention of volume-snapshot backups, enforced by the prune-backups CronJob. */
  retention: z
    .strictObject({
      /** Completed backups kept per cluster, newest first. */
      keep: z.number().int().min(1, 'must be >= 1').optional(),
      /** Completed backups older than this are deleted (never one of the newest `keep`, never the newest). */
      maxAge: duration.optional(),
      /** 5-field cron of the pruning CronJob. */
      schedule: z.string().default('41 * * * *'),
    })
    .optional(),
});

/** WAL archive and base backups in an S3-compatible object store, through the Barman Cloud plugin. */
const objectStoreBackup = z.strictObject({
  destinationPath: z
    .string()
    .regex(/^(s3|gs):\/\/[^/\s]+(\/\S*)?$|^https:\/\/\S+$/, 'is not an object store URL (s3://bucket/path, gs://bucket/path or https://…)'),
  endpointURL: z.string().url().optional(),
  credentials: z.strictObject({
    /** Key in the secret store holding the access key pair. */
    remoteKey: z.string().min(1),
    accessKeyIdProperty: z.string().min(1).default('accessKeyId'),
    secretAccessKeyProperty: z.string().min(1).default('secretAccessKey'),
  }),
  /** Recovery window: the plugin's retentionPolicy (`<n>d`, `<n>w` or `<n>m`). */
  retention: z
    .string()
    .regex(/^[1-9][0-9]*[dwm]$/, 'is not a recovery window like 30d, 4w or 3m')
    .default('30d'),
  /** 6-field cron (seconds first) of the base backups. */
  schedule: z.string(),
});

const restoreDrill = z.strictObject({
  /** 5-field cron of the drill CronJob. */
  schedule: z.string(),
  /** What to restore from. @default objectStore when the environment has one, else volumeSnapshot */
  source: z.enum(['volumeSnapshot', 'objectStore']).optional(),
  /** How long one cluster may take to restore and become ready. */
  timeout: duration.default('1h'),
  /** Restore only this many clusters per run, rotating through all of them. @default every cluster */
  clustersPerRun: z.number().int().min(1, 'must be >= 1').optional(),
  /** Push the drill's metrics (result, duration, recovered point in time) here. */
  pushgateway: z.string().url().optional(),
});

const alerts = z.strictObject({
  severity: z.enum(['critical', 'warning']).optional(),
  replicationLagSeconds: z.number().positive().optional(),
  connectionsWarningPercent: z.number().min(1).max(100).optional(),
  connectionsCriticalPercent: z.number().min(1).max(100).optional(),
  diskWarningPercent: z.number().min(1).max(100).optional(),
  diskCriticalPercent: z.number().min(1).max(100).optional(),
  longTransactionSeconds: z.number().positive().optional(),
});

/** PostgreSQL's limit for a timeout setting: an int of milliseconds. */
const PG_TIMEOUT_MAX_MS = 2147483647;
/** A PostgreSQL timeout as a duration (`0s` turns it off), in whole milliseconds up to PostgreSQL's limit (~24 days). */
const pgTimeout = duration.refine((v) => {
  // Not a duration at all: the check before says so.
  if (!isDuration(v)) return true;
  const ms = durationToSeconds(v) * 1000;
  return Number.isInteger(Math.round(ms * 1000) / 1000) && ms <= PG_TIMEOUT_MAX_MS;
}, `must be whole milliseconds and at most ${PG_TIMEOUT_MAX_MS}ms (PostgreSQL's limit, about 24 days)`);

/** Defaults of `developerSessions` (lib/access/developer-sessions.ts says why these). */
export const DEVELOPER_SESSION_DEFAULTS = { connectionLimit: 5, statementTimeout: '60s', idleInTransactionTimeout: '5m' } as const;

/**
 * Limits of every developer's sessions in an environment (issue 24, CIS PostgreSQL: connection
 * limits). Each key falls back to DEVELOPER_SESSION_DEFAULTS.
 */
const developerSessions = z
  .strictObject({
    connectionLimit: z
      .number()
      .int()
      .min(1, 'must be >= 1 (to keep developers out, set developerAccess: none)')
      .max(1000, 'must be <= 1000')
      .optional()
      .describe(
        `Connections one developer may hold at once in a cluster (the role's CONNECTION LIMIT; the next login is refused). Default ${DEVELOPER_SESSION_DEFAULTS.connectionLimit}. CloudNativePG and Aurora: Zalando's manifest cannot set it (docs/security.md).`,
      ),
    statementTimeout: pgTimeout
      .optional()
      .describe(
        `statement_timeout of every developer login (a session default: a developer may SET another value in a session). 0s: none. Default ${DEVELOPER_SESSION_DEFAULTS.statementTimeout}.`,
      ),
    idleInTransactionTimeout: pgTimeout
      .optional()
      .describe(
        `idle_in_transaction_session_timeout of every developer login: a session left idle inside a transaction (holding locks and the xmin horizon) is ended. 0s: none. Default ${DEVELOPER_SESSION_DEFAULTS.idleInTransactionTimeout}.`,
      ),
  })
  .describe(
    "Limits of developers' sessions in this environment: connection limit per developer role, statement and idle-in-transaction timeouts (session defaults set on each developer role). Defaults: 5 connections, 60s, 5m.",
  );

/**
 * An IPv4/IPv6 CIDR as NetworkPolicy's ipBlock takes it (e.g. 10.0.0.0/16, 2001:db8::/32): the
 * address parsed (a malformed IPv6 address would otherwise pass here and fail at apply time, in
 * the API server's validation), the prefix within the family's length.
 */
function isCidr(value: string): boolean {
  const slash = value.lastIndexOf('/');
  if (slash < 0 || !/^\d{1,3}$/.test(value.slice(slash + 1))) return false;
  const address = value.slice(0, slash);
  const prefix = Number(value.slice(slash + 1));
  // Dotted IPv4 without leading zeros (the API server's strict parsing refuses 010.0.0.0).
  if (isIPv4(address)) return prefix <= 32 && !/(^|\.)0\d/.test(address);
  return isIPv6(address) && prefix <= 128;
}

/**
 * A prefix of 0 is every address: an allow to "the object store" that is in fact the whole
 * internet is no default-deny (issue 24 item 7 asks for precise allows).
 */
const CIDR_SHAPE =
  /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(?:3[0-2]|[12]?\d)|[0-9a-fA-F:]*:[0-9a-fA-F:]*\/(?:12[0-8]|1[01]\d|[1-9]?\d))$/;
// The shape (a pattern editors check through fleet.schema.json), then the address parsed: one
// message per value.
const cidr = z
  .string()
  .regex(CIDR_SHAPE, 'is not a CIDR like 10.0.0.0/16')
  .refine((v) => !CIDR_SHAPE.test(v) || isCidr(v), 'is not a CIDR like 10.0.0.0/16')
  .refine((v) => !isCidr(v) || !/\/0+$/.test(v), "is every address: list the destination's own ranges");

/** Where a set of pods may connect outside the cluster's pod network: CIDRs and TCP ports. */
const egressDestination = (defaultPorts: number[]) =>
  z.strictObject({
    cidrs: z.array(cidr).min(1, 'must list at least one CIDR'),
    ports: z.array(z.number().int().min(1).max(65535)).min(1, 'must list at least one port').default(defaultPorts),
  });

/** `egress` (issue 24 item 7): default-deny egress in the database and backups namespaces, with precise allows. */
const egress = z.strictObject({
  apiServer: egressDestination([443]),
  objectStore: egressDestination([443]).optional(),
  database: egressDestination([5432]).optional(),
  mongo: egressDestination([27017]).optional(),
  snapshotAPI: egressDestination([443]).optional(),
  dns: z
    .strictObject({
      namespace: dnsLabel.default('kube-system'),
      // At least one label: an empty selector would allow port 53 on every pod of the namespace.
      podLabels: z
        .record(z.string(), z.string())
        .refine((labels) => Object.keys(labels).length > 0, 'must name at least one label of the DNS pods')
        .default({ 'k8s-app': 'kube-dns' }),
    })
    .optional(),
});

const environment = z.strictObject({
  namespace: dnsLabel,
  topology: z.enum(TOPOLOGIES),
  ...clusterShape,
  /** guaranteed: requests = limits; burstable: no CPU limit. */
  qos: z.enum(QOS_CLASSES).default('guaranteed'),
  postgres: postgresSettings.optional(),
  developerAccess: z.enum(DEVELOPER_ACCESS),
  developerSessions: developerSessions.optional(),
  egress: egress.optional(),
  /** The Postgres operator that runs this environment's clusters. */
  operator: z.enum(OPERATORS).default('cloudnative-pg'),
  zalando: zalando.optional(),
  aws: aws.optional(),
  /** Cluster name under topology: shared (default: the fleet name). */
  sharedClusterName: dnsLabel.optional(),
  /** The Argo CD destination cluster. */
  cluster: z.strictObject({ server: z.string().url().optional(), name: z.string().min(1).optional() }).optional(),
  backups: z
    .strictObject({
      velero: veleroBackup.optional(),
      postgres: postgresBackup.optional(),
      objectStore: objectStoreBackup.optional(),
      restoreDrill: restoreDrill.optional(),
    })
    .optional(),
  alerts: alerts.optional(),
  /** Schedule of the CronJob that re-applies developer privileges. */
  accessSchedule: z.string().optional(),
  /**
   * Disaster recovery: this environment is the standby site of another one (docs/disaster-recovery.md).
   * Every cluster of the source is rendered here as a CloudNativePG replica cluster.
   */
  standbyOf: z.string().min(1).optional(),
  /** On a standby: the site (environment name) whose clusters are primary. @default the source */
  primarySite: z.string().min(1).optional(),
  /**
   * On a standby: switchover step 1. The primary site is demoted and the site named here waits
   * for promotionTokens (step 2, which also moves primarySite). `dbfleet switchover` writes both.
   */
  switchoverTo: z.string().min(1).optional(),
  /**
   * On a standby: switchover step 2, per cluster, the demotion token of the former primary's Cluster
   * (`kubectl get cluster <name> -o jsonpath={.status.demotionToken}`), set with primarySite.
   */
  promotionTokens: z
    .record(
      z.string(),
      // What CloudNativePG's webhook accepts as a token is checked in dr-sites.ts (beside the
      // per-cluster rules, so a bad token is one error, not also "no token for <cluster>").
      z.string(),
    )
    .optional(),
  /** PgBouncer poolers in front of every cluster (opt-in). */
  pooler: poolers.optional(),
  /**
   * On a standby: also render, in each service's namespace at this site, a read-only connection
   * Secret `<service>-db-readonly` (only `ro-*` endpoint keys, to the replicas or the read-only
   * pooler) for read traffic served from the DR site. Needs instances >= 2. @default false
   */
  readEndpoint: z.boolean().optional(),
});

/**
 * Keys only a standby environment has. Every other key it leaves out is taken from its source
 * (standbyOf), `namespace`, `cluster`, `backups` and `alerts` included: the example says
 * "everything not set here is the source's", and a standby that inherits the source's namespace
 * and destination is refused with a message (dr-sites.ts), never silently rendered elsewhere.
 */
export const STANDBY_OWN_KEYS: readonly string[] = ['standbyOf', 'primarySite', 'switchoverTo', 'promotionTokens', 'readEndpoint'];

/**
 * Keys a standby replaces whole when it sets them: `cluster` is one Argo CD destination (server
 * or name), and a standby's `{ name: dr }` merged into the source's `{ server: … }` would name
 * two.
 */
const STANDBY_WHOLE_KEYS: readonly string[] = ['cluster'];

const isMapping = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * What a standby inherits (README "Fleet reference", DR standby): a deep merge. Mappings merge key
 * by key at every depth (a standby that sets only `backups.objectStore.destinationPath` keeps the
 * source's schedule, retention, credentials properties and its velero and postgres backups);
 * lists and scalars the standby sets replace the source's whole; `null` removes an inherited key
 * (e.g. `backups: { restoreDrill: null }`, or `endpointURL: null` for a bucket at another provider).
 */
export function mergeStandby(source: Record<string, unknown>, own: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { ...source };
  for (const [key, value] of Object.entries(own)) {
    if (value === null) delete out[key];
    else if (isMapping(value) && isMapping(out[key]) && !(depth === 0 && STANDBY_WHOLE_KEYS.includes(key)))
      out[key] = mergeStandby(out[key] as Record<string, unknown>, value, depth + 1);
    else out[key] = value;
  }
  return out;
}

/** A standby inherits what it does not set from its source, before the shape is checked. */
function inheritFromSource(raw: unknown, ctx: z.RefinementCtx): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const envs = raw as Record<string, unknown>;
  const out: Record<string, unknown> = { ...envs };
  for (const [name, env] of Object.entries(envs)) {
    if (!env || typeof env !== 'object' || Array.isArray(env)) continue;
    const sourceName = (env as Record<string, unknown>).standbyOf;
    if (sourceName === undefined) continue;
    const source = envs[sourceName as string];
    if (!source || typeof source !== 'object' || Array.isArray(source) || sourceName === name) {
      ctx.addIssue({
        code: 'custom',
        path: [name, 'standbyOf'],
        message: `environment "${String(sourceName)}" does not exist, or is this one (environments: ${Object.keys(envs).join(', ')}): the standby inherits every key it does not set from it`,
      });
      continue;
    }
    if ((source as Record<string, unknown>).standbyOf !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [name, 'standbyOf'],
        message: `"${String(sourceName)}" is itself a standby: name the primary environment; cascading standbys are not offered`,
      });
      continue;
    }
    const inherited = Object.fromEntries(Object.entries(source as Record<string, unknown>).filter(([k]) => !STANDBY_OWN_KEYS.includes(k)));
    out[name] = mergeStandby(inherited, env as Record<string, unknown>);
  }
  return out;
}

/**
 * Whether a problem at `path` in a standby is the source's own problem seen again through
 * inheritance: the standby does not write that value (the source does), and the source reports a
 * problem at the same path. It is reported once, at the source's line, where the value is written;
 * not a second time at the standby's `<name>:` line, with the standby's path.
 */
export function isInheritedProblem(raw: unknown, path: ReadonlyArray<string | number>, reported: ReadonlySet<string>): boolean {
  if (path[0] !== 'environments' || typeof path[1] !== 'string' || path.length < 3 || !isMapping(raw)) return false;
  const envs = raw.environments;
  if (!isMapping(envs)) return false;
  const own = envs[path[1]];
  if (!isMapping(own) || typeof own.standbyOf !== 'string' || STANDBY_OWN_KEYS.includes(String(path[2]))) return false;
  const has = (root: unknown, rest: ReadonlyArray<string | number>): boolean => {
    let at: unknown = root;
    for (const key of rest) {
      if (!isMapping(at) || !(String(key) in at)) return false;
      at = at[String(key)];
    }
    return true;
  };
  const rest = path.slice(2);
  return !has(own, rest) && has(envs[own.standbyOf], rest) && reported.has(JSON.stringify(['environments', own.standbyOf, ...rest]));
}

const service = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  group: dnsLabel.optional(),
  /** Database name in Postgres (default: the name with "-" as "_"). */
  database: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'is not a lower-case PostgreSQL identifier')
    .optional(),
  /** Owning LOGIN role (default: the name with "-" as "_"). */
  role: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'is not a lower-case PostgreSQL identifier')
    .optional(),
  extensions: z.array(z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'is not a valid extension name')).default([]),
  overrides: z.record(z.string(), override).default({}),
  /**
   * Where the owner credential's rotation stands, per environment (lib/secrets/credential-rotation.ts);
   * written by `dbfleet rotate`. Absent: never rotated.
   */
  rotation: z
    .record(
      z.string(),
      z.strictObject({
        generation: z.number().int().min(1, 'must be >= 1 (generation 0 is the credential before any rotation)'),
        step: z.enum(ROTATION_STEPS),
      }),
    )
    .default({}),
});

const mongoSnapshot = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel,
  environments: z.array(z.string()).min(1),
  schedule: z.string(),
  connectionSecret: z.strictObject({ remoteKey: z.string().min(1), property: z.string().min(1).default('uri') }),
  image: z.string().min(1),
  maxLagSeconds: z.number().int().positive().default(60),
  snapshotTimeout: duration.default('30m'),
  unlockDeadline: duration.default('120s'),
  /** mongo-snapshot --lock-timeout: how long the fsync lock (its flush) may take before the next candidate is tried */
  lockTimeout: duration.default('60s'),
  pushgateway: z.string().url().optional(),
  snapshotCommand: z.string().min(1).optional(),
  /** an image holding make-vm-snapshot (and its cloud CLI) in `path`; copied into /opt/snapshot/bin by an initContainer */
  snapshotTools: z
    .strictObject({
      image: z.string().min(1),
      path: z
        .string()
        .regex(/^\/\S*$/, 'must be an absolute path')
        .default('/opt/snapshot/bin'),
    })
    .optional(),
});

export const fleetSchema = z.strictObject({
  name: dnsLabel,
  postgres: postgresSettings.default({}),
  /** Every group a service names, with its settings (`{}` for none). */
  groups: z.record(z.string(), z.union([group, z.null().transform(() => ({ overrides: {} }))])).default({}),
  secretStore: z.strictObject({
    kind: z.enum(['SecretStore', 'ClusterSecretStore']),
    name: z.string().min(1),
    keyPrefix: z.string().min(1),
    refreshInterval: duration.default('1h'),
    /**
     * `generate`: dbfleet creates every service and developer password once, inside the
     * cluster, and pushes it to the store (External Secrets Password generator + PushSecret,
     * never overwriting). `existing`: every password must already be in the store.
     */
    passwords: z.enum(['generate', 'existing']).default('generate'),
    /** The External Secrets operator's namespace: no service may use it. Default: external-secrets. */
    operatorNamespace: dnsLabel.optional(),
  }),
  developers: z.array(dnsLabel).default([]),
  operator: z.strictObject({ namespace: dnsLabel.default('cnpg-system') }).default({ namespace: 'cnpg-system' }),
  monitoring: z
    .strictObject({
      namespace: dnsLabel.default('monitoring'),
      ruleLabels: labelMap.default({}),
      podMonitorLabels: labelMap.default({}),
      runbookBaseURL: z.string().url().optional(),
    })
    .default({ namespace: 'monitoring', ruleLabels: {}, podMonitorLabels: {} }),
  gitops: z
    .strictObject({
      repoURL: z.string().min(1),
      targetRevision: z.string().min(1).default('HEAD'),
      project: dnsLabel,
      argocdNamespace: dnsLabel.default('argocd'),
      path: z.string().min(1).default('dist'),
    })
    .optional(),
  environments: z.preprocess(inheritFromSource, z.record(z.string(), environment)),
  services: z.array(service).min(1),
  mongoSnapshots: z.array(mongoSnapshot).default([]),
  /** Image of dbfleet's ops commands (prune-backups, restore-drill), built from this repository. */
  opsImage: z.string().min(1).optional(),
});

export type FleetInput = z.infer<typeof fleetSchema>;
export type EnvironmentInput = z.infer<typeof environment>;
export type ServiceInput = z.infer<typeof service>;
export type OverrideInput = z.infer<typeof override>;
export type PostgresSettingsInput = z.infer<typeof postgresSettings>;
export type AlertsInput = z.infer<typeof alerts>;
export type ZalandoInput = z.infer<typeof zalando>;
export type EgressInput = z.infer<typeof egress>;
export type PoolerOverrideInput = z.infer<typeof poolerOverride>;
