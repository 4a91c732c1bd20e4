// A fleet repository's own charts join through the public `extend` hook (main.ts → charts/). An
// invalid object added there must fail `npx cdk8s synth` and publish nothing: dist/ keeps its bytes
// and gains no file. (The bad-fleet and strict-schema cases of atomic.test.ts cannot tell a
// published failure from an unchanged one: the first fails before anything is staged, the second
// renders exactly the bytes already in dist/.)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const schemas = process.env.DBFLEET_SCHEMAS ?? join(root, 'imports', 'schemas');
let project: string;

function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(path.slice(dir.length + 1), readFileSync(path, 'base64'));
    }
  };
  walk(dir);
  return files;
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'dbfleet-extend-'));
  for (const entry of ['lib', 'imports', 'node_modules', 'package.json', 'package-lock.json', 'tsconfig.json'])
    symlinkSync(join(root, entry), join(project, entry));
  // main.ts and scripts/ are copied, not linked: node and the bundler follow links, and would build this repository's app.
  for (const entry of ['main.ts', 'scripts', 'cdk8s.yaml', 'fleet.yaml', 'services', 'dist', 'charts'])
    if (existsSync(join(root, entry))) cpSync(join(root, entry), join(project, entry), { recursive: true });
  // The repository's charts, plus one object no schema accepts (ConfigMap data holds strings only).
  const index = join(project, 'charts', 'index.ts');
  writeFileSync(
    index,
    readFileSync(index, 'utf8')
      .replace(/^/, "import { ApiObject } from 'cdk8s';\n")
      .replace(
        /export function extendFleet\(fleetApp: FleetApp\): void \{\n/,
        (m) =>
          `${m}  for (const [, chart] of fleetApp.environments)\n` +
          `    new ApiObject(chart, 'NotAConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-a-config-map', namespace: 'default' }, data: { replicas: 3 as unknown as string } });\n`,
      ),
  );
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('npx cdk8s synth with an invalid object from the extend hook', () => {
  it('fails, says dist/ is unchanged, and dist/ is byte-identical with no new file', () => {
    const before = snapshot(join(project, 'dist'));
    const result = spawnSync(join(project, 'node_modules', '.bin', 'cdk8s'), ['synth'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', DBFLEET_SCHEMAS: schemas },
      timeout: 180_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status, output).not.toBe(0);
    expect(output).toMatch(/configmap-not-a-config-map\.yaml: ConfigMap\/not-a-config-map: data\.replicas/);
    expect(output).toContain('dist/ is unchanged');
    const after = snapshot(join(project, 'dist'));
    expect([...after.keys()].filter((f) => !before.has(f))).toEqual([]);
    expect(after).toEqual(before);
  }, 240_000);
});
