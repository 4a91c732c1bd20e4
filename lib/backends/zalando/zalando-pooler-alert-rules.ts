// The alerts of Zalando's poolers, in the environment's `pgbouncer` group. Where the signal
// exists only: the operator's pooler pod runs PgBouncer alone, with no exporter and no way to add
// a sidecar (zalando/postgres-operator@v2.0.1 pkg/cluster/connection_pooler.go
// generateConnectionPoolerPodTemplate: one container), so the PgBouncer-level alerts of
// CloudNativePG (CNPGPoolerClientsWaiting, CNPGPoolerMaxClientConnections: SHOW POOLS / SHOW
// LISTS) have nothing to read. What exists is the Deployment's availability in kube-state-metrics,
// the same source the backup-job alerts use: a pod is available once its readiness probe, a TCP
// connect to 5432, has passed (same file, ReadinessProbe). Pooler down and degraded keep their
// meaning; "PgBouncer answers" is weaker than CloudNativePG's exporter check (docs/zalando.md).
import type { AlertRule, Context } from '../../monitoring/alert-rules';
import { zeroVector } from '../../monitoring/alert-rules';
import { zalandoPoolerName } from './zalando-pooler-settings';

const POOLER_REF = '{{ $labels.namespace }}/{{ $labels.pooler }}';

export function zalandoPoolerAlertRules(ctx: Context): AlertRule[] {
  const { env } = ctx;
  const poolers = env.clusters.flatMap((c) =>
    (c.poolers ?? []).map((p) => ({ name: zalandoPoolerName(c.name, p.type), instances: p.instances })),
  );
  if (poolers.length === 0) return [];
  const ns = env.namespace;
  // Available pods per pooler, labelled `pooler` like CloudNativePG's series; a zero per pooler so a
  // Deployment with no series at all (deleted, never created) counts 0.
  const available = (names: readonly string[]) =>
    `(label_replace(max by (namespace, deployment) (kube_deployment_status_replicas_available{namespace="${ns}",deployment=~"${names.join('|')}"}), "pooler", "$1", "deployment", "(.*)") or ${names.map((n) => zeroVector({ namespace: ns, pooler: n })).join(' or ')})`;
  const rules: AlertRule[] = [
    ctx.rule(
      'ZalandoPoolerDown',
      'critical',
      `max by (namespace, pooler) ${available(poolers.map((p) => p.name))} < 1`,
      '5m',
      'A Zalando connection pooler has no available pod.',
      `No pod of pooler ${POOLER_REF} has been available (ready: PgBouncer accepts TCP on 5432) for 5 minutes: applications using its endpoint cannot connect (the direct-* endpoints still work).`,
    ),
  ];
  const replicated = poolers.filter((p) => p.instances >= 2);
  if (replicated.length > 0) {
    rules.push(
      ctx.rule(
        'ZalandoPoolerDegraded',
        'warning',
        replicated.map((p) => `max by (namespace, pooler) ${available([p.name])} < ${p.instances}`).join(' or '),
        '10m',
        'A Zalando connection pooler runs fewer available pods than configured.',
        `Pooler ${POOLER_REF} has {{ $value | printf "%.0f" }} available pod(s), fewer than configured, for 10 minutes: the remaining pods carry every client.`,
      ),
    );
  }
  return rules;
}
