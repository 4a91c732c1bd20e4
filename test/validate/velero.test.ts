// Velero 1.18 (velero.io/v1 Schedule, Backup).
// Classes these CRDs lack: no `pattern`, no x-kubernetes-list-type map/set, no
// x-kubernetes-preserve-unknown-fields and no CEL rules anywhere in them; `enum` exists only under
// status (status.phase), so that is where the enum class is tested.
import { describe, expect, it } from 'vitest';
import { broken, valid } from './fixtures';
import { expectOnlyIssue, expectValid, issuesOf, REQUIRED, UNKNOWN_FIELD } from './helpers';

describe('Velero', () => {
  it('accepts valid Schedule and Backup', () => {
    expectValid(valid.VeleroSchedule);
    expectValid(valid.VeleroBackup);
  });

  it('rejects an unknown field', () => {
    expectOnlyIssue(
      broken('VeleroSchedule', (o) => {
        o.spec.template.snapshotVolume = true;
      }),
      'spec.template.snapshotVolume',
      UNKNOWN_FIELD,
    );
  });

  it('rejects a wrong type', () => {
    expectOnlyIssue(
      broken('VeleroSchedule', (o) => {
        o.spec.template.ttl = 720;
      }),
      'spec.template.ttl',
      'must be string (got number)',
    );
    expectOnlyIssue(
      broken('VeleroBackup', (o) => {
        o.spec.includedNamespaces = 'orders';
      }),
      'spec.includedNamespaces',
      'must be array or null (got string)',
    );
  });

  it('accepts null where the CRD says nullable (includedNamespaces)', () => {
    expectValid(
      broken('VeleroBackup', (o) => {
        o.spec.includedNamespaces = null;
      }),
    );
  });

  it('rejects a missing required field', () => {
    expectOnlyIssue(
      broken('VeleroSchedule', (o) => {
        delete o.spec.schedule;
      }),
      'spec.schedule',
      REQUIRED,
    );
  });

  it('rejects a value outside an enum (status.phase: the only enum in these CRDs)', () => {
    expectOnlyIssue(
      broken('VeleroSchedule', (o) => {
        o.status = { phase: 'Running' };
      }),
      'status.phase',
      'Unsupported value: "Running": supported values: "New", "Enabled", "FailedValidation"',
    );
  });

  it('rejects a velero.io kind that is not in the CRD folder', () => {
    const [issue] = issuesOf({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: {} });
    expect(issue.message).toMatch(
      /^unknown apiVersion\/kind "velero.io\/v1\/Restore": no schema in .* \(velero.io\/v1 has: Backup, Schedule\)$/,
    );
  });
});
