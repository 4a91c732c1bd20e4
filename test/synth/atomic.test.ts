// `npx cdk8s synth` end to end, in a scratch copy of the project: a failed synth leaves dist/
// byte-identical; a good one renders exactly the committed dist/. Fleet-independent: it breaks
// whatever fleet.yaml holds (test/fleet-independent.ts).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const root = join(__dirname, '..', '..');
const schemas = process.env.DBFLEET_SCHEMAS ?? join(root, 'imports', 'schemas');
let project: string;

/** Every file under dir → its bytes, for byte-for-byte comparison. */
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

function synth(env: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync(join(project, 'node_modules', '.bin', 'cdk8s'), ['synth'], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...env },
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'dbfleet-synth-'));
  for (const entry of [
    'main.ts',
    'charts',
    'lib',
    'imports',
    'scripts',
    'node_modules',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
  ]) {
    symlinkSync(join(root, entry), join(project, entry));
  }
  for (const entry of ['cdk8s.yaml', 'fleet.yaml', 'services', 'dist'])
    if (existsSync(join(root, entry))) cpSync(join(root, entry), join(project, entry), { recursive: true });
  // The scratch project sits elsewhere: point the validator at the schemas explicitly.
  process.env.DBFLEET_SCHEMAS = schemas;
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('npx cdk8s synth', () => {
  it('renders exactly the committed dist/ and keeps it out of construct metadata', () => {
    const result = synth();
    expect(result.status, result.output).toBe(0);
    expect(snapshot(join(project, 'dist'))).toEqual(snapshot(join(root, 'dist')));
    expect(existsSync(join(project, 'dist', 'construct-metadata.json'))).toBe(false);
    expect(result.output).toContain('Validations ended succesfully');
  });

  it('a bad fleet.yaml fails with the path-named error and leaves dist/ byte-identical', () => {
    const before = snapshot(join(project, 'dist'));
    const fleet = parseDocument(readFileSync(join(root, 'fleet.yaml'), 'utf8'));
    const environment = Object.keys((fleet.toJS() as { environments: Record<string, unknown> }).environments)[0];
    fleet.setIn(['environments', environment, 'instances'], 0);
    writeFileSync(join(project, 'bad-fleet.yaml'), fleet.toString());
    const result = synth({ DBFLEET_CONFIG: 'bad-fleet.yaml' });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(new RegExp(`bad-fleet\\.yaml:\\d+: environments\\.${environment}\\.instances: must be >= 1`));
    expect(result.output).toContain('dist/ is unchanged');
    expect(snapshot(join(project, 'dist'))).toEqual(before);
  });

  it('an object the schemas reject fails the synth and leaves dist/ byte-identical', () => {
    // Stricter schemas than upstream: a Cluster may have no instance, so every Cluster is rejected.
    const strict = join(project, 'strict-crds');
    cpSync(schemas, strict, { recursive: true });
    const compact = join(strict, 'cloudnative-pg', 'postgresql.cnpg.io_clusters.json');
    const crdFile = existsSync(compact) ? compact : join(strict, 'cloudnative-pg', 'postgresql.cnpg.io_clusters.yaml');
    const crd = parseDocument(readFileSync(crdFile, 'utf8'));
    crd.setIn(['spec', 'versions', 0, 'schema', 'openAPIV3Schema', 'properties', 'spec', 'properties', 'instances', 'maximum'], 0);
    writeFileSync(crdFile, crdFile.endsWith('.json') ? JSON.stringify(crd.toJS()) : crd.toString());
    const before = snapshot(join(project, 'dist'));
    const result = synth({ DBFLEET_SCHEMAS: strict });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/dist\/[^/\s]+\/cluster-[^:\s]+\.yaml: Cluster\/[^:\s]+: spec\.instances: must be <= 0/);
    expect(result.output).toContain('dist/ is unchanged');
    expect(snapshot(join(project, 'dist'))).toEqual(before);
  });
});
