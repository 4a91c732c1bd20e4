// imports/schemas/ holds the compact schemas dbfleet validates with (shipped in the package), made
// by `npm run import` (scripts/compact-schemas.mjs) from ../shared/crds: it must be exactly what the
// generator makes today, cover every CRD of that folder, and judge objects exactly as the raw
// upstream files do.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadValidator } from '../../lib/validate';
import { loadSchemaSet } from '../../lib/validate/schema-source';
import { sharedCrds } from '../support/shared';

const root = join(__dirname, '..', '..');
const committed = join(root, 'imports', 'schemas');

function tree(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? tree(join(dir, name)) : [join(dir, name)]));
}

describe('imports/schemas (compact schemas)', () => {
  it.skipIf(!sharedCrds.available)('is exactly what `npm run import` generates from ../shared/crds', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dbfleet-schemas-')), 'schemas');
    execFileSync(process.execPath, [join(root, 'scripts', 'compact-schemas.mjs'), out], { cwd: root, stdio: 'pipe', env: { ...process.env, DBFLEET_SCHEMAS: sharedCrds.dir } });
    const files = tree(committed).map((f) => relative(committed, f)).sort();
    expect(tree(out).map((f) => relative(out, f)).sort()).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(out, file)).equals(readFileSync(join(committed, file))), `imports/schemas/${file} differs: run npm run import`).toBe(true);
    }
  }, 120_000);

  it.skipIf(!sharedCrds.available)('has every served kind of every CRD in ../shared/crds and the same Kubernetes kinds', () => {
    const raw = loadSchemaSet(sharedCrds.dir);
    const compact = loadSchemaSet(committed);
    expect([...compact.kinds.keys()].sort()).toEqual([...raw.kinds.keys()].sort());
    expect(compact.kinds.has('argoproj.io/v1alpha1/AppProject')).toBe(true);
    expect(compact.kinds.has('postgresql.cnpg.io/v1/Pooler')).toBe(true);
  });

  it.skipIf(!sharedCrds.available)('judges objects exactly as the upstream files do (valid and invalid ones)', () => {
    const withRaw = loadValidator({ schemasDir: sharedCrds.dir });
    const withCompact = loadValidator({ schemasDir: committed });
    const objects = tree(join(root, 'dist')).filter((f) => f.endsWith('.yaml'));
    const judge = (v: typeof withRaw) => {
      const report = v.validateFiles(objects);
      return { count: report.objectCount, issues: report.issues.map((i) => formatIssue({ ...i, schemaSource: undefined })) };
    };
    expect(judge(withCompact)).toEqual(judge(withRaw));
    const bad = [
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'x' }, spec: { instances: 0, storage: { size: '1Gi' }, bogus: 1 } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'Y' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 1 }] } } } },
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'z' }, spec: { data: [{ secretKey: 1 }] } },
    ];
    for (const object of bad) {
      const issues = (v: typeof withRaw) => v.validateObject(object, { file: 'x.yaml' }).map((i) => `${i.path}: ${i.message}`);
      expect(issues(withCompact).length).toBeGreaterThan(0);
      expect(issues(withCompact)).toEqual(issues(withRaw));
    }
  }, 120_000);

  it('records the upstream file, tag, commit and git blob of every schema, and carries the licenses', () => {
    const sources = JSON.parse(readFileSync(join(committed, 'SOURCES.json'), 'utf8')) as {
      files: Array<{ file: string; upstream: { repository: string; tag: string; commit: string; blob: string }; licenseFile: string }>;
    };
    const schemaFiles = tree(committed).map((f) => relative(committed, f)).filter((f) => f.endsWith('.json') && f !== 'SOURCES.json').sort();
    expect(sources.files.map((f) => f.file).sort()).toEqual(schemaFiles);
    for (const entry of sources.files) {
      expect(entry.upstream.commit, entry.file).toMatch(/^[0-9a-f]{40}$/);
      expect(entry.upstream.blob, entry.file).toMatch(/^[0-9a-f]{40}$/);
      expect(entry.upstream.tag, entry.file).not.toBe('');
      expect(existsSync(join(committed, entry.licenseFile)), entry.licenseFile).toBe(true);
    }
  });

  it('is what the validator uses by default: no ../shared needed', () => {
    const previous = process.env.DBFLEET_SCHEMAS;
    delete process.env.DBFLEET_SCHEMAS;
    try {
      expect(loadValidator({}).schemasDir).toBe(committed);
    } finally {
      if (previous !== undefined) process.env.DBFLEET_SCHEMAS = previous;
    }
  });
});
