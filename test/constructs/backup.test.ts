import { describe, expect, it } from 'vitest';
import { CnpgScheduledBackup } from '../../lib/backends/cloudnative-pg/cnpg-scheduled-backup';
import { MongoSnapshotCronJob } from '../../lib/backup/mongo-snapshot-cron-job';
import { VeleroSchedule } from '../../lib/backup/velero-schedule';
import type { MongoSnapshot, SecretStoreRef } from '../../lib/config/model';
import { objectsOf, only, testChart } from '../support/synth';

const store: SecretStoreRef = { kind: 'ClusterSecretStore', name: 'vault', keyPrefix: 'databases', refreshInterval: '1h' };
const snapshot: MongoSnapshot = {
  name: 'catalog',
  namespace: 'backups',
  schedule: '15 */6 * * *',
  maxIntervalSeconds: 21600,
  minIntervalSeconds: 21600,
  remoteKey: 'mongo/catalog/backup-uri',
  remoteProperty: 'uri',
  image: 'registry.example.com/dbfleet/mongo-snapshot:1.0.0',
  maxLagSeconds: 30,
  snapshotTimeoutSeconds: 1800,
  unlockDeadlineSeconds: 120,
  lockTimeoutSeconds: 60,
  activeDeadlineSeconds: 2040,
};

describe('MongoSnapshotCronJob', () => {
  const chart = testChart();
  new MongoSnapshotCronJob(chart, 'Snap', {
    snapshot: { ...snapshot, pushgateway: 'http://pushgateway.monitoring:9091' },
    store,
    labels: { l: 'v' },
  });
  const objects = objectsOf(chart);
  const cronJob = only(objects, 'CronJob');
  const job = cronJob.spec.jobTemplate.spec;
  const pod = job.template.spec;
  const container = pod.containers[0];

  it('never overlaps, never starts late, keeps history', () => {
    expect(cronJob.metadata).toMatchObject({ name: 'mongo-snapshot-catalog', namespace: 'backups' });
    expect(cronJob.spec).toMatchObject({
      schedule: '15 */6 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
      suspend: false,
    });
  });

  it('fails at once on exit 7 (a lock may remain) and on 137 (SIGKILL, maybe mid-unlock), before the eviction rule; never retries them', () => {
    expect(job.backoffLimit).toBe(2);
    expect(job.podFailurePolicy).toEqual({
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'mongo-snapshot', operator: 'In', values: [7, 137] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      ],
    });
    expect(pod.restartPolicy).toBe('Never');
  });

  it('one deadline: the run, the Job and the grace period after SIGTERM derive from lock timeout, snapshot timeout and unlock deadline', () => {
    const args: string[] = container.args;
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect(flag('--lock-timeout')).toBe('60s');
    expect(flag('--unlock-deadline')).toBe('120s');
    expect(flag('--snapshot-timeout')).toBe('1800s');
    // start-up 120 + 2 lock attempts × (60 + 2 × 120) + snapshot 1800 + unlock 120 + final pushes 12 (retried)
    expect(flag('--deadline')).toBe('2652s');
    // the tool stops itself first; the Job deadline is the backstop (+10 s)
    expect(job.activeDeadlineSeconds).toBe(2662);
    // after SIGTERM: stop the snapshot command (7 s), unlock (120 s), final pushes (12 s), margin (10 s)
    expect(pod.terminationGracePeriodSeconds).toBe(149);
  });

  it('runs restricted, without a service-account token, with requests and limits', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(container.volumeMounts).toEqual([{ mountPath: '/tmp', name: 'tmp' }]);
    expect(job.template.metadata.labels).not.toHaveProperty('cdk8s.io/metadata.addr');
  });

  it('passes the config as flags and the connection string from the Secret', () => {
    expect(container.image).toBe('registry.example.com/dbfleet/mongo-snapshot:1.0.0');
    expect(container.command).toEqual(['/nodejs/bin/node', '/app/ops.cjs']); // the ops image's dispatcher, command first (docs/ops-image.md)
    expect(container.args).toEqual([
      'mongo-snapshot',
      '--max-lag-seconds',
      '30',
      '--snapshot-timeout',
      '1800s',
      '--unlock-deadline',
      '120s',
      '--lock-timeout',
      '60s',
      '--deadline',
      '2652s',
      '--log-format',
      'json',
      '--pushgateway',
      'http://pushgateway.monitoring:9091',
    ]);
    expect(container.env).toEqual([{ name: 'MONGODB_URI', valueFrom: { secretKeyRef: { name: 'mongo-snapshot-catalog', key: 'uri' } } }]);
    const es = only(objects, 'ExternalSecret');
    expect(es.metadata).toMatchObject({ name: 'mongo-snapshot-catalog', namespace: 'backups' });
    expect(es.spec.data).toEqual([{ secretKey: 'uri', remoteRef: { key: 'mongo/catalog/backup-uri', property: 'uri' } }]);
  });
});

describe('CnpgScheduledBackup', () => {
  it('volume snapshots from a standby, owned by nothing (deleting the schedule keeps them)', () => {
    const chart = testChart();
    new CnpgScheduledBackup(chart, 'Backup', {
      name: 'orders',
      namespace: 'databases',
      cluster: 'orders',
      schedule: '0 0 2 * * *',
      labels: {},
    });
    expect(only(objectsOf(chart), 'ScheduledBackup').spec).toEqual({
      cluster: { name: 'orders' },
      schedule: '0 0 2 * * *',
      method: 'volumeSnapshot',
      backupOwnerReference: 'none',
      target: 'prefer-standby',
      immediate: true,
      suspend: false,
    });
  });

  it('a CNPG-I plugin needs its name', () => {
    const chart = testChart();
    new CnpgScheduledBackup(chart, 'Backup', {
      name: 'o',
      namespace: 'd',
      cluster: 'o',
      schedule: '0 0 2 * * *',
      method: 'plugin',
      pluginName: 'barman-cloud.cloudnative-pg.io',
      labels: {},
    });
    expect(only(objectsOf(chart), 'ScheduledBackup').spec).toMatchObject({
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
    });
    expect(
      () =>
        new CnpgScheduledBackup(testChart(), 'B', {
          name: 'o',
          namespace: 'd',
          cluster: 'o',
          schedule: '0 0 2 * * *',
          method: 'plugin',
          labels: {},
        }),
    ).toThrow('ScheduledBackup o: method plugin needs pluginName');
  });
});

describe('VeleroSchedule', () => {
  it('label-selected namespaces, TTL, location, volume snapshots, no hooks', () => {
    const chart = testChart();
    new VeleroSchedule(chart, 'Schedule', {
      name: 'acme-test-databases',
      namespace: 'velero',
      schedule: '0 3 * * *',
      includedNamespaces: ['databases'],
      matchLabels: { 'app.kubernetes.io/part-of': 'acme' },
      ttl: '168h',
      storageLocation: 'default',
      snapshotVolumes: true,
      labels: { l: 'v' },
    });
    const schedule = only(objectsOf(chart), 'Schedule');
    expect(schedule.apiVersion).toBe('velero.io/v1');
    expect(schedule.metadata).toMatchObject({ name: 'acme-test-databases', namespace: 'velero' });
    expect(schedule.spec).toEqual({
      schedule: '0 3 * * *',
      useOwnerReferencesInBackup: false,
      template: {
        includedNamespaces: ['databases'],
        labelSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'acme' } },
        snapshotVolumes: true,
        defaultVolumesToFsBackup: false,
        storageLocation: 'default',
        ttl: '168h',
        metadata: { labels: { l: 'v' } },
      },
    });
    expect(schedule.spec.template.hooks).toBeUndefined();
  });
});
