// `npm run validate [dir-or-files…]`: errors on stderr one per line, a summary, exit 0/1/2.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../lib/validate/cli';
import { valid } from './fixtures';

const repoRoot = path.resolve(__dirname, '..', '..');

function sink() {
  let text = '';
  return {
    stream: {
      write: (s: string) => {
        text += s;
        return true;
      },
    },
    text: () => text,
  };
}

function run(args: string[]) {
  const out = sink();
  const err = sink();
  const code = runCli(args, { out: out.stream, err: err.stream });
  return { code, out: out.text(), err: err.text() };
}

function tree(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-cli-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const NO_CONFIG = ['--config', '/nonexistent/cdk8s.yaml'];
// No CRD in ../shared/crds has this kind: only unvalidatedKinds lets it through.
const gadget = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'databases' }, spec: {} };

describe('validate CLI', () => {
  it('exits 0 with a summary on valid manifests', () => {
    const dir = tree({ 'production/namespace.yaml': valid.Namespace, 'production/cluster.yaml': valid.Cluster });
    const r = run([dir, ...NO_CONFIG]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('OK: 2 objects in 2 files, 0 errors');
    expect(r.out).toContain('CEL rules: 6 ran, 0 transition rules skipped (no previous object), 0 not checked');
    expect(r.out).toContain('Not validated (no schema): 0 objects');
  });

  it('exits 1 and prints one error per line on stderr', () => {
    const dir = tree({ 'cluster-orders.yaml': { ...valid.Cluster, spec: { ...valid.Cluster.spec, instances: 0, foo: 1 } } });
    const r = run([path.join(dir, 'cluster-orders.yaml'), ...NO_CONFIG]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toEqual([
      `${dir}/cluster-orders.yaml: Cluster/orders: spec.foo: unknown field (not in the schema)`,
      `${dir}/cluster-orders.yaml: Cluster/orders: spec.instances: must be >= 1`,
    ]);
    expect(r.out).toContain('FAILED: 1 objects in 1 files, 2 errors');
  });

  it('takes unvalidatedKinds from the plugin entry in cdk8s.yaml, or from --unvalidated-kind', () => {
    const dir = tree({
      'argocd/gadget.yaml': gadget,
      'cdk8s.yaml':
        'validations:\n  - package: ./lib/validate/cdk8s-plugin.cjs\n    class: DbfleetSchemaValidation\n    version: 0.1.0\n    properties:\n      unvalidatedKinds: [example.com/v1/Gadget]\n',
    });
    expect(run([path.join(dir, 'argocd'), ...NO_CONFIG]).code).toBe(1);
    const viaConfig = run([path.join(dir, 'argocd'), '--config', path.join(dir, 'cdk8s.yaml')]);
    expect(viaConfig.code).toBe(0);
    expect(viaConfig.out).toMatch(/^NOT VALIDATED \(no schema in .*schemas\): .*gadget.yaml: Gadget\/databases \(example.com\/v1\)$/m);
    expect(viaConfig.out).toContain('Not validated (no schema): 1 objects');
    expect(run([path.join(dir, 'argocd'), ...NO_CONFIG, '--unvalidated-kind', 'example.com/v1/Gadget']).code).toBe(0);
  });

  it('exits 2 on usage errors', () => {
    expect(run(['/nonexistent/dist', ...NO_CONFIG])).toMatchObject({
      code: 2,
      err: 'validate: no such file or directory: /nonexistent/dist\n',
    });
    expect(run(['--bogus']).code).toBe(2);
    expect(run([fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-empty-')), ...NO_CONFIG])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^validate: no \*\.yaml manifests found in /),
    });
    expect(run(['--schemas', '/nonexistent/crds', ...NO_CONFIG]).err).toMatch(/schema folder not found/);
    expect(run(['--schemas', '/nonexistent/crds', ...NO_CONFIG]).code).toBe(2);
  });

  it('runs as `npm run validate` (from the bundle cache, no tsx) with the process exit code', () => {
    const dir = tree({ 'cluster.yaml': { ...valid.Cluster, spec: { ...valid.Cluster.spec, instances: 0 } } });
    const r = spawnSync(process.execPath, ['scripts/bundle-cache.cjs', 'lib/validate/cli.ts', dir, ...NO_CONFIG], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cluster.yaml: Cluster/orders: spec.instances: must be >= 1');
  });
});

describe('validate CLI summary of CEL rules', () => {
  it('lists not-checked rules with their CRD path and counts transition rules', () => {
    const schemas = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-schemas-'));
    fs.copyFileSync(path.join(__dirname, 'fixtures', 'widgets-crd.yaml'), path.join(schemas, 'widgets.yaml'));
    const dir = tree({
      'w.yaml': { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { replicas: 1, name: 'a', size: '2Gi' } },
    });
    const r = run([dir, '--schemas', schemas, ...NO_CONFIG]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('CEL rules: 2 ran, 1 transition rules skipped (no previous object), 2 not checked');
    expect(r.out).toContain(
      "  not checked: widgets.yaml#/properties/spec: quantity(self.size).isGreaterThan(quantity('1Gi')) (function(s) not available in the evaluator: isGreaterThan, quantity)",
    );
    expect(r.out).toMatch(/ {2}not checked: widgets.yaml#\/properties\/spec: self.replicas > \(does not parse: /);
  });
});
