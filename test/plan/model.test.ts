// The plan's object model on in-memory renders (no git, no subprocess): identities, moves and
// renames, field values, the CRDs' transition rules and the DANGER rules of issue #14.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { diffFields } from '../../lib/plan/field-diff';
import { formatPlan } from '../../lib/plan/format';
import type { Manifests } from '../../lib/plan/manifests';
import { makePlan, type Plan } from '../../lib/plan/plan';
import { loadValidator, type Validator } from '../../lib/validate';

const FLEET = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'plan.yaml'), 'utf8');
let validator: Validator;
beforeAll(() => {
  validator = loadValidator({ unvalidatedKinds: ['argoproj.io/v1alpha1/AppProject'] });
});

function render(text: string): Manifests {
  return new Map(renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))).map((o) => [o.path, o.object]));
}
function edit(from: string, to: string, text = FLEET): string {
  if (!text.includes(from)) throw new Error(`"${from}" not in the fleet text`);
  return text.split(from).join(to);
}
function planFor(text: string): Plan {
  return makePlan(render(FLEET), render(text), { rejectedUpdate: (a, b) => validator.validateTransition(a, b, { file: '' }) });
}
const env = (plan: Plan, name: string) => plan.environments.find((e) => e.environment === name)!;
const dangerLines = (plan: Plan) => plan.dangers.map((d) => `${d.environment}: ${d.object} ${d.message}`);

describe('plan: objects, not files', () => {
  it('no change: no changes, no dangers', () => {
    const plan = planFor(FLEET);
    expect(plan.environments.every((e) => !e.added.length && !e.changed.length && !e.removed.length && !e.moved.length)).toBe(true);
    expect(formatPlan(plan, 't')).toBe('t\n\nno changes');
  });

  it("moving a service to another group is DANGER with the CRD rule's message (Database spec.cluster is immutable)", () => {
    const plan = planFor(edit('  - name: reviews\n    group: storefront', '  - name: reviews\n    group: commerce'));
    const changed = env(plan, 'production').changed.find((c) => c.object.kind === 'Database' && c.object.name === 'reviews')!;
    expect(changed.fields).toContainEqual({ path: 'spec.cluster.name', before: 'storefront', after: 'commerce' });
    expect(dangerLines(plan)).toContain(
      'production: Database databases/reviews the API server will reject this update: "cluster reference is immutable after creation" (spec.cluster, a CRD transition rule): the sync fails here, after the objects of earlier waves (e.g. connection Secrets) are already applied',
    );
  });

  it('a namespace change: the clusters are removed and added (moved), and that is DANGER', () => {
    const plan = planFor(edit('  production:\n    namespace: databases', '  production:\n    namespace: databases-prod'));
    const production = env(plan, 'production');
    expect(production.changed.filter((c) => c.object.kind === 'Cluster')).toEqual([]);
    expect(
      production.moved
        .filter((m) => m.from.kind === 'Cluster')
        .map((m) => [`${m.from.namespace}/${m.from.name}`, `${m.to.namespace}/${m.to.name}`]),
    ).toEqual([
      ['databases/commerce', 'databases-prod/commerce'],
      ['databases/storefront', 'databases-prod/storefront'],
    ]);
    expect(dangerLines(plan)).toContain(
      'production: Cluster databases/commerce moves from namespace databases to databases-prod: Kubernetes cannot move an object, so Cluster databases-prod/commerce is a new, empty Cluster, and the old one stays, unmanaged, with its data',
    );
    const text = formatPlan(plan, 't');
    expect(text).toContain(
      '  - Cluster databases/commerce  (production/cluster-commerce.yaml)\n  + Cluster databases-prod/commerce  (production/cluster-commerce.yaml)  moved to another namespace: the same content under a new identity',
    );
  });

  it('five renames at once are each paired with their own new name (content decides), never with the first added one', () => {
    let text = FLEET;
    for (const [from, to] of [
      ['orders', 'sales'],
      ['payments', 'billing'],
      ['catalog', 'products'],
      ['inventory', 'stock'],
      ['reviews', 'ratings'],
    ]) {
      text = edit(`  - name: ${from}\n`, `  - name: ${to}\n`, text);
    }
    const plan = planFor(text);
    const databases = env(plan, 'test')
      .moved.filter((m) => m.from.kind === 'Database')
      .map((m) => `${m.from.name} → ${m.to.name}`);
    expect(databases.sort()).toEqual([
      'catalog → products',
      'inventory → stock',
      'orders → sales',
      'payments → billing',
      'reviews → ratings',
    ]);
    const renames = plan.dangers
      .filter((d) => d.rule === 'moved-data-bearing' && d.object.startsWith('Database'))
      .map((d) => `${d.environment}: ${d.object} ${d.message.split(':')[0]}`);
    expect(renames).toContain('test: Database databases/catalog is renamed to products');
    expect(renames).toContain('production: Database databases/payments is renamed to billing');
    expect(renames).toHaveLength(10);
  });

  it('renames whose content cannot tell them apart are not paired at all', () => {
    let text = edit('    extensions: [pgcrypto]\n', '', edit('    extensions: [uuid-ossp]\n', ''));
    const base = render(text);
    text = edit('  - name: orders\n', '  - name: sales\n', edit('  - name: payments\n', '  - name: billing\n', text));
    const plan = makePlan(base, render(text));
    const test = env(plan, 'test');
    expect(test.moved.filter((m) => m.from.kind === 'Database')).toEqual([]);
    expect(test.removed.filter((o) => o.kind === 'Database').map((o) => o.name)).toEqual(['orders', 'payments']);
    expect(test.added.filter((o) => o.kind === 'Database').map((o) => o.name)).toEqual(['billing', 'sales']);
    expect(plan.dangers.filter((d) => d.environment === 'test' && d.object === 'Database databases/orders').map((d) => d.message)).toEqual([
      'is removed: Argo CD will not prune it (Prune=false), but it is no longer managed and its data is orphaned',
    ]);
  });

  it('16 → 17 is DANGER naming the offline in-place pg_upgrade; 17 → 16 is refused', () => {
    const upgrade = edit(
      '  version: 16\n  imageName: ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie',
      '  version: 17\n  imageName: ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie',
    );
    const plan = planFor(upgrade);
    expect(env(plan, 'production').changed.find((c) => c.object.name === 'commerce' && c.object.kind === 'Cluster')!.fields).toContainEqual(
      {
        path: 'spec.imageName',
        before: 'ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie',
        after: 'ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie',
      },
    );
    expect(dangerLines(plan)).toContain(
      'production: Cluster databases/commerce PostgreSQL major version 16 → 17: CloudNativePG runs an offline in-place upgrade (pg_upgrade --link in a Job): the whole cluster, replicas included, is down while it runs, replicas are re-cloned afterwards, and backups taken before cannot restore to a point in time after it. Back up first and run the upgrade in a test environment first (docs/postgres-upgrades.md)',
    );
    const down = makePlan(render(upgrade), render(FLEET));
    expect(down.dangers.map((d) => d.message)).toContain(
      'PostgreSQL major version goes down from 17 to 16: CloudNativePG refuses it ("can\'t downgrade from major 17 to 16"); going back needs a dump and restore into a new cluster',
    );
    // A minor update is no danger.
    const minor = planFor(edit('16.10-system-trixie', '16.11-system-trixie'));
    expect(minor.dangers).toEqual([]);
  });

  it('a major change through an ImageCatalog is seen too', () => {
    const withCatalog = edit('secretStore:', '  imageCatalog: true\nsecretStore:');
    const upgraded = edit(
      '  version: 16\n  imageName: ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie',
      '  version: 17\n  imageName: ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie',
      withCatalog,
    );
    const plan = makePlan(render(withCatalog), render(upgraded));
    const cluster = env(plan, 'production').changed.find((c) => c.object.kind === 'Cluster' && c.object.name === 'commerce')!;
    expect(cluster.fields).toContainEqual({ path: 'spec.imageCatalogRef.major', before: 16, after: 17 });
    expect(plan.dangers.filter((d) => d.rule === 'major-version').map((d) => d.object)).toContain('Cluster databases/commerce');
  });

  it('instances to 1 where there were more is DANGER; old → new values are shown', () => {
    const plan = planFor(edit('    instances: 3\n', '    instances: 1\n'));
    expect(env(plan, 'production').changed.find((c) => c.object.name === 'commerce' && c.object.kind === 'Cluster')!.fields).toContainEqual(
      { path: 'spec.instances', before: 3, after: 1 },
    );
    expect(dangerLines(plan)).toContain(
      "production: Cluster databases/commerce instances drop from 3 to 1: no standby is left to fail over to, and the dropped instances' volumes are deleted",
    );
  });

  it('lists are diffed compactly: items added and removed, by name where items have one', () => {
    const plan = planFor(edit('    extensions: [citext]', '    extensions: [citext, pg_trgm]'));
    const database = env(plan, 'test').changed.find((c) => c.object.kind === 'Database' && c.object.name === 'reviews')!;
    expect(database.fields).toEqual([{ path: 'spec.extensions', added: ['pg_trgm'] }]);
    expect(formatPlan(plan, 't')).toContain(
      '  ~ Database databases/reviews  (test/database-reviews.yaml)\n      spec.extensions: + "pg_trgm"',
    );
  });
});

describe('plan formats', () => {
  const plan = () => planFor(edit('    instances: 3\n', '    instances: 1\n'));

  it('markdown: dangers first as a table, then each environment', () => {
    const md = formatPlan(plan(), 'dbfleet plan', 'markdown');
    expect(md).toMatch(/^### dbfleet plan\n\n> \[!CAUTION\]\n> \*\*2 dangerous changes\*\*/);
    // The same danger on two clusters: one row, counted, with both objects.
    expect(md).toContain(
      "| production | **2×** `Cluster databases/commerce`, `Cluster databases/storefront` | instances drop from 3 to 1: no standby is left to fail over to, and the dropped instances' volumes are deleted |",
    );
    // 2 Clusters, the PrometheusRule, and 5 connection Secrets whose ro endpoints fall back to -rw without replicas.
    expect(md).toContain('#### production: 0 added, 8 changed, 0 removed');
    expect(md).toContain('- ✏️ `Cluster databases/commerce`\n');
    expect(md).toContain('  - `spec.instances: 3 → 1`\n');
    expect(md).toContain(
      '  - `spec.groups[shop-production.cnpg-availability].rules: − "CNPGClusterHACritical", − "CNPGClusterHAWarning", − "CNPGClusterInstancesOnSameNode"`',
    );
  });

  it('json: the plan object model', () => {
    const json = JSON.parse(formatPlan(plan(), 'dbfleet plan', 'json'));
    expect(json.title).toBe('dbfleet plan');
    expect(json.dangers[0]).toMatchObject({ environment: 'production', object: 'Cluster databases/commerce', rule: 'single-instance' });
    const production = json.environments.find((e: { environment: string }) => e.environment === 'production');
    expect(production.changed[0].object).toEqual({
      environment: 'production',
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      namespace: 'databases',
      name: 'commerce',
      path: 'production/cluster-commerce.yaml',
    });
    expect(production.changed[0].fields).toContainEqual({ path: 'spec.instances', before: 3, after: 1 });
  });
});

describe('plan shows the whole change (issue #27)', () => {
  it('values are not cut at ~80 characters: full old and new values, with a word diff for long strings', () => {
    const plan = planFor(edit('    extensions: [citext]', '    extensions: [citext, pg_trgm]'));
    const long = 'x'.repeat(70);
    const text = formatPlan(
      {
        environments: [
          {
            environment: 'production',
            added: [],
            removed: [],
            moved: [],
            changed: [
              {
                object: env(plan, 'test').changed[0].object,
                fields: [
                  {
                    path: 'metadata.annotations.uri',
                    before: `postgresql://a-rw.db.svc/${long}?sslmode=require`,
                    after: `postgresql://a-pooler-rw.db.svc/${long}?sslmode=require`,
                  },
                ],
              },
            ],
          },
        ],
        dangers: [],
        warnings: [],
      },
      't',
    );
    expect(text).not.toContain('…');
    expect(text).toContain(`        - "postgresql://a-rw.db.svc/${long}?sslmode=require"\n`);
    expect(text).toContain(`        + "postgresql://a-pooler-rw.db.svc/${long}?sslmode=require"\n`);
    expect(text).toContain(`        ~ postgresql://[-a-rw-]{+a-pooler-rw+}.db.svc/${long}?sslmode=require`);
  });

  it('multi-line values (alert expressions, scripts) are shown as a line diff, whole lines', () => {
    const before = Array.from({ length: 12 }, (_, i) => `SELECT ${i} -- ${'y'.repeat(90)}`).join('\n');
    const after = before.replace('SELECT 5 --', 'SELECT 55 --');
    const text = formatPlan(
      {
        environments: [
          {
            environment: 'test',
            added: [],
            removed: [],
            moved: [],
            changed: [
              {
                object: {
                  environment: 'test',
                  apiVersion: 'v1',
                  kind: 'ConfigMap',
                  name: 'sql',
                  path: 'test/configmap-sql.yaml',
                },
                fields: diffFields({ data: { sql: before } }, { data: { sql: after } }),
              },
            ],
          },
        ],
        dangers: [],
        warnings: [],
      },
      't',
    );
    expect(text).toContain('      data.sql: (lines)\n');
    expect(text).toContain(`        - SELECT 5 -- ${'y'.repeat(90)}\n        + SELECT 55 -- ${'y'.repeat(90)}\n`);
    expect(text).not.toContain('SELECT 0 --');
  });

  it('repeated DANGERs are grouped with a count and the list of objects', () => {
    const upgraded = planFor(
      edit(
        '  version: 16\n  imageName: ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie',
        '  version: 17\n  imageName: ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie',
      ),
    );
    const majors = upgraded.dangers.filter((d) => d.rule === 'major-version');
    expect(majors.length).toBeGreaterThan(1);
    const text = formatPlan(upgraded, 't');
    const lines = text.split('\n');
    // One line for the message, however many clusters it concerns.
    expect(lines.filter((l) => l.includes('PostgreSQL major version 16 → 17'))).toHaveLength(1);
    expect(text).toContain(`  ! ${majors.length}× PostgreSQL major version 16 → 17: CloudNativePG runs an offline in-place upgrade`);
    for (const environment of new Set(majors.map((d) => d.environment)))
      expect(lines).toContain(
        `      ${environment}: ${majors
          .filter((d) => d.environment === environment)
          .map((d) => d.object)
          .join(', ')}`,
      );
  });
});
