// docs/monitoring.md's alerts table is generated: it must match what the rules render.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import { alertsTable } from '../../lib/monitoring/alerts-table';

const root = join(__dirname, '..', '..');

describe.each([
  ['docs/monitoring.md', 'runbooks/'],
  ['README.md', 'docs/runbooks/'],
])('%s', (file, runbooks) => {
  // Generated from the example fleet's fixture copy, not from fleet.yaml: an adopter's fleet does
  // not change dbfleet's documentation.
  it('lists every alert with the thresholds of the example fleet (regenerate with alertsTable(loadFleet("test/fixtures/fleets/example.yaml")))', () => {
    const doc = readFileSync(join(root, file), 'utf8');
    const table = doc.match(/<!-- alerts-table:begin[^>]*-->\n([\s\S]*?)\n<!-- alerts-table:end -->/);
    expect(table, 'alerts-table markers').not.toBeNull();
    expect(table![1]).toBe(
      alertsTable(loadFleet(join(root, 'test', 'fixtures', 'fleets', 'example.yaml'))).replaceAll('](runbooks/', `](${runbooks}`),
    );
  });
});
