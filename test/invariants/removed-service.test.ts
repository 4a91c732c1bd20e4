// Defect 2: removing a service must never cut off what Argo CD keeps. Argo CD's prune after the
// change deletes every object that left dist/ unless it carries Prune=false; what stays live is
// the new render plus the kept objects. That live state must still satisfy the invariants: the
// kept Cluster's instances admit the operator, replication and monitoring; whatever a kept
// object reads is kept too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type RenderedObject } from '../../lib/output/render';
import { arbitraryFleetInput, fleetYaml } from '../support/arbitrary-fleet';
import { clusterTrafficAdmitted, formatViolations, protectedDependencies } from '../support/invariants';

const SEED = process.env.DBFLEET_PROPERTY_SEED ? Number(process.env.DBFLEET_PROPERTY_SEED) : 1302;

const key = (o: RenderedObject) =>
  `${o.path.split('/')[0]}/${o.object.apiVersion}/${o.object.kind}/${o.object.metadata.namespace ?? ''}/${o.object.metadata.name}`;
const kept = (o: RenderedObject) =>
  (o.object.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '').split(',').includes('Prune=false');

/** What is live after Argo CD syncs `after` over `before` with automated prune. */
function afterPrune(before: readonly RenderedObject[], after: readonly RenderedObject[]): RenderedObject[] {
  const present = new Set(after.map(key));
  return [...after, ...before.filter((o) => !present.has(key(o)) && kept(o))];
}

describe('removing a service (defect 2)', () => {
  it('per-service: the kept cluster keeps its NetworkPolicy and PodMonitor, and reads no pruned Secret', () => {
    const yaml = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice]
environments:
  production: { namespace: databases, topology: per-service, instances: 3, storage: 5Gi, developerAccess: read-only }
services:
  - { name: orders }
  - { name: payments }
`;
    const before = renderObjects(buildApp(parseFleet(yaml, 'fleet.yaml')));
    const fleet = parseFleet(yaml.replace('  - { name: payments }\n', ''), 'fleet.yaml');
    const live = afterPrune(before, renderObjects(buildApp(fleet)));
    const names = live.map((o) => `${o.object.kind}/${o.object.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining(['Cluster/payments', 'Database/payments', 'NetworkPolicy/payments-ingress', 'PodMonitor/payments']),
    );
    expect(
      formatViolations([
        ...clusterTrafficAdmitted.check({ fleet, objects: live }),
        ...protectedDependencies.check({ fleet, objects: live }),
      ]),
    ).toBe('');
  });

  it('any fleet, any service removed: what stays live still satisfies the traffic and dependency rules', () => {
    fc.assert(
      fc.property(
        arbitraryFleetInput.filter((f) => (f.services as unknown[]).length > 1),
        fc.nat(),
        (input, pick) => {
          const services = input.services as Array<{ name: string }>;
          const removed = services[pick % services.length].name;
          const before = renderObjects(buildApp(parseFleet(fleetYaml(input), 'fleet.yaml')));
          const afterInput = { ...input, services: services.filter((s) => s.name !== removed) };
          const fleet = parseFleet(fleetYaml(afterInput), 'fleet.yaml');
          const live = afterPrune(before, renderObjects(buildApp(fleet)));
          const violations = [
            ...clusterTrafficAdmitted.check({ fleet, objects: live }),
            ...protectedDependencies.check({ fleet, objects: live }),
          ];
          if (violations.length > 0)
            throw new Error(`removing ${removed}:\n${formatViolations(violations)}\n\nfleet.yaml before:\n${fleetYaml(input)}`);
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  }, 600_000);
});
