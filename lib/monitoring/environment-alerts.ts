// The PrometheusRule of one environment: every alert of alert-rules.ts, in the monitoring
// namespace. Rules live there, not next to the clusters, because that namespace is selected in
// both common setups: a Prometheus whose ruleNamespaceSelector is unset (null) only reads rules from
// its own namespace, and kube-prometheus-stack's `{}` reads every namespace. The ruleLabels are
// what its ruleSelector matches (kube-prometheus-stack: `release: <release name>`).
import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../imports/monitoring.coreos.com';
import type { Environment, Fleet } from '../config/model';
import { standardLabels } from '../labels';
import { environmentAlertGroups, veleroScheduleNames, type AlertRuleOptions, type RuleGroup } from './alert-rules';

export interface EnvironmentAlertsProps extends AlertRuleOptions {
  readonly fleet: Fleet;
  readonly environment: Environment;
  /**
   * Where the PrometheusRule goes.
   * @default fleet.monitoring.namespace
   */
  readonly namespace?: string;
}

/** `acme-production-databases`: stable, one per environment, unique even if environments share a Kubernetes cluster. */
export function environmentAlertsName(fleet: Fleet, environment: Environment): string {
  return `${fleet.name}-${environment.name}-databases`;
}

/**
 * What one PrometheusRule may hold, in JSON bytes: client-side apply copies the object into its
 * 262144-byte last-applied annotation, and the budget leaves room for metadata and YAML quoting.
 */
export const ALERTS_BUDGET_BYTES = 192 * 1024;

/** Groups that watch one job or one schedule each, whatever the number of clusters. */
const ENVIRONMENT_WIDE_GROUPS = ['backup-jobs', 'mongo-snapshot'];

/**
 * The environment's rule groups in parts that each fit ALERTS_BUDGET_BYTES: one part (everything,
 * as always) unless the clusters' selectors make it larger; then the clusters, in name order, are
 * cut into runs and each part watches one run. The environment-wide rules (Velero, backup jobs,
 * MongoDB snapshots) stay in the first part. Alert names, labels and thresholds do not change, so
 * the alert table and the runbooks hold for every part.
 */
export function alertParts(fleet: Fleet, environment: Environment, options: AlertRuleOptions = {}): RuleGroup[][] {
  const opts = { veleroScheduleNames: options.veleroScheduleNames ?? veleroScheduleNames(fleet, environment) };
  const full = environmentAlertGroups(fleet, environment, opts);
  const size = (groups: readonly RuleGroup[]) => Buffer.byteLength(JSON.stringify(groups));
  if (environment.clusters.length <= 1 || size(full) <= ALERTS_BUDGET_BYTES) return [full];
  // Rules that exist without any cluster, and whole environment-wide groups, are not per cluster.
  const wide = new Set(environmentAlertGroups(fleet, { ...environment, clusters: [] }, opts).flatMap((g) => g.rules.map((r) => r.alert)));
  const perCluster = (group: RuleGroup) => (rule: RuleGroup['rules'][number]) =>
    !wide.has(rule.alert) && !ENVIRONMENT_WIDE_GROUPS.some((part) => group.name.endsWith(`.${part}`));
  for (let count = Math.ceil(size(full) / ALERTS_BUDGET_BYTES) + 1; ; count++) {
    const per = Math.ceil(environment.clusters.length / count);
    const runs = Array.from({ length: Math.ceil(environment.clusters.length / per) }, (_, i) =>
      environment.clusters.slice(i * per, (i + 1) * per),
    );
    const parts = runs.map((clusters, i) => {
      const own = environmentAlertGroups(fleet, { ...environment, clusters }, opts);
      return full
        .map((group) => {
          const mine = own.find((g) => g.name === group.name)?.rules.filter(perCluster(group)) ?? [];
          const shared = i === 0 ? group.rules.filter((r) => !perCluster(group)(r)) : [];
          // Later parts name their groups apart: Prometheus shows a group per file and name.
          return { name: i === 0 ? group.name : `${group.name}.part-${i + 1}`, rules: [...mine, ...shared] };
        })
        .filter((g) => g.rules.length > 0);
    });
    if (parts.every((p) => size(p) <= ALERTS_BUDGET_BYTES) || per === 1) return parts;
  }
}

export class EnvironmentAlerts extends Construct {
  /** The first PrometheusRule (`<fleet>-<environment>-databases`); more follow only past the size budget. */
  readonly rule: PrometheusRule;
  readonly rules: readonly PrometheusRule[];
  /** The groups as rendered, every part (plain objects, what promtool reads). */
  readonly groups: readonly RuleGroup[];

  constructor(scope: Construct, id: string, props: EnvironmentAlertsProps) {
    super(scope, id);
    const { fleet, environment } = props;
    const parts = alertParts(fleet, environment, { veleroScheduleNames: props.veleroScheduleNames });
    this.groups = parts.flat();
    this.rules = parts.map(
      (groups, i) =>
        new PrometheusRule(this, i === 0 ? 'Resource' : `Part${i + 1}`, {
          metadata: {
            name: i === 0 ? environmentAlertsName(fleet, environment) : `${environmentAlertsName(fleet, environment)}-${i + 1}`,
            namespace: props.namespace ?? fleet.monitoring.namespace,
            labels: {
              // instance = the environment: the promtool test maps a rendered rule back to its environment by it.
              ...standardLabels({ fleet: fleet.name, name: 'database-alerts', instance: environment.name, component: 'monitoring' }),
              ...fleet.monitoring.ruleLabels,
            },
          },
          spec: {
            groups: groups.map((g) => ({
              name: g.name,
              rules: g.rules.map((r) => ({
                alert: r.alert,
                expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr),
                ...(r.for ? { for: r.for } : {}),
                labels: { ...r.labels },
                annotations: { ...r.annotations },
              })),
            })),
          },
        }),
    );
    this.rule = this.rules[0];
  }
}
