// The app's side of the validation record (validation-record.cjs): the identity of a loaded
// validator, and where records live. The cdk8s plugin computes the same identity itself.
import { defaultCacheDir, validatorIdentity, writeValidationRecord } from './validation-record.cjs';
import type { Validator } from './validator';

/** node_modules/.cache/dbfleet-validated, or $DBFLEET_VALIDATION_RECORDS; `off` disables records. */
export function validationRecordDir(): string | undefined {
  const fromEnv = process.env.DBFLEET_VALIDATION_RECORDS;
  if (fromEnv === 'off') return undefined;
  // lib/validate/ is this file's folder (the app's bundle keeps __dirname).
  return fromEnv || defaultCacheDir(__dirname);
}

/** Identity of this validator: its sources, the lockfile, its schema folder and settings. */
export function identityOf(validator: Validator, unvalidatedKinds: readonly string[] = []): string | undefined {
  return validatorIdentity({ validateDir: __dirname, schemasDir: validator.schemasDir, unvalidatedKinds });
}

export { writeValidationRecord };
