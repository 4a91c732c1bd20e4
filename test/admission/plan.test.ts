// `plan` marks the updates CloudNativePG's webhook refuses as REFUSED, with the way forward, and
// --allow-destructive does not let them through.
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { formatPlan } from '../../lib/plan/format';
import type { Manifests } from '../../lib/plan/manifests';
import { makePlan } from '../../lib/plan/plan';
import { BASE_FLEET } from '../support/fleet';

function render(text: string): Manifests {
  return new Map(renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))).map((o) => [o.path, o.object]));
}
function edit(from: string, to: string, text = BASE_FLEET): string {
  if (!text.includes(from)) throw new Error(`"${from}" not in the fleet text`);
  return text.split(from).join(to);
}
const refused = (before: string, after: string) =>
  makePlan(render(before), render(after))
    .dangers.filter((d) => d.rule === 'admission-refused')
    .map((d) => `${d.environment}: ${d.object} ${d.message}`);

describe('plan: updates the CloudNativePG webhook refuses', () => {
  it('a storage shrink is REFUSED (validateStorageChange) with the way forward', () => {
    const lines = refused(BASE_FLEET, edit('storage: 200Gi', 'storage: 100Gi'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^production: Cluster databases\/orders REFUSED: spec\.storage: refused by CloudNativePG's admission webhook/);
    expect(lines[0]).toContain('cluster_webhook.go validateStorageChange');
    expect(lines[0]).toContain("can't shrink existing storage from 200Gi to 100Gi");
    expect(lines[0]).toContain('Way forward:');
  });

  it('removing walStorage is REFUSED (validateWalStorageChange): not allowed, keep it or make a new cluster', () => {
    const withWal = edit('    instances: 3\n    storage: 50Gi\n', '    instances: 3\n    storage: 50Gi\n    walStorage: 10Gi\n');
    const lines = refused(withWal, BASE_FLEET);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes('walStorage cannot be disabled once configured'))).toBe(true);
    expect(lines[0]).toContain('validateWalStorageChange');
    // Growing it is fine.
    expect(refused(withWal, edit('walStorage: 10Gi', 'walStorage: 20Gi', withWal))).toEqual([]);
  });

  it('a major downgrade is REFUSED (validateImageChange): the way forward is a restore into a new cluster', () => {
    const v17 = edit('postgres: { version: 16 }', 'postgres: { version: 17 }');
    const lines = refused(v17, BASE_FLEET);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toContain("can't downgrade from major 17 to 16");
    expect(lines[0]).toContain('restore');
    // Upgrading 16 → 17 is a DANGER elsewhere, not refused.
    expect(refused(BASE_FLEET, v17)).toEqual([]);
  });

  it('the text plan shows REFUSED lines, and they are in the DANGER list that fails the plan', () => {
    const plan = makePlan(render(BASE_FLEET), render(edit('storage: 200Gi', 'storage: 100Gi')));
    expect(formatPlan(plan, 't')).toContain('! production: Cluster databases/orders REFUSED: spec.storage:');
  });
});
