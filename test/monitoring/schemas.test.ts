// The rendered PodMonitors and PrometheusRules are valid against the Prometheus Operator CRDs
// (../shared/crds/prometheus-operator), checked with the project's validator.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadFleet } from '../../lib/config/load';
import { ClusterPodMonitor } from '../../lib/monitoring/cluster-pod-monitor';
import { EnvironmentAlerts } from '../../lib/monitoring/environment-alerts';
import { formatIssue, loadValidator, type Validator } from '../../lib/validate';
import { objectsOf, testChart } from '../support/synth';

const root = join(__dirname, '..', '..');

describe('monitoring objects against the CRD schemas', () => {
  let validator: Validator;
  beforeAll(() => {
    validator = loadValidator();
  });

  for (const file of [
    join(root, 'fleet.yaml'),
    join(root, 'test', 'fixtures', 'fleets', 'example.yaml'),
    join(__dirname, 'fixtures', 'fleet.yaml'),
  ]) {
    it(`validates every PodMonitor and PrometheusRule of ${file.replace(`${root}/`, '')}`, () => {
      const fleet = loadFleet(file);
      const chart = testChart();
      for (const environment of fleet.environments) {
        new EnvironmentAlerts(chart, `Alerts-${environment.name}`, { fleet, environment });
        for (const cluster of environment.clusters) {
          new ClusterPodMonitor(chart, `PodMonitor-${environment.name}-${cluster.name}`, {
            cluster: cluster.name,
            namespace: cluster.namespace,
            fleet: fleet.name,
            selectorLabels: fleet.monitoring.podMonitorLabels,
          });
        }
      }
      const objects = objectsOf(chart);
      expect(objects.filter((o) => o.kind === 'PrometheusRule')).toHaveLength(fleet.environments.length);
      expect(validator.knownKinds).toEqual(
        expect.arrayContaining(['monitoring.coreos.com/v1/PodMonitor', 'monitoring.coreos.com/v1/PrometheusRule']),
      );
      const report = validator.validateObjects(
        objects.map((object) => ({ object, location: { file: `${object.kind}/${object.metadata.name}` } })),
      );
      expect(report.issues.map(formatIssue)).toEqual([]);
      expect(report.notValidated).toEqual([]);
    });
  }
});
