// Attack on issue 24: the Jobs log in as each owner / each developer, so whatever that role may
// set on itself or on its own database reaches the Job's session. Two findings, each on a real
// PostgreSQL through the rendered Jobs:
// - One owner's broken database stopped the whole cluster's access Job (`set -e` at the first
//   failure, and the preflight logged in as the first owner only): the owner of `orders` ran
//   `ALTER DATABASE orders CONNECTION LIMIT 0` (an owner may), and `payments` never got its
//   grants (nor, later, its revocations). Now each database is applied on its own, the run still
//   fails and names the broken one.
// - A developer's `ALTER ROLE dev_alice SET default_transaction_read_only = on` (every role may
//   set its own defaults) made the developer-sessions Sync hook fail ("cannot execute ALTER ROLE
//   in a read-only transaction"), i.e. one developer failed every sync of the environment; an
//   owner did the same to the access Job. PGOPTIONS now pins default_transaction_read_only=off
//   (a client option outranks a role or database default).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';
import { renderEnvironment, RenderedWorld, succeeded } from './harness';

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: hostile sessions on a real PostgreSQL: ${unavailable}`);

const FLEET = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice]
environments:
  test:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: read-only
services:
  - name: orders
    namespace: orders
  - name: payments
    namespace: payments
`;

describe.skipIf(unavailable !== undefined)('hostile owner and developer session settings (attack on issue 24)', () => {
  let server: PostgresServer;
  beforeEach(async () => {
    server = await startPostgres();
  });
  afterEach(async () => {
    await server?.stop();
  });

  it("an owner who locks its own database out does not stop the other database's grants; the run fails naming it", async () => {
    const world = new RenderedWorld(server, renderEnvironment(FLEET, 'test'));
    await world.operatorSyncCnpg();
    server.psql('payments', 'CREATE TABLE public.ledger (id int); ALTER TABLE public.ledger OWNER TO payments;');
    const orders = await server.connect({ user: 'orders', password: world.passwords.get('orders')!, database: 'orders' });
    await orders.query('ALTER DATABASE orders CONNECTION LIMIT 0');
    await orders.end();
    const run = await world.runJob('acme-access-sync');
    expect(server.psql('payments', "SELECT has_table_privilege('dev_alice', 'public.ledger', 'SELECT');").trim()).toBe('t');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('failed: orders');
  }, 60_000);

  it('a developer whose own default is read-only cannot fail the developer-sessions Job, nor an owner the access Job', async () => {
    const world = new RenderedWorld(server, renderEnvironment(FLEET, 'test'));
    await world.operatorSyncCnpg();
    succeeded(await world.runJob('acme-access-sync'));
    for (const [user, database] of [
      ['dev_alice', 'orders'],
      ['orders', 'orders'],
    ]) {
      const c = await server.connect({ user, password: world.passwords.get(user)!, database });
      await c.query(`ALTER ROLE ${user} SET default_transaction_read_only = on`);
      await c.end();
    }
    succeeded(await world.runJob('acme-developer-sessions'));
    succeeded(await world.runJob('acme-access-sync'));
  }, 60_000);
});
