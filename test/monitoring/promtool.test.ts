// Proof with Prometheus' own tool: every PrometheusRule passes `promtool check rules`, and the unit
// tests in test/monitoring/promtool/ (input series → expected alerts) pass against the rules as
// rendered — including per-environment thresholds. promtool is required, never skipped: CI installs
// it (Debian package `prometheus`); PROMTOOL=/path/to/promtool overrides the lookup.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import type { Environment } from '../../lib/config/model';
import { poolerName } from '../../lib/config/names';
import { ALERT_NAMES, environmentAlertGroups, type RuleGroup } from '../../lib/monitoring/alert-rules';

const root = join(__dirname, '..', '..');
const dist = join(root, 'dist');
const unitTests = join(__dirname, 'promtool');
const INSTALL_HINT =
  'promtool is required for these tests. Install it with `apt-get install -y --no-install-recommends prometheus` ' +
  "(Debian/Ubuntu; CI's .ci/run does this), or put promtool on PATH, or set PROMTOOL=/path/to/promtool.";

function findPromtool(): string | undefined {
  const candidates = [process.env.PROMTOOL, 'promtool', '/usr/bin/promtool'].filter((c): c is string => !!c);
  return candidates.find((c) => spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0);
}

function run(promtool: string, args: string[], cwd: string): { status: number | null; output: string } {
  // 300 s: the DR unit tests evaluate days of series every 5 or 30 minutes with subqueries; on a
  // loaded 2-core machine production-dr-cross-site.test.yaml took over 120 s (main's rule too).
  const r = spawnSync(promtool, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}${r.error ? `\n${r.error.message}` : ''}` };
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFilesUnder(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

interface RuleSource {
  /** The environment, from the PrometheusRule's app.kubernetes.io/instance label. */
  readonly environment: string;
  readonly origin: string;
  readonly groups: readonly RuleGroup[];
}

/** Every PrometheusRule document in dist/ (any file, any depth). */
function prometheusRulesInDist(): RuleSource[] {
  if (!existsSync(dist)) return [];
  return yamlFilesUnder(dist).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((doc) => doc.toJS())
      .filter((o) => o?.kind === 'PrometheusRule')
      .map((o) => ({
        environment: o.metadata?.labels?.['app.kubernetes.io/instance'] ?? relative(dist, file).split('/')[0],
        origin: relative(root, file),
        groups: o.spec?.groups ?? [],
      })),
  );
}

// The repository's fleet (whatever an adopter put there): what dist/ must hold. The unit tests in
// promtool/ are written for the example fleet, so they run on its rules, rendered in memory from
// the fixture copy (test/fixtures/fleets/example.yaml), and on the monitoring fixture's.
const fleet = loadFleet(root);
const example = loadFleet(join(root, 'test', 'fixtures', 'fleets', 'example.yaml'));
const fixture = loadFleet(join(__dirname, 'fixtures', 'fleet.yaml'));
const fromDist = prometheusRulesInDist();
const inMemory = (f: typeof fleet, prefix = ''): RuleSource[] =>
  f.environments.map((env: Environment) => ({
    environment: `${prefix}${env.name}`,
    origin: `${f.sourceFile} (rendered in memory)`,
    groups: environmentAlertGroups(f, env),
  }));
// What Argo CD applies: dist/'s rules once it holds any, else the fleet's rendered in memory.
const sources = (fromDist.length > 0 ? fromDist : inMemory(fleet)).map((s) => ({ ...s, environment: `dist-${s.environment}` }));
const exampleSources = inMemory(example);
// The pooler alerts, from a fleet that pools (tests survive an adopter's fleet without poolers).
const pooling = loadFleet(join(root, 'test', 'fixtures', 'fleets', 'pooling.yaml'));
// The Aurora alerts, from the issue-28 fixture (the example fleet stays on the operators).
const aurora = loadFleet(join(root, 'test', 'fixtures', 'fleets', 'aurora.yaml'));
// Zalando's pooler alerts (issue 30's fixture).
const zalandoFull = loadFleet(join(root, 'test', 'fixtures', 'fleets', 'zalando-full.yaml'));
// A Zalando DR standby site's cross-site alert (issue 29's fixture).
const zalandoStandby = loadFleet(join(root, 'test', 'fixtures', 'fleets', 'zalando-standby.yaml'));
const fixtureSources = [
  ...inMemory(fixture, 'fixture-'),
  ...inMemory(pooling, 'pooling-'),
  ...inMemory(aurora, 'aurora-'),
  ...inMemory(zalandoFull, 'zalando-full-'),
  ...inMemory(zalandoStandby, 'zalando-standby-'),
];

describe('PrometheusRules, proven with promtool', () => {
  let promtool: string;
  let workdir: string;

  beforeAll(() => {
    const found = findPromtool();
    if (!found) throw new Error(INSTALL_HINT);
    promtool = found;
    // Layout the unit tests expect: <dir>/<name>.test.yaml next to <dir>/rules/<environment>.yaml.
    workdir = mkdtempSync(join(tmpdir(), 'dbfleet-promtool-'));
    mkdirSync(join(workdir, 'rules'));
    for (const s of [...sources, ...exampleSources, ...fixtureSources]) {
      writeFileSync(join(workdir, 'rules', `${s.environment}.yaml`), stringify({ groups: s.groups }, { lineWidth: 0 }));
    }
    for (const f of readdirSync(unitTests).filter((f) => f.endsWith('.test.yaml'))) copyFileSync(join(unitTests, f), join(workdir, f));
  });

  it('dist/ holds a PrometheusRule for every environment of fleet.yaml (wire EnvironmentAlerts and run `npx cdk8s synth`)', () => {
    expect(existsSync(dist), 'dist/ exists').toBe(true);
    expect(fromDist.map((s) => s.environment).sort()).toEqual(fleet.environments.map((e) => e.name).sort());
  });

  it('dist/ holds a PodMonitor for every cluster of every environment', () => {
    const podMonitors = existsSync(dist)
      ? yamlFilesUnder(dist).flatMap((file) =>
          parseAllDocuments(readFileSync(file, 'utf8'))
            .map((doc) => doc.toJS())
            .filter((o) => o?.kind === 'PodMonitor')
            .map((o) => `${relative(dist, file).split('/')[0]}/${o.metadata.namespace}/${o.metadata.name}`),
        )
      : [];
    // One per cluster, and one per pooler (lib/pooling/pooler-pod-monitor.ts).
    expect(podMonitors.sort()).toEqual(
      fleet.environments
        .flatMap((e) =>
          e.clusters.flatMap((c) =>
            [c.name, ...(c.poolers ?? []).map((p) => poolerName(c.name, p.type))].map((name) => `${e.name}/${c.namespace}/${name}`),
          ),
        )
        .sort(),
    );
  });

  it('covers every environment, with groups', () => {
    expect(sources.map((s) => s.environment).sort()).toEqual(fleet.environments.map((e) => `dist-${e.name}`).sort());
    for (const s of sources) expect(s.groups.length, s.origin).toBeGreaterThan(0);
  });

  it('promtool check rules accepts every PrometheusRule', () => {
    for (const s of [...sources, ...exampleSources, ...fixtureSources]) {
      const r = run(promtool, ['check', 'rules', join('rules', `${s.environment}.yaml`)], workdir);
      expect(r.status, `${s.origin}:\n${r.output}`).toBe(0);
      expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    }
  });

  const unitTestFiles = readdirSync(unitTests)
    .filter((f) => f.endsWith('.test.yaml'))
    .sort();
  it('has unit tests for every environment and the fixture', () => {
    expect(unitTestFiles).toEqual(
      expect.arrayContaining([...example.environments.map((e) => `${e.name}.test.yaml`), 'fixture-staging.test.yaml']),
    );
  });

  for (const file of unitTestFiles) {
    it(`promtool test rules ${file}`, () => {
      const r = run(promtool, ['test', 'rules', file], workdir);
      expect(r.status, r.output).toBe(0);
      expect(r.output).toContain('SUCCESS');
    }, 300_000);
  }

  it('every alert of the rendered rules is exercised by a unit test that expects it to fire', () => {
    const firing = new Set<string>();
    for (const f of unitTestFiles) {
      const doc = parseAllDocuments(readFileSync(join(unitTests, f), 'utf8'))[0].toJS();
      for (const t of doc.tests ?? []) {
        for (const a of t.alert_rule_test ?? []) if ((a.exp_alerts ?? []).length > 0) firing.add(a.alertname);
      }
    }
    const rendered = new Set([...exampleSources, ...fixtureSources].flatMap((s) => s.groups.flatMap((g) => g.rules.map((r) => r.alert))));
    expect([...rendered].filter((a) => !firing.has(a))).toEqual([]);
    expect([...rendered].sort()).toEqual([...ALERT_NAMES].sort());
  });

  // The unit tests must be able to fail: give production the test environment's thresholds and
  // severity, and production's expectations (lag 30s, critical) must no longer hold.
  it("fails when production gets the test environment's thresholds", () => {
    const production = example.environments.find((e) => e.name === 'production')!;
    const test = example.environments.find((e) => e.name === 'test')!;
    const wrong = environmentAlertGroups(example, { ...production, alerts: test.alerts });
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-promtool-wrong-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'production.yaml'), stringify({ groups: wrong }, { lineWidth: 0 }));
    copyFileSync(join(unitTests, 'production.test.yaml'), join(dir, 'production.test.yaml'));
    const r = run(promtool, ['test', 'rules', 'production.test.yaml'], dir);
    expect(r.status, r.output).not.toBe(0);
    expect(r.output).toContain('alertname: CNPGClusterHighReplicationLag');
    expect(r.output).toContain('alertname: CNPGClusterOffline');
  }, 120_000);
});
