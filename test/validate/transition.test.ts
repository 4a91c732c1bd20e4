// The CRDs' transition rules (oldSelf), run for an update as the API server does.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadValidator, type Validator } from '../../lib/validate';

let v: Validator;
beforeAll(() => {
  v = loadValidator();
});

const database = (cluster: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Database',
  metadata: { name: 'orders', namespace: 'databases' },
  spec: { name: 'orders', owner: 'orders', cluster: { name: cluster }, ...extra },
});

describe('validateTransition', () => {
  it("an immutable field that changes is rejected with the rule's message and path", () => {
    expect(v.validateTransition(database('a'), database('b'), { file: 'x.yaml' }).map((i) => [i.path, i.message, i.rule])).toEqual([
      ['spec.cluster', 'cluster reference is immutable after creation', 'cel'],
    ]);
    expect(
      v
        .validateTransition(database('a', { encoding: 'UTF8' }), database('a', { encoding: 'LATIN1' }), { file: 'x.yaml' })
        .map((i) => i.message),
    ).toEqual(['encoding is immutable']);
  });

  it('unchanged values, values set for the first time and other kinds pass', () => {
    expect(v.validateTransition(database('a'), database('a'), { file: 'x.yaml' })).toEqual([]);
    expect(v.validateTransition(database('a'), database('a', { encoding: 'UTF8' }), { file: 'x.yaml' })).toEqual([]);
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } };
    expect(v.validateTransition(ns, { ...ns, metadata: { name: 'a', labels: { x: 'y' } } }, { file: 'x.yaml' })).toEqual([]);
  });

  it('plain validation still only counts transition rules (no previous object)', () => {
    expect(v.validateObject(database('b'), { file: 'x.yaml' })).toEqual([]);
  });
});
