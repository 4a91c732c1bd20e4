// A peer's test suite as evidence: CloudNativePG's own webhook test cases, translated into
// fixtures (test/admission/upstream/), run against dbfleet's port. Each case runs the one upstream
// function its test calls and expects the same number of errors. docs/admission.md has the count.
import { describe, expect, it } from 'vitest';
import { clusterViolations } from '../../lib/validate/admission/cnpg-cluster';
import { clusterUpdateViolations } from '../../lib/validate/admission/cnpg-cluster-update';
import { databaseViolations } from '../../lib/validate/admission/cnpg-database';
import { poolerViolations } from '../../lib/validate/admission/cnpg-pooler';
import { scheduledBackupViolations } from '../../lib/validate/admission/cnpg-scheduled-backup';
import type { AdmissionViolation } from '../../lib/validate/admission/rule';
import { parsePostgresQuantity } from '../../lib/validate/admission/values';
import type { UpstreamCase } from './upstream/case';
import { CLUSTER_CASES } from './upstream/cluster-cases';
import { OTHER_CASES } from './upstream/other-cases';

export const ALL_CASES: readonly UpstreamCase[] = [...CLUSTER_CASES, ...OTHER_CASES];

function violations(c: UpstreamCase): AdmissionViolation[] {
  const kind = c.object.kind;
  if (kind === 'Cluster') return c.old ? clusterUpdateViolations(c.old, c.object) : clusterViolations(c.object);
  if (kind === 'Pooler') return poolerViolations(c.object);
  if (kind === 'ScheduledBackup') return scheduledBackupViolations(c.object);
  if (kind === 'Database') return databaseViolations(c.object);
  throw new Error(`no rules for ${String(kind)}`);
}

describe(`upstream webhook test cases (${ALL_CASES.length} ported)`, () => {
  it.each(ALL_CASES.map((c) => [c.source, c] as const))('%s', (_, c) => {
    const found = violations(c).filter((v) => c.rule === '*' || v.rule.endsWith(`.${c.rule}`));
    const shown = found.map((v) => `${v.path}: ${v.message}`);
    if (c.refused === 'some') expect(shown, c.source).not.toHaveLength(0);
    else expect(shown, c.source).toHaveLength(c.refused);
    if (c.path) expect(found.map((v) => v.path)).toEqual([c.path]);
    if (c.detail) expect(found.map((v) => v.message).join('\n')).toContain(c.detail);
  });

  it('sources are unique', () => {
    expect(new Set(ALL_CASES.map((c) => c.source)).size).toBe(ALL_CASES.length);
  });
});

// cluster_webhook_test.go:487 DescribeTable("parsePostgresQuantityValue"): the size parser the
// shared_buffers and WAL size rules rely on (value, bytes, or undefined where upstream errs).
const QUANTITY_ENTRIES: ReadonlyArray<readonly [string, string, number | undefined]> = [
  ['bare', '1', 2 ** 20],
  ['B', '1B', 1],
  ['kB', '1kB', 2 ** 10],
  ['MB', '1MB', 2 ** 20],
  ['GB', '1GB', 2 ** 30],
  ['TB', '1TB', 2 ** 40],
  ['spaceB', '1 B', 1],
  ['spaceMB', '1 MB', 2 ** 20],
  ['reject kb', '1kb', undefined],
  ['reject Mb', '1Mb', undefined],
  ['reject G', '1G', undefined],
  ['reject random unit', '1random', undefined],
  ['reject non-numeric', 'non-numeric', undefined],
];

describe(`upstream parsePostgresQuantityValue entries (${QUANTITY_ENTRIES.length} ported)`, () => {
  it.each(QUANTITY_ENTRIES)('cluster_webhook_test.go:%s', (_, value, bytes) => {
    expect(parsePostgresQuantity(value)).toBe(bytes);
  });
});
