// What Zalando's connection pooler lets a fleet set, kept free of constructs so that the config
// layer (through traits.ts) can import it.
//
// The operator runs its own PgBouncer image and writes its configuration from environment
// variables it computes (zalando/postgres-operator@v2.0.1 pkg/cluster/connection_pooler.go
// getConnectionPoolerEnvVars; pooler/pgbouncer.ini.tmpl): pool_mode from `connectionPooler.mode`,
// max_db_connections from `connectionPooler.maxDBConnections` divided by `numberOfInstances`,
// default_pool_size, min_pool_size and reserve_pool_size derived from it, max_client_conn fixed
// at 10000 (pkg/util/constants/pooler.go ConnectionPoolerMaxClientConnections), and the rest
// fixed in the template (idle_transaction_timeout 600, max_prepared_statements 200, TLS required
// on both sides). Of the PgBouncer parameters a fleet can write, only max_db_connections has a
// field; any other is a config error rather than a setting that is silently not applied.

/** The PgBouncer parameters Zalando's `connectionPooler` section can express. */
export const ZALANDO_POOLER_PARAMETERS: ReadonlySet<string> = new Set(['max_db_connections']);

/** PgBouncer's max_client_conn in Zalando's pooler (constants.ConnectionPoolerMaxClientConnections). */
export const ZALANDO_POOLER_MAX_CLIENT_CONN = 10000;

export function zalandoPoolerParameterProblem(name: string): string | undefined {
  return ZALANDO_POOLER_PARAMETERS.has(name)
    ? undefined
    : `"${name}" cannot be set on Zalando's connection pooler: the operator writes PgBouncer's configuration itself and its connectionPooler section has a field only for ${[...ZALANDO_POOLER_PARAMETERS].join(', ')} (zalando/postgres-operator@v2.0.1 pkg/cluster/connection_pooler.go getConnectionPoolerEnvVars, pooler/pgbouncer.ini.tmpl)`;
}

/**
 * The Deployment and Service of a cluster's pooler: `<cluster>-pooler`, and `<cluster>-pooler-repl`
 * in front of the replicas (pkg/cluster/connection_pooler.go connectionPoolerName).
 */
export function zalandoPoolerName(cluster: string, type: 'rw' | 'ro'): string {
  return type === 'rw' ? `${cluster}-pooler` : `${cluster}-pooler-repl`;
}
