// The drill's database check on a real PostgreSQL: it passes on readable databases, and fails
// on a missing database and on a table whose files are gone (what a broken restore looks like).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDatabases } from '../../lib/ops/restore-drill/check';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: restore-drill check on a real PostgreSQL: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('restore-drill check on a real PostgreSQL', () => {
  let server: PostgresServer;
  const target = () => ({
    host: server.host,
    port: server.port,
    user: server.superuser,
    password: server.superuserPassword,
    ssl: server.ssl,
  });

  beforeAll(async () => {
    server = await startPostgres();
    // psql() runs one transaction, which CREATE DATABASE refuses: use a client.
    const admin = await server.connect({ user: server.superuser, password: server.superuserPassword, database: 'postgres' });
    await admin.query('CREATE DATABASE orders');
    await admin.query('CREATE DATABASE payments');
    await admin.end();
    server.psql(
      'orders',
      'CREATE SCHEMA sales; CREATE TABLE sales.orders (id int); INSERT INTO sales.orders SELECT generate_series(1, 500); ANALYZE sales.orders; CREATE TABLE "Mixed Case" (x int);',
    );
    server.psql('payments', 'CREATE TABLE ledger (id int); INSERT INTO ledger VALUES (1);');
  }, 120_000);
  afterAll(() => server?.stop());

  it('every database there and every table readable: ok, with table counts and row estimates', async () => {
    const results = await checkDatabases({ ...target(), databases: ['orders', 'payments'] });
    expect(results).toEqual([
      { database: 'orders', ok: true, tables: 2, estimatedRows: 500 },
      { database: 'payments', ok: true, tables: 1, estimatedRows: 0 },
    ]);
  });

  it('a missing database fails, the others are still checked', async () => {
    const results = await checkDatabases({ ...target(), databases: ['inventory', 'payments'] });
    expect(results[0]).toMatchObject({ database: 'inventory', ok: false, error: 'database "inventory" does not exist' });
    expect(results[1]).toMatchObject({ database: 'payments', ok: true });
  });

  it('a table whose data file is gone fails the check', async () => {
    server.psql('payments', 'CREATE TABLE broken (id int); INSERT INTO broken VALUES (1);');
    const admin = await server.connect({ user: server.superuser, password: server.superuserPassword, database: 'payments' });
    await admin.query('CHECKPOINT');
    await admin.end();
    const file = server
      .psql('payments', "SELECT pg_relation_filepath('broken')")
      .trim()
      .split('\n')
      .find((l) => l.includes('base/'))!
      .trim();
    rmSync(join(server.dir, 'data', file));
    const [result] = await checkDatabases({ ...target(), databases: ['payments'] });
    expect(result).toMatchObject({ database: 'payments', ok: false });
    expect(result.error).toMatch(/could not open file/);
  });
});
