// docs/admission.md's rule table is the catalog (lib/validate/admission/catalog.ts); every covered
// CloudNativePG Cluster rule of the catalog is implemented, and every rule implemented is in it.
// Regenerate the table: npx tsx -e "import { catalogTable } from './lib/validate/admission/catalog'; console.log(catalogTable())"
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, catalogTable } from '../../lib/validate/admission/catalog';
import { CLUSTER_RULES } from '../../lib/validate/admission/cnpg-cluster';
import { CLUSTER_UPDATE_RULES } from '../../lib/validate/admission/cnpg-cluster-update';

describe('admission rule catalog', () => {
  it('docs/admission.md holds the generated table', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'admission.md'), 'utf8');
    const table = /<!-- admission-catalog:start[^\n]*-->\n([\s\S]*?)\n<!-- admission-catalog:end -->/.exec(doc)?.[1];
    expect(table).toBe(catalogTable());
  });

  it('lists every function of the upstream Cluster validate and validateClusterChanges lists, once', () => {
    const cluster = CATALOG.filter((e) => e.kind === 'Cluster');
    expect(cluster.filter((e) => e.on === 'create+update')).toHaveLength(50);
    expect(cluster.filter((e) => e.on === 'update')).toHaveLength(9);
    expect(new Set(cluster.map((e) => e.func)).size).toBe(cluster.length);
  });

  it('a Cluster rule is covered exactly when it is implemented', () => {
    const covered = CATALOG.filter((e) => e.kind === 'Cluster' && e.status.startsWith('covered'))
      .map((e) => e.func)
      .sort();
    const implemented = [...CLUSTER_RULES, ...CLUSTER_UPDATE_RULES].map((r) => r.func).sort();
    expect(implemented).toEqual(covered);
  });
});
