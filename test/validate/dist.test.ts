// The committed dist/ is valid against the real schemas, CEL rules included (`npm test` runs this).
// Settings come from the DbfleetSchemaValidation entry in cdk8s.yaml, as for `npm run validate`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadValidator } from '../../lib/validate';
import { readPluginProperties } from '../../lib/validate/plugin-config';

const repoRoot = path.resolve(__dirname, '..', '..');
const dist = path.join(repoRoot, 'dist');
const props = readPluginProperties(path.join(repoRoot, 'cdk8s.yaml'));
// Every rendered kind has a CRD in ../shared/crds (AppProject included): nothing is exempt.
const unvalidatedKinds = props?.unvalidatedKinds ?? [];

describe.skipIf(!fs.existsSync(dist))('committed dist/', () => {
  it('is valid: every object, every schema, every runnable CEL rule', () => {
    const validator = loadValidator({ schemasDir: props?.schemasDir, unvalidatedKinds });
    // A relative folder keeps messages as `dist/production/…` when run from the repository root.
    const report = validator.validateDirectory(path.relative(process.cwd(), dist) || dist);
    expect(report.issues.map(formatIssue)).toEqual([]);
    expect(report.objectCount).toBeGreaterThan(0);
    expect(report.celStats.notChecked).toBe(0);
    // Nothing skipped: cdk8s.yaml lists no unvalidated kind, and no object is without a schema.
    expect(unvalidatedKinds).toEqual([]);
    expect(report.notValidated).toEqual([]);
  });
});
