// dist/ is what reviewers read and Argo CD applies: it must be exactly what the sources render
// (fleet.yaml, services/*.yaml and this repository's own charts, composed as main.ts does).
// Fleet-independent: holds for any fleet an adopter puts here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extendFleet } from '../charts';
import { loadFleet } from '../lib/config/load';
import { buildApp, renderObjects, toYaml } from '../lib/output/render';
import { scanForSecrets } from './support/secret-scan';

const root = join(__dirname, '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function valuesOfKeys(node: unknown, key: RegExp): string[] {
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => (typeof v === 'string' && key.test(k) ? [v] : valuesOfKeys(v, key)));
}

describe('dist/', () => {
  const render = () => renderObjects(buildApp(loadFleet(root), { extend: extendFleet }));
  const rendered = render();

  it('is up to date with the fleet files, charts/ and the sources, byte for byte (run `npx cdk8s synth` and commit dist/)', () => {
    const committed = filesUnder(join(root, 'dist'))
      .map((f) => relative(join(root, 'dist'), f))
      .sort();
    expect(committed).toEqual(rendered.map((o) => o.path));
    for (const object of rendered) {
      expect(readFileSync(join(root, 'dist', object.path), 'utf8'), `dist/${object.path}`).toBe(toYaml(object.object));
    }
  });

  it('renders the same bytes twice', () => {
    const again = render();
    expect(again.map((o) => toYaml(o.object))).toEqual(rendered.map((o) => toYaml(o.object)));
  });

  it("holds one object per file, named <kind>-<name>.yaml, under its environment (its services' namespaces under <environment>/services/)", () => {
    for (const { path, object } of rendered) {
      const folder = path.split('/')[1] === 'services' ? `${path.split('/')[0]}/services` : path.split('/')[0];
      expect(path).toBe(`${folder}/${object.kind.toLowerCase()}-${object.metadata.name}.yaml`);
      expect(object.metadata.name).not.toMatch(/-[0-9a-f]{8}$/); // no cdk8s hash suffixes
    }
  });

  it('has no secret values: only ExternalSecrets, never a Secret with data, no literal secret in any string value', () => {
    for (const { path, object } of rendered) {
      expect(object.kind, path).not.toBe('Secret');
      // A password may only appear as a template over what the store returns.
      for (const value of valuesOfKeys(object, /password|pgpass|uri$/i)) expect(value, path).toMatch(/\{\{ \.password/);
    }
    // Every string value, not key names (issue 33): a literal password in a container env value, args, an annotation
    // or ConfigMap data (from an adopter's `extend` charts as well) passed the key-name check above.
    const findings = rendered.flatMap(({ path, object }) => scanForSecrets(object).map((f) => `${path}: ${f.path}: ${f.reason}`));
    expect(findings).toEqual([]);
  });

  it('labels every object with the app.kubernetes.io labels', () => {
    for (const { path, object } of rendered) {
      expect(Object.keys(object.metadata.labels ?? {}), path).toEqual(
        expect.arrayContaining([
          'app.kubernetes.io/part-of',
          'app.kubernetes.io/managed-by',
          'app.kubernetes.io/name',
          'app.kubernetes.io/instance',
          'app.kubernetes.io/component',
        ]),
      );
      expect(object.metadata.labels!['app.kubernetes.io/managed-by']).toBe('dbfleet');
    }
  });
});
