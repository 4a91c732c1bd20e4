// npm run plan on Zalando environments: an operator switch is a DANGER (new, empty clusters), and
// the rules that read cluster labels and hosts understand Zalando's (no false alarm when a service
// is added). On renderings of the Zalando fixture fleet.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import type { Manifests } from '../../lib/plan/manifests';
import { makePlan } from '../../lib/plan/plan';

const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'zalando.yaml'), 'utf8');
const manifests = (text: string): Manifests =>
  new Map(renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))).map((o) => [o.path, o.object]));

describe('plan', () => {
  it("switching an environment's operator is a DANGER on every new cluster, naming both operators and the way out", () => {
    const base = manifests(FIXTURE);
    const switched = FIXTURE.replace(
      '    operator: zalando\n    zalando: { teamId: shop, operatorNamespace: zalando-operator }\n',
      '    operator: cloudnative-pg\n',
    ).replace(
      '      postgres: { schedule: "0 30 1 * * *", method: logical }',
      '      postgres: { schedule: "0 30 1 * * *", method: volumeSnapshot }',
    );
    const dangers = makePlan(base, manifests(switched)).dangers.filter((d) => d.rule === 'operator-switch');
    expect(dangers.map((d) => `${d.environment} ${d.object}`)).toEqual([
      'staging Cluster databases/commerce',
      'staging Cluster databases/identity',
    ]);
    expect(dangers[0].message).toBe(
      'is a new, empty cluster: the environment moves from Zalando\'s postgres-operator to CloudNativePG, and its 2 Zalando\'s postgres-operator cluster(s) keep running with their data but are no longer managed. Switching operators is not a migration: copy the data first (docs/zalando.md, "Migrating an environment")',
    );
    // And back: from CloudNativePG to Zalando.
    const back = makePlan(manifests(switched), base).dangers.filter((d) => d.rule === 'operator-switch');
    expect(back.map((d) => d.object)).toEqual(['postgresql databases/commerce', 'postgresql databases/identity']);
  });

  it("adding a service to a Zalando cluster opens it to the service's namespace without a false DANGER", () => {
    const added = FIXTURE.replace(
      '  - name: payments\n',
      '  - name: refunds\n    namespace: refunds\n    group: commerce\n  - name: payments\n',
    );
    const plan = makePlan(manifests(FIXTURE), manifests(added));
    expect(plan.dangers.filter((d) => d.environment === 'staging')).toEqual([]);
    expect(plan.dangers.filter((d) => d.rule === 'operator-switch')).toEqual([]);
  });
});
