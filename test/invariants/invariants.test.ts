// The invariants (test/support/invariants.ts) over the repo's fleet and over random fleets
// (test/support/arbitrary-fleet.ts). Every random fleet is rendered in-process, schema-checked
// and held to every rule; a failure shrinks to a minimal fleet and prints it as fleet.yaml.
// Fixed seed by default (printed); DBFLEET_PROPERTY_SEED=<n> for another, DBFLEET_PROPERTY_RUNS=<n>
// for more or fewer runs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { dump, load } from 'js-yaml';
import { extendFleet } from '../../charts';
import { describe, expect, it } from 'vitest';
import { loadFleet, parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type RenderedObject } from '../../lib/output/render';
import { formatIssue, loadValidator } from '../../lib/validate';
import { syntheticFleet } from '../../bench/fleet-generator';
import { arbitraryFleetYaml } from '../support/arbitrary-fleet';
import { checkInvariants, formatViolations, INVARIANTS, OBJECT_LIMIT_BYTES, objectSize } from '../support/invariants';

const SEED = process.env.DBFLEET_PROPERTY_SEED ? Number(process.env.DBFLEET_PROPERTY_SEED) : 1302;
const RUNS = process.env.DBFLEET_PROPERTY_RUNS ? Number(process.env.DBFLEET_PROPERTY_RUNS) : 300;
const validator = loadValidator();

function render(yaml: string, file = 'fleet.yaml') {
  const fleet = parseFleet(yaml, file);
  return { fleet, objects: renderObjects(buildApp(fleet)) };
}

function schemaProblems(objects: readonly RenderedObject[]): string[] {
  return validator
    .validateObjects(objects.map((o) => ({ object: o.object, location: { file: `dist/${o.path}` } })))
    .issues.map(formatIssue);
}

describe('invariants', () => {
  it('have unique ids and descriptions', () => {
    expect(new Set(INVARIANTS.map((i) => i.id)).size).toBe(INVARIANTS.length);
    for (const i of INVARIANTS) expect(i.description.length).toBeGreaterThan(20);
  });

  it.skipIf(!existsSync(join(__dirname, '../../fleet.yaml')))("hold for the repository's fleet", () => {
    const fleet = loadFleet(join(__dirname, '../../fleet.yaml'));
    const objects = renderObjects(buildApp(fleet));
    expect(formatViolations(checkInvariants({ fleet, objects }))).toBe('');
  });

  it(`hold for ${RUNS} random fleets, each rendered and schema-valid (seed ${SEED})`, () => {
    console.log(`invariants over random fleets: seed ${SEED}, ${RUNS} runs (DBFLEET_PROPERTY_SEED / DBFLEET_PROPERTY_RUNS to change)`);
    const seen = {
      topologies: new Set<string>(),
      access: new Set<string>(),
      single: 0,
      backups: 0,
      overrides: 0,
      aurora: 0,
      longNames: 0,
      rotation: new Set<string>(),
      standbys: new Set<string>(),
    };
    fc.assert(
      fc.property(arbitraryFleetYaml, (yaml) => {
        const { fleet, objects } = render(yaml);
        for (const e of fleet.environments) {
          seen.topologies.add(e.topology);
          seen.access.add(e.developerAccess);
          if (e.clusters.some((c) => c.instances === 1)) seen.single++;
          if (e.backups.postgres || e.backups.velero) seen.backups++;
          if (e.aws) seen.aurora++;
          if (e.dr?.standby) seen.standbys.add(fleet.environments.find((s) => s.name === e.dr!.source)!.operator);
        }
        if (/overrides:\n\s+\w/.test(yaml)) seen.overrides++;
        if (fleet.services.some((s) => s.name.length >= 45)) seen.longNames++;
        for (const s of fleet.services)
          for (const [env, state] of Object.entries(s.rotation ?? {}))
            seen.rotation.add(`${fleet.environments.find((e) => e.name === env)?.operator ?? 'cloudnative-pg'} ${state.step}`);
        const problems = [...schemaProblems(objects), ...formatViolations(checkInvariants({ fleet, objects })).split('\n').filter(Boolean)];
        if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\nfleet.yaml:\n${yaml}`);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
    // The generator really covers the space (a generator stuck on one shape would prove little).
    expect([...seen.topologies].sort()).toEqual(['grouped', 'per-service', 'shared']);
    expect([...seen.access].sort()).toEqual(['none', 'read-only', 'read-write']);
    expect(seen.single).toBeGreaterThan(RUNS / 10);
    expect(seen.backups).toBeGreaterThan(RUNS / 10);
    expect(seen.overrides).toBeGreaterThan(RUNS / 10);
    // Aurora environments (lib/backends/aws-aurora/) are among them.
    expect(seen.aurora).toBeGreaterThan(RUNS / 10);
    // DR standby pairs (standbyOf) on every backend that has them.
    expect([...seen.standbys].sort()).toEqual(['cloudnative-pg', 'zalando']);
    // The longest names the config allows (arbitrary-fleet.ts withLongNames), held to names-within-limits.
    expect(seen.longNames).toBeGreaterThan(RUNS / 10);
    // Owner rotations (services[].rotation) at every step, on both operators that offer them.
    expect([...seen.rotation].sort()).toEqual(
      ['cloudnative-pg', 'zalando'].flatMap((o) => ['add', 'done', 'switch'].map((step) => `${o} ${step}`)),
    );
  }, 600_000); // ~20 s on an idle 2-core machine; several times that under load

  it(`no object exceeds ${OBJECT_LIMIT_BYTES} bytes with 1000 services in one shared cluster (defect 5)`, () => {
    const { objects } = render(syntheticFleet(1000), 'bench fleet');
    const test = objects.filter((o) => o.path.startsWith('test/'));
    const sizes = test.map((o) => [o.path, Buffer.byteLength(JSON.stringify(o.object))] as const).sort((a, b) => b[1] - a[1]);
    console.log(
      `largest objects, 1000 services in one shared cluster: ${sizes
        .slice(0, 3)
        .map(([p, n]) => `${p} ${n} B`)
        .join(', ')}`,
    );
    expect(sizes[0][1]).toBeLessThan(OBJECT_LIMIT_BYTES);
    // The Cluster itself no longer lists the roles: it stays small whatever the number of services.
    expect(sizes.find(([p]) => p === 'test/cluster-bench.yaml')![1]).toBeLessThan(4096);
  }, 300_000);

  // Attack on issue 25: the repository's four environments (DR included) with 1000 services of the
  // longest allowed names, each in its own namespace, made one AppProject of 4,012 destinations
  // (300–430 KiB). One AppProject per environment keeps each far below the limit.
  it(`no object exceeds ${OBJECT_LIMIT_BYTES} bytes with 1000 long-named services in their own namespaces, every environment of fleet.yaml`, () => {
    const repoFleet = load(readFileSync(join(__dirname, '..', '..', 'fleet.yaml'), 'utf8')) as Record<string, unknown>;
    const name = (i: number) => `s${String(i).padStart(4, '0')}-${'x'.repeat(39)}`;
    const groups = Object.keys((repoFleet.groups ?? {}) as Record<string, unknown>);
    const services = Array.from({ length: 1000 }, (_, i) => ({
      name: name(i),
      namespace: name(i),
      ...(groups.length ? { group: groups[i % groups.length] } : {}),
    }));
    const text = dump({ ...repoFleet, services }, { lineWidth: -1 });
    const fleet = parseFleet(text, 'fleet.yaml');
    // With this repository's own charts (charts/): the connection catalog was 300+ KiB here.
    const objects = renderObjects(buildApp(fleet, { extend: extendFleet }));
    const sizes = objects.map((o) => [o.path, Buffer.byteLength(JSON.stringify(o.object))] as const).sort((a, b) => b[1] - a[1]);
    console.log(
      `largest objects, 1000 long-named services, fleet.yaml's environments: ${sizes
        .slice(0, 3)
        .map(([p, n]) => `${p} ${n} B`)
        .join(', ')}`,
    );
    expect(formatViolations(checkInvariants({ fleet, objects }, [objectSize]))).toBe('');
  }, 600_000);

  // Issue 25: at 1000 services with one cluster each, production's PrometheusRule was 415–545 KiB.
  it.each(['per-service', 'grouped', 'shared'] as const)(
    `no object exceeds ${OBJECT_LIMIT_BYTES} bytes with 1000 services, production %s`,
    (topology) => {
      const { objects } = render(syntheticFleet(1000, topology), 'bench fleet');
      const sizes = objects.map((o) => [o.path, Buffer.byteLength(JSON.stringify(o.object))] as const).sort((a, b) => b[1] - a[1]);
      console.log(
        `largest objects, 1000 services, production ${topology}: ${sizes
          .slice(0, 3)
          .map(([p, n]) => `${p} ${n} B`)
          .join(', ')}`,
      );
      expect(sizes[0][1]).toBeLessThan(OBJECT_LIMIT_BYTES);
      const violations = formatViolations(
        checkInvariants({ fleet: parseFleet(syntheticFleet(1000, topology), 'bench fleet'), objects }, [objectSize]),
      );
      expect(violations).toBe('');
    },
    300_000,
  );
});

// Zalando DR standbys (issue 29): the random fleets hold standby pairs too (arbitrary-fleet.ts
// withStandby); the fixture, with a pooler and WAL-G settings, stays covered by name.
describe('invariants on a Zalando standby pair', () => {
  const text = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'zalando-standby.yaml'), 'utf8');
  it('hold for the standby pair', () => {
    const { fleet, objects } = render(text);
    expect(formatViolations(checkInvariants({ fleet, objects }))).toBe('');
  });
});
