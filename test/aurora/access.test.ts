// Databases, roles and developer access inside Aurora, proven on a real PostgreSQL from the
// rendered objects. Aurora is emulated as far as dbfleet relies on it: no superuser login, a master
// user that is a member of `rds_superuser` (CREATEROLE, CREATEDB, ADMIN on pg_monitor and rds_iam:
// what the master user may grant on RDS), and `rds_iam` as a plain role (on Aurora a member logs in
// with an IAM token only; here the test gives developers a password to stand in for the token).
// The bootstrap Job and the access Job's two containers run as the kubelet would; every cell of
// the matrix is what the server answered, compared with the same rule as on CloudNativePG and
// Zalando (test/access/matrix.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import type { DeveloperAccess, Fleet } from '../../lib/config/model';
import { buildApp, renderObjects } from '../../lib/output/render';
import { runJobContainer, type JobRun } from '../support/job-runner';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';
import { expected, formatMatrix, OPERATIONS, type MatrixRow, type Outcome, type Subject } from '../access/matrix';

const fleetText = (access: DeveloperAccess, developers = '[alice, bob]', iam = true, sessions = '{}') => `
name: shop
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: ${developers}
environments:
  production:
    operator: aws-aurora
    namespace: databases
    topology: shared
    instances: 2
    storage: 5Gi
    developerAccess: ${access}
    developerSessions: ${sessions}
    aws:
      region: eu-central-1
      subnetIDs: [subnet-0a1b2c3d, subnet-1b2c3d4e]
      securityGroupIDs: [sg-0123abcd]
      serverless: { minCapacity: 0.5, maxCapacity: 4 }
      endpointId: c9akciq32rcl
      iamAuthentication: ${iam}
services:
  - name: orders
    extensions: [pgcrypto]
  - name: payments
`;
const CLUSTER = 'shop';
const DATABASES = ['orders', 'payments'];
const MASTER = 'dbfleet_master';
const MAINTENANCE = ['postgres', 'template1'];
const SUBJECTS: Subject[] = [
  { kind: 'developer', role: 'dev_alice' },
  { kind: 'developer', role: 'dev_bob' },
  { kind: 'service', role: 'orders', owns: 'orders' },
  { kind: 'service', role: 'payments', owns: 'payments' },
];

type Obj = { kind: string; metadata: { name: string }; spec: any; data?: any };
const render = (fleet: Fleet): Obj[] => renderObjects(buildApp(fleet)).map((o) => o.object as unknown as Obj);

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: Aurora access on a real PostgreSQL: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('Aurora: databases, roles and developer access on a real PostgreSQL', () => {
  let server: PostgresServer;
  /** The secret store, by ExternalSecret name: what each credential Secret holds. */
  const store = new Map<string, { username: string; password: string }>();

  beforeAll(async () => {
    server = await startPostgres();
    // What Aurora has before dbfleet: rds_superuser (not a superuser) and its master user, rds_iam.
    server.psql(
      'postgres',
      `CREATE ROLE rds_superuser NOLOGIN CREATEROLE CREATEDB;
       CREATE ROLE rds_iam NOLOGIN;
       GRANT pg_monitor TO rds_superuser WITH ADMIN OPTION;
       GRANT rds_iam TO rds_superuser WITH ADMIN OPTION;
       CREATE ROLE ${MASTER} LOGIN CREATEROLE CREATEDB IN ROLE rds_superuser PASSWORD 'master-password';
       -- On RDS the master user owns postgres and template1 (rdsadmin owns template0 and rdsadmin).
       ALTER DATABASE postgres OWNER TO ${MASTER};
       ALTER DATABASE template1 OWNER TO ${MASTER};`,
    );
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** The store's value behind each ExternalSecret the test knows (generated once, like a PushSecret). */
  function secretValue(objects: Obj[], name: string, key: string): string {
    const es = objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === name);
    if (!es) throw new Error(`no ExternalSecret ${name}`);
    if (!store.has(name)) {
      const username = es.spec.target.template.data.username as string;
      store.set(name, {
        username,
        password: username === MASTER ? 'master-password' : `store-${name}-${Math.random().toString(36).slice(2)}`,
      });
    }
    const value = store.get(name)!;
    return key === 'username' ? value.username : value.password;
  }

  async function runBootstrap(objects: Obj[]): Promise<JobRun> {
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${CLUSTER}-bootstrap-sql`)!;
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === `${CLUSTER}-bootstrap`)!;
    const result = await runJobContainer(
      server,
      job.spec.template.spec,
      new Map([[configMap.metadata.name, configMap.data]]),
      (name, key) => secretValue(objects, name, key),
    );
    if (result.code !== 0) throw new Error(`the bootstrap Job failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    return result;
  }

  /** The access Job: the provisioning container, then the access container, as the kubelet runs them. */
  async function runAccess(objects: Obj[], options: { expectFailure?: boolean } = {}): Promise<{ provision: JobRun; access?: JobRun }> {
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${CLUSTER}-access-sql`)!;
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === `${CLUSTER}-access-sync`)!;
    const spec = job.spec.template.spec;
    const configMaps = new Map([[configMap.metadata.name, configMap.data]]);
    const read = (name: string, key: string) => {
      // Never the master user's Secret: the admin login and the owners'.
      if (name.endsWith('-master-credentials')) throw new Error(`the access Job reads ${name}`);
      return secretValue(objects, name, key);
    };
    const provision = await runJobContainer(server, { ...spec, containers: spec.initContainers }, configMaps, read);
    if (provision.code !== 0) {
      if (options.expectFailure) return { provision };
      throw new Error(`the provisioning container failed (exit ${provision.code}):\n${provision.stdout}\n${provision.stderr}`);
    }
    const access = await runJobContainer(server, spec, configMaps, (name, key) => {
      if (!name.endsWith('-db-credentials')) throw new Error(`the access container reads ${name}, which is no owner's`);
      return secretValue(objects, name, key);
    });
    if (access.code !== 0) throw new Error(`the access container failed (exit ${access.code}):\n${access.stdout}\n${access.stderr}`);
    return { provision, access };
  }

  /** IAM tokens stand-in: a password for each developer role that can log in. */
  function iamTokens(): void {
    for (const role of ['dev_alice', 'dev_bob'])
      server.psql(
        'postgres',
        `DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN ALTER ROLE ${role} PASSWORD 'token-${role}'; END IF; END $$;`,
      );
  }

  const passwordOf = (role: string): string => {
    if (role.startsWith('dev_')) return `token-${role}`;
    return store.get(`${role}-db-credentials`)!.password;
  };

  async function createObjects(when: 'before' | 'after'): Promise<void> {
    const sql =
      when === 'before'
        ? `CREATE TABLE public.items (id bigserial PRIMARY KEY, name text NOT NULL); INSERT INTO public.items (name) VALUES ('first');
         CREATE SCHEMA ledger; CREATE TABLE ledger.entries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, amount numeric NOT NULL);`
        : `CREATE TABLE public.later_items (id bigserial PRIMARY KEY, name text NOT NULL); INSERT INTO public.later_items (name) VALUES ('later');
         CREATE SCHEMA later; CREATE TABLE later.notes (id bigserial PRIMARY KEY, body text NOT NULL);`;
    for (const db of DATABASES) {
      const client = await server.connect({ user: db, password: passwordOf(db), database: db });
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    }
  }

  function snapshot(): string {
    return (
      server.psql(
        'postgres',
        `SELECT datname, datdba::regrole, datacl FROM pg_database ORDER BY 1;
      SELECT rolname, rolcanlogin, rolinherit, rolcreaterole, rolcreatedb, rolconnlimit FROM pg_roles ORDER BY 1;
      SELECT roleid::regrole, member::regrole, admin_option FROM pg_auth_members ORDER BY 1, 2;`,
      ) +
      DATABASES.filter((db) => server.psql('postgres', `SELECT 1 FROM pg_database WHERE datname = '${db}';`).trim() === '1')
        .map((db) =>
          server.psql(
            db,
            `SELECT nspname, nspacl FROM pg_namespace ORDER BY 1;
      SELECT relname, relacl FROM pg_class WHERE relnamespace IN (SELECT oid FROM pg_namespace WHERE nspname IN ('public', 'ledger', 'later')) ORDER BY 1;
      SELECT defaclrole::regrole, defaclobjtype, defaclacl FROM pg_default_acl ORDER BY 1, 2;`,
          ),
        )
        .join('\n')
    );
  }

  async function probe(role: string, database: string): Promise<Record<string, Outcome>> {
    const outcomes: Record<string, Outcome> = {};
    let client;
    try {
      client = await server.connect({ user: role, password: passwordOf(role), database });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '42501' && code !== '28000' && code !== '28P01') throw error;
      for (const op of OPERATIONS) outcomes[op.id] = 'denied';
      return outcomes;
    }
    try {
      for (const op of OPERATIONS) {
        await client.query('BEGIN');
        try {
          await client.query(op.sql);
          outcomes[op.id] = 'allowed';
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code !== '42501' && code !== '28000')
            throw new Error(`${role} → ${database}: ${op.sql}: ${(error as Error).message}`, { cause: error });
          outcomes[op.id] = 'denied';
        } finally {
          await client.query('ROLLBACK');
        }
      }
    } finally {
      await client.end();
    }
    return outcomes;
  }

  async function matrix(access: DeveloperAccess, removed: string[] = []): Promise<void> {
    iamTokens();
    const rows: MatrixRow[] = [];
    const want: MatrixRow[] = [];
    for (const subject of SUBJECTS) {
      for (const database of DATABASES) {
        rows.push({ scenario: access, role: subject.role, database, outcomes: await probe(subject.role, database) });
        want.push({
          scenario: access,
          role: subject.role,
          database,
          outcomes: Object.fromEntries(OPERATIONS.map((op) => [op.id, expected(access, subject, database, op, removed)])),
        });
      }
    }
    expect(rows, `measured on the emulated Aurora:\n${formatMatrix(rows, want)}`).toEqual(want);
    // The maintenance databases: no developer and no service gets in (Aurora has no pg_hba; the
    // bootstrap revoked PUBLIC's CONNECT there).
    const maintenance: Record<string, string> = {};
    const wantMaintenance: Record<string, string> = {};
    for (const subject of SUBJECTS)
      for (const database of MAINTENANCE) {
        const outcome = await connectOutcome(subject.role, passwordOf(subject.role), database);
        // 42501: no CONNECT privilege; 28000: a role that may not log in at all (developerAccess: none).
        maintenance[`${subject.role} → ${database}`] = outcome === '42501' || outcome === '28000' ? 'denied' : outcome;
        wantMaintenance[`${subject.role} → ${database}`] = 'denied';
      }
    expect(maintenance).toEqual(wantMaintenance);
  }

  /** `connected`, or the SQLSTATE that refused the login. */
  async function connectOutcome(user: string, password: string, database: string): Promise<string> {
    try {
      const client = await server.connect({ user, password, database });
      await client.end();
      return 'connected';
    } catch (error) {
      return (error as { code?: string }).code ?? (error as Error).message;
    }
  }

  const one = (sql: string, db = 'postgres') => server.psql(db, sql).trim();

  it('before the bootstrap, the access Job changes nothing: dbfleet_admin cannot log in yet', async () => {
    const objects = render(parseFleet(fleetText('read-write'), 'fleet.yaml'));
    const before = snapshot();
    const { provision } = await runAccess(objects, { expectFailure: true });
    expect(provision.code).not.toBe(0);
    expect(provision.stderr).toContain('dbfleet_admin');
    expect(snapshot()).toEqual(before);
  });

  it('the bootstrap creates dbfleet_admin and dbfleet_exporter as the master user, then never logs in as it again', async () => {
    const objects = render(parseFleet(fleetText('read-write'), 'fleet.yaml'));
    const first = await runBootstrap(objects);
    expect(first.stdout).toContain(`creating or repairing the platform roles as ${MASTER}`);
    expect(one("SELECT rolcanlogin, rolinherit, rolcreaterole, rolcreatedb, rolsuper FROM pg_roles WHERE rolname = 'dbfleet_admin';")).toBe(
      't|f|t|t|f',
    );
    expect(
      one(
        "SELECT pg_has_role('dbfleet_admin', 'rds_superuser', 'MEMBER'), pg_has_role('dbfleet_admin', 'rds_iam', 'MEMBER WITH ADMIN OPTION');",
      ),
    ).toBe('f|t');
    expect(
      one("SELECT pg_has_role('dbfleet_exporter', 'pg_monitor', 'USAGE'), rolcreaterole FROM pg_roles WHERE rolname = 'dbfleet_exporter';"),
    ).toBe('t|f');
    const second = await runBootstrap(objects);
    expect(second.stdout).toContain('the master login is not used');
    expect(second.stdout).not.toContain('creating or repairing');
    // A password changed in the store (rotation): the next run repairs it as the master user.
    store.set(`${CLUSTER}-exporter-credentials`, { username: 'dbfleet_exporter', password: 'rotated-exporter-password' });
    expect((await runBootstrap(objects)).stdout).toContain('creating or repairing');
    const exporter = await server.connect({ user: 'dbfleet_exporter', password: 'rotated-exporter-password', database: 'postgres' });
    await exporter.end();
  });

  it('the bootstrap closes postgres and template1 to PUBLIC; only the master user (their owner) can, not dbfleet_admin; drift is repaired', async () => {
    const objects = render(parseFleet(fleetText('read-write'), 'fleet.yaml'));
    const publicConnect = () =>
      one("SELECT has_database_privilege('public', 'postgres', 'CONNECT'), has_database_privilege('public', 'template1', 'CONNECT');");
    expect(publicConnect()).toBe('f|f');
    // The platform logins keep postgres; the master user owns it.
    const admin = store.get(`${CLUSTER}-admin-credentials`)!.password;
    const exporter = store.get(`${CLUSTER}-exporter-credentials`)!.password;
    expect(await connectOutcome('dbfleet_admin', admin, 'postgres')).toBe('connected');
    expect(await connectOutcome('dbfleet_exporter', exporter, 'postgres')).toBe('connected');
    expect(await connectOutcome(MASTER, 'master-password', 'postgres')).toBe('connected');
    expect(await connectOutcome('dbfleet_admin', admin, 'template1')).toBe('42501');
    // Drift: someone grants it back. dbfleet_admin cannot take it away (a REVOKE by a non-owner
    // removes only its own grants: PostgreSQL warns and changes nothing) ...
    server.psql('postgres', `SET ROLE ${MASTER}; GRANT CONNECT ON DATABASE postgres, template1 TO PUBLIC;`);
    const asAdmin = await server.connect({ user: 'dbfleet_admin', password: admin, database: 'postgres' });
    const warnings: string[] = [];
    asAdmin.on('notice', (n) => warnings.push(n.message ?? ''));
    await asAdmin.query('REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC');
    await asAdmin.end();
    expect(warnings.join('\n')).toMatch(/no privileges could be revoked/);
    expect(publicConnect()).toBe('t|t');
    // ... so the next bootstrap sees it as not ready and repairs it as the master user.
    const run = await runBootstrap(objects);
    expect(run.stdout).toContain(`creating or repairing the platform roles as ${MASTER}`);
    expect(publicConnect()).toBe('f|f');
    expect((await runBootstrap(objects)).stdout).toContain('the master login is not used');
  });

  it('read-write (test): provisions roles and databases as dbfleet_admin, applies as each owner, is idempotent, and matches the matrix', async () => {
    const objects = render(parseFleet(fleetText('read-write'), 'fleet.yaml'));
    const { provision, access } = await runAccess(objects);
    expect(provision.stdout).toContain('setting its login from the store');
    expect(access!.stdout).toContain('database orders (owner orders, login orders)');
    expect(access!.stdout).toContain('database payments (owner payments, login payments)');
    expect([...new Set(provision.secretsRead)].sort()).toEqual(
      [
        `${CLUSTER}-admin-credentials/password`,
        `${CLUSTER}-admin-credentials/username`,
        'orders-db-credentials/password',
        'orders-db-credentials/username',
        'payments-db-credentials/password',
        'payments-db-credentials/username',
      ].sort(),
    );
    expect(one("SELECT datname, datdba::regrole FROM pg_database WHERE datname IN ('orders', 'payments') ORDER BY 1;")).toBe(
      'orders|orders\npayments|payments',
    );
    expect(one("SELECT extname FROM pg_extension WHERE extname = 'pgcrypto';", 'orders')).toBe('pgcrypto');
    // Developers: members of the group and of rds_iam, no password (IAM tokens only).
    expect(
      one(
        "SELECT rolname, rolcanlogin, rolpassword IS NULL, pg_has_role(rolname, 'developers', 'MEMBER'), pg_has_role(rolname, 'rds_iam', 'MEMBER') FROM pg_authid WHERE rolname LIKE 'dev\\_%' ORDER BY 1;",
      ),
    ).toBe('dev_alice|t|t|t|t\ndev_bob|t|t|t|t');
    // dbfleet_admin keeps no membership in any owner (it held it for CREATE DATABASE only).
    expect(
      one("SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname IN ('orders', 'payments');"),
    ).toBe('0');
    // The exporter may connect to every service database.
    expect(
      one(
        "SELECT has_database_privilege('dbfleet_exporter', 'orders', 'CONNECT'), has_database_privilege('dbfleet_exporter', 'payments', 'CONNECT');",
      ),
    ).toBe('t|t');
    await createObjects('before');
    await runAccess(objects);
    const once = snapshot();
    const again = await runAccess(objects);
    expect(again.provision.stdout).not.toContain('setting its login');
    expect(snapshot()).toEqual(once);
    await createObjects('after');
    await matrix('read-write');
  });

  it('read-only (production), bob removed from developers: every write revoked; bob leaves the group, rds_iam, and cannot log in', async () => {
    const objects = render(parseFleet(fleetText('read-only', '[alice]'), 'fleet.yaml'));
    await runAccess(objects);
    const once = snapshot();
    await runAccess(objects);
    expect(snapshot()).toEqual(once);
    await matrix('read-only', ['dev_bob']);
    expect(
      one(
        "SELECT rolcanlogin, pg_has_role('dev_bob', 'developers', 'MEMBER'), pg_has_role('dev_bob', 'rds_iam', 'MEMBER') FROM pg_roles WHERE rolname = 'dev_bob';",
      ),
    ).toBe('f|f|f');
  });

  it('bob added back: he logs in again, read-only', async () => {
    await runAccess(render(parseFleet(fleetText('read-only'), 'fleet.yaml')));
    await matrix('read-only');
  });

  it('none: the group keeps nothing and no developer logs in; services unchanged', async () => {
    await runAccess(render(parseFleet(fleetText('none'), 'fleet.yaml')));
    await matrix('none');
  });

  it('developer sessions (IAM logins): the statement and the idle transaction are cut off, the third login is refused (limit 2)', async () => {
    const limits = '{ connectionLimit: 2, statementTimeout: 1s, idleInTransactionTimeout: 1500ms }';
    await runAccess(render(parseFleet(fleetText('read-only', '[alice, bob]', true, limits), 'fleet.yaml')));
    iamTokens();
    expect(one("SELECT rolconnlimit, rolconfig FROM pg_roles WHERE rolname = 'dev_alice';")).toBe(
      '2|{statement_timeout=1s,idle_in_transaction_session_timeout=1500ms}',
    );
    const login = { user: 'dev_alice', password: passwordOf('dev_alice'), database: 'orders' };
    // 57014: canceling statement due to statement timeout.
    const a = await server.connect(login);
    const statement = await a.query('SELECT pg_sleep(3)').then(
      () => 'allowed',
      (error: { code?: string }) => error.code,
    );
    await a.end();
    expect(statement).toBe('57014');
    // The idle-in-transaction timeout ends the session.
    const b = await server.connect(login);
    b.on('error', () => undefined);
    let idle = 'allowed';
    try {
      await b.query('BEGIN');
      await b.query('SELECT 1');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await b.query('SELECT 1');
    } catch (error) {
      idle = (error as { code?: string }).code ?? 'terminated';
    }
    await b.end().catch(() => undefined);
    expect(idle).not.toBe('allowed');
    // 53300: too many connections for role.
    const open = [await server.connect(login), await server.connect(login)];
    expect(await connectOutcome(login.user, login.password, 'orders')).toBe('53300');
    for (const c of open) await c.end();
    // Back to the defaults (5, 60s, 5m) at the next run.
    await runAccess(render(parseFleet(fleetText('read-only'), 'fleet.yaml')));
    expect(one("SELECT rolconnlimit, rolconfig FROM pg_roles WHERE rolname = 'dev_alice';")).toBe(
      '5|{statement_timeout=60s,idle_in_transaction_session_timeout=300s}',
    );
  });

  it('an owner whose password changed in the store gets it at the next run', async () => {
    store.set('payments-db-credentials', { username: 'payments', password: 'rotated-payments-password' });
    const { provision } = await runAccess(render(parseFleet(fleetText('read-only'), 'fleet.yaml')));
    expect(provision.stdout).toContain('role payments: setting its login from the store');
    expect(provision.stdout).not.toContain('role orders: setting');
    const client = await server.connect({ user: 'payments', password: 'rotated-payments-password', database: 'payments' });
    await client.end();
  });
});
