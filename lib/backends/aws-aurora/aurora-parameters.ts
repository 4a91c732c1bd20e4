// Parameters an Aurora PostgreSQL DB cluster parameter group refuses: Aurora's storage layer
// replaces PostgreSQL's WAL, checkpoints and archiving, and RDS owns the server's network, files
// and TLS. Setting one is a config error naming it, not a silently ignored line. The list is the
// "not modifiable" set of the Aurora PostgreSQL parameter reference (AWS documentation, "Amazon
// Aurora PostgreSQL parameters"; AWS publishes no source for it), limited to names PostgreSQL users
// commonly set; `aws rds describe-db-cluster-parameters --source engine-default` lists the rest.
const REFUSED: Readonly<Record<string, string>> = {
  archive_command: 'Aurora archives to its own storage',
  archive_mode: 'Aurora archives to its own storage',
  archive_timeout: 'Aurora archives to its own storage',
  checkpoint_completion_target: 'Aurora storage has no checkpoints to tune',
  checkpoint_timeout: 'Aurora storage has no checkpoints to tune',
  data_directory: 'RDS owns the file system',
  fsync: 'Aurora storage makes writes durable itself',
  full_page_writes: 'Aurora storage makes writes durable itself',
  hba_file: 'RDS owns authentication configuration',
  listen_addresses: 'RDS owns the network',
  max_wal_size: 'Aurora storage has no WAL segments to size',
  min_wal_size: 'Aurora storage has no WAL segments to size',
  port: 'the port is a DBCluster setting, not a parameter',
  ssl: 'RDS always offers TLS (use rds.force_ssl to require it)',
  ssl_cert_file: 'RDS manages the server certificate',
  ssl_key_file: 'RDS manages the server certificate',
  wal_buffers: 'Aurora storage has no WAL buffers to size',
  wal_keep_size: 'Aurora storage has no WAL segments to keep',
  wal_level: 'set rds.logical_replication instead',
  wal_sync_method: 'Aurora storage makes writes durable itself',
};

/** Why Aurora refuses this parameter, or undefined when its cluster parameter group takes it. */
export function auroraParameterProblem(name: string): string | undefined {
  const reason = REFUSED[name.toLowerCase()];
  return reason ? `"${name}" cannot be set on Aurora PostgreSQL: ${reason} (docs/aurora.md, "Parameters")` : undefined;
}
