// External Secrets 2.9 (external-secrets.io/v1 ExternalSecret; v1beta1 is served:false).
// Classes this CRD lacks: no x-kubernetes-list-type map/set, no x-kubernetes-preserve-unknown-fields,
// no CEL rules.
import { describe, expect, it } from 'vitest';
import { broken, valid } from './fixtures';
import { expectOnlyIssue, expectValid, issuesOf, REQUIRED, UNKNOWN_FIELD } from './helpers';

describe('External Secrets', () => {
  it('accepts a valid ExternalSecret', () => expectValid(valid.ExternalSecret));

  it('rejects an unknown field', () => {
    expectOnlyIssue(
      broken('ExternalSecret', (o) => {
        o.spec.target.nme = 'x';
      }),
      'spec.target.nme',
      UNKNOWN_FIELD,
    );
  });

  it('rejects a wrong type', () => {
    expectOnlyIssue(
      broken('ExternalSecret', (o) => {
        o.spec.data[0].remoteRef.key = 42;
      }),
      'spec.data[0].remoteRef.key',
      'must be string (got number)',
    );
  });

  it('rejects a missing required field', () => {
    expectOnlyIssue(
      broken('ExternalSecret', (o) => {
        delete o.spec.data[0].secretKey;
      }),
      'spec.data[0].secretKey',
      REQUIRED,
    );
  });

  it('rejects a value outside an enum', () => {
    expectOnlyIssue(
      broken('ExternalSecret', (o) => {
        o.spec.target.creationPolicy = 'Sometimes';
      }),
      'spec.target.creationPolicy',
      'Unsupported value: "Sometimes": supported values: "Owner", "Orphan", "Merge", "None", "CreateOrMerge"',
    );
  });

  it('rejects a pattern mismatch', () => {
    expectOnlyIssue(
      broken('ExternalSecret', (o) => {
        o.spec.data[0].secretKey = 'pass word';
      }),
      'spec.data[0].secretKey',
      'Invalid value: "pass word": must match pattern "^[-._a-zA-Z0-9]+$"',
    );
  });

  it('rejects the unserved v1beta1 version and kinds whose CRD is not in the folder', () => {
    expect(
      issuesOf(
        broken('ExternalSecret', (o) => {
          o.apiVersion = 'external-secrets.io/v1beta1';
        }),
      )[0].message,
    ).toMatch(/^unknown apiVersion\/kind "external-secrets.io\/v1beta1\/ExternalSecret": no schema in /);
    expect(
      issuesOf({ apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: 'vault' }, spec: {} })[0].message,
    ).toMatch(
      /^unknown apiVersion\/kind "external-secrets.io\/v1\/ClusterSecretStore": no schema in .* \(external-secrets.io\/v1 has: ExternalSecret\)$/,
    );
  });
});
