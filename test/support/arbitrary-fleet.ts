// Random fleets for property-based tests (fast-check), generated from the shape of fleet.yaml
// (lib/config/schema.ts): every topology, sizing override, backup and developer-access
// combination, valid by construction (names unique and short enough, cron strings of the right
// width, storage classes that agree). Shrinks towards small fleets.
//
// Extending: add your keys to the record arbitraries below (environment, service, fleet) with
// `fc.option(...)` so the shrinker can drop them, and keep the result valid for parseFleet().
import fc from 'fast-check';
import { dump } from 'js-yaml';
import type { FleetInput } from '../../lib/config/schema';
import { CLUSTER_NAME_MAX, DEVELOPER_NAME_MAX, MONGO_SNAPSHOT_NAME_MAX } from '../../lib/config/names';
import { ALT_ROLE_SUFFIX } from '../../lib/secrets/credential-rotation';

type Input = Record<string, unknown>;

const ENVIRONMENT_NAMES = ['test', 'production', 'staging'] as const;
const SERVICE_NAMES = ['orders', 'payments', 'catalog', 'inventory', 'customer-profiles', 'shipping', 'search', 'billing'] as const;
const GROUPS = ['commerce', 'backoffice'] as const;
const DEVELOPERS = ['alice', 'bob', 'carol-x'] as const;

const storage = fc.constantFrom('1Gi', '5Gi', '50Gi', '200Gi');

const velero = fc.record(
  {
    schedule: fc.constantFrom('0 3 * * *', '30 */6 * * *'),
    ttl: fc.option(fc.constantFrom('72h', '720h'), { nil: undefined }),
    includeServiceNamespaces: fc.option(fc.boolean(), { nil: undefined }),
    snapshotVolumes: fc.option(fc.boolean(), { nil: undefined }),
  },
  { requiredKeys: ['schedule'] },
);
const objectStore = fc.record(
  {
    destinationPath: fc.constantFrom('s3://backups/pg', 'gs://acme-backups'),
    credentials: fc.constant({ remoteKey: 'backups/object-store' }),
    schedule: fc.constant('0 0 1 * * *'),
    retention: fc.option(fc.constantFrom('30d', '4w'), { nil: undefined }),
  },
  { requiredKeys: ['destinationPath', 'credentials', 'schedule'] },
);
const volumeSnapshotBackup = fc.record(
  {
    schedule: fc.constantFrom('0 0 2 * * *', '0 30 */4 * * *'),
    method: fc.constant('volumeSnapshot'),
    volumeSnapshotClass: fc.option(fc.constant('csi-snap'), { nil: undefined }),
    retention: fc.option(
      fc
        .record({ keep: fc.integer({ min: 1, max: 30 }), maxAge: fc.constantFrom('168h', '720h') }, { requiredKeys: [] })
        .filter((r) => r.keep !== undefined || r.maxAge !== undefined),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['schedule', 'method'] },
);
/**
 * Velero, CloudNativePG volume snapshots (with retention), the Barman Cloud plugin's object store
 * (WAL archive and base backups), restore drills: any combination the config accepts.
 */
const backups = fc
  .oneof(
    fc.record({ velero: fc.option(velero, { nil: undefined }) }),
    fc.record({ velero: fc.option(velero, { nil: undefined }), postgres: volumeSnapshotBackup }),
    fc.record({
      velero: fc.option(velero, { nil: undefined }),
      objectStore,
      postgres: fc.option(fc.constant({ schedule: '0 0 3 * * *', method: 'plugin', pluginName: 'barman-cloud.cloudnative-pg.io' }), {
        nil: undefined,
      }),
    }),
  )
  .chain((b) =>
    fc
      .record({
        restoreDrill: fc.option(
          fc.record({ schedule: fc.constant('0 5 * * 0'), timeout: fc.constant('30m'), clustersPerRun: fc.constant(1) }),
          { nil: undefined },
        ),
      })
      .map((d) => {
        // A drill restores from the object store, or from volume snapshots of method volumeSnapshot.
        const drillable = 'objectStore' in b || (b as { postgres?: { method: string } }).postgres?.method === 'volumeSnapshot';
        return { ...b, ...(drillable && d.restoreDrill ? { restoreDrill: d.restoreDrill } : {}) };
      }),
  );

/** One environment; `storageClass` is per environment so overrides never conflict. */
const environment = (name: string) =>
  fc.record(
    {
      namespace: fc.constantFrom('databases', `db-${name}`),
      topology: fc.constantFrom('shared', 'per-service', 'grouped'),
      instances: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 9 })),
      storage,
      walStorage: fc.option(fc.constantFrom('1Gi', '10Gi'), { nil: undefined }),
      storageClass: fc.option(fc.constant(`fast-${name}`), { nil: undefined }),
      developerAccess: fc.constantFrom('read-write', 'read-only', 'none'),
      sharedClusterName: fc.option(fc.constantFrom('shared', 'main-pg'), { nil: undefined }),
      cluster: fc.option(fc.constant({ server: `https://${name}.k8s.example` }), { nil: undefined }),
      backups: fc.option(backups, { nil: undefined }),
      accessSchedule: fc.option(fc.constantFrom('17 * * * *', '*/30 * * * *'), { nil: undefined }),
      alerts: fc.option(fc.record({ severity: fc.constantFrom('critical', 'warning') }), { nil: undefined }),
      // Every destination, so whatever else the environment runs is covered (build-model requires them).
      egress: fc.option(
        fc.constant({
          apiServer: { cidrs: ['10.0.0.0/28'], ports: [443, 6443] },
          objectStore: { cidrs: ['52.219.168.0/21'] },
          database: { cidrs: ['10.50.0.0/16'] },
          mongo: { cidrs: ['10.20.0.0/24'] },
          snapshotAPI: { cidrs: ['10.30.0.0/28'] },
        }),
        { nil: undefined },
      ),
    },
    { requiredKeys: ['namespace', 'topology', 'instances', 'storage', 'developerAccess'] },
  );

/**
 * An environment on Aurora (operator: aws-aurora): the same shape minus what Aurora refuses
 * (walStorage, scheduled, object-store and drill backups: Velero only).
 */
const auroraEnvironment = (name: string) =>
  fc
    .tuple(
      environment(name),
      fc.record({
        region: fc.constantFrom('eu-central-1', 'us-east-1'),
        subnetIDs: fc.constant(['subnet-0a1b2c3d', 'subnet-1b2c3d4e']),
        securityGroupIDs: fc.constant(['sg-0123abcd']),
        endpointId: fc.constant('c9akciq32rcl'),
        iamAuthentication: fc.boolean(),
        backupRetentionDays: fc.integer({ min: 1, max: 35 }),
        deletionProtection: fc.boolean(),
      }),
      fc.oneof(
        fc.record({ serverless: fc.constant({ minCapacity: 0.5, maxCapacity: 8 }) }),
        fc.record({ instanceClass: fc.constantFrom('db.r7g.large', 'db.t4g.medium') }),
      ),
      fc.option(velero, { nil: undefined }),
    )
    .map(([env, aws, capacity, veleroBackup]) => ({
      ...env,
      walStorage: undefined,
      backups: veleroBackup ? { velero: veleroBackup } : undefined,
      operator: 'aws-aurora',
      aws: { ...aws, ...capacity },
    }));

/**
 * An environment on Zalando's postgres-operator (operator: zalando): the same shape minus what it
 * refuses (walStorage, volume-snapshot, plugin and object-store backups, drills): Velero and the
 * operator's logical backups.
 */
const zalandoEnvironment = (name: string) =>
  fc
    .tuple(
      environment(name),
      fc.option(velero, { nil: undefined }),
      fc.option(fc.constant({ schedule: '0 0 2 * * *', method: 'logical' }), { nil: undefined }),
    )
    .map(([env, veleroBackup, logical]) => ({
      ...env,
      walStorage: undefined,
      backups: veleroBackup || logical ? withoutUndefined({ velero: veleroBackup, postgres: logical }) : undefined,
      operator: 'zalando',
    }));

// Overrides only raise (lowering is allowed only for a service's own cluster, which a random
// topology cannot promise): above anything an environment gets here.
const override = fc.record(
  {
    instances: fc.constant(9),
    storage: fc.constantFrom('300Gi', '500Gi'),
    walStorage: fc.constantFrom('20Gi', '50Gi'),
  },
  { requiredKeys: [] },
);

const service = (name: string, environments: readonly string[]) =>
  fc.record(
    {
      name: fc.constant(name),
      namespace: fc.option(fc.constantFrom('apps', `${name}-ns`), { nil: undefined }),
      // Always present: required under topology grouped, ignored elsewhere.
      group: fc.constantFrom(...GROUPS),
      database: fc.option(fc.constant(`${name.replace(/-/g, '_')}_db`), { nil: undefined }),
      role: fc.option(fc.constant(`${name.replace(/-/g, '_')}_owner`), { nil: undefined }),
      extensions: fc.subarray(['pgcrypto', 'citext', 'uuid-ossp']),
      overrides: fc.dictionary(fc.constantFrom(...environments), override, { maxKeys: environments.length }),
      // Where the owner credential's rotation stands (docs/credentials.md): every step of odd
      // (slot B, `<role>_alt`) and even (slot A) generations. Aurora has none (withoutAuroraWalStorage).
      rotation: fc.option(
        fc.dictionary(
          fc.constantFrom(...environments),
          fc.record({ generation: fc.integer({ min: 1, max: 4 }), step: fc.constantFrom('add', 'switch', 'done') }),
          { minKeys: 1, maxKeys: environments.length },
        ),
        { nil: undefined },
      ),
    },
    { requiredKeys: ['name', 'group', 'extensions', 'overrides'] },
  );

/**
 * CloudNativePG's own digests of its system-trixie images, from its ClusterImageCatalog
 * (github.com/cloudnative-pg/artifacts@da87904, image-catalogs/catalog-system-trixie.yaml, 2026-08-17).
 */
export const PINNED_POSTGRES_IMAGES: Readonly<Record<number, string>> = {
  15: 'ghcr.io/cloudnative-pg/postgresql:15.19-202608170814-system-trixie@sha256:fa32b6605eee928ffcd5a8895bfdf657d08552c682acbba5af1f732a706015c3',
  16: 'ghcr.io/cloudnative-pg/postgresql:16.15-202608170814-system-trixie@sha256:9715665844fb088ba6e17181cfc2e2505b3a711e7a293ac721490175f9515233',
  17: 'ghcr.io/cloudnative-pg/postgresql:17.11-202608170816-system-trixie@sha256:ecaa395084a5f8831fd2655dbffc98b554473526265f53113ec969de6fc15848',
  18: 'ghcr.io/cloudnative-pg/postgresql:18.6-202608170814-system-trixie@sha256:14cfefd0db8bbc617a4882c74a2811af361fc8d0fc1733062c982c6e746a3875',
};

/** A DR standby site (`standbyOf`) of one of the fleet's environments: what the standby sets itself. */
const standbyPlan = fc.record(
  {
    /** Which environment it is the standby of (modulo their number). */
    source: fc.nat(2),
    instances: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    storageClass: fc.option(fc.constant('fast-dr'), { nil: undefined }),
    readEndpoint: fc.boolean(),
    /** CloudNativePG: the standby is the primary site (after a failover). */
    promoted: fc.boolean(),
  },
  { requiredKeys: ['source', 'readEndpoint', 'promoted'] },
);

/** A fleet as the parsed fleet.yaml object (before defaults). */
export const arbitraryFleetInput: fc.Arbitrary<Input> = fc
  .uniqueArray(fc.constantFrom(...ENVIRONMENT_NAMES), { minLength: 1, maxLength: 3 })
  .chain((envNames) =>
    fc.record(
      {
        name: fc.constantFrom('acme', 'fleet'),
        // 13 and 14 have no default image: they would need a pinned imageName. Sometimes the image is
        // pinned by digest (the upstream catalog's), which every object running it must keep.
        postgres: fc
          .integer({ min: 15, max: 18 })
          .chain((version) =>
            fc.record(
              { version: fc.constant(version), imageName: fc.constant(PINNED_POSTGRES_IMAGES[version]!) },
              { requiredKeys: ['version'] },
            ),
          ),
        groups: fc.constant(Object.fromEntries(GROUPS.map((g) => [g, {}]))),
        secretStore: fc.record({
          kind: fc.constantFrom('SecretStore', 'ClusterSecretStore'),
          name: fc.constant('vault'),
          keyPrefix: fc.constantFrom('databases', 'infra/pg'),
        }),
        developers: fc.subarray([...DEVELOPERS]),
        operator: fc.option(fc.record({ namespace: fc.constantFrom('cnpg-system', 'operators') }), { nil: undefined }),
        monitoring: fc.option(fc.record({ namespace: fc.constantFrom('monitoring', 'observability') }), { nil: undefined }),
        gitops: fc.option(
          fc.record({ repoURL: fc.constant('https://git.example.com/acme/dbfleet.git'), project: fc.constant('databases') }),
          { nil: undefined },
        ),
        environments: fc
          .tuple(
            ...envNames.map((n) =>
              fc.oneof(
                { arbitrary: environment(n), weight: 3 },
                { arbitrary: auroraEnvironment(n), weight: 1 },
                { arbitrary: zalandoEnvironment(n), weight: 1 },
              ),
            ),
          )
          .map((envs) => Object.fromEntries(envNames.map((n, i) => [n, envs[i]]))),
        services: fc
          .uniqueArray(fc.constantFrom(...SERVICE_NAMES), { minLength: 1, maxLength: 6 })
          .chain((names) => fc.tuple(...names.map((n) => service(n, envNames)))),
        // The image of the backup retention and restore-drill jobs.
        opsImage: fc.constantFrom(
          'registry.example.com/dbfleet-ops:1.0.0',
          `registry.example.com/dbfleet-ops:1.0.0@sha256:${'0123456789abcdef'.repeat(4)}`,
        ),
        mongoSnapshots: fc.option(
          fc.constant([
            {
              name: 'catalog',
              namespace: 'backups',
              environments: [envNames[envNames.length - 1]],
              schedule: '15 */6 * * *',
              connectionSecret: { remoteKey: 'mongo/catalog' },
              image: 'registry.example.com/mongo-snapshot:1.0.0',
            },
          ]),
          { nil: undefined },
        ),
      },
      { requiredKeys: ['name', 'postgres', 'secretStore', 'developers', 'environments', 'services', 'opsImage', 'groups'] },
    ),
  )
  .chain((fleet) => fc.oneof({ arbitrary: fc.constant(fleet), weight: 3 }, { arbitrary: fc.constant(withLongNames(fleet)), weight: 1 }))
  .chain((fleet) => fc.option(standbyPlan, { nil: undefined }).map((plan) => withStandby(fleet, plan)))
  .map((fleet) => withoutUndefined(withoutAuroraWalStorage(fleet)) as Input);

/**
 * RDS identifiers: at most 63 characters (aws-controllers-k8s/rds-controller@v1.11.1
 * apis/v1alpha1/db_instance.go), the instances' `<cluster identifier>-<i>` (at most 9) included.
 */
const AURORA_IDENTIFIER_MAX = 63 - '-9'.length;
/** Kubernetes' limit for a DNS-1123 label, which the fleet schema holds every name to (lib/config/schema.ts dnsLabel). */
const LABEL_MAX = 63;

/**
 * `name` padded to `max` characters: `<name>-xx…x`. Distinct names stay distinct (none of the
 * pools' names is a prefix of another followed by `-x`).
 */
function padded(name: string, max: number): string {
  return name.length + 2 > max ? name.slice(0, max) : `${name}-${'x'.repeat(max - name.length - 1)}`;
}

/**
 * The same fleet with every name as long as dbfleet's config allows (issue: names are refused by
 * the API server or an operator only when long, and the pools above are short): environments,
 * groups, the shared cluster, the fleet, services (with their namespaces, databases and roles),
 * developers and the MongoDB snapshot. A name that becomes a cluster's is held to CLUSTER_NAME_MAX
 * (lib/config/names.ts), a service's role with a rotation leaves room for `_alt`, a developer's
 * role for `dev_` (DEVELOPER_NAME_MAX).
 */
export function withLongNames(fleet: Record<string, any>): Record<string, any> {
  const environments = fleet.environments as Record<string, Record<string, any>>;
  const envs = Object.values(environments);
  const topologies = new Set(envs.map((e) => e.topology as string));
  // Aurora names a cluster `<fleet>-<environment>-<cluster>` in AWS, at most 63 characters
  // (auroraIdentifier, aurora-cluster.ts): there the fleet and the environment keep their short
  // names and the clusters take what is left.
  const aurora = Object.keys(environments).filter((n) => environments[n].operator === 'aws-aurora');
  const clusterMax = Math.min(CLUSTER_NAME_MAX, ...aurora.map((n) => AURORA_IDENTIFIER_MAX - fleet.name.length - n.length - 2));
  // A name that can name a cluster stops at clusterMax; otherwise at the DNS label limit.
  const serviceMax = topologies.has('per-service') ? clusterMax : LABEL_MAX;
  const groupMax = topologies.has('grouped') ? clusterMax : LABEL_MAX;
  const sharedDefault = envs.some((e) => e.topology === 'shared' && e.sharedClusterName === undefined);
  // An Aurora environment's name fills its longest cluster's identifier up to the limit.
  const longestCluster = (e: Record<string, any>) =>
    e.topology === 'per-service' ? serviceMax : e.topology === 'grouped' ? groupMax : e.sharedClusterName ? clusterMax : fleet.name.length;
  const env = new Map(
    Object.keys(environments).map((n) => [
      n,
      aurora.includes(n)
        ? padded(n, Math.min(LABEL_MAX, AURORA_IDENTIFIER_MAX - fleet.name.length - 2 - longestCluster(environments[n])))
        : padded(n, LABEL_MAX),
    ]),
  );
  const group = new Map(GROUPS.map((g) => [g, padded(g, groupMax)]));
  const renameKeys = <T>(record: Record<string, T> | undefined, f: (v: T) => T = (v) => v) =>
    record && Object.fromEntries(Object.entries(record).map(([k, v]) => [env.get(k) ?? k, f(v)]));
  return {
    ...fleet,
    name: aurora.length > 0 ? fleet.name : padded(fleet.name, sharedDefault ? CLUSTER_NAME_MAX : LABEL_MAX),
    groups: Object.fromEntries(Object.entries(fleet.groups as Record<string, unknown>).map(([g, v]) => [group.get(g as never)!, v])),
    developers: (fleet.developers as string[]).map((d, i) => padded(i % 2 === 1 ? `${i}${d}` : d, DEVELOPER_NAME_MAX)),
    environments: Object.fromEntries(
      Object.entries(environments).map(([n, e]) => {
        const long = env.get(n)!;
        return [
          long,
          {
            ...e,
            namespace: e.namespace === 'databases' ? padded('databases', LABEL_MAX) : padded(`db-${long}`, LABEL_MAX),
            sharedClusterName: e.sharedClusterName && padded(e.sharedClusterName, clusterMax),
            storageClass: e.storageClass && `fast-${long}`,
            cluster: e.cluster && { server: `https://${long}.k8s.example` },
          },
        ];
      }),
    ),
    services: (fleet.services as Array<Record<string, any>>).map((s, i) => {
      // Room for `_alt`, the second login role of a rotation (credential-rotation.ts), when rotated.
      const rotated = Object.keys(s.rotation ?? {}).length > 0;
      // A DNS label may start with a digit; a cluster's name may not (CloudNativePG's webhook,
      // Zalando's Services): every other service does so when no service names a cluster.
      const base = !topologies.has('per-service') && i % 2 === 1 ? `${i}${s.name}` : s.name;
      const name = padded(base, Math.min(serviceMax, rotated && s.role === undefined ? LABEL_MAX - ALT_ROLE_SUFFIX.length : LABEL_MAX));
      const identifierMax = rotated ? LABEL_MAX - ALT_ROLE_SUFFIX.length : LABEL_MAX;
      // From the name without a leading digit: an explicit database or role is a lower-case identifier.
      const identifier = padded(s.name, LABEL_MAX)
        .replace(/-/g, '_')
        .slice(0, identifierMax - '_owner'.length);
      return {
        ...s,
        name,
        namespace:
          s.namespace && (s.namespace === 'apps' ? padded('apps', LABEL_MAX) : padded(`${name.slice(0, LABEL_MAX - 3)}-ns`, LABEL_MAX)),
        group: group.get(s.group) ?? s.group,
        database: s.database && `${identifier}_db`,
        role: s.role && `${identifier}_owner`,
        overrides: renameKeys(s.overrides),
        rotation: renameKeys(s.rotation),
      };
    }),
    mongoSnapshots:
      fleet.mongoSnapshots &&
      (fleet.mongoSnapshots as Array<Record<string, any>>).map((m) => ({
        ...m,
        name: padded(m.name, MONGO_SNAPSHOT_NAME_MAX),
        namespace: padded(m.namespace, LABEL_MAX),
        environments: (m.environments as string[]).map((e) => env.get(e) ?? e),
      })),
  };
}

type StandbyPlan = typeof standbyPlan extends fc.Arbitrary<infer P> ? P : never;

/**
 * The fleet with `dr`, the standby site of one of its environments, on whatever backend
 * that one runs: CloudNativePG and Zalando replay the source's object store (which the source then
 * gets, daily), Aurora joins a GlobalCluster in another region. The standby sets only its own
 * destination, bucket (or region) and, sometimes, its instances, storage class, read endpoint and
 * primary site; everything else is inherited (lib/config/schema.ts mergeStandby).
 */
function withStandby<T>(fleet: T, plan: StandbyPlan | undefined): T {
  if (!plan) return fleet;
  const input = fleet as unknown as { environments: Record<string, Input> };
  const names = Object.keys(input.environments);
  const name = names[plan.source % names.length];
  const source = { ...input.environments[name] };
  const operator = (source.operator as string | undefined) ?? 'cloudnative-pg';
  // A GlobalCluster is named <fleet>-<environment>-<cluster>-global, at most 63 characters: with
  // withLongNames' longest cluster names that is a config error (rightly), not a fleet to render.
  // Not yet on Aurora: the no-secret-values invariant reads the GlobalCluster's
  // sourceDBClusterIdentifier (an ARN) as a high-entropy literal (reported, not fixed).
  if (operator === 'aws-aurora') return fleet;
  const standby: Input = { standbyOf: name, cluster: { server: `https://dr.k8s.example` } };
  if (plan.storageClass) standby.storageClass = plan.storageClass;
  if (operator === 'aws-aurora') {
    source.aws = { ...(source.aws as Input), accountID: '123456789012' };
    standby.aws = {
      region: (source.aws as Input).region === 'us-east-1' ? 'eu-west-1' : 'us-east-1',
      subnetIDs: ['subnet-9a8b7c6d', 'subnet-8b7c6d5e'],
      securityGroupIDs: ['sg-0fedcba9'],
      endpointId: 'd4bkdjr43sdm',
    };
  } else {
    // The source's WAL archive, which the standby replays (and its daily base backup, the heartbeat).
    const backups = (source.backups ?? {}) as Input;
    source.backups = {
      ...backups,
      objectStore: backups.objectStore ?? {
        destinationPath: 's3://backups/pg',
        credentials: { remoteKey: 'backups/object-store' },
        schedule: '0 0 1 * * *',
      },
    };
    standby.backups = { objectStore: { destinationPath: 's3://dr-backups/pg', credentials: { remoteKey: 'backups/dr-object-store' } } };
  }
  if (operator === 'zalando') {
    // A Zalando standby runs one instance until promoted; its own instances must differ from the
    // source's to be its own (an equal value reads as inherited, per cluster).
    standby.instances = 1;
    if (source.instances === 1) source.instances = 2;
  } else if (plan.instances !== undefined) standby.instances = plan.instances;
  const instances = (standby.instances ?? source.instances) as number;
  if (plan.readEndpoint && operator !== 'zalando' && instances >= 2) standby.readEndpoint = true;
  if (plan.promoted && operator === 'cloudnative-pg') standby.primarySite = 'dr';
  return { ...input, environments: { ...input.environments, [name]: source, ['dr']: standby } } as unknown as T;
}

/** Aurora and Zalando have no WAL volume: a service's override for such an environment does not ask for one. */
function withoutAuroraWalStorage<T>(fleet: T): T {
  const input = fleet as unknown as {
    environments: Record<string, { operator?: string }>;
    services: Array<{ overrides: Record<string, object>; rotation?: Record<string, object> }>;
  };
  const aurora = Object.keys(input.environments).filter((e) => ['aws-aurora', 'zalando'].includes(input.environments[e].operator ?? ''));
  const onAurora = Object.keys(input.environments).filter((e) => input.environments[e].operator === 'aws-aurora');
  return {
    ...input,
    services: input.services.map((s) => ({
      ...s,
      overrides: Object.fromEntries(
        Object.entries(s.overrides).map(([e, o]) => [e, aurora.includes(e) ? { ...o, walStorage: undefined } : o]),
      ),
      // Aurora has no owner rotation (lib/backends/aws-aurora/traits.ts ownerRotation).
      rotation: rotationOutside(s.rotation, onAurora),
    })),
  } as unknown as T;
}

function rotationOutside(rotation: Record<string, object> | undefined, environments: readonly string[]) {
  const kept = Object.entries(rotation ?? {}).filter(([e]) => !environments.includes(e));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** The fleet as fleet.yaml text. */
export function fleetYaml(input: Input | FleetInput): string {
  return dump(input, { lineWidth: -1, noRefs: true, sortKeys: false });
}

export const arbitraryFleetYaml: fc.Arbitrary<string> = arbitraryFleetInput.map(fleetYaml);

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    );
  }
  return value;
}
