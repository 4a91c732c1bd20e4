/**
 * The ops image, built and run for real (docs/ops-image.md): buildah builds it under a tag of its own, podman runs
 * it. Skipped with a message where buildah/podman are missing; required in CI (CI=true).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoSnapshotCronJob } from '../../lib/backup/mongo-snapshot-cron-job';
import type { MongoSnapshot, SecretStoreRef } from '../../lib/config/model';
import { OPS_ENTRYPOINT, OPS_NODE, SNAPSHOT_TOOLS_DIR } from '../../lib/workloads/ops-image';
import { assertLockedDuring, FAKE, loadScenario, runCli, simAvailable, uriFor } from '../mongo-snapshot/helpers';
import { objectsOf, only, testChart } from '../support/synth';

const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const tools = has('buildah') && has('podman') && has('runc');
const inCi = Boolean(process.env.CI) || process.env.DBFLEET_CI === '1';
/** An upper bound for the image: Node.js 24 is ~125 MB of it (20 was 99); a regression (node_modules, a second runtime) shows. */
const MAX_IMAGE_MB = 150;

if (!tools) {
  const msg = 'ops image tests: buildah, podman and runc are needed (apt-get install buildah podman runc)';
  if (inCi) throw new Error(`${msg}: required in CI`);

  console.warn(`${msg}: SKIPPED`);
}

const TAG = `localhost/dbfleet-ops:test-${process.pid}-${Date.now().toString(36)}`;
const STORAGE = ['--storage-driver', 'vfs'];
let confDir = '';
const podmanEnv = () => ({ ...process.env, CONTAINERS_CONF: path.join(confDir, 'containers.conf') });
/** podman as it works here: vfs storage, runc, cgroupfs, no default ulimits (containers.conf) */
const podmanArgs = (...args: string[]) => [...STORAGE, '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', ...args];
function podman(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('podman', podmanArgs(...args), { env: podmanEnv(), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CronJob as the fleet renders it, with a snapshot tools image: the container the test imitates. */
function cronJobContainer() {
  const store: SecretStoreRef = { kind: 'ClusterSecretStore', name: 'vault', keyPrefix: 'databases', refreshInterval: '1h' };
  const snapshot: MongoSnapshot = {
    name: 'catalog',
    namespace: 'backups',
    schedule: '15 */6 * * *',
    maxIntervalSeconds: 21600,
    minIntervalSeconds: 21600,
    remoteKey: 'mongo/catalog/backup-uri',
    remoteProperty: 'uri',
    image: TAG,
    maxLagSeconds: 60,
    snapshotTimeoutSeconds: 600,
    unlockDeadlineSeconds: 60,
    lockTimeoutSeconds: 60,
    activeDeadlineSeconds: 780,
    snapshotTools: { image: 'registry.example.com/ops/vm-snapshot-tools:1', path: '/opt/snapshot/bin' },
  };
  const chart = testChart();
  new MongoSnapshotCronJob(chart, 'Snap', { snapshot, store, labels: {} });
  const pod = only(objectsOf(chart), 'CronJob').spec.jobTemplate.spec.template.spec;
  return { pod, container: pod.containers[0] };
}

describe.skipIf(!tools)('ops image (buildah + podman)', () => {
  beforeAll(async () => {
    confDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-image-'));
    // podman's default ulimits cannot be set inside this sandbox
    fs.writeFileSync(path.join(confDir, 'containers.conf'), '[containers]\ndefault_ulimits = []\n');
    const { buildImage } = await import('../../scripts/build-image.mjs');
    await buildImage({ tag: TAG, quiet: true });
  }, 600_000);

  afterAll(() => {
    spawnSync('buildah', [...STORAGE, 'rmi', TAG], { stdio: 'ignore' });
    if (confDir) fs.rmSync(confDir, { recursive: true, force: true });
  });

  it(`is small (< ${MAX_IMAGE_MB} MB), runs as 65532:65532 with the dispatcher as the entrypoint`, () => {
    const r = podman('image', 'inspect', TAG, '--format', '{{.Size}} {{.Config.User}} {{json .Config.Entrypoint}}');
    expect(r.code, r.stderr).toBe(0);
    const [size, user, entrypoint] = r.stdout.trim().split(' ');

    console.log(`ops image: ${(Number(size) / 1e6).toFixed(1)} MB`);
    expect(Number(size)).toBeGreaterThan(50e6);
    expect(Number(size)).toBeLessThan(MAX_IMAGE_MB * 1e6);
    expect(user).toBe('65532:65532');
    expect(JSON.parse(entrypoint!)).toEqual(OPS_ENTRYPOINT);
  });

  it('runs as UID 65532 with a read-only root filesystem, and has no shell', () => {
    const r = podman(
      'run',
      '--rm',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--entrypoint',
      OPS_NODE,
      TAG,
      '-e',
      'const fs=require("fs");let w;try{fs.writeFileSync("/app/x","")}catch(e){w=e.code}console.log(JSON.stringify({uid:process.getuid(),gid:process.getgid(),sh:["/bin/sh","/bin/bash","/usr/bin/sh","/busybox"].filter(f=>fs.existsSync(f)),write:w,app:fs.readdirSync("/app")}))',
    );
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout.trim()) as { uid: number; gid: number; sh: string[]; write: string; app: string[] };
    expect(got).toMatchObject({ uid: 65532, gid: 65532, sh: [] });
    expect(['EROFS', 'EACCES']).toContain(got.write);
    expect(got.app).toContain('mongo-snapshot.cjs');
    const sh = podman('run', '--rm', '--entrypoint', '/bin/sh', TAG, '-c', 'true');
    expect(sh.code).not.toBe(0);
  });

  it('--help of every command works in the container; the image alone lists the commands', async () => {
    const { opsCommands } = await import('../../scripts/build-ops.mjs');
    const names = Object.keys(opsCommands());
    const def = podman('run', '--rm', '--read-only', TAG);
    expect(def.code, def.stderr).toBe(0);
    expect(def.stdout).toContain(`commands: ${names.join(', ')}`);
    const bad = podman('run', '--rm', '--read-only', TAG, 'no-such-command');
    expect(bad.code).toBe(2);
    const snap = podman('run', '--rm', '--read-only', TAG, 'mongo-snapshot', '--help');
    expect(snap.stdout).toContain('Usage: mongo-snapshot');
    for (const name of names) {
      const r = podman('run', '--rm', '--read-only', TAG, name, '--help');
      expect(r.code, `${name} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout.length, name).toBeGreaterThan(0);
    }
  });

  it.skipIf(!simAvailable)('takes a snapshot through the container, the snapshot command mounted as the CronJob mounts it', async () => {
    const { pod, container } = cronJobContainer();
    // what the CronJob runs and mounts
    expect(container.command).toEqual(OPS_ENTRYPOINT);
    expect(container.args[0]).toBe('mongo-snapshot');
    const toolsMount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === SNAPSHOT_TOOLS_DIR);
    expect(toolsMount).toMatchObject({ readOnly: true });
    expect(pod.initContainers[0].volumeMounts[0].name).toBe(toolsMount.name);
    expect(container.securityContext).toMatchObject({ runAsUser: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(container.env.map((e: { name: string }) => e.name)).toEqual(['MONGODB_URI']);
    // the tools folder as the initContainer leaves it: make-vm-snapshot, executable, run straight by the kernel
    // (no shell in the image: its #! names the image's node)
    const toolsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-image-tools-'));
    fs.copyFileSync(FAKE, path.join(toolsDir, 'fake.mjs'));
    fs.writeFileSync(
      path.join(toolsDir, 'make-vm-snapshot'),
      `#!${OPS_NODE}\nimport(${JSON.stringify(`${SNAPSHOT_TOOLS_DIR}/fake.mjs`)});\n`,
      { mode: 0o755 },
    );
    fs.chmodSync(toolsDir, 0o755);
    const sc = loadScenario('healthy');
    try {
      const r = await runCli({
        scenario: 'healthy',
        uri: null,
        snapshotCommand: null,
        env: { MONGODB_URI: uriFor(sc), CONTAINERS_CONF: podmanEnv().CONTAINERS_CONF! },
        command: ({ cliArgs, dir }) => {
          fs.chmodSync(dir, 0o777); // the fake (UID 65532) records into it
          return [
            'podman',
            ...podmanArgs(
              'run',
              '--rm',
              '--network',
              'host',
              '--read-only',
              '--cap-drop',
              'ALL',
              '--security-opt',
              'no-new-privileges',
              '--user',
              `${container.securityContext.runAsUser}:${container.securityContext.runAsGroup}`,
              '--tmpfs',
              '/tmp',
              '-v',
              `${toolsDir}:${SNAPSHOT_TOOLS_DIR}:ro`,
              '-v',
              `${dir}:/rec`,
              '-e',
              'MONGODB_URI',
              '-e',
              'FAKE_SNAPSHOT_RECORD=/rec/fake.jsonl',
              '-e',
              'FAKE_SNAPSHOT_MS=300',
              '--entrypoint',
              JSON.stringify(container.command),
              TAG,
              ...container.args,
              ...cliArgs,
            ),
          ];
        },
      });
      expect(r.report.exitCode, `${r.report.stderr}\n${r.report.error ?? ''}`).toBe(0);
      const start = r.records.find((x) => x.event === 'start')!;
      const end = r.records.find((x) => x.event === 'end')!;
      expect(start.argv).toEqual(['127.0.101.3']);
      expect(start.hasMongoUri).toBe(false);
      assertLockedDuring(r.report.events, '127.0.101.3:27017', start.t, end.t, 0);
      expect(r.report.finalLocks['127.0.101.3:27017']).toBe(0);
      // JSON log lines, as the CronJob asks for, and no password in them
      const lines = r.report.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { step: string });
      expect(lines.at(-1)!.step).toBe('done');
      expect(r.output).not.toContain((sc.auth as { password: string }).password);
    } finally {
      fs.rmSync(toolsDir, { recursive: true, force: true });
    }
  });
});
