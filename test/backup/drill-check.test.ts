// The drill's database check on a real PostgreSQL: it passes on readable databases, and fails
// on a missing database and on a table whose files are gone (what a broken restore looks like).
// It logs in as each database's owner, as the drill does (issue 24: no superuser), over TLS with
// channel binding required when the server has TLS.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { checkDatabases, requireChannelBinding } from '../../lib/ops/restore-drill/check';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: restore-drill check on a real PostgreSQL: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('restore-drill check on a real PostgreSQL', () => {
  let server: PostgresServer;
  const PASSWORDS: Record<string, string> = { orders: 'orders-pw', payments: 'payments-pw' };
  /** The drill's target for one database: logged in as its owner (same name as the database here). */
  const target = (owner = 'payments') => ({
    host: server.host,
    port: server.port,
    user: owner,
    password: PASSWORDS[owner],
    ssl: server.ssl,
  });

  beforeAll(async () => {
    server = await startPostgres();
    // psql() runs one transaction, which CREATE DATABASE refuses: use a client.
    const admin = await server.connect({ user: server.superuser, password: server.superuserPassword, database: 'postgres' });
    // The owners as a restore brings them: LOGIN roles with their SCRAM hashes, owning their databases.
    for (const [role, pw] of Object.entries(PASSWORDS)) {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${pw}'`);
      await admin.query(`CREATE DATABASE ${role} OWNER ${role}`);
    }
    await admin.end();
    server.psql(
      'orders',
      'SET ROLE orders; CREATE SCHEMA sales; CREATE TABLE sales.orders (id int); INSERT INTO sales.orders SELECT generate_series(1, 500); ANALYZE sales.orders; CREATE TABLE "Mixed Case" (x int);',
    );
    server.psql('payments', 'SET ROLE payments; CREATE TABLE ledger (id int); INSERT INTO ledger VALUES (1);');
  }, 120_000);
  afterAll(() => server?.stop());

  it('every database there and every table readable: ok, with table counts and row estimates', async () => {
    // As the drill calls it: one database at a time, as its owner.
    const results = [
      ...(await checkDatabases({ ...target('orders'), databases: ['orders'] })),
      ...(await checkDatabases({ ...target('payments'), databases: ['payments'] })),
    ];
    expect(results).toEqual([
      { database: 'orders', ok: true, tables: 2, estimatedRows: 500 },
      { database: 'payments', ok: true, tables: 1, estimatedRows: 0 },
    ]);
  });

  it('the owner is not a superuser: a wrong password fails, no fallback', async () => {
    const [result] = await checkDatabases({ ...target('payments'), password: 'wrong', databases: ['payments'] });
    expect(result).toMatchObject({ database: 'payments', ok: false });
    expect(result.error).toMatch(/password authentication failed for user "payments"/);
  });

  it('channel binding is required: a login without it is refused before the password is sent', async () => {
    // Without TLS the server can only offer SCRAM-SHA-256 (no -PLUS): what a downgrade looks like.
    const client = new Client({
      host: server.host,
      port: server.port,
      user: 'payments',
      password: PASSWORDS.payments,
      database: 'payments',
      ssl: false,
    });
    requireChannelBinding(client);
    await expect(client.connect()).rejects.toThrow(
      /channel binding required, but the server asked for SASL SCRAM-SHA-256 without channel binding/,
    );
    await client.end().catch(() => undefined);
    // With TLS the same login binds to the channel and succeeds (what the drill does).
    if (server.ssl) {
      const [result] = await checkDatabases({ ...target('payments'), databases: ['payments'] });
      expect(result).toMatchObject({ ok: true });
    }
  });

  it('a missing database fails, the others are still checked', async () => {
    const results = await checkDatabases({ ...target(), databases: ['inventory', 'payments'] });
    expect(results[0]).toMatchObject({ database: 'inventory', ok: false, error: 'database "inventory" does not exist' });
    expect(results[1]).toMatchObject({ database: 'payments', ok: true });
  });

  it('a table whose data file is gone fails the check', async () => {
    server.psql('payments', 'SET ROLE payments; CREATE TABLE broken (id int); INSERT INTO broken VALUES (1);');
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
