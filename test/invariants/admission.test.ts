// Property: no random fleet that dbfleet accepts renders an object the ported admission rules
// (lib/validate/admission/) refuse. The random fleets of test/support/arbitrary-fleet.ts get
// random memory requests and PostgreSQL parameters on top (shared_buffers, wal_level, WAL sizes,
// booleans), so that some of them are refusable: those must be refused as config errors already,
// each naming the webhook rule; the others must render objects every rule accepts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FleetConfigError, parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { admissionViolations } from '../../lib/validate/admission';
import { arbitraryFleetInput, fleetYaml } from '../support/arbitrary-fleet';

const SEED = process.env.DBFLEET_PROPERTY_SEED ? Number(process.env.DBFLEET_PROPERTY_SEED) : 3101;
const RUNS = process.env.DBFLEET_PROPERTY_RUNS ? Math.min(Number(process.env.DBFLEET_PROPERTY_RUNS), 200) : 60;

const parameters = fc.record(
  {
    shared_buffers: fc.constantFrom('128MB', '1GB', '4GB', '2048', '512kB'),
    wal_level: fc.constantFrom('logical', 'replica', 'minimal'),
    max_wal_senders: fc.constantFrom('0', '10'),
    min_wal_size: fc.constantFrom('80MB', '2GB'),
    max_wal_size: fc.constantFrom('1GB', '4GB', '32GB'),
    wal_log_hints: fc.constantFrom('on', 'off'),
    hot_standby_feedback: fc.constantFrom('on', 'off', 'sometimes'),
  },
  { requiredKeys: [] },
);
const memory = fc.constantFrom('512Mi', '1Gi', '2Gi', '8Gi');

type Input = Record<string, unknown>;
const withAdmissionSettings = arbitraryFleetInput.chain((fleet) => {
  const envs = Object.keys(fleet.environments as Input);
  return fc
    .record({
      fleetParameters: fc.option(parameters, { nil: undefined }),
      perEnv: fc.tuple(
        ...envs.map(() =>
          fc.record({ memory: fc.option(memory, { nil: undefined }), parameters: fc.option(parameters, { nil: undefined }) }),
        ),
      ),
    })
    .map(({ fleetParameters, perEnv }) => {
      const environments = Object.fromEntries(
        envs.map((name, i) => {
          const env = { ...((fleet.environments as Input)[name] as Input) };
          // These are CloudNativePG's webhook rules: Aurora environments of the generator run on
          // CloudNativePG here (Aurora refuses WAL parameters itself: test/aurora/).
          if (env.operator === 'aws-aurora') {
            delete env.operator;
            delete env.aws;
          }
          if (perEnv[i].memory) env.resources = { cpu: '1', memory: perEnv[i].memory };
          // A DR standby's PostgreSQL settings are its source's (a config error otherwise): none of its own.
          if (perEnv[i].parameters && Object.keys(perEnv[i].parameters!).length > 0 && !env.standbyOf)
            env.postgres = { parameters: perEnv[i].parameters };
          return [name, env];
        }),
      );
      const postgres = {
        ...(fleet.postgres as Input),
        ...(fleetParameters && Object.keys(fleetParameters).length ? { parameters: fleetParameters } : {}),
      };
      return fleetYaml({ ...fleet, postgres, environments });
    });
});

describe('admission rules over random fleets', () => {
  it(`no accepted random fleet renders an object the ported webhook rules refuse; refusable ones are config errors (seed ${SEED}, ${RUNS} runs)`, () => {
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(withAdmissionSettings, (yaml) => {
        let objects;
        try {
          objects = renderObjects(buildApp(parseFleet(yaml, 'fleet.yaml')));
        } catch (error) {
          if (!(error instanceof FleetConfigError)) throw error;
          // Refused before merge: every problem must be a webhook refusal, naming its rule.
          const other = error.problems.filter(
            (p) => !/refused by CloudNativePG's admission webhook \(cloudnative-pg@v1\.30\.0 internal\/webhook\/v1\/\S+ \w+\)/.test(p),
          );
          if (other.length > 0) throw new Error(`unexpected config errors:\n${other.join('\n')}\n\nfleet.yaml:\n${yaml}`, { cause: error });
          seen.refused++;
          return;
        }
        seen.accepted++;
        const refused = objects.flatMap((o) => admissionViolations(o.object).map((v) => `dist/${o.path}: ${v.path}: ${v.message}`));
        if (refused.length > 0) throw new Error(`${refused.join('\n')}\n\nfleet.yaml:\n${yaml}`);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
    // Both sides are exercised: the property is not vacuous.
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  }, 600_000);
});
