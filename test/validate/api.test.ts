// The public API as main.ts, the CLI and the plugin use it: the one-line error format, document
// indexes, files and folders, unvalidatedKinds (the only escape), and documents that are not objects.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatIssue, loadValidator, type Validator } from '../../lib/validate';
import { valid } from './fixtures';

// A kind without a CRD in ../shared/crds (every kind dbfleet renders has one): the unvalidatedKinds escape.
const GADGET = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'databases', namespace: 'argocd' }, spec: { size: 1 } };
const APP_PROJECT = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name: 'databases', namespace: 'argocd' },
  spec: { sourceRepos: ['*'] },
};
const badCluster = { ...valid.Cluster, metadata: { name: 'orders', namespace: 'orders' }, spec: { ...valid.Cluster.spec, instances: 0 } };

function writeTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-manifests-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const yaml = (o: unknown) => JSON.stringify(o); // JSON is YAML

describe('public API', () => {
  let v: Validator;
  beforeAll(() => {
    v = loadValidator({ unvalidatedKinds: ['example.com/v1/Gadget'] });
  });

  it('resolves the default schema folder from the module location, not the working directory', () => {
    // In a child process started in another folder (process.chdir is not allowed in worker threads).
    const repoRoot = path.resolve(__dirname, '..', '..');
    const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const script = `console.log(require(${JSON.stringify(path.join(repoRoot, 'lib', 'validate', 'schema-source.ts'))}).resolveSchemasDir())`;
    const env = { ...process.env };
    delete env.DBFLEET_SCHEMAS;
    const out = execFileSync(process.execPath, ['--import', tsxLoader, '-e', script], { cwd: os.tmpdir(), env, encoding: 'utf8' });
    expect(out.trim()).toBe(path.resolve(repoRoot, 'imports', 'schemas'));
  });

  it('formats one line per error exactly like the issue example', () => {
    const issues = v.validateObject(badCluster, { file: 'dist/production/cluster-orders.yaml' });
    expect(issues.map(formatIssue)).toEqual(['dist/production/cluster-orders.yaml: Cluster/orders: spec.instances: must be >= 1']);
    expect(issues[0]).toMatchObject({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      name: 'orders',
      namespace: 'orders',
      rule: 'schema',
      schemaSource: 'cloudnative-pg/postgresql.cnpg.io_clusters.json',
    });
  });

  it('adds #<documentIndex> after the file only when a file holds several documents', () => {
    const dir = writeTree({
      'production/cluster-orders.yaml': yaml(badCluster),
      'production/multi.yaml': `${yaml(valid.Namespace)}\n---\n${yaml(badCluster)}\n`,
    });
    const report = v.validateDirectory(dir);
    expect(report.issues.map((i) => formatIssue(i).replace(dir, 'dist'))).toEqual([
      'dist/production/cluster-orders.yaml: Cluster/orders: spec.instances: must be >= 1',
      'dist/production/multi.yaml#1: Cluster/orders: spec.instances: must be >= 1',
    ]);
    expect(report.objectCount).toBe(3);
    expect(report.fileCount).toBe(2);
  });

  it('lists unvalidatedKinds objects as NOT VALIDATED, counted, and still checks their metadata', () => {
    const report = v.validateObjects([
      { object: GADGET, location: { file: 'dist/argocd/gadget-databases.yaml' } },
      { object: { ...GADGET, metadata: { name: 'Bad_Name' } }, location: { file: 'dist/argocd/bad.yaml' } },
    ]);
    expect(report.objectCount).toBe(2);
    expect(report.notValidated).toEqual(
      [
        {
          file: 'dist/argocd/gadget-databases.yaml',
          apiVersion: 'example.com/v1',
          kind: 'Gadget',
          name: 'databases',
          reason: 'NOT VALIDATED (no schema in imports/schemas)',
          documentIndex: undefined,
        },
        {
          file: 'dist/argocd/bad.yaml',
          apiVersion: 'example.com/v1',
          kind: 'Gadget',
          name: 'Bad_Name',
          reason: 'NOT VALIDATED (no schema in imports/schemas)',
          documentIndex: undefined,
        },
      ].map((o) => expect.objectContaining({ ...o, reason: expect.stringMatching(/^NOT VALIDATED \(no schema in .*imports\/schemas\)$/) })),
    );
    expect(report.issues.map(formatIssue)).toEqual([
      expect.stringMatching(/^dist\/argocd\/bad.yaml: Gadget\/Bad_Name: metadata.name: Invalid value: "Bad_Name"/),
    ]);
  });

  it('rejects an unknown kind unless it is listed, and only the listed apiVersion/kind', () => {
    const strict = loadValidator();
    expect(strict.validateObject(GADGET, { file: 'a.yaml' }).map((i) => i.rule)).toEqual(['unknown-kind']);
    expect(v.validateObject({ ...GADGET, apiVersion: 'example.com/v2' }, { file: 'a.yaml' }).map((i) => i.rule)).toEqual(['unknown-kind']);
  });

  it('validates the Argo CD AppProject against its CRD (no exception needed)', () => {
    const strict = loadValidator();
    expect(strict.validateObject(APP_PROJECT, { file: 'a.yaml' })).toEqual([]);
    const bad = strict.validateObject(
      { ...APP_PROJECT, spec: { sourceRepos: 'https://x', orphanedResources: { warn: 'yes' } } },
      { file: 'a.yaml' },
    );
    expect(bad.map((i) => [i.path, i.rule])).toEqual([
      ['spec.orphanedResources.warn', 'schema'],
      ['spec.sourceRepos', 'schema'],
    ]);
  });

  it('refuses malformed unvalidatedKinds entries instead of silently matching nothing', () => {
    expect(() => loadValidator({ unvalidatedKinds: ['AppProject'] })).toThrow(/unvalidatedKinds entry "AppProject" is not of the form/);
    expect(() => loadValidator({ unvalidatedKinds: ['v1/Foo', 'example.com/v1/Gadget'] })).not.toThrow();
  });

  it('reports documents that are not Kubernetes objects, and YAML that does not parse', () => {
    const dir = writeTree({ 'a.yaml': '- just\n- a list\n', 'b.yaml': 'kind: [unclosed\n', 'c.yaml': 'metadata:\n  name: x\n' });
    const lines = v.validateDirectory(dir).issues.map((i) => formatIssue(i).replace(`${dir}/`, ''));
    expect(lines[0]).toBe('a.yaml: document is not an object (got array)');
    expect(lines[1]).toMatch(/^b.yaml: YAML parse error: /);
    expect(lines.slice(2)).toEqual(['c.yaml: <no kind>/x: apiVersion: Required value', 'c.yaml: <no kind>/x: kind: Required value']);
  });

  it('validates a list of files the same way as a folder', () => {
    const dir = writeTree({ 'ok.yaml': yaml(valid.Service), 'bad.yaml': yaml(badCluster) });
    const report = v.validateFiles([path.join(dir, 'ok.yaml'), path.join(dir, 'bad.yaml')]);
    expect(report.objectCount).toBe(2);
    expect(report.issues).toHaveLength(1);
  });
});
