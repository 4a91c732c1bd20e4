// postgresql.conf parameters CloudNativePG will not let a Cluster set. Copied from
// cloudnative-pg@v1.30.0:pkg/postgres/configuration.go (FixedConfigurationParameters): "fixed"
// ones the operator manages itself, "blocked" ones must keep PostgreSQL's default for the
// operator to work. Its webhook (internal/webhook/v1/cluster_webhook.go) rejects them, so a
// fleet that sets one would render a Cluster the API server refuses.

const FIXED = [
  'archive_command',
  'archive_mode',
  'cluster_name',
  'pg_failover_slots.primary_dsn',
  'pg_failover_slots.standby_slot_names',
  'port',
  'primary_conninfo',
  'primary_slot_name',
  'recovery_target',
  'recovery_target_action',
  'recovery_target_inclusive',
  'recovery_target_lsn',
  'recovery_target_name',
  'recovery_target_time',
  'recovery_target_timeline',
  'recovery_target_xid',
  'restore_command',
  'shared_preload_libraries',
  'ssl',
  'ssl_ca_file',
  'ssl_cert_file',
  'ssl_crl_file',
  'ssl_dh_params_file',
  'ssl_ecdh_curve',
  'ssl_key_file',
  'ssl_passphrase_command',
  'ssl_passphrase_command_supports_reload',
  'ssl_prefer_server_ciphers',
  'synchronized_standby_slots',
  'synchronous_standby_names',
  'temp_tablespaces',
];
const BLOCKED = [
  'allow_system_table_mods',
  'archive_cleanup_command',
  'bonjour',
  'bonjour_name',
  'config_file',
  'data_directory',
  'data_sync_retry',
  'event_source',
  'external_pid_file',
  'hba_file',
  'hot_standby',
  'ident_file',
  'jit_provider',
  'listen_addresses',
  'log_destination',
  'log_directory',
  'log_file_mode',
  'log_filename',
  'log_rotation_age',
  'log_rotation_size',
  'log_truncate_on_rotation',
  'logging_collector',
  'promote_trigger_file',
  'recovery_end_command',
  'recovery_min_apply_delay',
  'restart_after_crash',
  'stats_temp_directory',
  'syslog_facility',
  'syslog_ident',
  'syslog_sequence_numbers',
  'syslog_split_messages',
  'unix_socket_directories',
  'unix_socket_group',
  'unix_socket_permissions',
];
const FIXED_SET = new Set(FIXED);
/** Every parameter FixedConfigurationParameters lists, fixed or blocked: what the webhook refuses to see changed. */
export const CNPG_FIXED_PARAMETERS: ReadonlySet<string> = new Set([...FIXED, ...BLOCKED]);
const BLOCKED_SET = new Set(BLOCKED);

/** The webhook's name rule (postgresParameterNameRegex): a GUC name, optionally namespaced with one dot. */
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

const HINTS: Record<string, string> = {
  shared_preload_libraries: ': CloudNativePG builds it from the extensions it manages (e.g. pg_stat_statements, auto_explain)',
  synchronous_standby_names: ": use the Cluster's synchronous replication settings instead",
  ssl: ': CloudNativePG always runs with TLS on',
  port: ': the port is 5432 for every CloudNativePG cluster',
};

/** Why CloudNativePG refuses this parameter name, or undefined when it may be set. */
export function parameterProblem(name: string): string | undefined {
  if (!PARAMETER_NAME.test(name))
    return `"${name}" is not a PostgreSQL parameter name (a GUC name, optionally namespaced with a single dot)`;
  const key = name.toLowerCase();
  if (FIXED_SET.has(key))
    return `"${name}" is fixed by CloudNativePG, which manages it itself${HINTS[key] ?? ''} (cloudnative-pg v1.30.0 pkg/postgres/configuration.go, FixedConfigurationParameters)`;
  if (BLOCKED_SET.has(key))
    return `"${name}" is blocked by CloudNativePG: it must keep its default for the operator to work${HINTS[key] ?? ''} (cloudnative-pg v1.30.0 pkg/postgres/configuration.go, FixedConfigurationParameters)`;
  return undefined;
}
