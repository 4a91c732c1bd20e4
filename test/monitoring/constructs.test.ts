// The monitoring constructs, rendered: literal expectations on what lands in dist/.
import { describe, expect, it } from 'vitest';
import { fleetOf } from '../support/fleet';
import { objectsOf, only, testChart } from '../support/synth';
import { ClusterPodMonitor } from '../../lib/monitoring/cluster-pod-monitor';
import { EnvironmentAlerts, environmentAlertsName } from '../../lib/monitoring/environment-alerts';

const FLEET = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
monitoring:
  namespace: monitoring
  ruleLabels: { release: kube-prometheus-stack }
  podMonitorLabels: { release: kube-prometheus-stack, team: dba }
  runbookBaseURL: https://example.com/runbooks
environments:
  production:
    namespace: databases
    topology: per-service
    instances: 3
    storage: 50Gi
    developerAccess: read-only
    alerts: { replicationLagSeconds: 30 }
    backups:
      velero: { schedule: "0 3 * * *" }
services:
  - name: orders
`;

describe('ClusterPodMonitor', () => {
  const chart = testChart();
  new ClusterPodMonitor(chart, 'Orders', {
    cluster: 'orders',
    namespace: 'databases',
    fleet: 'acme',
    selectorLabels: { release: 'kube-prometheus-stack', 'app.kubernetes.io/name': 'overridden' },
  });
  const monitor = only(objectsOf(chart), 'PodMonitor');

  it('is a monitoring.coreos.com/v1 PodMonitor named after the cluster, next to it', () => {
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.name).toBe('orders');
    expect(monitor.metadata.namespace).toBe('databases');
  });

  it('carries the standard labels and the labels the Prometheus selects (these win)', () => {
    expect(monitor.metadata.labels).toEqual({
      'app.kubernetes.io/component': 'monitoring',
      'app.kubernetes.io/instance': 'orders',
      'app.kubernetes.io/managed-by': 'dbfleet',
      'app.kubernetes.io/name': 'overridden',
      'app.kubernetes.io/part-of': 'acme',
      release: 'kube-prometheus-stack',
    });
  });

  it('selects the instances of this cluster and scrapes port metrics, labelling series with the cluster', () => {
    expect(monitor.spec).toEqual({
      selector: { matchLabels: { 'cnpg.io/cluster': 'orders', 'cnpg.io/podRole': 'instance' } },
      podMetricsEndpoints: [
        {
          port: 'metrics',
          relabelings: [{ action: 'replace', sourceLabels: ['__meta_kubernetes_pod_label_cnpg_io_cluster'], targetLabel: 'cluster' }],
        },
      ],
    });
  });

  it('sets a scrape interval only when asked', () => {
    const c = testChart();
    new ClusterPodMonitor(c, 'X', { cluster: 'x', namespace: 'n', fleet: 'f', interval: '30s' });
    expect(only(objectsOf(c), 'PodMonitor').spec.podMetricsEndpoints[0].interval).toBe('30s');
    expect(only(objectsOf(c), 'PodMonitor').metadata.labels).not.toHaveProperty('release');
  });
});

describe('EnvironmentAlerts', () => {
  const fleet = fleetOf(FLEET);
  const environment = fleet.environments[0];
  const chart = testChart();
  const alerts = new EnvironmentAlerts(chart, 'Alerts', { fleet, environment });
  const rule = only(objectsOf(chart), 'PrometheusRule');

  it('is one PrometheusRule per environment, in the monitoring namespace, with the rule labels', () => {
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata).toEqual({
      name: 'acme-production-databases',
      namespace: 'monitoring',
      labels: {
        'app.kubernetes.io/component': 'monitoring',
        'app.kubernetes.io/instance': 'production',
        'app.kubernetes.io/managed-by': 'dbfleet',
        'app.kubernetes.io/name': 'database-alerts',
        'app.kubernetes.io/part-of': 'acme',
        release: 'kube-prometheus-stack',
      },
    });
    expect(environmentAlertsName(fleet, environment)).toBe('acme-production-databases');
  });

  it('renders the groups of alert-rules.ts as plain strings', () => {
    expect(rule.spec.groups.map((g: { name: string }) => g.name)).toEqual([
      'acme-production.cnpg-availability',
      'acme-production.cnpg-capacity',
      'acme-production.cnpg-postgres',
      'acme-production.backups',
    ]);
    expect(JSON.parse(JSON.stringify(alerts.groups))).toEqual(rule.spec.groups);
    const lag = rule.spec.groups[0].rules.find((r: { alert: string }) => r.alert === 'CNPGClusterHighReplicationLag');
    expect(lag).toEqual({
      alert: 'CNPGClusterHighReplicationLag',
      expr: 'max by (namespace, cluster, pod) (cnpg_pg_replication_lag{namespace="databases",cluster=~"orders"}) > 30',
      for: '5m',
      labels: { severity: 'warning', environment: 'production' },
      annotations: {
        summary: 'CloudNativePG standby is lagging behind its primary.',
        description:
          'Standby {{ $labels.namespace }}/{{ $labels.pod }} of cluster {{ $labels.cluster }} is {{ $value | printf "%.0f" }}s behind the primary (threshold 30s).',
        runbook_url: 'https://example.com/runbooks/CNPGClusterHighReplicationLag.md',
      },
    });
  });

  it('takes another namespace and the Velero schedule names when told', () => {
    const c = testChart();
    new EnvironmentAlerts(c, 'A', { fleet, environment, namespace: 'prometheus', veleroScheduleNames: ['nightly'] });
    const r = only(objectsOf(c), 'PrometheusRule');
    expect(r.metadata.namespace).toBe('prometheus');
    const velero = r.spec.groups
      .find((g: { name: string }) => g.name.endsWith('.backups'))
      .rules.find((x: { alert: string }) => x.alert === 'VeleroBackupFailed');
    expect(velero.expr).toContain('velero_backup_failure_total{schedule=~"nightly"}');
  });
});
