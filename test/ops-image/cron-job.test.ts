import { describe, expect, it } from 'vitest';
import { MongoSnapshotCronJob } from '../../lib/backup/mongo-snapshot-cron-job';
import type { MongoSnapshot, SecretStoreRef } from '../../lib/config/model';
import { objectsOf, only, testChart } from '../support/synth';

const store: SecretStoreRef = { kind: 'ClusterSecretStore', name: 'vault', keyPrefix: 'databases', refreshInterval: '1h' };
const base: MongoSnapshot = {
  name: 'catalog',
  namespace: 'backups',
  schedule: '15 */6 * * *',
  maxIntervalSeconds: 21600,
  minIntervalSeconds: 21600,
  remoteKey: 'mongo/catalog/backup-uri',
  remoteProperty: 'uri',
  image: 'registry.example.com/dbfleet-ops:1',
  maxLagSeconds: 30,
  snapshotTimeoutSeconds: 1800,
  unlockDeadlineSeconds: 120,
  lockTimeoutSeconds: 60,
  activeDeadlineSeconds: 2040,
};

function podOf(snapshot: MongoSnapshot) {
  const chart = testChart();
  new MongoSnapshotCronJob(chart, 'Snap', { snapshot, store, labels: {} });
  return only(objectsOf(chart), 'CronJob').spec.jobTemplate.spec.template.spec;
}

describe('the mongo-snapshot CronJob runs the ops image', () => {
  it('runs the ops image dispatcher with the command first (docs/ops-image.md), whatever the image entrypoint', () => {
    const pod = podOf(base);
    expect(pod.containers[0].command).toEqual(['/nodejs/bin/node', '/app/ops.cjs']);
    expect(pod.containers[0].args[0]).toBe('mongo-snapshot');
    expect(pod.containers[0].args).toContain('--log-format');
    expect(pod.initContainers ?? []).toEqual([]);
    expect(pod.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual(['/tmp']);
  });

  it('snapshotTools: an initContainer copies the tools folder into an emptyDir mounted read-only at /opt/snapshot/bin', () => {
    const pod = podOf({ ...base, snapshotTools: { image: 'registry.example.com/tools:1', path: '/usr/local/snapshot/' } });
    const init = pod.initContainers[0];
    expect(init).toMatchObject({
      name: 'snapshot-tools',
      image: 'registry.example.com/tools:1',
      command: ['cp', '-R', '/usr/local/snapshot/.', '/mnt/snapshot-tools/'],
      securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    });
    const mount = pod.containers[0].volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/opt/snapshot/bin');
    expect(mount).toMatchObject({ readOnly: true, name: init.volumeMounts[0].name });
    expect(pod.volumes.find((v: { name: string }) => v.name === mount.name).emptyDir).toBeDefined();
  });
});
