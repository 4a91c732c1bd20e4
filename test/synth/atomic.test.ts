// `npx cdk8s synth` end to end, in a scratch copy of the project: a failed synth leaves dist/
// byte-identical; a good one renders exactly the committed dist/.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const root = join(__dirname, '..', '..');
const schemas = process.env.DBFLEET_SCHEMAS ?? join(root, '..', 'shared', 'crds');
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
    cwd: project, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...env }, timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'dbfleet-synth-'));
  for (const entry of ['main.ts', 'charts', 'lib', 'imports', 'scripts', 'node_modules', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    symlinkSync(join(root, entry), join(project, entry));
  }
  for (const entry of ['cdk8s.yaml', 'fleet.yaml', 'dist']) cpSync(join(root, entry), join(project, entry), { recursive: true });
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
    writeFileSync(join(project, 'bad-fleet.yaml'), readFileSync(join(root, 'fleet.yaml'), 'utf8').replace('instances: 3', 'instances: 0'));
    const result = synth({ DBFLEET_CONFIG: 'bad-fleet.yaml' });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/bad-fleet\.yaml:\d+: environments\.production\.instances: must be >= 1/);
    expect(result.output).toContain('dist/ is unchanged');
    expect(snapshot(join(project, 'dist'))).toEqual(before);
  });

  it('an object the schemas reject fails the synth and leaves dist/ byte-identical', () => {
    // Stricter schemas than upstream: a Cluster may have at most 2 instances. Production has more.
    const strict = join(project, 'strict-crds');
    cpSync(schemas, strict, { recursive: true });
    const crdFile = join(strict, 'cloudnative-pg', 'postgresql.cnpg.io_clusters.yaml');
    const crd = parseDocument(readFileSync(crdFile, 'utf8'));
    crd.setIn(['spec', 'versions', 0, 'schema', 'openAPIV3Schema', 'properties', 'spec', 'properties', 'instances', 'maximum'], 2);
    writeFileSync(crdFile, crd.toString());
    const before = snapshot(join(project, 'dist'));
    const result = synth({ DBFLEET_SCHEMAS: strict });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('dist/production/cluster-orders.yaml: Cluster/orders: spec.instances: must be <= 2');
    expect(result.output).toContain('dist/ is unchanged');
    expect(snapshot(join(project, 'dist'))).toEqual(before);
  });
});
