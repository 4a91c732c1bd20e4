// The admission stage: what the operators' validating webhooks (and Zalando's operator, which
// checks manifests itself) would refuse in the objects dbfleet renders. validator.ts runs
// admissionViolations() on every object after its schema and CEL checks, so the library, the
// `validate` command and the cdk8s plugin all apply it; `plan` runs admissionUpdateViolations()
// on every changed object (lib/plan/admission-refused.ts). docs/admission.md lists the rules.
import { clusterViolations } from './cnpg-cluster';
import { clusterUpdateViolations } from './cnpg-cluster-update';
import { databaseViolations } from './cnpg-database';
import { poolerViolations } from './cnpg-pooler';
import { scheduledBackupViolations } from './cnpg-scheduled-backup';
import { externalSecretViolations } from './external-secrets';
import { postgresqlViolations } from './zalando';
import type { AdmissionViolation, Loose } from './rule';

export type { AdmissionViolation } from './rule';

const CREATE: Readonly<Record<string, (object: Loose) => AdmissionViolation[]>> = {
  'postgresql.cnpg.io/v1/Cluster': clusterViolations,
  'postgresql.cnpg.io/v1/Pooler': poolerViolations,
  'postgresql.cnpg.io/v1/ScheduledBackup': scheduledBackupViolations,
  'postgresql.cnpg.io/v1/Database': databaseViolations,
  'external-secrets.io/v1/ExternalSecret': externalSecretViolations,
  'acid.zalan.do/v1/postgresql': postgresqlViolations,
};

const UPDATE: Readonly<Record<string, (before: Loose, after: Loose) => AdmissionViolation[]>> = {
  'postgresql.cnpg.io/v1/Cluster': clusterUpdateViolations,
};

const keyOf = (object: Loose) => `${String(object.apiVersion)}/${String(object.kind)}`;
const isObject = (value: unknown): value is Loose => !!value && typeof value === 'object' && !Array.isArray(value);

/** What the admission webhooks refuse when this object is created (or updated: the same checks run). */
export function admissionViolations(object: unknown): AdmissionViolation[] {
  if (!isObject(object)) return [];
  return CREATE[keyOf(object)]?.(object) ?? [];
}

/**
 * What the webhooks refuse in the update from `before` to `after` beyond the checks of `after`
 * alone: the transition rules (storage shrink, major downgrade, …). Same kind expected.
 */
export function admissionUpdateViolations(before: unknown, after: unknown): AdmissionViolation[] {
  if (!isObject(before) || !isObject(after) || keyOf(before) !== keyOf(after)) return [];
  return UPDATE[keyOf(after)]?.(before, after) ?? [];
}
