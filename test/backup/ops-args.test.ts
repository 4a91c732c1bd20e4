// The CronJobs and the programs agree: the arguments the constructs render are accepted by the
// commands' parsers (a rename on one side fails here, not at 3 a.m. in a cluster).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, renderObjects } from '../../lib/output/render';
import { main as pruneBackups } from '../../lib/ops/prune-backups/main';
import { main as restoreDrill } from '../../lib/ops/restore-drill/main';
import { FakeKube } from '../support/fake-kube';
import { fleetOf } from '../support/fleet';

const FLEET = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
opsImage: registry.example.com/dbfleet/ops:1.0.0
environments:
  production:
    namespace: db
    topology: per-service
    instances: 1
    storage: 1Gi
    developerAccess: none
    backups:
      postgres: { schedule: "0 0 2 * * *", retention: { keep: 2, maxAge: 72h } }
      objectStore:
        destinationPath: s3://bucket/production
        credentials: { remoteKey: databases/object-store }
        schedule: "0 0 1 * * *"
      restoreDrill: { schedule: "0 5 * * 6", clustersPerRun: 1, pushgateway: http://127.0.0.1:9/ }
services:
  - name: orders
  - name: payments
`;

describe('rendered CronJob arguments are accepted by the ops commands', () => {
  const objects = renderObjects(buildApp(fleetOf(FLEET))).map((o) => o.object as any);
  const argsOf = (name: string): string[] =>
    objects.find((o) => o.kind === 'CronJob' && o.metadata.name === name).spec.jobTemplate.spec.template.spec.containers[0].args;
  let kube: FakeKube;
  let env: NodeJS.ProcessEnv;
  const events: string[] = [];
  const log = {
    log: (_level: string, event: string) => {
      events.push(event);
    },
  };
  beforeAll(async () => {
    kube = new FakeKube();
    env = { KUBE_API_SERVER: await kube.start() };
  });
  afterAll(() => kube.stop());

  it('prune-backups', async () => {
    const [command, ...args] = argsOf('prune-backups');
    expect(command).toBe('prune-backups');
    expect(await pruneBackups(args, env, { log })).toBe(0);
    expect(events).not.toContain('usage');
  });

  it('restore-drill (nothing to restore in the fake: a drill failure, not a usage error)', async () => {
    const [command, ...args] = argsOf('restore-drill');
    expect(command).toBe('restore-drill');
    expect(args).toContain('--run-interval');
    expect(await restoreDrill(args, env, { log, sleep: async () => undefined, signal: new AbortController().signal })).toBe(1);
    expect(events).not.toContain('usage');
    expect(events).toContain('failed');
  });
});
