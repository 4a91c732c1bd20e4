// Developer access on Zalando environments, proven on a real PostgreSQL from the rendered objects:
// the `postgresql` object's users and databases are created as the operator creates them
// (zalando/postgres-operator@v2.0.1: pkg/util/users/users.go createPgUser — flags, LOGIN unless
// NOLOGIN, ADMIN "admin", the password; pkg/cluster/database.go — CREATE DATABASE … OWNER …), with
// the passwords of the credential Secrets dbfleet pre-creates from the store, then the rendered
// access Job runs its script as the kubelet would. Every cell is what the server answered,
// compared with the same rule as on CloudNativePG (test/access/matrix.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral } from '../../lib/access/privileges-sql';
import { parseFleet } from '../../lib/config/load';
import type { DeveloperAccess, Fleet } from '../../lib/config/model';
import { buildApp, renderObjects } from '../../lib/output/render';
import { zalandoCredentialSecretName } from '../../lib/backends/zalando/zalando-cluster';
import { runJobContainer, type JobRun } from '../support/job-runner';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';
import { expected, formatMatrix, OPERATIONS, type MatrixRow, type Outcome, type Subject } from '../access/matrix';

const fleetText = (access: DeveloperAccess, developers = '[alice, bob]') => `
name: shop
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: ${developers}
environments:
  staging:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: ${access}
    operator: zalando
services:
  - name: orders
    extensions: [pgcrypto]
  - name: payments
`;
const CLUSTER = 'shop';
const DATABASES = ['orders', 'payments'];
const SUBJECTS: Subject[] = [
  { kind: 'developer', role: 'dev_alice' },
  { kind: 'developer', role: 'dev_bob' },
  { kind: 'service', role: 'orders', owns: 'orders' },
  { kind: 'service', role: 'payments', owns: 'payments' },
];

type Obj = { kind: string; metadata: { name: string }; spec: any; data?: any };
const render = (fleet: Fleet): Obj[] => renderObjects(buildApp(fleet)).map((o) => o.object as unknown as Obj);

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: Zalando developer access on a real PostgreSQL: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('Zalando: developer access on a real PostgreSQL', () => {
  let server: PostgresServer;
  /** The secret store: remote key → password. */
  const store = new Map<string, string>();
  /** Passwords the roles ended up with, to log in as them. */
  const passwords = new Map<string, string>();

  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** What the operator does for the rendered postgresql: users (flags, password), then databases. */
  async function operatorSync(objects: Obj[]): Promise<void> {
    const pg = objects.find((o) => o.kind === 'postgresql')!;
    const secrets = new Map(objects.filter((o) => o.kind === 'ExternalSecret').map((o) => [o.metadata.name, o]));
    // Spilo's bootstrap creates the team admin role every manifest user is created WITH ADMIN, and
    // its schemas in template1 (post_init.sh): every database created later has them.
    server.psql(
      'postgres',
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'admin') THEN CREATE ROLE admin NOLOGIN; END IF; END $$;",
    );
    server.psql(
      'template1',
      `CREATE SCHEMA IF NOT EXISTS metric_helpers AUTHORIZATION ${quoteIdent(server.superuser)};
      CREATE OR REPLACE VIEW metric_helpers.pg_stat_statements AS SELECT 1 AS queryid;
      REVOKE ALL ON ALL TABLES IN SCHEMA metric_helpers FROM public;
      GRANT USAGE ON SCHEMA metric_helpers TO admin; GRANT SELECT ON ALL TABLES IN SCHEMA metric_helpers TO admin;`,
    );
    for (const [user, rawFlags] of Object.entries(pg.spec.users as Record<string, string[]>)) {
      const flags = rawFlags.map((f) => f.toUpperCase());
      expect(
        flags.filter((f) => f !== 'NOLOGIN'),
        `${user}: no flag but NOLOGIN`,
      ).toEqual([]);
      if (!flags.includes('NOLOGIN') && !flags.includes('LOGIN')) flags.push('LOGIN');
      // An existing Secret's password wins (sync.go updateSecret); otherwise the operator generates one.
      const es = secrets.get(zalandoCredentialSecretName(user, CLUSTER));
      let password = `generated-${Math.random().toString(36).slice(2)}`;
      if (es) {
        expect(es.spec.target.template.data.username).toBe(user);
        const key = es.spec.data[0].remoteRef.key as string;
        if (!store.has(key)) store.set(key, `store-${user}-${Math.random().toString(36).slice(2)}`);
        password = store.get(key)!;
      }
      if (!passwords.has(user) || es) passwords.set(user, password);
      const exists = server.psql('postgres', `SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(user)};`).trim() === '1';
      // createPgUser on first sight; later syncs only add flags and set the Secret's password.
      server.psql(
        'postgres',
        exists
          ? `ALTER ROLE ${quoteIdent(user)} ${flags.join(' ')} PASSWORD ${quoteLiteral(passwords.get(user)!)};`
          : `CREATE ROLE ${quoteIdent(user)} ${flags.join(' ')} ADMIN "admin" PASSWORD ${quoteLiteral(passwords.get(user)!)};`,
      );
    }
    const client = await server.connect({ user: server.superuser, password: server.superuserPassword, database: 'postgres' });
    try {
      for (const [db, owner] of Object.entries(pg.spec.databases as Record<string, string>)) {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
        if (!rowCount) await client.query(`CREATE DATABASE ${quoteIdent(db)} OWNER ${quoteIdent(owner)}`);
      }
    } finally {
      await client.end();
    }
  }

  /** Runs the rendered Job as the kubelet would: ConfigMap and owner Secrets mounted, environment resolved. */
  async function runJob(objects: Obj[], options: { expectFailure?: boolean } = {}): Promise<JobRun> {
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${CLUSTER}-access-sql`)!;
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === `${CLUSTER}-access-sync`)!;
    const container = job.spec.template.spec.containers[0];
    // The master Service is named after the cluster.
    expect(container.env.find((e: { name: string }) => e.name === 'PGHOST').value).toBe(CLUSTER);
    const owners = new Map(DATABASES.map((db) => [zalandoCredentialSecretName(db, CLUSTER), db]));
    const result = await runJobContainer(
      server,
      job.spec.template.spec,
      new Map([[configMap.metadata.name, configMap.data]]),
      (name, key) => {
        // Never the superuser's Secret (issue 24): only the owners'.
        const role = owners.get(name);
        if (role === undefined) throw new Error(`the access Job reads Secret ${name}, which is no owner's`);
        return key === 'username' ? role : (passwords.get(role) ?? 'not-created-yet');
      },
    );
    if (!options.expectFailure && result.code !== 0)
      throw new Error(`the access Job failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    return result;
  }

  async function createObjects(when: 'before' | 'after'): Promise<void> {
    const sql =
      when === 'before'
        ? `CREATE TABLE public.items (id bigserial PRIMARY KEY, name text NOT NULL); INSERT INTO public.items (name) VALUES ('first');
         CREATE SCHEMA ledger; CREATE TABLE ledger.entries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, amount numeric NOT NULL);`
        : `CREATE TABLE public.later_items (id bigserial PRIMARY KEY, name text NOT NULL); INSERT INTO public.later_items (name) VALUES ('later');
         CREATE SCHEMA later; CREATE TABLE later.notes (id bigserial PRIMARY KEY, body text NOT NULL);`;
    for (const db of DATABASES) {
      const client = await server.connect({ user: db, password: passwords.get(db)!, database: db });
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
        `SELECT datname, datacl FROM pg_database ORDER BY 1;
      SELECT rolname, rolcanlogin FROM pg_roles ORDER BY 1;
      SELECT roleid::regrole, member::regrole FROM pg_auth_members ORDER BY 1, 2;`,
      ) +
      DATABASES.filter((db) => server.psql('postgres', `SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(db)};`).trim() === '1')
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

  async function matrix(access: DeveloperAccess, removed: string[] = []): Promise<void> {
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
    expect(rows, `measured on Zalando's objects:\n${formatMatrix(rows, want)}`).toEqual(want);
  }

  async function probe(role: string, database: string): Promise<Record<string, Outcome>> {
    const outcomes: Record<string, Outcome> = {};
    let client;
    try {
      client = await server.connect({ user: role, password: passwords.get(role)!, database });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '42501' && code !== '28000') throw error;
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

  it('the Job fails, changing nothing, until the operator has created users and databases', async () => {
    const before = snapshot();
    const run = await runJob(render(parseFleet(fleetText('read-write'), 'fleet.yaml')), { expectFailure: true });
    expect(run.code).not.toBe(0);
    // The first owner cannot log in yet: nothing ran.
    expect(run.stderr).toContain('password authentication failed for user "orders"');
    expect(snapshot()).toEqual(before);
  });

  it('read-write: applies, is idempotent, creates the extensions, and matches the matrix on old and new objects', async () => {
    const objects = render(parseFleet(fleetText('read-write'), 'fleet.yaml'));
    await operatorSync(objects);
    await createObjects('before');
    await runJob(objects);
    const once = snapshot();
    await runJob(objects);
    expect(snapshot()).toEqual(once);
    expect(server.psql('orders', "SELECT extname FROM pg_extension WHERE extname = 'pgcrypto';").trim()).toBe('pgcrypto');
    // No membership is granted (that would take a superuser): each developer holds its grants itself.
    expect(
      server
        .psql(
          'postgres',
          "SELECT pg_has_role('dev_alice', 'developers', 'MEMBER'), has_database_privilege('dev_alice', 'orders', 'CONNECT');",
        )
        .trim(),
    ).toBe('f|t');
    // Spilo's metric_helpers views run as postgres (every role's query texts): not the service's data.
    expect(
      server
        .psql(
          'orders',
          "SELECT has_schema_privilege('dev_alice', 'metric_helpers', 'USAGE'), has_table_privilege('dev_alice', 'metric_helpers.pg_stat_statements', 'SELECT');",
        )
        .trim(),
    ).toBe('f|f');
    await createObjects('after');
    await matrix('read-write');
  });

  it("the service logs in with the store's password: the one its app Secret is rendered from", async () => {
    const objects = render(parseFleet(fleetText('read-write'), 'fleet.yaml'));
    const app = objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'orders-db')!;
    const role = objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === zalandoCredentialSecretName('orders', CLUSTER))!;
    expect(app.spec.data).toEqual(role.spec.data);
    const client = await server.connect({ user: 'orders', password: store.get(app.spec.data[0].remoteRef.key)!, database: 'orders' });
    await client.end();
  });

  it('read-only: every write revoked, old and new objects; bob removed from developers: loses every privilege, his role is not altered', async () => {
    const objects = render(parseFleet(fleetText('read-only', '[alice]'), 'fleet.yaml'));
    await operatorSync(objects);
    await runJob(objects);
    const once = snapshot();
    await runJob(objects);
    expect(snapshot()).toEqual(once);
    await matrix('read-only', ['dev_bob']);
    expect(
      server
        .psql(
          'postgres',
          "SELECT rolcanlogin, has_database_privilege('dev_bob', 'orders', 'CONNECT') FROM pg_roles WHERE rolname = 'dev_bob';",
        )
        .trim(),
    ).toBe('t|f');
  });

  it('none: the group keeps nothing and no developer logs in; services unchanged', async () => {
    const objects = render(parseFleet(fleetText('none'), 'fleet.yaml'));
    expect(Object.keys(objects.find((o) => o.kind === 'postgresql')!.spec.users)).toEqual(['dbfleet_exporter', 'orders', 'payments']);
    await operatorSync(objects);
    await runJob(objects);
    await matrix('none');
  });
});
