// The check of a restored cluster: every service database exists and every table in it can be
// read (its first row fetched, which reads the relation's files), over TLS as the superuser.
import { Client } from 'pg';

export interface CheckTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly databases: readonly string[];
  /** @default 'require' (encrypted; the scratch cluster's CA is not read, to keep the Role to one Secret) */
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
    });
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
