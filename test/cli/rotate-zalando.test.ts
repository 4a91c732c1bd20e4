// `dbfleet rotate` on a Zalando environment (issue 30): two whole rotations, step by step, through
// the CLI as a user runs it. Each step's file renders; the switch step of an odd generation is let
// through only once the rotation-login Job that the add step rendered (name and annotations as
// rendered) has succeeded in the Kubernetes API (a fake API server here); an even one needs
// --confirm-login-succeeded, as on CloudNativePG.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDbfleetAsync } from '../../lib/cli/main';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { NOT_ROTATED } from '../../lib/secrets/credential-rotation';
import { FakeKube } from '../support/fake-kube';
import { zalandoRotationFleet } from '../zalando/rotation-fleet';

describe('dbfleet rotate on a Zalando environment', () => {
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
    const code = await runDbfleetAsync(['rotate', 'orders', '--environment', 'live', '--config', dir, ...extra], io);
    return { code, out, err, text: readFileSync(join(dir, 'fleet.yaml'), 'utf8') };
  }
  const objectsOf = (dir: string) => renderObjects(buildApp(loadFleet(join(dir, 'fleet.yaml')))).map((o) => o.object as any);

  it('walks two rotations: add, switch (checked against the rendered Job), done, and again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-rotate-zalando-'));
    writeFileSync(join(dir, 'fleet.yaml'), zalandoRotationFleet(NOT_ROTATED));
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const before = readFileSync(join(dir, 'fleet.yaml'), 'utf8');
      const from = loadFleet(join(dir, 'fleet.yaml')).services.find((s) => s.name === 'orders')!.rotation?.live;
      let result;
      if (from?.step === 'add') {
        const odd = from.generation % 2 === 1;
        // refused until the login step is proven (or confirmed), nothing written
        const refused = await rotate(dir, '--kube-api', server);
        expect(refused.code).toBe(1);
        expect(refused.text).toBe(before);
        if (odd) {
          expect(refused.err).toContain('asked for Job databases/orders-rotation-login');
          // the Job exactly as the add step rendered it, now succeeded in the cluster
          const job = objectsOf(dir).find((o) => o.kind === 'Job' && o.metadata.name === 'orders-rotation-login');
          expect(job.metadata.annotations['dbfleet.io/rotation-generation']).toBe(String(from.generation));
          kube.put('batch', 'jobs', { ...job, status: { succeeded: 1 } });
          result = await rotate(dir, '--kube-api', server);
          expect(result.out).toContain(`generation ${from.generation} succeeded`);
        } else {
          expect(refused.err).toContain(`generation ${from.generation} logs in as the owner role itself`);
          expect(refused.err).toContain('Zalando: the operator has synced the cluster since the add step');
          result = await rotate(dir, '--confirm-login-succeeded');
        }
      } else {
        result = await rotate(dir);
      }
      expect(result.code, result.err).toBe(0);
      const to = loadFleet(join(dir, 'fleet.yaml')).services.find((s) => s.name === 'orders')!.rotation!.live;
      seen.push(`${to.generation}/${to.step}`);
      // only the rotation line changed, and the new file renders
      const withoutRotation = (t: string) => t.replace(/^( *)rotation:.*\n(\1 +.*\n)*/m, '');
      expect(withoutRotation(result.text)).toBe(withoutRotation(before));
      const objects = objectsOf(dir);
      expect(objects.some((o) => o.kind === 'postgresql' && o.metadata.name === 'orders')).toBe(true);
      if (to.step === 'done') expect(objects.some((o) => o.kind === 'Job' && o.metadata.name === 'orders-rotation-retire')).toBe(true);
    }
    expect(seen).toEqual(['1/add', '1/switch', '1/done', '2/add', '2/switch', '2/done']);
  });
});
