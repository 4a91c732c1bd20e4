import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { buildApp, RenderError, renderObjects, toYaml } from '../../lib/output/render';
import { BASE_FLEET, configErrors, fleetOf, lineOf } from '../support/fleet';
import { GENERATED_MARK, mirrorDirectory, replaceDirectory } from '../../lib/output/replace-directory';

describe('renderObjects', () => {
  it('refuses two objects that would land in the same file', () => {
    const app = new App();
    const chart = new Chart(app, 'test');
    new ApiObject(chart, 'a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'same', namespace: 'one' } });
    new ApiObject(chart, 'b', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'same', namespace: 'two' } });
    expect(() => renderObjects(app)).toThrow(RenderError);
    expect(() => renderObjects(app)).toThrow(
      'two objects would be written to dist/test/configmap-same.yaml: ConfigMap one/same and ConfigMap two/same; give one of them another name',
    );
  });

  it('quotes strings a YAML 1.1 parser (Kubernetes) would read as something else', () => {
    const yaml = toYaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { a: 'yes', b: 'on', c: '0o12', d: '012', e: 'plain' },
    });
    expect(yaml).toContain('a: "yes"\n');
    expect(yaml).toContain('b: "on"\n');
    expect(yaml).toContain('c: "0o12"\n');
    expect(yaml).toContain('d: "012"\n');
    expect(yaml).toContain('e: plain\n');
  });
});

describe('replaceDirectory', () => {
  it('replaces the whole tree, removing files it wrote that are no longer rendered', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dbfleet-replace-')), 'dist');
    await replaceDirectory(
      dir,
      new Map([
        ['a/one.yaml', `${GENERATED_MARK}\n1`],
        ['b/two.yaml', `${GENERATED_MARK}\n2`],
      ]),
    );
    await replaceDirectory(dir, new Map([['a/one.yaml', 'one']]));
    expect(readdirSync(dir)).toEqual(['a']);
    expect(readFileSync(join(dir, 'a', 'one.yaml'), 'utf8')).toBe('one');
  });

  it('never deletes a file dbfleet did not write (no generated header): it is carried over', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dbfleet-replace-')), 'out');
    mkdirSync(join(dir, 'notes'), { recursive: true });
    writeFileSync(join(dir, 'README.md'), 'my notes');
    writeFileSync(join(dir, 'notes', 'keep.yaml'), 'kind: Mine');
    writeFileSync(join(dir, 'old.yaml'), `${GENERATED_MARK} from fleet.yaml\nkind: Old`);
    await replaceDirectory(dir, new Map([['test/one.yaml', `${GENERATED_MARK}\nkind: One`]]));
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'notes', 'test']);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('my notes');
    expect(readFileSync(join(dir, 'notes', 'keep.yaml'), 'utf8')).toBe('kind: Mine');
  });

  it('leaves the old tree untouched when writing the new one fails', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'dbfleet-replace-'));
    const dir = join(parent, 'dist');
    mkdirSync(join(dir, 'test'), { recursive: true });
    writeFileSync(join(dir, 'test', 'keep.yaml'), 'keep');
    // A path that cannot be a file: its parent "x" is written as a file first.
    await expect(
      replaceDirectory(
        dir,
        new Map([
          ['x', 'file'],
          ['x/y.yaml', 'child'],
        ]),
      ),
    ).rejects.toThrow();
    expect(readdirSync(parent)).toEqual(['dist']); // no staging left behind
    expect(readFileSync(join(dir, 'test', 'keep.yaml'), 'utf8')).toBe('keep');
  });

  it('re-uses unchanged files (same inode) and writes changed ones', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dbfleet-replace-')), 'dist');
    await replaceDirectory(
      dir,
      new Map([
        ['a/same.yaml', 'same'],
        ['a/changed.yaml', 'old'],
      ]),
    );
    const inode = statSync(join(dir, 'a', 'same.yaml')).ino;
    await replaceDirectory(
      dir,
      new Map([
        ['a/same.yaml', 'same'],
        ['a/changed.yaml', 'new'],
      ]),
    );
    expect(statSync(join(dir, 'a', 'same.yaml')).ino).toBe(inode);
    expect(readFileSync(join(dir, 'a', 'changed.yaml'), 'utf8')).toBe('new');
    expect(readFileSync(join(dir, 'a', 'same.yaml'), 'utf8')).toBe('same');
  });

  it('mirrors a tree into another folder with the same bytes', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'dbfleet-mirror-'));
    await replaceDirectory(
      join(parent, 'dist'),
      new Map([
        ['a/one.yaml', 'one'],
        ['b/two.yaml', 'two'],
      ]),
    );
    mkdirSync(join(parent, 'out', 'stale'), { recursive: true });
    await mirrorDirectory(join(parent, 'dist'), join(parent, 'out'), ['a/one.yaml', 'b/two.yaml']);
    expect(readdirSync(join(parent, 'out')).sort()).toEqual(['a', 'b']);
    expect(readFileSync(join(parent, 'out', 'b', 'two.yaml'), 'utf8')).toBe('two');
  });
});

describe('errors while building charts name the fleet path', () => {
  it('a construct that rejects its props: the error carries file:line and the environment path', () => {
    const fleet = fleetOf();
    const test = fleet.environments.find((e) => e.name === 'test')!;
    // A backup a construct refuses (the model never produces it): method plugin without a name.
    const broken = {
      ...fleet,
      environments: fleet.environments.map((e) =>
        e === test
          ? { ...e, backups: { ...e.backups, postgres: { schedule: '0 0 2 * * *', method: 'plugin' as const, maxIntervalSeconds: 86400 } } }
          : e,
      ),
    };
    expect(() => buildApp(broken)).toThrow(new RegExp(`^fleet\\.yaml:${lineOf(BASE_FLEET, '  test:')}: environments\\.test: `));
  });

  it('mixed Argo CD destination forms are a config error at the environment (not an ApplicationSet error)', () => {
    const text = `${BASE_FLEET.replace('    developerAccess: read-write\n', '    developerAccess: read-write\n    cluster: { name: test-cluster }\n')}gitops: { repoURL: https://example.com/x.git, project: databases }\n`;
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, '  production:')}: environments.production: names its Argo CD destination (cluster:) by server, but environments.test by name: the ApplicationSet needs every environment to use the same form (all server or all name)`,
    ]);
  });
});
