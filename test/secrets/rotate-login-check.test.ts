// Issue 25: `dbfleet rotate` refuses the switch step until the login step has succeeded, and says
// how it checked: it asks the Kubernetes API (a fake API server here) for the rotation-login Job of
// the site that accepts writes, or takes an explicit --confirm-login-succeeded.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDbfleetAsync } from '../../lib/cli/main';
import { ROTATION_GENERATION_ANNOTATION, ROTATION_SITE_ANNOTATION } from '../../lib/secrets/rotation-login-job';
import { drFleet } from '../support/dr-fleet';
import { FakeKube } from '../support/fake-kube';

const fleet = (state: string, dr = '') =>
  drFleet('per-service', dr)
    .replace(
      '  main-dr:\n    standbyOf: main\n    namespace: databases\n',
      '  main-dr:\n    standbyOf: main\n    namespace: databases-dr\n',
    )
    .replace('  - name: orders\n', `  - name: orders\n    rotation: { main: ${state} }\n`);

function fleetDir(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-rotate-check-'));
  writeFileSync(join(dir, 'fleet.yaml'), text);
  return dir;
}

const job = (
  namespace: string,
  generation: number,
  status: Record<string, number>,
  site = namespace === 'databases' ? 'main' : 'main-dr',
) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: 'orders-rotation-login',
    namespace,
    annotations: { [ROTATION_GENERATION_ANNOTATION]: String(generation), [ROTATION_SITE_ANNOTATION]: site },
  },
  status,
});

describe('dbfleet rotate: the switch step waits for the login step', () => {
  let kube: FakeKube;
  let server: string;
  beforeEach(async () => {
    kube = new FakeKube();
    server = await kube.start();
  });
  afterEach(async () => {
    await kube.stop();
  });

  async function rotate(dir: string, ...extra: string[]) {
    let out = '';
    let err = '';
    const io = { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } };
    const code = await runDbfleetAsync(['rotate', 'orders', '--environment', 'main', '--config', dir, ...extra], io);
    return { code, out, err, text: readFileSync(join(dir, 'fleet.yaml'), 'utf8') };
  }

  it('refuses while the Job is missing, of another generation or not succeeded; writes once it succeeded', async () => {
    const dir = fleetDir(fleet('{ generation: 1, step: add }'));
    const before = readFileSync(join(dir, 'fleet.yaml'), 'utf8');
    const missing = await rotate(dir, '--kube-api', server);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('rotate: refusing the switch step until the login step succeeded');
    expect(missing.err).toContain(`asked for Job databases/orders-rotation-login at ${server}`);
    expect(missing.err).toContain('it does not exist');
    expect(missing.text).toBe(before);
    expect(kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /apis/batch/v1/namespaces/databases/jobs/orders-rotation-login',
    ]);

    kube.put('batch', 'jobs', job('databases', 0, { succeeded: 1 }));
    expect((await rotate(dir, '--kube-api', server)).err).toContain('it ran for generation 0, not 1');
    kube.put('batch', 'jobs', job('databases', 1, { failed: 2 }));
    const failing = await rotate(dir, '--kube-api', server);
    expect(failing.err).toContain('generation 1, not succeeded yet (status.succeeded 0, failed 2)');
    expect(failing.text).toBe(before);

    kube.put('batch', 'jobs', job('databases', 1, { succeeded: 1 }));
    const ok = await rotate(dir, '--kube-api', server);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`login step: asked for Job databases/orders-rotation-login at ${server}`);
    expect(ok.out).toContain('generation 1 succeeded (status.succeeded 1)');
    expect(ok.text).toContain('rotation: { main: { generation: 1, step: switch } }');
  });

  it("asks the primary site's namespace after a switchover, and no site during one", async () => {
    kube.put('batch', 'jobs', job('databases-dr', 1, { succeeded: 1 }));
    const after = await rotate(fleetDir(fleet('{ generation: 1, step: add }', '    primarySite: main-dr')), '--kube-api', server);
    expect(after.code).toBe(0);
    expect(after.out).toContain('Job databases-dr/orders-rotation-login');
    expect(after.out).toContain('API server of main-dr, https://aws.example');
    const during = await rotate(fleetDir(fleet('{ generation: 1, step: add }', '    switchoverTo: main-dr')), '--kube-api', server);
    expect(during.code).toBe(1);
    expect(during.err).toContain('a switchover of main');
  });

  it('without an API server, or for an even generation, only --confirm-login-succeeded lets it through, and says so', async () => {
    const dir = fleetDir(fleet('{ generation: 1, step: add }'));
    const offline = await rotate(dir);
    expect(offline.code).toBe(1);
    expect(offline.err).toContain('no Kubernetes API to ask');
    const even = await rotate(fleetDir(fleet('{ generation: 2, step: add }')), '--kube-api', server);
    expect(even.code).toBe(1);
    expect(even.err).toContain('generation 2 logs in as the owner role itself');
    const confirmed = await rotate(dir, '--confirm-login-succeeded');
    expect(confirmed.code).toBe(0);
    expect(confirmed.out).toContain('login step: NOT checked: --confirm-login-succeeded');
    expect(confirmed.text).toContain('rotation: { main: { generation: 1, step: switch } }');
    // The add and done steps need no check.
    expect((await rotate(fleetDir(fleet('{ generation: 1, step: switch }')))).code).toBe(0);
  });

  it("after a switchover, the Job the demoted primary kept (one namespace at both sites, same generation) does not pass for the new primary's", async () => {
    // --kube-api still names main's API server; main-dr inherits namespace databases.
    const sameNamespace = drFleet('per-service', '    primarySite: main-dr').replace(
      '  - name: orders\n',
      '  - name: orders\n    rotation: { main: { generation: 1, step: add } }\n',
    );
    kube.put('batch', 'jobs', job('databases', 1, { succeeded: 1 }, 'main'));
    const stale = await rotate(fleetDir(sameNamespace), '--kube-api', server);
    expect(stale.code).toBe(1);
    expect(stale.err).toContain('it was rendered for main, not main-dr');
    kube.put('batch', 'jobs', job('databases', 1, { succeeded: 1 }, 'main-dr'));
    expect((await rotate(fleetDir(sameNamespace), '--kube-api', server)).code).toBe(0);
  });
});
