// Developer sessions (issue 24 item 4) on a real PostgreSQL, through the rendered objects: the
// developer role's CONNECTION LIMIT (CloudNativePG DatabaseRole) refuses the login past it, and
// the developer-sessions Job (logged in as each developer) sets statement_timeout and
// idle_in_transaction_session_timeout, which cut a developer's statement and idle transaction off.
// Revert checks: without the Job's run, or without the rendered limit, the same session is not cut
// off / the same login is accepted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';
import { renderEnvironment, RenderedWorld, succeeded } from './harness';

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: developer sessions on a real PostgreSQL: ${unavailable}`);

const fleet = (operator: string, sessions: string) => `name: acme
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
    operator: ${operator}
    developerSessions: ${sessions}
services:
  - name: orders
`;
const LIMITS = '{ connectionLimit: 2, statementTimeout: 1s, idleInTransactionTimeout: 1500ms }';

/** What a developer session meets: a 3-second statement, a transaction left idle 3 seconds. */
async function sessionOutcome(world: RenderedWorld, server: PostgresServer) {
  const login = { user: 'dev_alice', password: world.passwords.get('dev_alice')!, database: 'orders' };
  const result = { longStatement: 'allowed', idleTransaction: 'allowed' };
  const a = await server.connect(login);
  try {
    await a.query('SELECT pg_sleep(3)');
  } catch (error) {
    result.longStatement = (error as { code?: string }).code ?? (error as Error).message;
  }
  await a.end();
  const b = await server.connect(login);
  b.on('error', () => undefined);
  try {
    await b.query('BEGIN');
    await b.query('SELECT 1');
    await sleep(3000);
    await b.query('SELECT 1');
    await b.query('COMMIT');
  } catch (error) {
    result.idleTransaction = (error as { code?: string }).code ?? 'terminated';
  }
  await b.end().catch(() => undefined);
  return result;
}

/** Logs in as alice until refused: the SQLSTATE of the refusal, and how many sessions were admitted. */
async function loginsUntilRefused(world: RenderedWorld, server: PostgresServer, max = 4) {
  const login = { user: 'dev_alice', password: world.passwords.get('dev_alice')!, database: 'orders' };
  const open = [];
  let refused = 'never';
  try {
    for (let i = 0; i < max; i++) {
      try {
        open.push(await server.connect(login));
      } catch (error) {
        refused = (error as { code?: string }).code ?? (error as Error).message;
        break;
      }
    }
    return { admitted: open.length, refused };
  } finally {
    for (const c of open) await c.end();
  }
}

describe('developerSessions in fleet.yaml', () => {
  it('defaults to 5 connections, 60s and 5m; each key may be overridden per environment', () => {
    expect(parseFleet(fleet('cloudnative-pg', '{}'), 'fleet.yaml').environments[0].developerSessions).toEqual({
      connectionLimit: 5,
      statementTimeout: '60s',
      idleInTransactionTimeout: '300s',
    });
    expect(
      parseFleet(fleet('cloudnative-pg', '{ statementTimeout: 0s, idleInTransactionTimeout: 250ms }'), 'fleet.yaml').environments[0]
        .developerSessions,
    ).toEqual({
      connectionLimit: 5,
      statementTimeout: '0',
      idleInTransactionTimeout: '250ms',
    });
  });

  it('refuses, all at once with file:line:path, a limit below 1, a timeout beyond PostgreSQL, a connection limit Zalando cannot render', () => {
    expect(() =>
      parseFleet(fleet('cloudnative-pg', '{ connectionLimit: 0, statementTimeout: 600h, idleInTransactionTimeout: nope }'), 'fleet.yaml'),
    ).toThrow(
      [
        'fleet.yaml:13: environments.test.developerSessions.connectionLimit: must be >= 1 (to keep developers out, set developerAccess: none)',
        `fleet.yaml:13: environments.test.developerSessions.statementTimeout: "600h" must be whole milliseconds and at most 2147483647ms (PostgreSQL's limit, about 24 days)`,
        'fleet.yaml:13: environments.test.developerSessions.idleInTransactionTimeout: "nope" is not a valid duration (e.g. 90s, 30m, 168h, 1h30m)',
      ].join('\n'),
    );
    expect(() => parseFleet(fleet('zalando', '{ connectionLimit: 3 }'), 'fleet.yaml')).toThrow(
      /fleet\.yaml:13: environments\.test\.developerSessions\.connectionLimit: cannot be rendered on operator: zalando/,
    );
  });
});

describe.skipIf(unavailable !== undefined)('developer sessions on a real PostgreSQL (issue 24 item 4)', () => {
  let server: PostgresServer;
  beforeEach(async () => {
    server = await startPostgres();
  });
  afterEach(async () => {
    await server?.stop();
  });

  it('CloudNativePG: the statement and the idle transaction are cut off, the third login is refused (limit 2)', async () => {
    const world = new RenderedWorld(server, renderEnvironment(fleet('cloudnative-pg', LIMITS), 'test'));
    await world.operatorSyncCnpg();
    succeeded(await world.runJob('acme-access-sync'));
    const run = succeeded(await world.runJob('acme-developer-sessions'));
    expect([...run.secretsRead].sort()).toEqual(['developer-alice-credentials/password', 'developer-alice-credentials/username']);
    expect(server.psql('postgres', "SELECT rolconfig FROM pg_roles WHERE rolname = 'dev_alice';").trim()).toBe(
      '{statement_timeout=1s,idle_in_transaction_session_timeout=1500ms}',
    );
    // 57014: canceling statement due to statement timeout; 25P03: idle-in-transaction timeout.
    const outcome = await sessionOutcome(world, server);
    expect(outcome.longStatement).toBe('57014');
    expect(outcome.idleTransaction).not.toBe('allowed');
    // 53300: too many connections for role.
    expect(await loginsUntilRefused(world, server)).toEqual({ admitted: 2, refused: '53300' });
    // A re-run while alice holds her limit: a warning, not a failed sync.
    const held = [0, 1].map(() => server.connect({ user: 'dev_alice', password: world.passwords.get('dev_alice')!, database: 'orders' }));
    const clients = await Promise.all(held);
    const rerun = succeeded(await world.runJob('acme-developer-sessions'));
    expect(rerun.stdout).toContain('holds its connection limit');
    for (const c of clients) await c.end();
  }, 90_000);

  it('a developer who changed their own password: the hook still succeeds and reports it (attack finding, medium)', async () => {
    const objects = renderEnvironment(fleet('cloudnative-pg', LIMITS), 'test');
    // Not under /tmp: the runner maps the Job's /tmp mount to its own directory.
    const dir = mkdtempSync(join(__dirname, '.termination-'));
    const report = join(dir, 'termination-log');
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'acme-developer-sessions')!;
    job.spec.template.spec.containers[0].env.push({ name: 'DBFLEET_TERMINATION_LOG', value: report });
    const world = new RenderedWorld(server, objects);
    await world.operatorSyncCnpg();
    succeeded(await world.runJob('acme-access-sync'));
    // Alice logs in with the password from the store and changes it, as any role may.
    const alice = await server.connect({ user: 'dev_alice', password: world.passwords.get('dev_alice')!, database: 'orders' });
    await alice.query("ALTER ROLE CURRENT_USER PASSWORD 'mine-now-1234'");
    await alice.end();
    const run = await world.runJob('acme-developer-sessions');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('dbfleet-developer-sessions: WARNING: dev_alice: the password in the store does not log in');
    expect(readFileSync(report, 'utf8')).toBe('developer logins whose password the store does not hold: dev_alice\n');
    rmSync(dir, { recursive: true });
    // Any other failure still fails the hook (the password back, the database refusing connections).
    server.psql(
      'postgres',
      `ALTER ROLE dev_alice PASSWORD '${world.passwords.get('dev_alice')!}'; ALTER DATABASE orders ALLOW_CONNECTIONS false;`,
    );
    expect((await world.runJob('acme-developer-sessions')).code).not.toBe(0);
  }, 90_000);

  it('revert check: without the Job run and without the rendered limit, the same sessions run on and a third login is admitted', async () => {
    const objects = renderEnvironment(fleet('cloudnative-pg', LIMITS), 'test');
    for (const o of objects) if (o.kind === 'DatabaseRole' && o.spec.name === 'dev_alice') o.spec.connectionLimit = -1;
    const world = new RenderedWorld(server, objects);
    await world.operatorSyncCnpg();
    succeeded(await world.runJob('acme-access-sync'));
    expect(await sessionOutcome(world, server)).toEqual({ longStatement: 'allowed', idleTransaction: 'allowed' });
    expect(await loginsUntilRefused(world, server, 3)).toEqual({ admitted: 3, refused: 'never' });
  }, 90_000);

  it('Zalando: the Job sets the timeouts with the developer login (never the superuser); the statement is cut off', async () => {
    const world = new RenderedWorld(
      server,
      renderEnvironment(fleet('zalando', '{ statementTimeout: 1s, idleInTransactionTimeout: 1500ms }'), 'test'),
    );
    await world.operatorSyncZalando();
    succeeded(await world.runJob('acme-access-sync'));
    const run = succeeded(await world.runJob('acme-developer-sessions'));
    expect([...new Set(run.secretsRead.map((s) => s.split('/')[0]))]).toEqual(['dev-alice.acme.credentials.postgresql.acid.zalan.do']);
    expect((await sessionOutcome(world, server)).longStatement).toBe('57014');
  }, 90_000);
});
