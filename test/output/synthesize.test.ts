// synthesizeFleet (lib/output/synthesize.ts), in this process: what `npx cdk8s synth` runs between
// loading fleet.yaml and exiting. The `cdk8s synth` tests (test/synth) prove the same claims through
// the CLI, in a child process that a mutation run cannot reach; these prove each one here, with a
// small app of our own (the `build` hook), so that a broken claim fails a test Stryker can rerun:
// - an invalid object publishes nothing: dist/ keeps its bytes and gains no file, and the log says so;
// - a fleet, render or internal error writes nothing and says which it was;
// - success replaces dist/ as a whole and gives the CLI one bundle per dist/ folder.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RenderError, toYaml, type KubernetesObject } from '../../lib/output/render';
import { synthesizeFleet, type SynthesizeOptions, type WrittenFiles } from '../../lib/output/synthesize';
import { BASE_FLEET } from '../support/fleet';

let work: string;
let fleetFile: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'dbfleet-synthesize-'));
  fleetFile = join(work, 'fleet.yaml');
  writeFileSync(fleetFile, BASE_FLEET);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Every file under `dir`, relative path → text (absent: empty). */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  if (!existsSync(dir)) return files;
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else files[`${prefix}${e.name}`] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return files;
}

/** An app of ConfigMaps: chart id → names. */
const app = (charts: Record<string, string[]>) => (): App => {
  const a = new App({ outdir: join(work, 'unused') });
  for (const [id, names] of Object.entries(charts)) {
    const chart = new Chart(a, id);
    for (const name of names) new ApiObject(chart, name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } });
  }
  return a;
};
const configMap = (name: string): KubernetesObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } });

async function synth(options: Partial<SynthesizeOptions>): Promise<{ code: number; log: string[]; written: WrittenFiles[] }> {
  const log: string[] = [];
  const written: WrittenFiles[] = [];
  const code = await synthesizeFleet({
    configFile: fleetFile,
    outdir: join(work, 'out'),
    log: (line) => log.push(line),
    written: (files) => written.push(files),
    ...options,
  });
  return { code, log, written };
}

/** A dist/ folder with one file of its own, as a previous synth left it. */
function previousDist(): { dist: string; before: Record<string, string> } {
  const dist = join(work, 'dist');
  mkdirSync(join(dist, 'production'), { recursive: true });
  // Written by dbfleet (its header): a publication that succeeds removes it.
  writeFileSync(join(dist, 'production', 'configmap-old.yaml'), toYaml(configMap('old')));
  return { dist, before: tree(dist) };
}

describe('synthesizeFleet', () => {
  it('invalid objects: exit 1, dist/ keeps its bytes and gains nothing, each problem logged, nothing reported written', async () => {
    const { dist, before } = previousDist();
    const result = await synth({
      publishTo: dist,
      build: app({ production: ['a', 'b'] }),
      validate: (objects) => objects.map((o) => `${o.path}: bad`),
    });
    expect(result.code).toBe(1);
    expect(tree(dist)).toEqual(before);
    expect(readdirSync(work).sort()).toEqual(['dist', 'fleet.yaml']);
    expect(result.written).toEqual([]);
    expect(result.log).toEqual([
      `dbfleet: 2 invalid objects; nothing written, ${dist}/ is unchanged`,
      'production/configmap-a.yaml: bad',
      'production/configmap-b.yaml: bad',
    ]);
  });

  it('one invalid object without publishing: nothing written into the CLI folder, and why the CLI emptied it', async () => {
    const out = join(work, 'out');
    const result = await synth({ build: app({ production: ['a'] }), validate: () => ['one problem'] });
    expect(result.code).toBe(1);
    expect(tree(out)).toEqual({});
    expect(result.log).toEqual([
      `dbfleet: 1 invalid object; nothing written into ${out}/ (the cdk8s CLI's --output empties it before dbfleet runs; DBFLEET_DIST=${out} npx cdk8s synth renders there instead, keeping files dbfleet did not write and leaving it unchanged on failure)`,
      'one problem',
    ]);
  });

  it('publishing: dist/ replaced as a whole; the CLI folder gets one bundle per dist/ folder, each document headed by its file', async () => {
    const { dist } = previousDist();
    const out = join(work, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'stale.yaml'), 'from an earlier run\n');
    const result = await synth({ publishTo: dist, build: app({ production: ['b', 'a'], test: ['c'] }), validate: () => [] });
    expect(result.code).toBe(0);
    const a = toYaml(configMap('a'));
    const b = toYaml(configMap('b'));
    const c = toYaml(configMap('c'));
    expect(tree(dist)).toEqual({ 'production/configmap-a.yaml': a, 'production/configmap-b.yaml': b, 'test/configmap-c.yaml': c });
    const bundles = {
      'production.yaml': `--- # ${dist}/production/configmap-a.yaml\n${a}--- # ${dist}/production/configmap-b.yaml\n${b}`,
      'test.yaml': `--- # ${dist}/test/configmap-c.yaml\n${c}`,
    };
    expect(tree(out)).toEqual(bundles);
    expect(result.written).toHaveLength(1);
    const [written] = result.written;
    expect(written.outdir).toBe(out);
    expect(Object.fromEntries(written.files)).toEqual(bundles);
    expect([...written.documents]).toEqual([
      [`--- # ${dist}/production/configmap-a.yaml\n${a}`, 'production/configmap-a.yaml'],
      [`--- # ${dist}/production/configmap-b.yaml\n${b}`, 'production/configmap-b.yaml'],
      [`--- # ${dist}/test/configmap-c.yaml\n${c}`, 'test/configmap-c.yaml'],
    ]);
    expect(result.log).toEqual([`dbfleet: 3 objects rendered into ${dist}/`]);
  });

  it('publishing into a CLI folder that does not exist yet, two levels down, with no one to tell', async () => {
    const out = join(work, 'cli', 'out');
    const dist = join(work, 'dist');
    const code = await synthesizeFleet({
      configFile: fleetFile,
      outdir: out,
      publishTo: dist,
      build: app({ test: ['c'] }),
      log: () => undefined,
    });
    expect(code).toBe(0);
    expect(tree(out)).toEqual({ 'test.yaml': `--- # ${dist}/test/configmap-c.yaml\n${toYaml(configMap('c'))}` });
    expect(tree(dist)).toEqual({ 'test/configmap-c.yaml': toYaml(configMap('c')) });
  });

  it('without publishing: the files go into the CLI folder as they are, and are reported as written', async () => {
    const out = join(work, 'out');
    const result = await synth({ build: app({ production: ['a'] }) });
    expect(result.code).toBe(0);
    const a = toYaml(configMap('a'));
    expect(tree(out)).toEqual({ 'production/configmap-a.yaml': a });
    expect(result.written.map((w) => ({ outdir: w.outdir, files: [...w.files], documents: [...w.documents] }))).toEqual([
      { outdir: out, files: [['production/configmap-a.yaml', a]], documents: [[a, 'production/configmap-a.yaml']] },
    ]);
    expect(result.log).toEqual([`dbfleet: 1 objects rendered into ${out}/`]);
  });

  it('a fleet with problems: exit 1, the count and every problem, nothing written', async () => {
    const { dist, before } = previousDist();
    writeFileSync(fleetFile, BASE_FLEET.replace('instances: 3', 'instances: -1'));
    const one = await synth({ publishTo: dist, build: app({ production: ['a'] }) });
    expect(one.code).toBe(1);
    expect(one.log[0]).toBe(`dbfleet: 1 problem in the fleet; nothing written, ${dist}/ is unchanged`);
    expect(one.log).toHaveLength(2);
    expect(one.log[1]).toBe(`${fleetFile}:16: environments.production.instances: must be >= 1`);
    writeFileSync(fleetFile, BASE_FLEET.replace('instances: 3', 'instances: -1').replace('storage: 50Gi', 'storage: lots'));
    const two = await synth({ publishTo: dist, build: app({ production: ['a'] }) });
    expect(two.log[0]).toBe(`dbfleet: 2 problems in the fleet; nothing written, ${dist}/ is unchanged`);
    expect(two.log[1].split('\n')).toHaveLength(2);
    expect(tree(dist)).toEqual(before);
    expect([...one.written, ...two.written]).toEqual([]);
  });

  it('a render error: its first line as the summary, the rest after it; an internal error shows where it happened', async () => {
    const { dist, before } = previousDist();
    const render = await synth({
      publishTo: dist,
      build: () => {
        throw new RenderError('two objects would be written to dist/x.yaml\nsecond line\nthird line');
      },
    });
    expect(render.code).toBe(1);
    expect(render.log).toEqual([
      `dbfleet: two objects would be written to dist/x.yaml; nothing written, ${dist}/ is unchanged`,
      'second line\nthird line',
    ]);
    const oneLine = await synth({
      publishTo: dist,
      build: () => {
        throw new RenderError('just this');
      },
    });
    expect(oneLine.log).toEqual([`dbfleet: just this; nothing written, ${dist}/ is unchanged`]);
    const internal = await synth({
      publishTo: dist,
      build: () => {
        throw new TypeError('x is undefined');
      },
    });
    expect(internal.code).toBe(1);
    expect(internal.log).toHaveLength(1);
    expect(internal.log[0]).toMatch(
      new RegExp(`^dbfleet: internal error, nothing written, ${dist}/ is unchanged: TypeError: x is undefined\\n\\s+at `),
    );
    const noStack = new Error('no stack here');
    noStack.stack = undefined;
    const bare = await synth({
      publishTo: dist,
      build: () => {
        throw noStack;
      },
    });
    expect(bare.log).toEqual([`dbfleet: internal error, nothing written, ${dist}/ is unchanged: no stack here`]);
    // Not an Error at all: thrown on, not reported as a render result.
    await expect(
      synth({
        publishTo: dist,
        build: () => {
          throw 'a string';
        },
      }),
    ).rejects.toBe('a string');
    expect(tree(dist)).toEqual(before);
  });

  it('an object that cannot be written as YAML: nothing is published and the error is thrown on', async () => {
    const { dist, before } = previousDist();
    const build = () => {
      const a = new App({ outdir: join(work, 'unused') });
      const chart = new Chart(a, 'production');
      new ApiObject(chart, 'ok', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' } });
      // js-yaml refuses a function with skipInvalid: false (render.ts toYaml).
      new ApiObject(chart, 'bad', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad' }, data: { f: () => 1 } as never });
      return a;
    };
    await expect(synth({ publishTo: dist, build })).rejects.toThrow();
    expect(tree(dist)).toEqual(before);
    expect(readdirSync(work).sort()).toEqual(['dist', 'fleet.yaml']);
  });
});
