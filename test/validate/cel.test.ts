// CEL (x-kubernetes-validations): counts over the real CRDs, and every evaluation path on a
// synthetic CRD (fixtures/widgets-crd.yaml): defaults before rules, transition rules skipped and
// counted, unrunnable rules reported as "not checked" with their CRD path, messageExpression,
// fieldPath, list items, the Kubernetes list library.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadValidator, type Validator } from '../../lib/validate';
import { valid } from './fixtures';
import { validator } from './helpers';

describe('CEL rules of the real CRDs', () => {
  it('finds 57 rules (CNPG, its Barman Cloud plugin, External Secrets, ACK RDS): 37 run, 20 transition rules, none not checked', () => {
    const rules = validator().celRules();
    expect(rules).toHaveLength(57);
    expect(new Set(rules.map((r) => r.kindKey.split('/')[0]))).toEqual(
      new Set(['postgresql.cnpg.io', 'barmancloud.cnpg.io', 'external-secrets.io', 'rds.services.k8s.aws']),
    );
    expect(rules.filter((r) => r.status === 'checked')).toHaveLength(37);
    const transition = rules.filter((r) => r.status === 'transition');
    // ACK rds-controller v1.11.1 DBInstance spec.availabilityZone: `self == oldSelf` (immutable once set).
    expect(transition).toHaveLength(20);
    expect(transition.every((r) => r.rule.includes('oldSelf'))).toBe(true);
    expect(rules.filter((r) => r.status === 'not-checked')).toEqual([]);
    expect(rules.find((r) => r.rule === "self != 'postgres'")?.crdPath).toBe(
      'cloudnative-pg/postgresql.cnpg.io_databases.json#/properties/spec/properties/name',
    );
  });

  it('counts rules ran and transition rules skipped per object', () => {
    const report = validator().validateObjects([
      { object: valid.Cluster, location: { file: 'cluster.yaml' } },
      { object: valid.Database, location: { file: 'database.yaml' } },
    ]);
    expect(report.issues).toEqual([]);
    // Cluster: spec (1) + initdb (3) + synchronous (1) + synchronous.number (1) = 6 ran; no
    // serviceAccountName, so its transition rule does not apply.
    // Database: spec (3) + spec.name (3) = 6 ran; transition rules apply on the fields present
    // among those that have one: spec.cluster and spec.name = 2 skipped.
    expect(report.celStats).toEqual({ ran: 12, transitionSkipped: 2, notChecked: 0, notCheckedRules: [] });
  });
});

describe('CEL evaluation semantics (synthetic CRD)', () => {
  let dir: string;
  let widgets: Validator;
  const widget = (spec: Record<string, unknown>) => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: { size: '2Gi', ...spec },
  });
  const problems = (obj: unknown) => widgets.validateObject(obj, { file: 'w.yaml' }).map((i) => `${i.path}: ${i.message}`);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-schemas-'));
    fs.copyFileSync(path.join(__dirname, 'fixtures', 'widgets-crd.yaml'), path.join(dir, 'widgets.yaml'));
    widgets = loadValidator({ schemasDir: dir });
  });
  const previousEnv = process.env.DBFLEET_SCHEMAS;
  afterEach(() => {
    if (previousEnv === undefined) delete process.env.DBFLEET_SCHEMAS;
    else process.env.DBFLEET_SCHEMAS = previousEnv;
  });

  it('catalogues each rule with its status and CRD path', () => {
    const rules = widgets.celRules();
    expect(rules.map((r) => [r.crdPath, r.status])).toEqual([
      ['widgets.yaml#/properties/spec', 'checked'],
      ['widgets.yaml#/properties/spec', 'transition'],
      ['widgets.yaml#/properties/spec', 'not-checked'],
      ['widgets.yaml#/properties/spec', 'not-checked'],
      ['widgets.yaml#/properties/spec', 'checked'],
      ['widgets.yaml#/properties/spec/properties/tags', 'checked'],
      ['widgets.yaml#/properties/spec/properties/parts/items', 'checked'],
    ]);
    expect(rules[2].reason).toBe('function(s) not available in the evaluator: isGreaterThan, quantity');
    expect(rules[3].reason).toMatch(/^does not parse/);
  });

  it('applies schema defaults before evaluating (maxReplicas defaults to 3)', () => {
    expect(problems(widget({ replicas: 3, name: 'a' }))).toEqual([]);
    expect(problems(widget({ replicas: 4, name: 'a' }))).toEqual(['spec: replicas must not exceed maxReplicas']);
    expect(problems(widget({ replicas: 4, maxReplicas: 5, name: 'a' }))).toEqual([]);
  });

  it('reports not-checked rules with their CRD path and counts skipped transition rules; never passes them silently', () => {
    const report = widgets.validateObjects([{ object: widget({ replicas: 1, name: 'a' }), location: { file: 'w.yaml' } }]);
    expect(report.issues).toEqual([]);
    expect(report.celStats.ran).toBe(2);
    expect(report.celStats.transitionSkipped).toBe(1);
    expect(report.celStats.notChecked).toBe(2);
    expect(report.celStats.notCheckedRules).toEqual([
      {
        crdPath: 'widgets.yaml#/properties/spec',
        rule: "quantity(self.size).isGreaterThan(quantity('1Gi'))",
        reason: 'function(s) not available in the evaluator: isGreaterThan, quantity',
      },
      { crdPath: 'widgets.yaml#/properties/spec', rule: 'self.replicas >', reason: expect.stringMatching(/^does not parse/) },
    ]);
  });

  it('runs rules only where the value is present', () => {
    const report = widgets.validateObjects([
      { object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }, location: { file: 'w.yaml' } },
    ]);
    expect(report.celStats).toEqual({ ran: 0, transitionSkipped: 0, notChecked: 0, notCheckedRules: [] });
  });

  it('uses messageExpression and fieldPath', () => {
    expect(problems(widget({ replicas: 1, name: 'much-too-long' }))).toEqual(['spec.name: name too long: much-too-long']);
  });

  it('evaluates rules on list items and the Kubernetes list library', () => {
    expect(
      problems(
        widget({
          replicas: 1,
          name: 'a',
          tags: ['a', 'b'],
          parts: [
            { min: 1, max: 2 },
            { min: 3, max: 2 },
          ],
        }),
      ),
    ).toEqual(['spec.parts[1]: min must not exceed max']);
    expect(problems(widget({ replicas: 1, name: 'a', tags: ['b', 'a'] }))).toEqual(['spec.tags: tags must be sorted']);
  });

  it('accepts anything under preserve-unknown-fields, rejects unknown fields elsewhere, and ignores unserved versions', () => {
    expect(problems(widget({ replicas: 1, name: 'a', extra: { any: { thing: [1] } } }))).toEqual([]);
    expect(problems(widget({ replicas: 1, name: 'a', other: 1 }))).toEqual(['spec.other: unknown field (not in the schema)']);
    expect(problems({ ...widget({}), apiVersion: 'example.com/v1beta1' })[0]).toMatch(
      /^: unknown apiVersion\/kind "example.com\/v1beta1\/Widget"/,
    );
  });

  it('takes the schema folder from DBFLEET_SCHEMAS when no option is given', () => {
    process.env.DBFLEET_SCHEMAS = dir;
    expect(loadValidator().knownKinds).toEqual(['example.com/v1/Widget']);
  });
});

describe('schemas that cannot be used', () => {
  it('reports every object of a kind whose schema does not compile, never passes it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-schemas-'));
    fs.writeFileSync(
      path.join(dir, 'broken.yaml'),
      [
        'apiVersion: apiextensions.k8s.io/v1',
        'kind: CustomResourceDefinition',
        'metadata: { name: gadgets.example.com }',
        'spec:',
        '  group: example.com',
        '  names: { kind: Gadget, plural: gadgets }',
        '  scope: Namespaced',
        '  versions:',
        '    - name: v1',
        '      served: true',
        '      storage: true',
        '      schema:',
        '        openAPIV3Schema: { type: object, properties: { spec: { type: string, minLength: "many" } } }',
      ].join('\n'),
    );
    const v = loadValidator({ schemasDir: dir });
    expect(v.compileAll().failed).toEqual([expect.stringMatching(/^example.com\/v1\/Gadget: /)]);
    const [issue] = v.validateObject(
      { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: 'x' },
      { file: 'g.yaml' },
    );
    expect(issue.message).toMatch(/^the schema for "example.com\/v1\/Gadget" could not be compiled: /);
  });
});
