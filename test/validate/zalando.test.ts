// Zalando postgres-operator 2.0 (acid.zalan.do/v1, kind `postgresql`, lowercase).
// Every failure class exists here; x-kubernetes-preserve-unknown-fields is used for
// spec.additionalVolumes[].volumeSource. No CEL rules in this CRD.
import { describe, expect, it } from 'vitest';
import { broken, valid } from './fixtures';
import { expectOnlyIssue, expectValid, issuesOf, REQUIRED, UNKNOWN_FIELD } from './helpers';

describe('Zalando postgresql', () => {
  it('accepts a valid object', () => expectValid(valid.Zalando));

  it('rejects an unknown field', () => {
    expectOnlyIssue(
      broken('Zalando', (o) => {
        o.spec.numberOfInstance = 2;
      }),
      'spec.numberOfInstance',
      UNKNOWN_FIELD,
    );
  });

  it('rejects a wrong type', () => {
    expectOnlyIssue(
      broken('Zalando', (o) => {
        o.spec.numberOfInstances = '2';
      }),
      'spec.numberOfInstances',
      'must be integer (got string)',
    );
  });

  it('rejects a missing required field', () => {
    expectOnlyIssue(
      broken('Zalando', (o) => {
        delete o.spec.teamId;
      }),
      'spec.teamId',
      REQUIRED,
    );
    expectOnlyIssue(
      broken('Zalando', (o) => {
        delete o.spec.volume.size;
      }),
      'spec.volume.size',
      REQUIRED,
    );
  });

  it('rejects a value outside an enum (also inside a map of lists)', () => {
    expectOnlyIssue(
      broken('Zalando', (o) => {
        o.spec.postgresql.version = '13';
      }),
      'spec.postgresql.version',
      'Unsupported value: "13": supported values: "14", "15", "16", "17", "18"',
    );
    expectOnlyIssue(
      broken('Zalando', (o) => {
        o.spec.users.orders.push('god');
      }),
      'spec.users.orders[2]',
      /^Unsupported value: "god": supported values: "bypassrls"/,
    );
  });

  it('rejects a pattern mismatch', () => {
    expectOnlyIssue(
      broken('Zalando', (o) => {
        o.spec.volume.size = '1 GB';
      }),
      'spec.volume.size',
      /^Invalid value: "1 GB": must match pattern/,
    );
  });

  it('rejects a duplicate list-map key', () => {
    expectOnlyIssue(
      broken('Zalando', (o) => {
        o.spec.initContainers = [
          {
            name: 'init',
            image: 'busybox',
            env: [
              { name: 'A', value: '1' },
              { name: 'A', value: '2' },
            ],
          },
        ];
      }),
      'spec.initContainers[0].env[1]',
      'Duplicate value: {"name":"A"}',
    );
  });

  it('accepts anything under x-kubernetes-preserve-unknown-fields, and stays strict next to it', () => {
    const volume = {
      name: 'extra',
      mountPath: '/extra',
      volumeSource: { emptyDir: { sizeLimit: '1Gi' }, anythingAtAll: { deep: [1, 'two'] } },
    };
    expectValid(
      broken('Zalando', (o) => {
        o.spec.additionalVolumes = [volume];
      }),
    );
    expectOnlyIssue(
      broken('Zalando', (o) => {
        o.spec.additionalVolumes = [{ ...volume, mountPth: '/x' }];
      }),
      'spec.additionalVolumes[0].mountPth',
      UNKNOWN_FIELD,
    );
  });

  it('rejects an unknown kind (the kind is lowercase `postgresql`)', () => {
    const [issue] = issuesOf(
      broken('Zalando', (o) => {
        o.kind = 'Postgresql';
      }),
    );
    expect(issue.message).toMatch(
      /^unknown apiVersion\/kind "acid.zalan.do\/v1\/Postgresql": no schema in .* \(acid.zalan.do\/v1 has: postgresql\)$/,
    );
  });
});
