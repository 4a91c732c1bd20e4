// The Zalando `postgresql` resource lists every role and database of its cluster's services and
// cannot be split (one per cluster): at ~970 services of 63-character names it passes the 256 KiB
// Argo CD can apply (270 KB at 1000, 810 KB at 3000) and the fleet rendered, validated, and
// failed at sync. The render-time guard (lib/output/object-size.ts) now refuses it, naming the
// object, its size, and the topology that spreads the services over more clusters.
import { describe, expect, it } from 'vitest';
import { checkObjectSizes } from '../../lib/output/object-size';
import { buildApp, renderObjects } from '../../lib/output/render';
import { parseFleet } from '../../lib/config/load';

const name = (i: number) => `s${String(i).padStart(4, '0')}-${'x'.repeat(57)}`;
const fleet = (services: number) => `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
environments:
  test:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    operator: zalando
    developerAccess: none
services:
${Array.from({ length: services }, (_, i) => `  - name: ${name(i)}\n`).join('')}`;

describe('Zalando postgresql resource of a shared cluster with 1000 services of 63-character names', () => {
  it('is refused by the render-time guard with a message naming it, its size and the remedy; nothing else is over', () => {
    const problems = checkObjectSizes(renderObjects(buildApp(parseFleet(fleet(1000), 'fleet.yaml'))));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^postgresql databases\/acme \(dist\/test\/postgresql-acme\.yaml\): \d+ bytes as Argo CD applies it client-side .*over the limit of 262144; .*cannot be split .*spread the services over more clusters \(`topology: grouped` or `per-service`/,
    );
  }, 300_000);
});
