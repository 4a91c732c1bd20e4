// Output independent of the order services are listed in and of how they are split into
// services/*.yaml (issue 25): a random fleet, its services permuted and some moved into service
// files, renders byte-identical dist/ files.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFleet, parseFleetFiles } from '../../lib/config/load';
import { buildApp, renderObjects, toYaml } from '../../lib/output/render';
import { arbitraryFleetInput, fleetYaml } from '../support/arbitrary-fleet';

const SEED = process.env.DBFLEET_PROPERTY_SEED ? Number(process.env.DBFLEET_PROPERTY_SEED) : 2511;
const RUNS = process.env.DBFLEET_PROPERTY_RUNS ? Math.max(1, Math.floor(Number(process.env.DBFLEET_PROPERTY_RUNS) / 5)) : 60;

type Input = Record<string, unknown>;

function files(objects: ReturnType<typeof renderObjects>): Map<string, string> {
  return new Map(objects.map((o) => [o.path, toYaml(o.object)]));
}

/** The same fleet: services in `order`, those with `split[i]` in their own services/*.yaml. */
function rearranged(input: Input, order: readonly number[], split: readonly boolean[]) {
  const services = input.services as Input[];
  // Each service's extensions reversed too: their order in the file changes nothing rendered.
  const permuted = order
    .map((i) => services[i])
    .map((s) => (Array.isArray(s.extensions) ? { ...s, extensions: [...s.extensions].reverse() } : s));
  const listed = permuted.filter((_, i) => !split[i]);
  const own = permuted.filter((_, i) => split[i]);
  const { services: _, ...rest } = input;
  const main = fleetYaml(listed.length > 0 ? { ...rest, services: listed } : rest);
  return parseFleetFiles({
    main: { file: 'fleet.yaml', text: main },
    // File names in byte order, so the file order is the permuted order.
    services: own.map((s, i) => ({ file: `services/${String(i).padStart(2, '0')}-${String(s.name)}.yaml`, text: fleetYaml(s) })),
  });
}

const arrangement = arbitraryFleetInput.chain((input) => {
  const n = (input.services as unknown[]).length;
  return fc.record({
    input: fc.constant(input),
    order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    split: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  });
});

describe('order independence', () => {
  it(`${RUNS} random fleets render the same bytes whatever the order and split of their services (seed ${SEED})`, () => {
    let moved = 0;
    fc.assert(
      fc.property(arrangement, ({ input, order, split }) => {
        const reference = files(renderObjects(buildApp(parseFleet(fleetYaml(input), 'fleet.yaml'))));
        const other = files(renderObjects(buildApp(rearranged(input, order, split))));
        if (order.some((v, i) => v !== i) || split.some(Boolean)) moved++;
        expect([...other.keys()].sort()).toEqual([...reference.keys()].sort());
        for (const [path, text] of reference)
          if (other.get(path) !== text) expect(`${path}:\n${other.get(path)}`).toBe(`${path}:\n${text}`);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
    expect(moved).toBeGreaterThan(RUNS / 2);
  }, 600_000);
});
