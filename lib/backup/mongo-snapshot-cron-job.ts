import { ApiObject, Cron, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { MongoSnapshot, SecretStoreRef } from '../config/model';
import { runBudget } from '../mongo-snapshot/budget';
import { mongoSnapshotCronJobName } from './backup-names';
import { StoreSecret } from '../secrets/store-secret';
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_PROPS } from '../workloads/restricted';
import { withoutAddressLabel } from '../workloads/without-address-label';
import { OPS_ENTRYPOINT, opsArgs, SNAPSHOT_TOOLS_DIR } from '../workloads/ops-image';

/** mongo-snapshot's exit code for "unlock failed: the member may still be fsync-locked". */
export const EXIT_UNLOCK_FAILED = 7;
/** A container killed by SIGKILL (128 + 9): the grace period ran out, or the OOM killer; a lock may remain. */
export const EXIT_SIGKILL = 137;

export interface MongoSnapshotCronJobProps {
  readonly snapshot: MongoSnapshot;
  readonly store: SecretStoreRef;
  readonly labels: Record<string, string>;
}

/**
 * Runs mongo-snapshot on a schedule. The Job is shaped around one danger, a member left
 * fsync-locked: runs never overlap; a run that exited 7 (lock may remain) is never retried
 * automatically, because a human must look first; the deadline and the grace period leave the
 * tool time to unlock after SIGTERM before anything kills it.
 */
export class MongoSnapshotCronJob extends Construct {
  readonly cronJobName: string;

  constructor(scope: Construct, id: string, props: MongoSnapshotCronJobProps) {
    super(scope, id);
    const { snapshot } = props;
    this.cronJobName = mongoSnapshotCronJobName(snapshot);
    const secret = new StoreSecret(this, 'Connection', {
      name: this.cronJobName,
      namespace: snapshot.namespace,
      labels: props.labels,
      store: props.store,
      remoteKey: snapshot.remoteKey,
      properties: [{ secretKey: 'uri', property: snapshot.remoteProperty }],
    });

    // One budget (lib/mongo-snapshot/budget.ts): the tool's --deadline, the Job's activeDeadlineSeconds and the grace
    // period after SIGTERM all come from the same lock timeout, snapshot timeout and unlock deadline.
    const budget = runBudget({
      lockTimeoutSeconds: snapshot.lockTimeoutSeconds,
      snapshotTimeoutSeconds: snapshot.snapshotTimeoutSeconds,
      unlockDeadlineSeconds: snapshot.unlockDeadlineSeconds,
    });
    const args = [
      '--max-lag-seconds',
      String(snapshot.maxLagSeconds),
      '--snapshot-timeout',
      `${snapshot.snapshotTimeoutSeconds}s`,
      '--unlock-deadline',
      `${snapshot.unlockDeadlineSeconds}s`,
      '--lock-timeout',
      `${snapshot.lockTimeoutSeconds}s`,
      '--deadline',
      `${budget.deadlineSeconds}s`,
      '--log-format',
      'json',
      ...(snapshot.pushgateway ? ['--pushgateway', snapshot.pushgateway] : []),
    ];
    const [minute, hour, day, month, weekDay] = snapshot.schedule.trim().split(/\s+/);
    const tmp = kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
    // make-vm-snapshot from a tools image: an initContainer copies its folder into an emptyDir that the ops
    // image has first on PATH (docs/ops-image.md); the ops image itself has no shell and no cloud CLI.
    const tools = snapshot.snapshotTools
      ? kplus.Volume.fromEmptyDir(this, 'SnapshotTools', 'snapshot-tools', { sizeLimit: Size.mebibytes(512) })
      : undefined;

    const cronJob = new kplus.CronJob(this, 'Resource', {
      metadata: { name: this.cronJobName, namespace: snapshot.namespace, labels: props.labels },
      podMetadata: { labels: props.labels },
      schedule: Cron.schedule({ minute, hour, day, month, weekDay }),
      timeZone: 'Etc/UTC',
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline: Duration.minutes(10),
      successfulJobsRetained: 3,
      failedJobsRetained: 5,
      backoffLimit: 2,
      activeDeadline: Duration.seconds(budget.activeDeadlineSeconds),
      terminationGracePeriod: Duration.seconds(budget.terminationGracePeriodSeconds),
      ...RESTRICTED_POD_PROPS,
      volumes: tools ? [tmp, tools] : [tmp],
      initContainers: tools
        ? [
            {
              name: 'snapshot-tools',
              image: snapshot.snapshotTools!.image,
              imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
              command: ['cp', '-R', `${snapshot.snapshotTools!.path.replace(/\/+$/, '')}/.`, '/mnt/snapshot-tools/'],
              securityContext: RESTRICTED_CONTAINER_SECURITY,
              resources: {
                cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(200) },
                memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) },
              },
              volumeMounts: [{ path: '/mnt/snapshot-tools', volume: tools }],
            },
          ]
        : [],
      containers: [
        {
          name: 'mongo-snapshot',
          image: snapshot.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: [...OPS_ENTRYPOINT],
          args: opsArgs('mongo-snapshot', args),
          envVariables: {
            MONGODB_URI: kplus.EnvValue.fromSecretValue({
              secret: kplus.Secret.fromSecretName(this, 'ConnectionRef', secret.secretName),
              key: 'uri',
            }),
            ...(snapshot.snapshotCommand ? { SNAPSHOT_COMMAND: kplus.EnvValue.fromValue(snapshot.snapshotCommand) } : {}),
          },
          securityContext: RESTRICTED_CONTAINER_SECURITY,
          resources: {
            cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
            memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
          },
          volumeMounts: [{ path: '/tmp', volume: tmp }, ...(tools ? [{ path: SNAPSHOT_TOOLS_DIR, volume: tools, readOnly: true }] : [])],
        },
      ],
    });

    withoutAddressLabel(cronJob, '/spec/jobTemplate/spec/template');
    // Kubernetes ≥ 1.26 (batch/v1 JobSpec.podFailurePolicy, imports/schemas/k8s-1.28; restartPolicy Never): the rules
    // are tried in order and the first match wins. Exit 7 (a lock may remain) and exit 137 (SIGKILL: the run was
    // killed, maybe mid-unlock) fail the Job at once instead of a silent retry: MongoSnapshotJobFailed fires, and
    // the "may be locked" signal the run pushed before locking stays critical. Only then: a pod evicted or
    // preempted (it unlocked on SIGTERM, exit 143) does not count against the retries.
    ApiObject.of(cronJob).addJsonPatch(
      JsonPatch.add('/spec/jobTemplate/spec/podFailurePolicy', {
        rules: [
          {
            action: 'FailJob',
            onExitCodes: { containerName: 'mongo-snapshot', operator: 'In', values: [EXIT_UNLOCK_FAILED, EXIT_SIGKILL] },
          },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      }),
    );
  }
}
