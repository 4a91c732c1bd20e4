// The PrometheusRule of one environment: every alert of alert-rules.ts, in the monitoring
// namespace. Rules live there, not next to the clusters, because that namespace is selected in
// both common setups: a Prometheus whose ruleNamespaceSelector is unset (null) only reads rules from
// its own namespace, and kube-prometheus-stack's `{}` reads every namespace. The ruleLabels are
// what its ruleSelector matches (kube-prometheus-stack: `release: <release name>`).
import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../imports/monitoring.coreos.com';
import type { Environment, Fleet } from '../config/model';
import { standardLabels } from '../labels';
import { environmentAlertGroups, type AlertRuleOptions, type RuleGroup } from './alert-rules';

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

export class EnvironmentAlerts extends Construct {
  readonly rule: PrometheusRule;
  /** The groups as rendered (plain objects, what promtool reads). */
  readonly groups: readonly RuleGroup[];

  constructor(scope: Construct, id: string, props: EnvironmentAlertsProps) {
    super(scope, id);
    const { fleet, environment } = props;
    this.groups = environmentAlertGroups(fleet, environment, { veleroScheduleNames: props.veleroScheduleNames });
    this.rule = new PrometheusRule(this, 'Resource', {
      metadata: {
        name: environmentAlertsName(fleet, environment),
        namespace: props.namespace ?? fleet.monitoring.namespace,
        labels: {
          // instance = the environment: the promtool test maps a rendered rule back to its environment by it.
          ...standardLabels({ fleet: fleet.name, name: 'database-alerts', instance: environment.name, component: 'monitoring' }),
          ...fleet.monitoring.ruleLabels,
        },
      },
      spec: {
        groups: this.groups.map((g) => ({
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
    });
  }
}
