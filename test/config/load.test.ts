import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetConfigError, loadFleet } from '../../lib/config/load';
import { BASE_FLEET, configErrors, fleetOf, lineOf } from '../support/fleet';

/** BASE_FLEET with `from` replaced by `to` (which must occur). */
function edit(from: string, to: string, text = BASE_FLEET): string {
  if (!text.includes(from)) throw new Error(`"${from}" not in the fleet text`);
  return text.replace(from, to);
}

describe('fleet config errors name file, line and path', () => {
  it('unknown keys', () => {
    const text = edit('    storage: 5Gi\n', '    storage: 5Gi\n    storgae: 10Gi\n');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'storgae')}: environments.test.storgae: is not a known key (did you mean "storage"?)`,
    ]);
  });

  it('unknown keys at the top level and in a service', () => {
    const text = edit('  - name: payments\n', '  - name: payments\n    databse: pay\n', `${BASE_FLEET}colour: blue\n`);
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'databse')}: services[1].databse: is not a known key (did you mean "database"?)`,
      `fleet.yaml:${lineOf(text, 'colour')}: colour: is not a known key`,
    ]);
  });

  it('wrong types', () => {
    const text = edit('instances: 3', 'instances: three');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'three')}: environments.production.instances: must be a number, not string "three"`,
    ]);
  });

  it('missing required keys', () => {
    const text = edit('    developerAccess: read-only\n', '');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, '  production:')}: environments.production.developerAccess: is required ("read-write" | "read-only" | "none")`,
    ]);
    const text2 = edit('name: acme\n', '');
    expect(configErrors(text2)).toEqual(['fleet.yaml:1: name: is required (string)']);
  });

  it('enum values', () => {
    const text = edit('topology: shared', 'topology: sharded');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'sharded')}: environments.test.topology: "sharded" is not one of "shared", "per-service", "grouped"`,
    ]);
  });

  it('duplicate service names', () => {
    const text = edit('  - name: payments', '  - name: orders');
    const line = lineOf(text, 'name: orders', 2);
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${line}: services[1].name: "orders" is already used by services[0]`,
      `fleet.yaml:${line}: services[1].name: database name "orders" collides with services[0] ("orders")`,
      `fleet.yaml:${line}: services[1].name: role name "orders" collides with services[0] ("orders")`,
    ]);
  });

  it('database or role names that collide after normalisation', () => {
    const text = edit(
      '  - name: payments\n',
      '  - name: order-history\n  - name: legacy\n    database: order_history\n    role: order_history\n  - name: payments\n',
    );
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'database: order_history')}: services[2].database: database name "order_history" collides with services[1] ("order-history")`,
      `fleet.yaml:${lineOf(text, 'role: order_history')}: services[2].role: role name "order_history" collides with services[1] ("order-history")`,
    ]);
  });

  it('a service role that collides with a developer role', () => {
    const text = edit('  - name: payments', '  - name: dev-alice');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'dev-alice')}: services[1].name: role name "dev_alice" collides with developers[0] ("alice")`,
    ]);
  });

  it('names that are not DNS-1123 labels', () => {
    const text = edit('  - name: payments', '  - name: Payments');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'Payments')}: services[1].name: "Payments" is not a valid DNS-1123 label (lower case letters, digits and "-", starting and ending with a letter or digit)`,
    ]);
  });

  it('names too long for Kubernetes (63)', () => {
    const long = `s${'x'.repeat(63)}`;
    const text = edit('  - name: payments', `  - name: ${long}`);
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, long)}: services[1].name: "${long}" is longer than 63 characters, the Kubernetes limit for a name`,
    ]);
  });

  it('identifiers too long for Postgres (63 bytes)', () => {
    const long = `d${'é'.repeat(32)}`; // 65 bytes, 33 characters
    const text = edit('  - name: payments\n', `  - name: payments\n    database: ${long}\n`);
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, long)}: services[1].database: "${long}" is not a lower-case PostgreSQL identifier`,
    ]);
    const ascii = `d${'x'.repeat(63)}`;
    const text2 = edit('  - name: payments\n', `  - name: payments\n    database: ${ascii}\n`);
    expect(configErrors(text2)).toEqual([
      `fleet.yaml:${lineOf(text2, ascii)}: services[1].database: database name "${ascii}" is longer than 63 bytes, the PostgreSQL identifier limit`,
    ]);
  });

  it('cluster names over 45 characters under per-service', () => {
    const name = `s${'x'.repeat(45)}`;
    const text = edit('  - name: payments', `  - name: ${name}`);
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, name)}: services[1].name: "${name}" would name a production cluster, and cluster names are limited to 45 characters (CloudNativePG allows 50; the cluster's \`<name>-access\` CronJob needs 7 more within Kubernetes' 52)`,
    ]);
    expect(() => fleetOf(edit('  - name: payments', `  - name: ${'s'.repeat(45)}`))).not.toThrow();
  });

  it.each([
    ['postgres', '"postgres" is reserved by PostgreSQL or CloudNativePG'],
    ['template0', '"template0" is reserved by PostgreSQL or CloudNativePG'],
    ['template1', '"template1" is reserved by PostgreSQL or CloudNativePG'],
    ['app', '"app" is reserved by PostgreSQL or CloudNativePG'],
    ['pg-stats', '"pg_stats" starts with "pg_", which is reserved by PostgreSQL'],
    ['cnpg-tools', '"cnpg_tools" starts with "cnpg_", which is reserved by CloudNativePG'],
  ])('reserved name %s', (name, reason) => {
    const text = edit('  - name: payments', `  - name: ${name}`);
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, `name: ${name}`)}: services[1].name: database name ${reason}`,
      `fleet.yaml:${lineOf(text, `name: ${name}`)}: services[1].name: role name ${reason}`,
    ]);
  });

  it('reserved role streaming_replica', () => {
    const text = edit('  - name: payments\n', '  - name: payments\n    role: streaming_replica\n');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'streaming_replica')}: services[1].role: role name "streaming_replica" is reserved by PostgreSQL or CloudNativePG`,
    ]);
  });

  it('invalid quantities', () => {
    const text = edit('storage: 200Gi', 'storage: 200GB');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, '200GB')}: services[0].overrides.production.storage: "200GB" is not a valid Kubernetes quantity (e.g. 5Gi, 500Mi)`,
    ]);
  });

  it('instances < 1', () => {
    const text = edit('instances: 1', 'instances: 0');
    expect(configErrors(text)).toEqual([`fleet.yaml:${lineOf(text, 'instances: 0')}: environments.test.instances: must be >= 1`]);
  });

  it('an override for an environment that does not exist', () => {
    const text = edit('      production: { storage', '      prod: { storage');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'prod: {')}: services[0].overrides.prod: environment "prod" does not exist (environments: production, test) (did you mean "production"?)`,
    ]);
  });

  it('a service without a group under topology: grouped', () => {
    const text = edit(
      'topology: per-service',
      'topology: grouped',
      edit('  - name: payments\n    group: commerce\n', '  - name: payments\n'),
    );
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'name: payments')}: services[1].group: is required because environments.production.topology is grouped`,
    ]);
  });

  it('YAML syntax errors: one line each, file:line:column and a hint; duplicate keys', () => {
    expect(configErrors(edit('name: acme', 'name: [acme'))).toEqual([
      'fleet.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ] (a "[" or "{" opened here or above is not closed, or the lines inside it are indented less than its key)',
    ]);
    const text = edit('    storage: 5Gi\n', '    storage: 5Gi\n    storage: 6Gi\n');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'storage: 6Gi')}:5: Map keys must be unique (a key appears twice in the same mapping: keep one)`,
    ]);
  });

  it('one dedented line is one error line, not a page of parser output', () => {
    const text = edit('    topology: per-service\n', '  topology: per-service\n');
    const errors = configErrors(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^fleet\\.yaml:${lineOf(text, '  topology: per-service')}:\\d+: .+ \\(check the indentation .+\\) \\[\\d+ more errors? after it in this file, most likely caused by this one\\]$`,
      ),
    );
    expect(configErrors(edit('    storage: 5Gi\n', '\tstorage: 5Gi\n'))[0]).toMatch(
      /:\d+:1: Tabs are not allowed as indentation \(indent with spaces; YAML does not allow tabs\)/,
    );
  });

  it('YAML merge keys (<<: *anchor) are supported', () => {
    const text = edit(
      '  production:\n    namespace: databases\n',
      '  production:\n    <<: *test\n    namespace: databases\n',
      edit('  test:\n', '  test: &test\n'),
    );
    const merged = fleetOf(
      text.replace(
        '    topology: per-service\n    instances: 3\n    storage: 50Gi\n    developerAccess: read-only\n',
        '    topology: per-service\n',
      ),
    );
    const production = merged.environments.find((e) => e.name === 'production')!;
    expect(production.clusters[0].storage).toBe('200Gi'); // orders' override over the merged 5Gi
    expect(production.clusters[1].storage).toBe('5Gi');
    expect(production.developerAccess).toBe('read-write');
  });

  it('every problem at once: a schema error does not hide a cross-field one', () => {
    const text = edit('  - name: payments', '  - name: orders', edit('topology: per-service', 'topology: per-servce'));
    const line = lineOf(text, 'name: orders', 2);
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'per-servce')}: environments.production.topology: "per-servce" is not one of "shared", "per-service", "grouped"`,
      `fleet.yaml:${line}: services[1].name: "orders" is already used by services[0]`,
      `fleet.yaml:${line}: services[1].name: database name "orders" collides with services[0] ("orders")`,
      `fleet.yaml:${line}: services[1].name: role name "orders" collides with services[0] ("orders")`,
    ]);
  });

  it("a broken service does not hide the others' problems, and its index is kept", () => {
    const text = edit(
      '  - name: payments\n    group: commerce\n',
      '  - name: payments\n    group: commerce\n    extensions: oops\n  - name: orders\n    group: comerce\n',
    );
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'oops')}: services[1].extensions: must be a list, not string "oops"`,
      `fleet.yaml:${lineOf(text, 'name: orders', 2)}: services[2].name: "orders" is already used by services[0]`,
      `fleet.yaml:${lineOf(text, 'name: orders', 2)}: services[2].name: database name "orders" collides with services[0] ("orders")`,
      `fleet.yaml:${lineOf(text, 'name: orders', 2)}: services[2].name: role name "orders" collides with services[0] ("orders")`,
      `fleet.yaml:${lineOf(text, 'comerce')}: services[2].group: group "comerce" is not declared under groups: (declared: commerce); add "comerce: {}" there if it is a new group (did you mean "commerce"?)`,
    ]);
  });

  it('reports every problem at once, sorted by line', () => {
    const text = edit('instances: 3', 'instances: 0', edit('topology: shared', 'topology: sharded'));
    const errors = configErrors(text);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('environments.test.topology');
    expect(errors[1]).toContain('environments.production.instances');
  });

  it('a missing file is reported with its path', () => {
    expect(() => loadFleet('/nonexistent/fleet.yaml')).toThrow(FleetConfigError);
    expect(() => loadFleet('/nonexistent/fleet.yaml')).toThrow(/^\/nonexistent\/fleet\.yaml: cannot read the fleet file/);
  });

  it('loadFleet reads the file it is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-config-'));
    writeFileSync(join(dir, 'fleet.yaml'), edit('instances: 1', 'instances: -1'));
    expect(() => loadFleet(join(dir, 'fleet.yaml'))).toThrow(
      `${join(dir, 'fleet.yaml')}:${lineOf(BASE_FLEET, 'instances: 1')}: environments.test.instances: must be >= 1`,
    );
  });
});

describe('backup and snapshot config errors', () => {
  const withBackups = (velero: string, postgres: string) =>
    edit(
      '    developerAccess: read-write\n',
      `    developerAccess: read-write\n    backups:\n      velero: { schedule: "${velero}" }\n      postgres: { schedule: "${postgres}" }\n`,
    );
  const withSnapshot = (fields: string) => `${BASE_FLEET}mongoSnapshots:\n  - name: catalog\n    namespace: backups\n${fields}`;
  const snapshotFields = (over: Record<string, string> = {}) =>
    Object.entries({
      environments: '[production]',
      schedule: '"15 */6 * * *"',
      connectionSecret: '{ remoteKey: mongo/catalog/backup-uri }',
      image: 'registry.example.com/dbfleet/mongo-snapshot:1.0.0',
      ...over,
    })
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `    ${k}: ${v}\n`)
      .join('');

  it('accepts a valid configuration', () => {
    const fleet = fleetOf(withSnapshot(snapshotFields()));
    expect(fleet.environments.find((e) => e.name === 'production')!.mongoSnapshots[0]).toMatchObject({
      name: 'catalog',
      maxIntervalSeconds: 21600,
      minIntervalSeconds: 21600,
      snapshotTimeoutSeconds: 1800,
      unlockDeadlineSeconds: 120,
      lockTimeoutSeconds: 60,
      // lib/mongo-snapshot/budget.ts: 120 + 2 × (60 + 2 × 120) + 1800 + 120 + 12 (final pushes, retried), + 10
      activeDeadlineSeconds: 2662,
    });
    expect(fleetOf(withBackups('0 3 * * *', '0 0 2 * * *')).environments.find((e) => e.name === 'test')!.backups).toMatchObject({
      velero: { schedule: '0 3 * * *', maxIntervalSeconds: 86400, ttl: '168h', namespace: 'velero' },
      postgres: { schedule: '0 0 2 * * *', method: 'volumeSnapshot', maxIntervalSeconds: 86400 },
    });
  });

  it('a Velero cron with 6 fields', () => {
    const text = withBackups('0 0 3 * * *', '0 0 2 * * *');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'velero:')}: environments.test.backups.velero.schedule: "0 0 3 * * *" has 6 fields; Kubernetes and Velero schedules take 5 (minute first, e.g. "0 3 * * *")`,
    ]);
  });

  it('a CloudNativePG cron with 5 fields', () => {
    const text = withBackups('0 3 * * *', '0 2 * * *');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'postgres: { schedule')}: environments.test.backups.postgres.schedule: "0 2 * * *" has 5 fields; CloudNativePG schedules take 6 (seconds first, e.g. "0 0 2 * * *")`,
    ]);
  });

  it('a step of 0 or a backwards range is an error, not a hang (issue 31: "*/0" looped forever in cron.ts expand)', () => {
    const text = withBackups('*/0 * * * *', '0 0 2 */0 * *');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'velero:')}: environments.test.backups.velero.schedule: "*/0 * * * *" field 1 (minute) "*/0" has a step of 0: a step must be a positive number (e.g. "*/5")`,
      `fleet.yaml:${lineOf(text, 'postgres: { schedule')}: environments.test.backups.postgres.schedule: "0 0 2 */0 * *" field 4 (day of month) "*/0" has a step of 0: a step must be a positive number (e.g. "*/5")`,
    ]);
    const snapshot = withSnapshot(snapshotFields({ schedule: '"15 1-5/0,22-3 * * *"' }));
    expect(configErrors(snapshot).join('\n')).toMatch(/mongoSnapshots\[0\]\.schedule: .*has a step of 0/);
    const backwards = withSnapshot(snapshotFields({ schedule: '"15 22-3 * * *"' }));
    expect(configErrors(backwards).join('\n')).toMatch(/"22-3" that ends before it starts/);
  });

  it('a step of 0 never hangs the loader, even where no check ran before the interval computation', () => {
    // In a child process with a deadline: before the fix, the loader looped forever (in-process,
    // a synchronous loop cannot be timed out).
    const script = `
      const load = await import(${JSON.stringify(join(__dirname, '../../lib/config/load.ts'))});
      const cron = await import(${JSON.stringify(join(__dirname, '../../lib/config/cron.ts'))});
      const { parseFleet } = load.default ?? load;
      const { maxIntervalSeconds } = cron.default ?? cron;
      try { parseFleet(process.env.FLEET, 'fleet.yaml'); console.log('accepted'); } catch (e) { console.log((e.message.match(/has a step of 0/g) ?? []).length + ' errors'); }
      try { maxIntervalSeconds('*/0 * * * *', 'kubernetes'); console.log('computed'); } catch (e) { console.log(e.message); }`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, FLEET: withBackups('*/0 * * * *', '0 0 2 */0 * *') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.error?.message ?? '').not.toMatch(/ETIMEDOUT/);
    expect(run.stdout.trim().split('\n')).toEqual(['2 errors', 'cron field "*/0" has step "0": not a positive number']);
  }, 40_000);

  it('a Kubernetes cron with 6 fields', () => {
    const text = withSnapshot(snapshotFields({ schedule: '"0 15 */6 * * *"' }));
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, '0 15 */6')}: mongoSnapshots[0].schedule: "0 15 */6 * * *" has 6 fields; Kubernetes and Velero schedules take 5 (minute first, e.g. "0 3 * * *")`,
    ]);
  });

  it('an unknown environment', () => {
    const text = withSnapshot(snapshotFields({ environments: '[production, staging]' }));
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'staging')}: mongoSnapshots[0].environments[1]: environment "staging" does not exist (environments: production, test)`,
    ]);
  });

  it('a missing secret reference', () => {
    const text = withSnapshot(snapshotFields({ connectionSecret: '' }));
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, '- name: catalog')}: mongoSnapshots[0].connectionSecret: is required (object)`,
    ]);
    const text2 = withSnapshot(snapshotFields({ connectionSecret: '{ property: uri }' }));
    expect(configErrors(text2)).toEqual([
      `fleet.yaml:${lineOf(text2, 'property: uri')}: mongoSnapshots[0].connectionSecret.remoteKey: is required (string)`,
    ]);
  });

  it('a snapshot timeout longer than the job deadline allows', () => {
    const text = withSnapshot(snapshotFields({ snapshotTimeout: '6h' }));
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'snapshotTimeout')}: mongoSnapshots[0].snapshotTimeout: 6h plus 2 lock attempts (lock timeout 60s + twice the unlock deadline 120s each), the unlock deadline and 120s of start-up is a 22462s job deadline, longer than the 21600s between two runs of "15 */6 * * *": the job deadline could not end a run before the next one is due`,
    ]);
  });

  it('an invalid duration', () => {
    const text = withSnapshot(snapshotFields({ snapshotTimeout: '30 minutes' }));
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'snapshotTimeout')}: mongoSnapshots[0].snapshotTimeout: "30 minutes" is not a valid duration (e.g. 90s, 30m, 168h, 1h30m)`,
    ]);
  });
});

describe('resolution', () => {
  it('places services by topology and sizes clusters for their most demanding tenant', () => {
    const fleet = fleetOf();
    const test = fleet.environments.find((e) => e.name === 'test')!;
    const production = fleet.environments.find((e) => e.name === 'production')!;
    expect(test.clusters.map((c) => [c.name, c.instances, c.storage, c.services.map((s) => s.name)])).toEqual([
      ['acme', 1, '5Gi', ['orders', 'payments']],
    ]);
    expect(production.clusters.map((c) => [c.name, c.instances, c.storage])).toEqual([
      ['orders', 5, '200Gi'],
      ['payments', 3, '50Gi'],
    ]);
    const grouped = fleetOf(edit('topology: per-service', 'topology: grouped'));
    expect(
      grouped.environments.find((e) => e.name === 'production')!.clusters.map((c) => [c.name, c.instances, c.storage, c.services.length]),
    ).toEqual([['commerce', 5, '200Gi', 2]]);
  });

  it('defaults the service namespace to its name and maps names to identifiers', () => {
    const fleet = fleetOf(edit('  - name: payments', '  - name: payment-gateway'));
    expect(fleet.services[1]).toMatchObject({
      name: 'payment-gateway',
      namespace: 'payment-gateway',
      database: 'payment_gateway',
      role: 'payment_gateway',
    });
  });
});

describe('every problem of every file', () => {
  it('a service file that does not parse does not hide the problems of the other files, sorted by file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-files-'));
    writeFileSync(join(dir, 'fleet.yaml'), edit('instances: 1', 'instances: 0'));
    mkdirSync(join(dir, 'services'));
    writeFileSync(join(dir, 'services', 'a.yaml'), 'name: ledger\ngroup: [x\n');
    writeFileSync(join(dir, 'services', 'b.yaml'), 'name: search\ngroup: serch\n');
    let lines: string[] = [];
    try {
      loadFleet(dir);
    } catch (error) {
      lines = (error as Error).message.split('\n');
    }
    expect(lines).toEqual([
      `${join(dir, 'fleet.yaml')}:${lineOf(BASE_FLEET, 'instances: 1')}: environments.test.instances: must be >= 1`,
      expect.stringMatching(new RegExp(`^${join(dir, 'services', 'a.yaml')}:3:1: Flow sequence`)),
      `${join(dir, 'services', 'b.yaml')}:2: group: group "serch" is not declared under groups: (declared: commerce); add "serch: {}" there if it is a new group`,
    ]);
  });
});
