// Attack on issue 31: a switchover or failover must still render. The demoted primary's Cluster has
// no bootstrap (it was created by initdb); the CloudNativePG webhook defaults one and admits the
// update, so the ported rules must not refuse it.
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { loadValidator } from '../../lib/validate';
import { drFleet } from '../support/dr-fleet';

const validator = loadValidator();

describe.each(['per-service', 'grouped', 'shared'] as const)(
  'DR %s: every switchover step renders objects the webhooks admit',
  (topology) => {
    it.each([
      ['step 1 (switchoverTo)', '    switchoverTo: main-dr'],
      ['failover (primarySite moved)', '    primarySite: main-dr'],
    ])('%s', (_, extra) => {
      const objects = renderObjects(buildApp(parseFleet(drFleet(topology, extra), 'fleet.yaml')));
      const report = validator.validateObjects(objects.map((o) => ({ object: o.object, location: { file: o.path } })));
      expect(report.issues.map((i) => `${i.file}: ${i.path}: ${i.message}`)).toEqual([]);
    });
  },
);
