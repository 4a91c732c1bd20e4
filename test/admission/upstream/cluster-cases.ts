// CloudNativePG's own webhook test cases, translated into fixtures: the object the upstream test
// builds (as the Cluster's JSON), the function it calls, and how many errors it expects (0 =
// accepted). Source: cloudnative-pg@v1.30.0 internal/webhook/v1/cluster_webhook_test.go, cited by
// line and title. Only cases of ported rules; docs/admission.md says which are left out and why.
import type { UpstreamCase } from './case';

const T = 'cluster_webhook_test.go';
const cluster = (spec: Record<string, unknown> = {}, annotations?: Record<string, string>, name = 'cluster') => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name, ...(annotations ? { annotations } : {}) },
  spec,
});
const params = (p: Record<string, string>, extra: Record<string, unknown> = {}) => cluster({ postgresql: { parameters: p }, ...extra });
const skipArchiving = { 'cnpg.io/skipWalArchiving': 'enabled' };
const external = (name: string) => ({ name, connectionParameters: { dbname: 'postgres' } });
const walPlugin = (name: string) => ({ name, enabled: true, isWALArchiver: true });
const catalog = (major: number) => ({ imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'test', major } });
// base64.StdEncoding of json.Marshal(utils.PgControldataTokenContent{…}), as the upstream tests build it.
const token = (timeline: string, walFile: string, location: string) =>
  Buffer.from(
    JSON.stringify({
      latestCheckpointTimelineID: timeline,
      redoWalFile: walFile,
      databaseSystemIdentifier: '231231212',
      latestCheckpointREDOLocation: location,
      timeOfLatestCheckpoint: "we don't know",
      operatorVersion: 'version info',
    }),
  ).toString('base64');
const replicaToken = token('1', '0000000100000001000000A1', '0/1000000');

export const CLUSTER_CASES: readonly UpstreamCase[] = [
  // bootstrap methods validation
  { source: `${T}:53 doesn't complain if there isn't a configuration`, rule: 'validateBootstrapMethod', object: cluster(), refused: 0 },
  {
    source: `${T}:58 doesn't complain if we are using initdb`,
    rule: 'validateBootstrapMethod',
    object: cluster({ bootstrap: { initdb: {} } }),
    refused: 0,
  },
  {
    source: `${T}:70 doesn't complain if we are using recovery`,
    rule: 'validateBootstrapMethod',
    object: cluster({ bootstrap: { recovery: {} } }),
    refused: 0,
  },
  {
    source: `${T}:82 complains where there are two active bootstrap methods`,
    rule: 'validateBootstrapMethod',
    object: cluster({ bootstrap: { recovery: {}, initdb: {} } }),
    refused: 1,
  },
  // Image name validation
  { source: `${T}:396 doesn't complain if the user simply accept the default`, rule: 'validateImageName', object: cluster(), refused: 0 },
  {
    source: `${T}:404 complains when the 'latest' tag is detected`,
    rule: 'validateImageName',
    object: cluster({ imageName: 'postgres:latest' }),
    refused: 1,
  },
  {
    source: `${T}:413 doesn't complain when a alpha tag is used`,
    rule: 'validateImageName',
    object: cluster({ imageName: 'postgres:15alpha1' }),
    refused: 0,
  },
  {
    source: `${T}:422 doesn't complain when a beta tag is used`,
    rule: 'validateImageName',
    object: cluster({ imageName: 'postgres:15beta1' }),
    refused: 0,
  },
  {
    source: `${T}:431 doesn't complain when a release candidate tag is used`,
    rule: 'validateImageName',
    object: cluster({ imageName: 'postgres:15rc1' }),
    refused: 0,
  },
  {
    source: `${T}:440 complains when only the sha is passed`,
    rule: 'validateImageName',
    object: cluster({ imageName: 'postgres@sha256:cff94de382ca538861622bbe84cfe03f44f307a9846a5c5eda672cf4dc692866' }),
    refused: 1,
  },
  {
    source: `${T}:449 doesn't complain if the tag is valid (10.4)`,
    rule: 'validateImageName',
    object: cluster({ imageName: 'postgres:10.4' }),
    refused: 0,
  },
  {
    source: `${T}:458 doesn't complain if the tag is valid (14.4-1)`,
    rule: 'validateImageName',
    object: cluster({ imageName: 'postgres:14.4-1' }),
    refused: 0,
  },
  {
    source: `${T}:467 doesn't complain if the tag is valid and has sha`,
    rule: 'validateImageName',
    object: cluster({ imageName: 'postgres:10.4@sha256:cff94de382ca538861622bbe84cfe03f44f307a9846a5c5eda672cf4dc692866' }),
    refused: 0,
  },
  {
    source: `${T}:476 complain when the tag name is not a PostgreSQL version`,
    rule: 'validateImageName',
    object: cluster({ imageName: 'postgres:test_12' }),
    refused: 1,
  },
  // configuration change validation (validateConfiguration)
  {
    source: `${T}:517 accepts well-formed parameter names, including namespaced custom GUCs`,
    rule: 'validateConfiguration',
    object: params(
      { work_mem: '16MB', 'auto_explain.log_min_duration': '100ms', 'some$ext.param$1': 'value' },
      { storage: { size: '10Gi' } },
    ),
    refused: 0,
  },
  ...['#\narchive_command', 'archive_command\nrestart_after = 0', 'archive_command\rrestart_after = 0'].map((key, i) => ({
    source: `${T}:${554 + i} rejects a parameter name that could inject a directive (${JSON.stringify(key)})`,
    rule: 'validateConfiguration',
    object: params({ [key]: '/bin/evil' }, { storage: { size: '10Gi' } }),
    refused: 1,
  })),
  ...['archive_command\n', 'work_mem\u0000', 'work_mem=128MB', ' work_mem', 'work mem', 'work#mem', ''].map((key, i) => ({
    source: `${T}:${580 + i} rejects a malformed parameter name (${JSON.stringify(key)})`,
    rule: 'validateConfiguration',
    object: params({ [key]: 'value' }, { storage: { size: '10Gi' } }),
    refused: 1,
  })),
  ...(
    [
      [{ min_wal_size: '80MB', max_wal_size: '1024' }, undefined],
      [{ min_wal_size: '1500', max_wal_size: '2 GB' }, '3Gi'],
      [{ min_wal_size: '1.5GB', max_wal_size: '2000' }, '2Gi'],
      [{ max_wal_size: '1GB' }, '2Gi'],
      [{ min_wal_size: '100MB' }, '2Gi'],
      [{}, undefined],
    ] as const
  ).map(([p, wal], i) => ({
    source: `${T}:589 produces no error when WAL size settings are correct (#${i + 1})`,
    rule: 'validateConfiguration',
    object: params({ ...p }, { storage: { size: '10Gi' }, ...(wal ? { walStorage: { size: wal } } : {}) }),
    refused: 0,
  })),
  {
    source: `${T}:685 produces one complaint when min_wal_size is bigger than max_wal_size (#1)`,
    rule: 'validateConfiguration',
    object: params({ min_wal_size: '1500', max_wal_size: '1GB' }, { storage: { size: '2Gi' } }),
    refused: 1,
  },
  {
    source: `${T}:685 produces one complaint when min_wal_size is bigger than max_wal_size (#2)`,
    rule: 'validateConfiguration',
    object: params({ min_wal_size: '2G', max_wal_size: '1GB' }, { storage: { size: '4Gi' }, walStorage: { size: '2Gi' } }),
    refused: 1,
  },
  {
    source: `${T}:720 produces one complaint when max_wal_size is bigger than WAL storage (#1)`,
    rule: 'validateConfiguration',
    object: params({ max_wal_size: '2GB' }, { storage: { size: '4Gi' }, walStorage: { size: '1G' } }),
    refused: 1,
  },
  {
    source: `${T}:720 produces one complaint when max_wal_size is bigger than WAL storage (#2)`,
    rule: 'validateConfiguration',
    object: params({ min_wal_size: '80MB', max_wal_size: '1500' }, { storage: { size: '4Gi' }, walStorage: { size: '1G' } }),
    refused: 1,
  },
  {
    source: `${T}:757 produces two complaints when min_wal_size is bigger than WAL storage and max_wal_size`,
    rule: 'validateConfiguration',
    object: params({ min_wal_size: '3GB', max_wal_size: '1GB' }, { storage: { size: '10Gi' }, walStorage: { size: '2Gi' } }),
    refused: 2,
  },
  {
    source: `${T}:777 complains about invalid value for min_wal_size and max_wal_size (#1)`,
    rule: 'validateConfiguration',
    object: params({ min_wal_size: 'xxx', max_wal_size: '1GB' }, { storage: { size: '10Gi' } }),
    refused: 1,
  },
  {
    source: `${T}:777 complains about invalid value for min_wal_size and max_wal_size (#2)`,
    rule: 'validateConfiguration',
    object: params({ min_wal_size: '80', max_wal_size: '1Gb' }, { storage: { size: '10Gi' }, walStorage: { size: '2Gi' } }),
    refused: 1,
  },
  {
    source: `${T}:812 doesn't compare default values for min_wal_size and max_wal_size with WalStorage (#1)`,
    rule: 'validateConfiguration',
    object: params({}, { walStorage: { size: '100Mi' } }),
    refused: 0,
  },
  {
    source: `${T}:812 doesn't compare default values for min_wal_size and max_wal_size with WalStorage (#2)`,
    rule: 'validateConfiguration',
    object: params({ min_wal_size: '1.5GB' }, { storage: { size: '10Gi' }, walStorage: { size: '2Gi' } }),
    refused: 1,
  },
  {
    source: `${T}:812 doesn't compare default values for min_wal_size and max_wal_size with WalStorage (#3)`,
    rule: 'validateConfiguration',
    object: params({ max_wal_size: '70M' }, { storage: { size: '4Gi' }, walStorage: { size: '2Gi' } }),
    refused: 1,
  },
  {
    source: `${T}:860 should detect an invalid \`shared_buffers\` value`,
    rule: 'validateConfiguration',
    object: params({ shared_buffers: 'invalid' }),
    refused: 1,
  },
  {
    source: `${T}:874 should reject minimal wal_level when backup is configured`,
    rule: 'validateConfiguration',
    object: params({ wal_level: 'minimal', max_wal_senders: '0' }, { backup: { barmanObjectStore: { s3Credentials: {} } } }),
    refused: 1,
  },
  {
    source: `${T}:896 should allow replica wal_level when backup is configured`,
    rule: 'validateConfiguration',
    object: params({ wal_level: 'replica' }, { backup: { barmanObjectStore: { s3Credentials: {} } } }),
    refused: 0,
  },
  {
    source: `${T}:917 should allow logical wal_level when backup is configured`,
    rule: 'validateConfiguration',
    object: params({ wal_level: 'logical' }, { backup: { barmanObjectStore: { s3Credentials: {} } } }),
    refused: 0,
  },
  {
    source: `${T}:938 should reject minimal wal_level when instances is greater than one`,
    rule: 'validateConfiguration',
    object: params({ wal_level: 'minimal', max_wal_senders: '0' }, { instances: 2 }),
    refused: 1,
  },
  {
    source: `${T}:954 should allow replica wal_level when instances is greater than one`,
    rule: 'validateConfiguration',
    object: params({ wal_level: 'replica' }, { instances: 2 }),
    refused: 0,
  },
  {
    source: `${T}:968 should allow logical wal_level when instances is greater than one`,
    rule: 'validateConfiguration',
    object: params({ wal_level: 'logical' }, { instances: 2 }),
    refused: 0,
  },
  {
    source: `${T}:982 should reject an unknown wal_level value`,
    rule: 'validateConfiguration',
    object: params({ wal_level: 'test' }, { instances: 1 }),
    refused: 1,
    detail: 'unrecognized `wal_level` value - allowed values',
  },
  {
    source: `${T}:999 should reject minimal if it is a replica cluster`,
    rule: 'validateConfiguration',
    object: params({ wal_level: 'minimal', max_wal_senders: '0' }, { instances: 1, replica: { enabled: true } }),
    refused: 1,
  },
  {
    source: `${T}:1018 should allow minimal wal_level with one instance and without archive mode`,
    rule: 'validateConfiguration',
    object: {
      ...params({ wal_level: 'minimal', max_wal_senders: '0' }, { instances: 1 }),
      metadata: { name: 'cluster', annotations: skipArchiving },
    },
    refused: 0,
  },
  {
    source: `${T}:1038 should disallow minimal wal_level with one instance, without max_wal_senders being specified`,
    rule: 'validateConfiguration',
    object: { ...params({ wal_level: 'minimal' }, { instances: 1 }), metadata: { name: 'cluster', annotations: skipArchiving } },
    refused: 1,
  },
  {
    source: `${T}:1057 rejects PostgreSQL version lower than 13`,
    rule: 'validateConfiguration',
    object: cluster({ imageName: 'postgres:12' }),
    refused: 1,
    detail: 'Unsupported PostgreSQL version',
  },
  {
    source: `${T}:1074 should disallow changing wal_level to minimal for existing clusters`,
    rule: 'validateWALLevelChange',
    // oldCluster.Default() writes the default wal_level (logical) into the old object.
    old: cluster({ instances: 1, postgresql: { parameters: { max_wal_senders: '0', wal_level: 'logical' } } }, skipArchiving),
    object: cluster({ instances: 1, postgresql: { parameters: { wal_level: 'minimal', max_wal_senders: '0' } } }, skipArchiving),
    refused: 1,
  },
  {
    source: `${T}:1111 should allow retaining wal_level to minimal for existing clusters`,
    rule: 'validateWALLevelChange',
    old: cluster({ instances: 1, postgresql: { parameters: { wal_level: 'minimal', max_wal_senders: '0' } } }, skipArchiving),
    object: cluster(
      { instances: 1, postgresql: { parameters: { wal_level: 'minimal', max_wal_senders: '0', shared_buffers: '512MB' } } },
      skipArchiving,
    ),
    refused: 0,
  },
  {
    source: `${T}:1150 complains when changing image and settings simultaneously if PrimaryUpdateMethodSwitchover`,
    rule: 'validateConfigurationChange',
    old: cluster({ imageName: 'postgres:10.4' }),
    object: cluster({
      primaryUpdateMethod: 'switchover',
      imageName: 'postgres:10.5',
      postgresql: { parameters: { shared_buffers: '4G' } },
    }),
    refused: 1,
  },
  {
    source: `${T}:1171 should reject wal_log_hints set to an invalid value`,
    rule: 'validateConfiguration',
    object: params({ wal_log_hints: 'foo' }, { instances: 1 }),
    refused: 1,
  },
  ...(
    [
      [1185, 'should allow wal_log_hints set to off for clusters having just one instance', 1, 'off', 0],
      [1204, 'should not allow wal_log_hints set to off for clusters having more than one instance', 3, 'off', 1],
      [1223, 'should allow wal_log_hints set to on for clusters having just one instance', 1, 'on', 0],
      [1242, 'should not allow wal_log_hints set to on for clusters having more than one instance (expects none)', 3, 'true', 0],
    ] as const
  ).map(([line, title, instances, value, refused]) => ({
    source: `${T}:${line} ${title}`,
    rule: 'validateConfiguration',
    object: { ...params({ wal_log_hints: value }, { instances }), metadata: { name: 'cluster', annotations: skipArchiving } },
    refused,
  })),
  // validate image name change (validateImageChange); the "old" object's major stands for status.pgDataImageInfo.
  {
    source: `${T}:1286 complains if it can't upgrade between mayor versions`,
    rule: 'validateImageChange',
    old: cluster({ imageName: 'postgres:17.0' }),
    object: cluster({ imageName: 'postgres:16.0' }),
    refused: 1,
  },
  {
    source: `${T}:1306 doesn't complain if image change is valid`,
    rule: 'validateImageChange',
    old: cluster({ imageName: 'postgres:17.1' }),
    object: cluster({ imageName: 'postgres:17.0' }),
    refused: 0,
  },
  {
    source: `${T}:1332 (image catalog) complains on major downgrades`,
    rule: 'validateImageChange',
    old: cluster(catalog(16)),
    object: cluster(catalog(15)),
    refused: 1,
  },
  {
    source: `${T}:1366 (imageName to imageCatalogRef) doesn't complain when the major is the same`,
    rule: 'validateImageChange',
    old: cluster({ imageName: 'postgres:16.1' }),
    object: cluster(catalog(16)),
    refused: 0,
  },
  {
    source: `${T}:1392 (imageName to imageCatalogRef) complains on major downgrades`,
    rule: 'validateImageChange',
    old: cluster({ imageName: 'postgres:17.1' }),
    object: cluster(catalog(16)),
    refused: 1,
  },
  {
    source: `${T}:1467 (imageCatalogRef to imageName) doesn't complain when the major is the same`,
    rule: 'validateImageChange',
    old: cluster(catalog(17)),
    object: cluster({ imageName: 'postgres:17.1' }),
    refused: 0,
  },
  {
    source: `${T}:1492 (imageCatalogRef to imageName) complains on major downgrades`,
    rule: 'validateImageChange',
    old: cluster(catalog(17)),
    object: cluster({ imageName: 'postgres:16.1' }),
    refused: 1,
  },
  // primary update strategy
  ...(
    [
      [1939, "allows 'unsupervised'", 'unsupervised', 3, 0],
      [1948, "allows 'supervised'", 'supervised', 3, 0],
      [1957, "prevents 'supervised' for single-instance clusters", 'supervised', 1, 'some'],
      [1966, "allows 'unsupervised' for single-instance clusters", 'unsupervised', 1, 0],
      [1975, 'prevents everything else', 'maybe', 3, 'some'],
    ] as const
  ).map(([line, title, strategy, instances, refused]) => ({
    source: `${T}:${line} ${title}`,
    rule: 'validatePrimaryUpdateStrategy',
    object: cluster({ primaryUpdateStrategy: strategy, instances }),
    refused,
  })),
  // Number of synchronous replicas
  {
    source: `${T}:2002 can't have both new-style configuration and legacy one`,
    rule: 'validateConfiguration',
    object: cluster({ instances: 3, minSyncReplicas: 1, maxSyncReplicas: 2, postgresql: { synchronous: { method: 'any', number: 2 } } }),
    refused: 'some',
  },
  ...(
    [
      [2020, 'should be a positive integer', -3, 'some'],
      [2029, 'should not be equal than the number of replicas', 3, 'some'],
      [2038, 'should not be greater than the number of replicas', 5, 'some'],
      [2047, 'can be zero', 0, 0],
      [2056, 'can be lower than the number of replicas', 2, 0],
    ] as const
  ).map(([line, title, max, refused]) => ({
    source: `${T}:${line} maxSyncReplicas ${title}`,
    rule: 'validateMaxSyncReplicas',
    object: cluster({ instances: 3, maxSyncReplicas: max }),
    refused,
  })),
  // storage configuration validation (validateStorageChange)
  {
    source: `${T}:2263 complains if the size is being reduced`,
    rule: 'validateStorageChange',
    old: cluster({ storage: { size: '1G' } }),
    object: cluster({ storage: { size: '512M' } }),
    refused: 'some',
  },
  {
    source: `${T}:2277 does not complain if nothing has been changed`,
    rule: 'validateStorageChange',
    old: cluster({ storage: { size: '1G', storageClass: 'one' } }),
    object: cluster({ storage: { size: '1G', storageClass: 'one' } }),
    refused: 0,
  },
  {
    source: `${T}:2291 works fine is the size is being enlarged`,
    rule: 'validateStorageChange',
    old: cluster({ storage: { size: '8G' } }),
    object: cluster({ storage: { size: '10G' } }),
    refused: 0,
  },
  // Cluster name validation
  { source: `${T}:2326 should be a valid DNS label`, rule: 'validateName', object: cluster({}, undefined, 'test.one'), refused: 'some' },
  {
    source: `${T}:2335 should not be too long`,
    rule: 'validateName',
    object: cluster({}, undefined, 'abcdefghi'.repeat(9)),
    refused: 'some',
  },
  {
    source: `${T}:2352 should not raise errors when the name is ok`,
    rule: 'validateName',
    object: cluster({}, undefined, 'abcdefghi'.repeat(4)),
    refused: 0,
  },
  {
    source: `${T}:2366 should return errors when the name is not DNS-1035 compliant`,
    rule: 'validateName',
    object: cluster({}, undefined, '4b96d026-a956-47eb-bae8-a99b840805c3'),
    refused: 'some',
  },
  {
    source: `${T}:2375 should return errors when the name length is greater than 50`,
    rule: 'validateName',
    object: cluster({}, undefined, `${'toomuchlong'.repeat(4)}-after4times`),
    refused: 'some',
  },
  {
    source: `${T}:2384 should return errors when having a name with dots`,
    rule: 'validateName',
    object: cluster({}, undefined, 'wrong.name'),
    refused: 'some',
  },
  // validation of the list of external clusters / of an external cluster
  { source: `${T}:2403 is correct when it's empty`, rule: 'validateExternalClusters', object: cluster(), refused: 0 },
  {
    source: `${T}:2408 complains when the list of clusters contains duplicates`,
    rule: 'validateExternalClusters',
    object: cluster({ externalClusters: [external('one'), external('one')] }),
    refused: 'some',
  },
  {
    source: `${T}:2428 should not raise errors is the cluster name is unique`,
    rule: 'validateExternalClusters',
    object: cluster({ externalClusters: [external('one'), external('two')] }),
    refused: 0,
  },
  {
    source: `${T}:2459 ensure that one of connectionParameters and barmanObjectStore is set (none)`,
    rule: 'validateExternalClusters',
    object: cluster({ externalClusters: [{}] }),
    refused: 'some',
  },
  {
    source: `${T}:2459 ensure that one of connectionParameters and barmanObjectStore is set (connectionParameters)`,
    rule: 'validateExternalClusters',
    object: cluster({ externalClusters: [{ connectionParameters: { dbname: 'postgres' } }] }),
    refused: 0,
  },
  {
    source: `${T}:2459 ensure that one of connectionParameters and barmanObjectStore is set (barmanObjectStore)`,
    rule: 'validateExternalClusters',
    object: cluster({ externalClusters: [{ barmanObjectStore: {} }] }),
    refused: 0,
  },
  ...(
    [
      [2492, 'traversal in the name', { name: '../pwned' }],
      [2495, 'separator in the name', { name: 'nested/pwned' }],
      [2498, 'traversal in the sslCert secret name', { sslCert: { name: '../pwned', key: 'tls.crt' } }],
      [2504, 'traversal in the sslCert secret key', { sslCert: { name: 'cert', key: '../pwned' } }],
    ] as const
  ).map(([line, title, change]) => ({
    source: `${T}:${line} rejects names and secret selectors that would escape the secrets directory (${title})`,
    rule: 'validateExternalClusters',
    object: cluster({ externalClusters: [{ ...external('one'), ...change }] }),
    refused: 'some' as const,
  })),
  {
    source: `${T}:2513 does not reject a password selector whose value would be unsafe as a path`,
    rule: 'validateExternalClusters',
    object: cluster({ externalClusters: [{ ...external('one'), password: { name: '../pwned', key: '../pwned' } }] }),
    refused: 0,
  },
  {
    source: `${T}:2530 accepts a well-formed name and secret selectors`,
    rule: 'validateExternalClusters',
    object: cluster({
      externalClusters: [{ ...external('one'), sslCert: { name: 'cert', key: 'tls.crt' }, password: { name: 'creds', key: 'password' } }],
    }),
    refused: 0,
  },
  // bootstrap recovery validation
  {
    source: `${T}:2638 complains if you specify the database name but not the owner for recovery`,
    rule: 'validateRecoveryApplicationDatabase',
    object: cluster({ bootstrap: { recovery: { database: 'app' } } }),
    refused: 1,
  },
  {
    source: `${T}:2652 complains if you specify the owner but not the database name for recovery`,
    rule: 'validateRecoveryApplicationDatabase',
    object: cluster({ bootstrap: { recovery: { owner: 'app' } } }),
    refused: 1,
  },
  {
    source: `${T}:2666 doesn't complain if you specify both database name and owner user for recovery`,
    rule: 'validateRecoveryApplicationDatabase',
    object: cluster({ bootstrap: { recovery: { database: 'app', owner: 'app' } } }),
    refused: 0,
  },
  {
    source: `${T}:2685 recovery source matches an external cluster (barman object store)`,
    rule: 'validateBootstrapRecoverySource',
    object: cluster({ bootstrap: { recovery: { source: 'test' } }, externalClusters: [{ name: 'test', barmanObjectStore: {} }] }),
    refused: 0,
  },
  {
    source: `${T}:2705 recovery source matches an external cluster (plugin configuration)`,
    rule: 'validateBootstrapRecoverySource',
    object: cluster({ bootstrap: { recovery: { source: 'test' } }, externalClusters: [{ name: 'test', plugin: {} }] }),
    refused: 0,
  },
  {
    source: `${T}:2726 complains when bootstrap recovery source does not match one of the names of external clusters`,
    rule: 'validateBootstrapRecoverySource',
    object: cluster({ bootstrap: { recovery: { source: 'test' } }, externalClusters: [{ name: 'another-test' }] }),
    refused: 'some',
  },
  {
    source: `${T}:2746 complains when bootstrap recovery source have no BarmanObjectStore nor plugin configuration`,
    rule: 'validateBootstrapRecoverySource',
    object: cluster({ bootstrap: { recovery: { source: 'test' } }, externalClusters: [{ name: 'test' }] }),
    refused: 1,
  },
  // validate anti-affinity
  ...(
    [
      [2814, "doesn't complain if we provide an empty affinity section", {}, 0],
      [
        2823,
        "doesn't complain if we provide a proper PodAntiAffinity with anti-affinity enabled (required)",
        { enablePodAntiAffinity: true, podAntiAffinityType: 'required' },
        0,
      ],
      [
        2836,
        "doesn't complain if we provide a proper PodAntiAffinity with anti-affinity disabled",
        { enablePodAntiAffinity: false, podAntiAffinityType: 'required' },
        0,
      ],
      [
        2849,
        "doesn't complain if we provide a proper PodAntiAffinity with anti-affinity enabled (preferred)",
        { enablePodAntiAffinity: true, podAntiAffinityType: 'preferred' },
        0,
      ],
      [
        2862,
        "doesn't complain if we provide a proper PodAntiAffinity default with anti-affinity enabled",
        { enablePodAntiAffinity: true, podAntiAffinityType: '' },
        0,
      ],
      [
        2875,
        'complains if we provide a wrong PodAntiAffinity with anti-affinity disabled',
        { enablePodAntiAffinity: false, podAntiAffinityType: 'error' },
        'some',
      ],
      [
        2888,
        'complains if we provide a wrong PodAntiAffinity with anti-affinity enabled',
        { enablePodAntiAffinity: true, podAntiAffinityType: 'error' },
        'some',
      ],
    ] as const
  ).map(([line, title, affinity, refused]) => ({
    source: `${T}:${line} ${title}`,
    rule: 'validateAntiAffinity',
    object: cluster({ affinity }),
    refused,
  })),
  // unix permissions identifiers change validation
  {
    source: `${T}:2979 complains if the PostgresGID is changed`,
    rule: 'validateUnixPermissionIdentifierChange',
    old: cluster({ postgresGID: 26 }),
    object: cluster({ postgresGID: 53 }),
    refused: 'some',
  },
  {
    source: `${T}:2992 complains if the PostgresUID is changed`,
    rule: 'validateUnixPermissionIdentifierChange',
    old: cluster({ postgresUID: 26 }),
    object: cluster({ postgresGID: 74 }),
    refused: 'some',
  },
  {
    source: `${T}:3005 should not complain if the values havn't been changed`,
    rule: 'validateUnixPermissionIdentifierChange',
    old: cluster({ postgresUID: 74, postgresGID: 76 }),
    object: cluster({ postgresUID: 74, postgresGID: 76 }),
    refused: 0,
  },
  // replica mode validation (validateReplicaMode includes validateReplicaClusterExternalClusters)
  {
    // ADAPTED: upstream calls validateReplicaMode on an object the defaulting webhook has not seen.
    // Through the API server a missing bootstrap is defaulted to initdb first; dbfleet renders a
    // replica without one only for a demoted primary, whose Cluster exists (an update the webhook
    // admits), so the port treats it as such (docs/admission.md).
    source: `${T}:3229 complains if the bootstrap method is not specified`,
    rule: 'validateReplicaMode',
    object: cluster({ replica: { enabled: true, source: 'test' }, externalClusters: [{ name: 'test' }] }),
    refused: 0,
  },
  {
    source: `${T}:3247 complains if the initdb bootstrap method is used`,
    rule: 'validateReplicaMode',
    object: cluster({ replica: { enabled: true, source: 'test' }, bootstrap: { initdb: {} }, externalClusters: [{ name: 'test' }] }),
    refused: 'some',
  },
  {
    source: `${T}:3268 doesn't complain about initdb if we enable the external cluster on an existing cluster`,
    rule: 'validateReplicaMode',
    object: {
      ...cluster({ replica: { enabled: true, source: 'test' }, bootstrap: { initdb: {} }, externalClusters: [{ name: 'test' }] }),
      metadata: { name: 'cluster', resourceVersion: 'existing' },
    },
    refused: 0,
  },
  {
    source: `${T}:3350 is valid when the pg_basebackup bootstrap option is used`,
    rule: 'validateReplicaMode',
    object: cluster({ replica: { enabled: true, source: 'test' }, bootstrap: { pg_basebackup: {} }, externalClusters: [{ name: 'test' }] }),
    refused: 0,
  },
  {
    source: `${T}:3371 is valid when the restore bootstrap option is used`,
    rule: 'validateReplicaMode',
    object: cluster({ replica: { enabled: true, source: 'test' }, bootstrap: { recovery: {} }, externalClusters: [{ name: 'test' }] }),
    refused: 0,
  },
  {
    source: `${T}:3392 complains when the primary field is used with the enabled field`,
    rule: 'validateReplicaMode',
    object: cluster({
      replica: { enabled: true, primary: 'toast', source: 'test' },
      bootstrap: { pg_basebackup: {} },
      externalClusters: [],
    }),
    refused: 'some',
  },
  {
    source: `${T}:3410 doesn't complain when the enabled field is not specified`,
    rule: 'validateReplicaMode',
    object: cluster(
      { replica: { primary: 'test', source: 'test' }, bootstrap: { pg_basebackup: {} }, externalClusters: [{ name: 'test' }] },
      undefined,
      'test-2',
    ),
    refused: 0,
  },
  {
    source: `${T}:3432 doesn't complain when creating a new primary cluster with the replication stanza set`,
    rule: 'validateReplicaMode',
    object: cluster(
      { replica: { primary: 'test', source: 'test' }, bootstrap: { initdb: {} }, externalClusters: [{ name: 'test' }] },
      undefined,
      'test',
    ),
    refused: 0,
  },
  {
    source: `${T}:3457 complains when the external cluster doesn't exist (source)`,
    rule: 'validateReplicaMode',
    object: cluster({ replica: { enabled: true, source: 'test' }, externalClusters: [] }),
    refused: 'some',
  },
  {
    source: `${T}:3475 complains when the external cluster doesn't exist (primary)`,
    rule: 'validateReplicaMode',
    object: cluster({
      replica: { primary: 'test2', source: 'test' },
      bootstrap: { pg_basebackup: {} },
      externalClusters: [{ name: 'test' }],
    }),
    refused: 'some',
  },
  {
    source: `${T}:3495 complains when the external cluster doesn't exist (self)`,
    rule: 'validateReplicaMode',
    object: cluster({
      replica: { self: 'test2', primary: 'test', source: 'test' },
      bootstrap: { pg_basebackup: {} },
      externalClusters: [{ name: 'test' }],
    }),
    refused: 'some',
  },
  // Storage configuration validation (validateStorageSize)
  {
    source: `${T}:4293 produces one error if storage is not set at all`,
    rule: 'validateStorageSize',
    object: cluster({ storage: {} }),
    refused: 1,
  },
  {
    source: `${T}:4300 succeeds if storage size is set`,
    rule: 'validateStorageSize',
    object: cluster({ storage: { size: '1G' } }),
    refused: 0,
  },
  {
    source: `${T}:4309 succeeds if storage is not set but a pvc template specifies storage`,
    rule: 'validateStorageSize',
    object: cluster({ storage: { pvcTemplate: { resources: { requests: { storage: '1Gi' } } } } }),
    refused: 0,
  },
  // validateResources
  ...(
    [
      [
        4822,
        'returns an error when the CPU request is greater than CPU limit',
        { cpu: '2' },
        { cpu: '1' },
        {},
        1,
        'CPU request is greater than the limit',
      ],
      [
        4830,
        'returns an error when the Memory request is greater than Memory limit',
        { memory: '2Gi' },
        { memory: '1Gi' },
        {},
        1,
        'Memory request is greater than the limit',
      ],
      [
        4838,
        'returns no error when the ephemeral storage request is correctly set',
        { 'ephemeral-storage': '1' },
        { 'ephemeral-storage': '1' },
        {},
        0,
        undefined,
      ],
      [
        4845,
        'returns an error when the ephemeral storage request is greater than ephemeral storage limit',
        { 'ephemeral-storage': '2' },
        { 'ephemeral-storage': '1' },
        {},
        1,
        'Ephemeral storage request is greater than the limit',
      ],
      [
        4853,
        'returns three errors when CPU, Memory, and ephemeral storage requests are greater than limits',
        { cpu: '2', memory: '2Gi', 'ephemeral-storage': '2' },
        { cpu: '1', memory: '1Gi', 'ephemeral-storage': '1' },
        {},
        3,
        undefined,
      ],
      [
        4868,
        'returns two errors when both CPU and Memory requests are greater than their limits',
        { cpu: '2', memory: '2Gi' },
        { cpu: '1', memory: '1Gi' },
        {},
        2,
        undefined,
      ],
      [
        4880,
        'returns no errors when both CPU and Memory requests are less than or equal to their limits',
        { cpu: '1', memory: '1Gi' },
        { cpu: '2', memory: '2Gi' },
        {},
        0,
        undefined,
      ],
      [4890, 'returns no errors when CPU request is set but limit is nil', { cpu: '1' }, {}, {}, 0, undefined],
      [4896, 'returns no errors when CPU limit is set but request is nil', {}, { cpu: '1' }, {}, 0, undefined],
      [4902, 'returns no errors when Memory request is set but limit is nil', { memory: '1Gi' }, {}, {}, 0, undefined],
      [4908, 'returns no errors when Memory limit is set but request is nil', {}, { memory: '1Gi' }, {}, 0, undefined],
      [
        4914,
        'returns an error when memoryRequest is less than shared_buffers in kB',
        { memory: '1Gi' },
        {},
        { shared_buffers: '2000000kB' },
        1,
        'Memory request is lower than PostgreSQL `shared_buffers` value',
      ],
      [
        4922,
        'returns an error when memoryRequest is less than shared_buffers in MB',
        { memory: '1000Mi' },
        {},
        { shared_buffers: '2000MB' },
        1,
        'Memory request is lower than PostgreSQL `shared_buffers` value',
      ],
      [4930, 'returns no errors when no memoryRequest is set', {}, {}, { shared_buffers: '1GB' }, 0, undefined],
      [
        4936,
        'returns no errors when memoryRequest is greater than or equal to shared_buffers in GB',
        { memory: '2Gi' },
        {},
        { shared_buffers: '1GB' },
        0,
        undefined,
      ],
      [
        4943,
        'returns an error when hugepages request is different than hugepages limits',
        { memory: '2Gi', 'hugepages-1Gi': '1Gi' },
        { 'hugepages-1Gi': '2Gi' },
        {},
        1,
        'HugePages requests must equal the limits',
      ],
      [
        4952,
        'returns an error when hugepages request is present but no CPU or memory are',
        { 'hugepages-1Gi': '1Gi' },
        {},
        {},
        1,
        'HugePages require cpu or memory',
      ],
      [
        4959,
        'returns an error when no request is enough to contain shared_buffers, even if the sum is',
        { memory: '1Gi', 'ugepages-1Gi': '1Gi', 'hugepages-2Mi': '1Gi' },
        {},
        { shared_buffers: '2000000kB' },
        1,
        'Memory request is lower than PostgreSQL `shared_buffers` value',
      ],
      [
        4969,
        'returns no errors when hugepages-1Gi request is greater than or equal to shared_buffers in GB',
        { memory: '256Mi', 'hugepages-1Gi': '1Gi' },
        {},
        { shared_buffers: '1GB' },
        0,
        undefined,
      ],
      [
        4977,
        'returns no errors when hugepages-2Mi request is greater than or equal to shared_buffers in GB',
        { memory: '256Mi' },
        { 'hugepages-2Mi': '1Gi' },
        { shared_buffers: '1GB' },
        0,
        undefined,
      ],
      [
        4985,
        "returns no errors when shared_buffers is in a format that can't be parsed",
        { memory: '1Gi' },
        {},
        { shared_buffers: 'invalid_value' },
        0,
        undefined,
      ],
    ] as const
  ).map(([line, title, requests, limits, p, refused, detail]) => ({
    source: `${T}:${line} ${title}`,
    rule: 'validateResources',
    object: cluster({ resources: { requests, limits }, postgresql: { parameters: p } }),
    refused,
    ...(detail ? { detail } : {}),
  })),
  // promotion token validation
  ...(
    [
      [3030, 'complains if the replica token is not formatted in base64', 'this-is-a-wrong-token', { enabled: false }, 1],
      [3053, 'complains if the replica token is not valid', Buffer.from('{}').toString('base64'), { enabled: false }, 1],
      [3076, "doesn't complain if the replica token is valid", token('3', 'this-wal-file', '33322232'), { enabled: false }, 0],
      [3110, 'complains if the token is set on a replica cluster (enabled)', replicaToken, { enabled: true }, 1],
      [3136, 'complains if the token is set on a replica cluster (primary, default name)', replicaToken, { primary: 'test' }, 1],
      [3165, 'complains if the token is set on a replica cluster (primary, self)', replicaToken, { primary: 'test', self: 'test2' }, 1],
      [
        3192,
        'complains it the token is set when minApplyDelay is being used',
        replicaToken,
        { primary: 'test', self: 'test', minApplyDelay: '1h' },
        1,
      ],
    ] as const
  ).map(([line, title, promotionToken, replica, refused]) => ({
    source: `${T}:${line} ${title}`,
    rule: 'validatePromotionToken',
    object: cluster(
      {
        replica: { source: 'test', promotionToken, ...replica },
        ...(line <= 3076 ? { bootstrap: { initdb: {} } } : {}),
        externalClusters: line <= 3076 ? [{ name: 'test' }] : [],
      },
      undefined,
      line === 3136 ? 'test2' : 'cluster',
    ),
    refused,
  })),
  // validatePluginConfiguration
  {
    source: `${T}:5697 returns no errors if no plugins are enabled`,
    rule: 'validatePluginConfiguration',
    object: cluster({ plugins: [] }),
    refused: 0,
  },
  {
    source: `${T}:5701 returns an error if a WAL archiver plugin is enabled when barmanObjectStore is configured`,
    rule: 'validatePluginConfiguration',
    object: cluster({ backup: { barmanObjectStore: {} }, plugins: [walPlugin('walArchiverPlugin1')] }),
    refused: 1,
    detail: 'Cannot enable a WAL archiver plugin when barmanObjectStore is configured',
  },
  {
    source: `${T}:5712 returns an error if more than one WAL archiver plugin is enabled`,
    rule: 'validatePluginConfiguration',
    object: cluster({ plugins: [walPlugin('walArchiverPlugin1'), walPlugin('walArchiverPlugin2')] }),
    refused: 1,
    detail: 'Cannot enable more than one WAL archiver plugin',
  },
  {
    source: `${T}:5719 returns no errors when WAL archiver is enabled`,
    rule: 'validatePluginConfiguration',
    object: cluster({ plugins: [walPlugin('walArchiverPlugin1')] }),
    refused: 0,
  },
];
