// Kubernetes structural-schema semantics on the synthetic CRD (fixtures/widgets-crd.yaml), for the
// features the vendored CRDs use too rarely to test there: formats (known, unknown), int-or-string,
// nullable, a bare `type: object` (keeps no fields), list-type set of scalars.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadValidator, type Validator } from '../../lib/validate';

describe('structural schema semantics', () => {
  let v: Validator;
  const widget = (spec: Record<string, unknown>) => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: { size: '2Gi', replicas: 1, name: 'a', ...spec },
  });
  const problems = (spec: Record<string, unknown>) =>
    v.validateObject(widget(spec), { file: 'w.yaml' }).map((i) => `${i.path}: ${i.message}`);

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-schemas-'));
    fs.copyFileSync(path.join(__dirname, 'fixtures', 'widgets-crd.yaml'), path.join(dir, 'widgets.yaml'));
    v = loadValidator({ schemasDir: dir });
  });

  it('checks the formats Kubernetes checks, and ignores unknown formats (no compile error, no failure)', () => {
    expect(problems({ created: '2026-11-23T01:00:00Z', address: '10.0.0.1', weird: 'anything at all' })).toEqual([]);
    expect(problems({ created: 'yesterday', address: '10.0.0.300' })).toEqual([
      'spec.created: Invalid value: "yesterday": must match format "date-time"',
      'spec.address: Invalid value: "10.0.0.300": must match format "ipv4"',
    ]);
  });

  it('accepts int-or-string as either, nothing else', () => {
    expect(problems({ port: 5432 })).toEqual([]);
    expect(problems({ port: 'postgres' })).toEqual([]);
    expect(problems({ port: 1.5 })).toEqual(['spec.port: must be integer or string (got number)']);
  });

  it('accepts null only where nullable', () => {
    expect(problems({ note: null })).toEqual([]);
    expect(problems({ name: null })).toEqual(['spec.name: must be string (got null)']);
  });

  it('treats a bare `type: object` as keeping no fields (the API server would prune them)', () => {
    expect(problems({ settings: {} })).toEqual([]);
    expect(problems({ settings: { a: 1 } })).toEqual(['spec.settings.a: unknown field (not in the schema)']);
  });

  it('enforces list-type set uniqueness and int32 items', () => {
    expect(problems({ bareList: [1, 2, 3] })).toEqual([]);
    expect(problems({ bareList: [1, 2, 1] })).toEqual(['spec.bareList[2]: Duplicate value: 1']);
    expect(problems({ bareList: [2 ** 31] })).toEqual(['spec.bareList[0]: Invalid value: 2147483648: must match format "int32"']);
  });

  it('validates metadata of custom resources as a DNS-1123 subdomain even without the k8s definitions', () => {
    expect(v.validateObject({ ...widget({}), metadata: { name: 'Not_Valid' } }, { file: 'w.yaml' }).map((i) => i.path)).toEqual([
      'metadata.name',
    ]);
  });
});
