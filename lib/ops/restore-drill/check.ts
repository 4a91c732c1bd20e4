// The check of a restored cluster: every service database exists and every table in it can be
// read (its first row fetched, which reads the relation's files), over TLS with SCRAM channel
// binding, logged in as the database's owner (the drill holds no superuser credentials).
import { Client } from 'pg';

export interface CheckTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly databases: readonly string[];
  /**
   * TLS, and SCRAM channel binding required (the access Jobs' `PGSSLMODE=require`,
   * `PGCHANNELBINDING=require`): the scratch cluster's CA is not read (the Role reads the owner
   * Secrets only), so channel binding (tls-server-end-point) is what ties the login to the server
   * holding that certificate. false: plain TCP, no channel binding (tests without openssl only).
   * @default true
   */
  readonly ssl?: boolean;
}

export interface DatabaseResult {
  readonly database: string;
  readonly ok: boolean;
  readonly tables: number;
  /** The planner's row estimate over all tables (a size signal, not an exact count). */
  readonly estimatedRows: number;
  readonly error?: string;
}

export type Checker = (target: CheckTarget) => Promise<DatabaseResult[]>;

/** Every session the drill opens: the startup option outranks the login's own role settings. */
export const SEARCH_PATH_OPTION = '-c search_path=pg_catalog,pg_temp';

/** How long one statement may run: a drill must not hang on one huge table. */
const STATEMENT_TIMEOUT_MS = 60_000;

export const checkDatabases: Checker = async (target) => {
  const results: DatabaseResult[] = [];
  for (const database of target.databases) {
    const client = new Client({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database,
      ssl: target.ssl === false ? false : { rejectUnauthorized: false },
      connectionTimeoutMillis: 15_000,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      application_name: 'dbfleet-restore-drill',
      // The restored database is the owner's: pg_catalog first, so its own operators or functions
      // cannot stand in for the catalog's (attack on issue 30, the same pin as the Jobs' PGOPTIONS).
      options: SEARCH_PATH_OPTION,
      // pg offers SCRAM-SHA-256-PLUS when the server does; requireChannelBinding refuses the rest.
      enableChannelBinding: target.ssl !== false,
    });
    if (target.ssl !== false) requireChannelBinding(client);
    try {
      await client.connect();
      await client.query('SET default_transaction_read_only = on');
      const tables = await client.query<{ schema: string; name: string; reltuples: number }>(
        `SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::float8 AS reltuples
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
          ORDER BY 1, 2`,
      );
      for (const t of tables.rows) {
        await client.query(`SELECT 1 FROM ${client.escapeIdentifier(t.schema)}.${client.escapeIdentifier(t.name)} LIMIT 1`);
      }
      results.push({
        database,
        ok: true,
        tables: tables.rows.length,
        estimatedRows: tables.rows.reduce((sum, t) => sum + Number(t.reltuples), 0),
      });
    } catch (error) {
      results.push({ database, ok: false, tables: 0, estimatedRows: 0, error: (error as Error).message });
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return results;
};

/**
 * libpq's `channel_binding=require` for node-postgres, which only prefers it (pg@8.23.1
 * lib/crypto/sasl.js startSession): any authentication other than SCRAM-SHA-256-PLUS (a password
 * in clear or MD5, SCRAM without binding, trust) fails the connection before the password is sent.
 */
export function requireChannelBinding(client: Client): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's Connection is untyped in @types/pg
  const connection = (client as any).connection as import('node:events').EventEmitter & { stream?: { destroy(): void } };
  const refuse = (how: string) => () => {
    connection.emit('error', new Error(`channel binding required, but the server asked for ${how}`));
    connection.stream?.destroy();
  };
  connection.on('authenticationCleartextPassword', refuse('a cleartext password'));
  connection.on('authenticationMD5Password', refuse('an MD5 password'));
  connection.on('authenticationSASL', (msg: { mechanisms: string[] }) => {
    if (!msg.mechanisms.includes('SCRAM-SHA-256-PLUS')) refuse(`SASL ${msg.mechanisms.join(', ')} without channel binding`)();
  });
  // Trust: the server says AuthenticationOk without any exchange.
  let exchanged = false;
  for (const event of ['authenticationSASL', 'authenticationCleartextPassword', 'authenticationMD5Password'])
    connection.on(event, () => (exchanged = true));
  connection.on('authenticationOk', () => {
    if (!exchanged) refuse('no authentication (trust)')();
  });
}
