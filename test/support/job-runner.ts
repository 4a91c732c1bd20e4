// Runs a rendered dbfleet Job's container the way the kubelet would, against a test server: the
// ConfigMap and (projected) Secret volumes as files at their mount paths (under a temp root),
// the container's command and environment as rendered (Secret references resolved), only the
// host and port pointed at the test server. What the Job logs in as, the PGOPTIONS it sends and
// the SQL it runs are exactly the manifest's.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { pathWith, runScript, type PostgresServer } from './postgres';

/** The value of key `key` of Secret `name` in the Job's namespace (throws when the Secret is not known). */
export type SecretResolver = (name: string, key: string) => string;

export interface JobRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The environment the container ran with (after resolving and re-pointing). */
  readonly env: Readonly<Record<string, string>>;
  /** Secrets the pod read, as `name/key`. */
  readonly secretsRead: readonly string[];
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

/**
 * Runs `podSpec.containers[0]` (a Job's or CronJob's pod template spec) with `configMaps` (name →
 * data) and Secrets from `secret`. PGHOST/PGPORT go to the server; PGSSLMODE/PGCHANNELBINDING are
 * kept (the test server has TLS and SCRAM), unless the server has no TLS at all.
 */
export async function runJobContainer(
  server: PostgresServer,
  podSpec: any,
  configMaps: ReadonlyMap<string, Record<string, string>>,
  secret: SecretResolver,
): Promise<JobRun> {
  const container = podSpec.containers[0];
  const root = mkdtempSync(join(tmpdir(), 'dbfleet-job-'));
  const secretsRead: string[] = [];
  const read = (name: string, key: string) => {
    secretsRead.push(`${name}/${key}`);
    return secret(name, key);
  };
  try {
    const mounts = new Map<string, string>();
    for (const mount of (container.volumeMounts ?? []) as Array<{ name: string; mountPath: string }>) {
      const volume = (podSpec.volumes ?? []).find((v: { name: string }) => v.name === mount.name);
      const local = join(root, mount.mountPath);
      mkdirSync(local, { recursive: true });
      mounts.set(mount.mountPath, local);
      if (volume?.configMap) {
        const data = configMaps.get(volume.configMap.name);
        if (!data) throw new Error(`ConfigMap ${volume.configMap.name} is not known to the test`);
        for (const [key, value] of Object.entries(data)) writeFileSync(join(local, key), value);
      }
      for (const source of (volume?.projected?.sources ?? []) as Array<{
        secret?: { name: string; items: Array<{ key: string; path: string }> };
      }>) {
        if (!source.secret) continue;
        for (const item of source.secret.items) {
          const file = join(local, item.path);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, read(source.secret.name, item.key));
        }
      }
    }
    const localPath = (value: string) => {
      for (const [mountPath, local] of mounts) {
        if (value === mountPath) return local;
        if (value.startsWith(`${mountPath}/`)) return join(local, posix.relative(mountPath, value));
      }
      return value;
    };
    const command = (container.command as string[]).map(localPath);
    const env: Record<string, string> = {};
    for (const e of container.env as EnvVar[]) {
      env[e.name] = e.value !== undefined ? localPath(e.value) : read(e.valueFrom!.secretKeyRef.name, e.valueFrom!.secretKeyRef.key);
    }
    env.PGHOST = server.host;
    env.PGPORT = String(server.port);
    if (!server.ssl) {
      env.PGSSLMODE = 'disable'; // no openssl here to make a certificate
      delete env.PGCHANNELBINDING;
    }
    env.HOME = root;
    env.TMPDIR = root;
    env.PATH = pathWith(server.binDir);
    // The environment is built from the container's, not inherited: carry the run's mark along, so that a
    // process the script leaves behind is found by the suite's leftover check (test/support/global-setup.ts).
    if (process.env.DBFLEET_TEST_RUN) env.DBFLEET_TEST_RUN = process.env.DBFLEET_TEST_RUN;
    // psql is the command: run it directly; a script: run it with sh from its directory.
    const result = await runScript(command, env);
    return { ...result, env, secretsRead };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
