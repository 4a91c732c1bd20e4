// The alerts of an environment's PgBouncer poolers, as rules of the environment's PrometheusRule
// (lib/monitoring/alert-rules.ts puts them in the group `<fleet>-<env>.pgbouncer`).
//
// Metric names are the CloudNativePG PgBouncer exporter's (cloudnative-pg@v1.30.0:
// pkg/management/pgbouncer/metricsserver/): cnpg_pgbouncer_last_collection_error (1 when
// `SHOW LISTS` fails: PgBouncer is not answering), cnpg_pgbouncer_lists_used_clients (SHOW LISTS),
// cnpg_pgbouncer_pools_maxwait and _maxwait_us (SHOW POOLS, per database and user). The exporter
// defines a cnpg_pgbouncer_up gauge but never registers it, so it is never exported; pod liveness
// is Prometheus' own `up`. Every series carries `namespace`, `pod` and `pooler` (PoolerPodMonitor).
import type { AlertRule } from '../monitoring/alert-rules';
import type { Environment } from '../config/model';
import { poolerName } from '../config/names';
import { PGBOUNCER_DEFAULT_MAX_CLIENT_CONN } from '../config/pgbouncer-parameters';

/** Thresholds fleet.yaml does not expose. */
export const POOLER_THRESHOLDS = {
  /** Seconds the oldest waiting client may wait for a server connection. */
  maxWaitSeconds: 5,
  /** Share of max_client_conn one PgBouncer pod may hold. */
  clientConnectionsPercent: 80,
} as const;

export const POOLER_ALERT_NAMES = [
  'CNPGPoolerDown',
  'CNPGPoolerDegraded',
  'CNPGPoolerClientsWaiting',
  'CNPGPoolerMaxClientConnections',
] as const;
export type PoolerAlertName = (typeof POOLER_ALERT_NAMES)[number];

/** One rendered pooler, as the rules need it. */
export interface PoolerTarget {
  readonly name: string;
  readonly instances: number;
  /** The effective max_client_conn of each pod. */
  readonly maxClientConn: number;
}

export function poolerTargets(environment: Environment): PoolerTarget[] {
  return environment.clusters.flatMap((c) =>
    (c.poolers ?? []).map((p) => ({
      name: poolerName(c.name, p.type),
      instances: p.instances,
      maxClientConn: p.parameters.max_client_conn !== undefined ? Number(p.parameters.max_client_conn) : PGBOUNCER_DEFAULT_MAX_CLIENT_CONN,
    })),
  );
}

type RuleFactory = (
  alert: PoolerAlertName,
  tier: 'critical' | 'warning',
  expr: string,
  forDuration: string | undefined,
  summary: string,
  description: string,
) => AlertRule;

const POOLER_REF = '{{ $labels.namespace }}/{{ $labels.pooler }}';

/** The pooler rules of one environment; empty when it renders no pooler. */
export function poolerAlertRules(environment: Environment, rule: RuleFactory): AlertRule[] {
  const poolers = poolerTargets(environment);
  if (poolers.length === 0) return [];
  const ns = environment.namespace;
  const sel = (names: readonly string[]) => `namespace="${ns}",pooler=~"${names.join('|')}"`;
  const all = poolers.map((p) => p.name);
  // A pod is healthy when Prometheus scrapes it and its exporter reaches PgBouncer.
  const healthy = (names: readonly string[]) =>
    `count by (namespace, pooler) (up{${sel(names)}} == 1 and on (namespace, pod) cnpg_pgbouncer_last_collection_error{${sel(names)}} == 0)`;
  // `or` a zero per pooler, so a pooler with no series at all (every pod gone) counts 0.
  const zero = (name: string) => `label_replace(label_replace(vector(0), "namespace", "${ns}", "", ""), "pooler", "${name}", "", "")`;
  const rules: AlertRule[] = [];

  rules.push(
    rule(
      'CNPGPoolerDown',
      'critical',
      `(${healthy(all)} or ${all.map(zero).join(' or ')}) < 1`,
      '5m',
      'A PgBouncer pooler has no working pod.',
      `No pod of pooler ${POOLER_REF} has been scraped with PgBouncer answering for 5 minutes: applications using its endpoint cannot connect (the direct-* endpoints still work).`,
    ),
  );

  const replicated = poolers.filter((p) => p.instances >= 2);
  if (replicated.length > 0) {
    rules.push(
      rule(
        'CNPGPoolerDegraded',
        'warning',
        replicated.map((p) => `(${healthy([p.name])} or ${zero(p.name)}) < ${p.instances}`).join(' or '),
        '10m',
        'A PgBouncer pooler runs fewer working pods than configured.',
        `Pooler ${POOLER_REF} has {{ $value | printf "%.0f" }} working pod(s), fewer than configured, for 10 minutes: the remaining pods carry every client.`,
      ),
    );
  }

  rules.push(
    rule(
      'CNPGPoolerClientsWaiting',
      'critical',
      `max by (namespace, pooler, pod) (cnpg_pgbouncer_pools_maxwait{${sel(all)}} + cnpg_pgbouncer_pools_maxwait_us{${sel(all)}} / 1e6) > ${POOLER_THRESHOLDS.maxWaitSeconds}`,
      '5m',
      'Clients wait for a server connection in a PgBouncer pooler.',
      `In pod {{ $labels.pod }} of pooler ${POOLER_REF} the oldest client has waited {{ $value | printf "%.1f" }}s for a server connection (threshold ${POOLER_THRESHOLDS.maxWaitSeconds}s): the pool is too small for the load, or queries are slow.`,
    ),
  );

  // max_client_conn differs per pooler: one comparison per pooler.
  rules.push(
    rule(
      'CNPGPoolerMaxClientConnections',
      'warning',
      poolers
        .map(
          (p) =>
            `max by (namespace, pooler, pod) (cnpg_pgbouncer_lists_used_clients{namespace="${ns}",pooler="${p.name}"}) / ${p.maxClientConn} * 100 > ${POOLER_THRESHOLDS.clientConnectionsPercent}`,
        )
        .join(' or '),
      '5m',
      'A PgBouncer pod is close to max_client_conn.',
      `Pod {{ $labels.pod }} of pooler ${POOLER_REF} holds {{ $value | printf "%.0f" }} % of its max_client_conn (threshold ${POOLER_THRESHOLDS.clientConnectionsPercent} %): at 100 % PgBouncer refuses new clients.`,
    ),
  );
  return rules;
}
