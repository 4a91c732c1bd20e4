// External Secrets' ExternalSecret webhook and Zalando's manifest checks, on objects like the ones
// dbfleet renders.
import { describe, expect, it } from 'vitest';
import { admissionViolations } from '../../lib/validate/admission';

const es = (spec: Record<string, unknown>) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name: 'x' },
  spec,
});
const data = [{ secretKey: 'password', remoteRef: { key: 'k', property: 'password' } }];
const rules = (o: unknown) => admissionViolations(o).map((v) => v.rule);

describe('External Secrets ExternalSecret webhook (external-secrets@v2.9.0 externalsecret_validator.go)', () => {
  it("accepts dbfleet's shape: data, Owner/Retain", () => {
    expect(admissionViolations(es({ data, target: { name: 's', creationPolicy: 'Owner', deletionPolicy: 'Retain' } }))).toEqual([]);
  });
  it('refuses Delete without owning the Secret, Merge with None, no data, duplicate keys, bad templateFrom targets', () => {
    expect(rules(es({ data, target: { creationPolicy: 'Merge', deletionPolicy: 'Delete' } }))).toEqual([
      'eso.externalsecret.validatePolicies',
    ]);
    expect(rules(es({ data, target: { creationPolicy: 'None', deletionPolicy: 'Merge' } }))).toEqual([
      'eso.externalsecret.validatePolicies',
    ]);
    expect(rules(es({ target: {} }))).toEqual(['eso.externalsecret.validateExternalSecret']);
    expect(rules(es({ data: [...data, ...data], target: {} }))).toEqual(['eso.externalsecret.validateDuplicateKeys']);
    expect(rules(es({ data, target: { template: { templateFrom: [{ target: 'Data' }, { target: 'Spec' }] } } }))).toEqual([
      'eso.externalsecret.validateTemplateFromTarget',
    ]);
    expect(rules(es({ data, target: { template: { type: 'bootstrap.kubernetes.io/token' } } }))).toEqual([
      'eso.externalsecret.validatePrivilegedTemplate',
    ]);
    expect(rules(es({ dataFrom: [{ find: {}, extract: { key: 'k' } }, {}, { sourceRef: {} }], target: {} }))).toEqual([
      'eso.externalsecret.validateExtractFindGenerator',
      'eso.externalsecret.validateFindExtractSourceRef',
      'eso.externalsecret.validateSourceRef',
    ]);
  });
});

describe("Zalando's manifest checks (postgres-operator@v2.0.1 pkg/cluster/k8sres.go validateContainers)", () => {
  const pg = (sidecars: unknown[]) => ({
    apiVersion: 'acid.zalan.do/v1',
    kind: 'postgresql',
    metadata: { name: 'acme-x' },
    spec: { sidecars },
  });
  it('a sidecar needs a name and an image', () => {
    expect(admissionViolations(pg([{ name: 'exporter', image: 'quay.io/x:1' }]))).toEqual([]);
    expect(admissionViolations(pg([{ image: 'quay.io/x:1' }])).map((v) => v.message)).toEqual([
      expect.stringContaining('container[0]: name is required'),
    ]);
    expect(admissionViolations(pg([{ name: 'exporter' }])).map((v) => v.path)).toEqual(['spec.sidecars[0].image']);
  });
});
