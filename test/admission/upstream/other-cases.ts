// CloudNativePG's Pooler, ScheduledBackup and Database webhook test cases, translated into
// fixtures (cloudnative-pg@v1.30.0 internal/webhook/v1/*_webhook_test.go, cited by line and title).
import type { UpstreamCase } from './case';

const P = 'pooler_webhook_test.go';
const S = 'scheduledbackup_webhook_test.go';
const D = 'database_webhook_test.go';
const pooler = (spec: Record<string, unknown>, name = 'pooler') => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Pooler',
  metadata: { name },
  spec,
});
const tlsPooler = (enablePodMonitor: boolean, clientTLSSecret?: { name: string }) =>
  pooler({
    cluster: { name: 'cluster' },
    pgbouncer: clientTLSSecret ? { clientTLSSecret } : {},
    monitoring: { enablePodMonitor, tls: { enabled: true } },
  });
const scheduled = (spec: Record<string, unknown>) => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'ScheduledBackup',
  metadata: { name: 'backup' },
  spec,
});
const database = (spec: Record<string, unknown>) => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Database',
  metadata: { name: 'db' },
  spec,
});
const present = (name: string) => ({ name, ensure: 'present' });
const names = (...list: string[]) => list.map((name) => ({ name }));

export const OTHER_CASES: readonly UpstreamCase[] = [
  // Pooler validation
  {
    source: `${P}:38 doesn't allow specifying authQuerySecret without any authQuery`,
    rule: 'validatePgBouncer',
    object: pooler({ pgbouncer: { authQuerySecret: { name: 'test' } } }),
    refused: 'some',
  },
  {
    source: `${P}:52 doesn't allow specifying authQuery without any authQuerySecret`,
    rule: 'validatePgBouncer',
    object: pooler({ pgbouncer: { authQuery: 'test' } }),
    refused: 'some',
  },
  {
    source: `${P}:64 allows having both authQuery and authQuerySecret`,
    rule: 'validatePgBouncer',
    object: pooler({ pgbouncer: { authQuery: 'test', authQuerySecret: { name: 'test' } } }),
    refused: 0,
  },
  { source: `${P}:79 allows the autoconfiguration mode`, rule: 'validatePgBouncer', object: pooler({ pgbouncer: {} }), refused: 0 },
  {
    source: `${P}:89 doesn't allow not specifying a cluster name`,
    rule: 'validateCluster',
    object: pooler({ cluster: { name: '' } }),
    refused: 'some',
  },
  {
    source: `${P}:98 doesn't allow to have a pooler with the same name of the cluster`,
    rule: 'validateCluster',
    object: pooler({ cluster: { name: 'test' } }, 'test'),
    refused: 'some',
  },
  {
    source: `${P}:112 doesn't complain when specifying a cluster name`,
    rule: 'validateCluster',
    object: pooler({ cluster: { name: 'cluster-example' } }),
    refused: 0,
  },
  // validatePgbouncerGenericParameters is part of validatePgBouncer here.
  {
    source: `${P}:121 does complain when given a fixed parameter`,
    rule: 'validatePgBouncer',
    object: pooler({ pgbouncer: { parameters: { pool_mode: 'test' } } }),
    refused: 'some',
  },
  {
    source: `${P}:132 does not complain when given a valid parameter`,
    rule: 'validatePgBouncer',
    object: pooler({ pgbouncer: { parameters: { verbose: '10' } } }),
    refused: 0,
  },
  { source: `${P}:168 returns no error when metrics TLS is disabled`, rule: 'validateMonitoring', object: pooler({}), refused: 0 },
  {
    source: `${P}:172 returns no error when metrics TLS is enabled and clientTLSSecret is set`,
    rule: 'validateMonitoring',
    object: tlsPooler(true, { name: 'my-tls' }),
    refused: 0,
  },
  {
    source: `${P}:177 returns no error when metrics TLS is enabled and the generated PodMonitor is disabled`,
    rule: 'validateMonitoring',
    object: tlsPooler(false),
    refused: 0,
  },
  {
    source: `${P}:186 rejects when metrics TLS is enabled, generated PodMonitor is on, and clientTLSSecret is missing`,
    rule: 'validateMonitoring',
    object: tlsPooler(true),
    refused: 1,
  },
  {
    source: `${P}:195 rejects when clientTLSSecret has an empty name`,
    rule: 'validateMonitoring',
    object: tlsPooler(true, { name: '' }),
    refused: 1,
  },
  {
    source: `${P}:200 rejects when pgbouncer is nil`,
    rule: 'validateMonitoring',
    object: pooler({ cluster: { name: 'cluster' }, monitoring: { enablePodMonitor: true, tls: { enabled: true } } }),
    refused: 1,
  },
  // Validate schedule
  {
    source: `${S}:38 doesn't complain if there's a schedule`,
    rule: 'validate',
    object: scheduled({ schedule: '0 0 0 * * *' }),
    refused: 0,
  },
  {
    source: `${S}:50 warn the user if the schedule has a wrong number of arguments (a warning, not an error)`,
    rule: 'validate',
    object: scheduled({ schedule: '1 2 3 4 5' }),
    refused: 0,
  },
  { source: `${S}:62 complain with a wrong time`, rule: 'validate', object: scheduled({ schedule: '0 0 0 * * * 1996' }), refused: 1 },
  {
    source: `${S}:102 complains if online is set on a barman backup`,
    rule: 'validate',
    object: scheduled({ method: 'barmanObjectStore', online: true, schedule: '* * * * * *' }),
    refused: 1,
  },
  {
    source: `${S}:116 complains if onlineConfiguration is set on a barman backup`,
    rule: 'validate',
    object: scheduled({ method: 'barmanObjectStore', onlineConfiguration: {}, schedule: '* * * * * *' }),
    refused: 1,
  },
  // Database validation (the tests call validate: every rule)
  { source: `${D}:89 doesn't complain when extensions and schemas are null`, rule: '*', object: database({}), refused: 0 },
  {
    source: `${D}:95 doesn't complain if there are no duplicate extensions and no duplicate schemas`,
    rule: '*',
    object: database({ extensions: [present('postgis')], schemas: [present('test_schema')] }),
    refused: 0,
  },
  {
    source: `${D}:110 complains if there are duplicate extensions`,
    rule: '*',
    object: database({ extensions: [present('postgis'), present('postgis'), present('cube')] }),
    refused: 1,
    detail: '"postgis"',
    path: 'spec.extensions[1].name',
  },
  {
    source: `${D}:125 complains if there are duplicate schemas`,
    rule: '*',
    object: database({ schemas: [present('test_one'), present('test_two'), present('test_two')] }),
    refused: 1,
    path: 'spec.schemas[2].name',
  },
  {
    source: `${D}:140 doesn't complain with distinct FDWs and usage names`,
    rule: '*',
    object: database({
      fdws: [
        { ...present('fdw1'), usages: names('usage1', 'usage2'), options: names('option1', 'option2') },
        { ...present('fdw2'), usages: names('usage3', 'usage4'), options: names('option3', 'option4') },
      ],
    }),
    refused: 0,
  },
  {
    source: `${D}:161 complains if there are duplicate FDWs`,
    rule: '*',
    object: database({ fdws: [present('postgres_fdw'), present('mysql_fdw'), present('postgres_fdw')] }),
    refused: 1,
    path: 'spec.fdws[2].name',
  },
  {
    source: `${D}:176 complains if there are duplicate usage names within an FDW`,
    rule: '*',
    object: database({ fdws: [{ ...present('postgre_fdw'), usages: names('usage1', 'usage2', 'usage1') }] }),
    refused: 1,
    path: 'spec.fdws[0].usages[2].name',
  },
  {
    source: `${D}:192 complains for duplicate FDW and duplicate usage and option names`,
    rule: '*',
    object: database({
      fdws: [
        { ...present('duplicate_fdw'), usages: names('dup_usage', 'dup_usage'), options: names('dup_option', 'dup_option') },
        present('duplicate_fdw'),
      ],
    }),
    refused: 3,
  },
  {
    source: `${D}:220 doesn't complain with distinct foreign servers`,
    rule: '*',
    object: database({
      fdws: names('fdw1', 'fdw2'),
      servers: [
        { ...present('server1'), fdw: 'fdw1' },
        { ...present('server2'), fdw: 'fdw2' },
      ],
    }),
    refused: 0,
  },
  {
    source: `${D}:241 complains for duplicate foreign servers`,
    rule: '*',
    object: database({
      fdws: names('fdw1'),
      servers: [
        { ...present('dup_server'), fdw: 'fdw1' },
        { ...present('dup_server'), fdw: 'fdw1' },
      ],
    }),
    refused: 1,
    path: 'spec.servers[1].name',
  },
  {
    source: `${D}:256 complains for duplicate options within a single foreign server`,
    rule: '*',
    object: database({
      fdws: names('fdw1'),
      servers: [{ ...present('server1'), fdw: 'fdw1', options: names('duplicate_option', 'duplicate_option') }],
    }),
    refused: 1,
    path: 'spec.servers[0].options[1].name',
  },
  {
    source: `${D}:274 complains for duplicate usages within a single foreign server`,
    rule: '*',
    object: database({
      fdws: names('fdw1'),
      servers: [{ ...present('server1'), fdw: 'fdw1', usages: names('duplicate_usage', 'duplicate_usage') }],
    }),
    refused: 1,
    path: 'spec.servers[0].usages[1].name',
  },
  {
    source: `${D}:292 complains for a combination of duplicate servers, options, and usages`,
    rule: '*',
    object: database({
      fdws: names('fdw1'),
      servers: [
        { ...present('server1'), fdw: 'fdw1', options: names('dup_option', 'dup_option'), usages: names('dup_usage', 'dup_usage') },
        { ...present('server1'), fdw: 'fdw1' },
      ],
    }),
    refused: 3,
  },
];
