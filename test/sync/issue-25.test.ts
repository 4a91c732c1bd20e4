// Regression tests for issue 25 ("every sync succeeds"): each case failed before its fix.
import { describe, expect, it } from 'vitest';
import { extendFleet } from '../../charts';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { drFleet } from '../support/dr-fleet';
import { configErrors, fleetOf } from '../support/fleet';
import { checkInvariants, formatViolations } from '../support/invariants';

type Obj = KubernetesObject & { spec: any; data?: Record<string, string> };
const render = (text: string) => renderObjects(buildApp(fleetOf(text)));
const inEnv = (rendered: ReturnType<typeof render>, env: string) =>
  rendered.filter((o) => o.path.startsWith(`${env}/`)).map((o) => o.object as Obj);
const rotationJob = (objects: Obj[]) => objects.find((o) => o.kind === 'Job' && o.metadata.name === 'orders-rotation-login');

/** drFleet with a rotation of orders at `main` (the standby follows its source's rotation). */
const rotating = (state: string, dr = '') =>
  drFleet('per-service', dr).replace('  - name: orders\n', `  - name: orders\n    rotation: { main: ${state} }\n`);

describe('the rotation-login Job', () => {
  it('is a Sync hook in the Jobs wave, before the CronJobs: no hook after them, so a Degraded CronJob cannot fail the sync', () => {
    const job = rotationJob(inEnv(render(rotating('{ generation: 1, step: add }')), 'main'))!;
    expect(job.metadata.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/sync-wave': '3',
      'dbfleet.io/rotation-generation': '1',
      'dbfleet.io/rotation-site': 'main',
    });
  });

  it('runs only at the primary site, and follows a switchover', () => {
    const before = render(rotating('{ generation: 1, step: add }'));
    expect(rotationJob(inEnv(before, 'main'))).toBeDefined();
    expect(rotationJob(inEnv(before, 'main-dr'))).toBeUndefined();
    // Step 1 of a switchover: both sites are replicas; no writes anywhere.
    const step1 = render(rotating('{ generation: 1, step: add }', '    switchoverTo: main-dr'));
    expect(rotationJob(inEnv(step1, 'main'))).toBeUndefined();
    expect(rotationJob(inEnv(step1, 'main-dr'))).toBeUndefined();
    const after = render(rotating('{ generation: 1, step: add }', '    primarySite: main-dr'));
    expect(rotationJob(inEnv(after, 'main'))).toBeUndefined();
    expect(rotationJob(inEnv(after, 'main-dr'))).toBeDefined();
    // The invariants (no PostSync hook, no writes at a replica site, …) hold at every step.
    for (const [dr, rendered] of [
      ['', before],
      ['    switchoverTo: main-dr', step1],
      ['    primarySite: main-dr', after],
    ] as const)
      expect(formatViolations(checkInvariants({ fleet: fleetOf(rotating('{ generation: 1, step: add }', dr)), objects: rendered }))).toBe(
        '',
      );
  });
});

describe('the connection catalog (charts/connection-catalog.ts)', () => {
  it('names the login the app Secret uses, during and after a rotation', () => {
    const catalog = (state: string) => {
      const text = drFleet('per-service').replace('  - name: orders\n', `  - name: orders\n    rotation: { main: ${state} }\n`);
      const objects = renderObjects(buildApp(fleetOf(text), { extend: extendFleet })).map((o) => o.object as Obj);
      const secret = objects.find(
        (o) => o.kind === 'ExternalSecret' && o.metadata.name === 'orders-db' && o.metadata.namespace === 'orders',
      );
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'acme-connections');
      return { catalog: /user=(\S+)/.exec(cm!.data!.orders)![1], secret: secret!.spec.target.template.data.username as string };
    };
    expect(catalog('{ generation: 1, step: add }')).toEqual({ catalog: 'orders', secret: 'orders' });
    expect(catalog('{ generation: 1, step: switch }')).toEqual({ catalog: 'orders_alt', secret: 'orders_alt' });
    expect(catalog('{ generation: 2, step: switch }')).toEqual({ catalog: 'orders', secret: 'orders' });
  });
});

describe('a standby inherits every key it does not set', () => {
  it('namespace included', () => {
    const text = drFleet('per-service').replace(/( {2}main-dr:\n {4}standbyOf: main\n) {4}namespace: databases\n/, '$1');
    expect(text).not.toMatch(/main-dr:\n {4}standbyOf: main\n {4}namespace/);
    const dr = fleetOf(text).environments.find((e) => e.name === 'main-dr')!;
    expect(dr.namespace).toBe('databases');
    expect(inEnv(render(text), 'main-dr').find((o) => o.kind === 'Cluster')!.metadata.namespace).toBe('databases');
  });

  it('a standby that would land in the source namespace of the source cluster is refused', () => {
    const text = drFleet('per-service')
      .replace(/( {2}main-dr:\n {4}standbyOf: main\n) {4}namespace: databases\n/, '$1')
      .replace('    cluster: { server: https://aws.example }\n', '');
    expect(configErrors(text).join('\n')).toMatch(/environments\.main-dr.*same namespace of the same Kubernetes cluster/);
  });
});
