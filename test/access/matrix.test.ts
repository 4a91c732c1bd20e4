// The proof on a real server: a throwaway PostgreSQL per environment, roles and databases created
// as CloudNativePG would from the rendered manifests, the rendered Job's script applied exactly
// as the Job runs it, then every role logs in and tries every operation. Nothing here decides an
// outcome: each cell is what the server answered, compared with the rule in matrix.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpecManagedRoles } from '../../imports/postgresql.cnpg.io';
import { roleSecretName } from '../../lib/fleet/environment-chart';
import { CnpgCluster } from '../../lib/backends/cloudnative-pg/cnpg-cluster';
import { ACCESS_ROLE, retiredAccessRole } from '../../lib/access/access-role';
import { ACCESS_MOUNT_PATH, DeveloperAccessJobs } from '../../lib/access/developer-access';
import { developerClusterRoles, developerSecretName } from '../../lib/access/developer-roles';
import { quoteIdent } from '../../lib/access/privileges-sql';
import type { DeveloperAccess, Environment, PostgresCluster } from '../../lib/config/model';
import { DEVELOPER_GROUP_ROLE } from '../../lib/config/names';
import { runJobContainer, type JobRun } from '../support/job-runner';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';
import { applyDatabases, applyManagedRoles } from './cnpg-emulation';
import {
  DATABASES,
  docsBlock,
  expectedMatrix,
  formatLegend,
  formatMatrix,
  MATRIX_FLEET,
  OPERATIONS,
  SCENARIOS,
  type MatrixRow,
  type Outcome,
  type Scenario,
} from './matrix';

const byName = (name: string) => SCENARIOS.find((s) => s.name === name)!;

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: developer access matrix on a real PostgreSQL: ${unavailable}`);

describe('docs/developer-access.md', () => {
  it('shows the expected matrix the real-server test checks', () => {
    const doc = readFileSync(join(__dirname, '../../docs/developer-access.md'), 'utf8');
    const block = /<!-- matrix:start -->\n([\s\S]*?)\n<!-- matrix:end -->/.exec(doc)?.[1];
    expect(block, 'docs/developer-access.md has no <!-- matrix:start --> … <!-- matrix:end --> block').toBeDefined();
    expect(block, 'regenerate it with `npx tsx test/access/matrix.ts`').toBe(docsBlock());
  });
});

describe.skipIf(unavailable !== undefined)('developer access on a real PostgreSQL', () => {
  let testEnv: ClusterUnderTest;
  let productionEnv: ClusterUnderTest;
  const measured: MatrixRow[] = [];

  beforeAll(async () => {
    const [testServer, productionServer] = await Promise.all([startPostgres(), startPostgres()]);
    testEnv = new ClusterUnderTest(testServer, environment('test'));
    productionEnv = new ClusterUnderTest(productionServer, environment('production'));
  });

  afterAll(async () => {
    if (measured.length > 0) {
      const want = expectedMatrix(SCENARIOS.filter((s) => measured.some((m) => m.scenario === s.name)));
      console.log(
        `\nDeveloper access matrix, measured on PostgreSQL ${testEnv.server.major} (✅ allowed, ❌ denied):\n\n${formatMatrix(measured, want)}\n\n${formatLegend()}\n`,
      );
    }
    await Promise.all([testEnv?.server.stop(), productionEnv?.server.stop()]);
  });

  it('the Job fails, changing nothing, while the operator has not created the roles and databases yet', async () => {
    // An owner exists with its password (its object came first); its database and the others not yet.
    productionEnv.rolePasswords.set('orders', 'early-orders-password');
    productionEnv.server.psql('postgres', `CREATE ROLE orders LOGIN PASSWORD 'early-orders-password';`);
    const before = await productionEnv.snapshot();
    const run = await productionEnv.applyAccess('read-only', { expectFailure: true });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('dbfleet: not created yet: database orders, database payments, role developers, role payments');
    expect(await productionEnv.snapshot()).toEqual(before);
  });

  it("the Job logs in as each database's owner only: no superuser, and no role of the cluster is a member of an owner", async () => {
    await productionEnv.declare();
    const run = await productionEnv.applyAccess('read-only');
    // One login per database, each the owner of that database, and the preflight as the first one.
    expect(run.stdout).toContain('database orders (owner orders, login orders)');
    expect(run.stdout).toContain('database payments (owner payments, login payments)');
    expect([...new Set(run.secretsRead)].sort()).toEqual([
      'orders-db-credentials/password',
      'orders-db-credentials/username',
      'payments-db-credentials/password',
      'payments-db-credentials/username',
    ]);
    const membersOfOwners = productionEnv.server
      .psql(
        'postgres',
        `SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname IN ('orders', 'payments');`,
      )
      .trim();
    expect(membersOfOwners).toBe('0');
    expect(productionEnv.server.psql('postgres', `SELECT count(*) FROM pg_roles WHERE rolname = '${ACCESS_ROLE}';`).trim()).toBe('0');
    // The superuser of the emulated cluster has no password in any Secret the manifests name.
    expect(productionEnv.referencedSecrets()).not.toContain(`${productionEnv.cluster.name}-superuser`);
  });

  describe('test environment: read-write', () => {
    it('applies, and applying again changes nothing', async () => {
      await testEnv.declare();
      await testEnv.createObjects('before');
      const before = await testEnv.snapshot();
      await testEnv.applyAccess('read-write');
      const once = await testEnv.snapshot();
      expect(once, 'the first run must change the privileges').not.toEqual(before);
      await testEnv.applyAccess('read-write');
      expect(await testEnv.snapshot()).toEqual(once);
    });

    it('matches the matrix, including tables and schemas the service creates afterwards', async () => {
      await testEnv.createObjects('after');
      measured.push(...(await expectMatrix(testEnv, byName('test (read-write)'))));
    });

    it('a CronJob run after new objects appeared changes nothing (default privileges covered them)', async () => {
      const before = await testEnv.snapshot();
      await testEnv.applyAccess('read-write');
      expect(await testEnv.snapshot()).toEqual(before);
    });
  });

  describe('test environment: a developer removed from developers:', () => {
    it('the role object goes, the operator drops the role (reclaim delete); the others keep theirs', async () => {
      await testEnv.declare(['alice']);
      await testEnv.applyAccess('read-write');
      const once = await testEnv.snapshot();
      await testEnv.applyAccess('read-write');
      expect(await testEnv.snapshot()).toEqual(once);
      measured.push(...(await expectMatrix(testEnv, byName('test, bob removed from developers:'))));
      expect(testEnv.server.psql('postgres', "SELECT count(*) FROM pg_roles WHERE rolname = 'dev_bob';").trim()).toBe('0');
    });

    it('added back: the operator creates the role again, and the Job changes nothing more', async () => {
      await testEnv.declare();
      const before = await testEnv.snapshot();
      await testEnv.applyAccess('read-write');
      expect(await testEnv.snapshot()).toEqual(before);
      expect(
        testEnv.server
          .psql('postgres', "SELECT rolcanlogin, pg_has_role('dev_bob', 'developers', 'MEMBER') FROM pg_roles WHERE rolname = 'dev_bob';")
          .trim(),
      ).toBe('t|t');
    });
  });

  describe('production environment: read-only', () => {
    it('applies, and applying again changes nothing', async () => {
      await productionEnv.declare();
      // One database laid out like PostgreSQL <= 14 (public owned by the superuser, CREATE for
      // PUBLIC): revoking PUBLIC's CREATE must not take it from the service.
      productionEnv.server.psql(
        'payments',
        `ALTER SCHEMA public OWNER TO ${quoteIdent(productionEnv.server.superuser)}; GRANT ALL ON SCHEMA public TO PUBLIC;`,
      );
      // The operator's next reconcile of the Database object (spec.schemas: public owned by the service).
      await productionEnv.declare();
      await productionEnv.createObjects('before');
      // A fresh read-only environment starts from what the owner's migrations granted: writes to
      // the developers and to PUBLIC (developers are members of it), now and by default, and CREATE in
      // its schemas to the developers (without it, removing the REVOKE CREATE … FROM the developers passed:
      // issue 33 attack). The SQL must take each away, or the matrix below sees a developer write or DDL.
      await productionEnv.asOwners(
        `GRANT CREATE ON SCHEMA public, ledger TO ${DEVELOPER_GROUP_ROLE};
         GRANT ALL ON ALL TABLES IN SCHEMA public, ledger TO ${DEVELOPER_GROUP_ROLE}, PUBLIC;
         GRANT ALL ON ALL SEQUENCES IN SCHEMA public, ledger TO ${DEVELOPER_GROUP_ROLE}, PUBLIC;
         ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO ${DEVELOPER_GROUP_ROLE}, PUBLIC;
         ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO ${DEVELOPER_GROUP_ROLE}, PUBLIC;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO ${DEVELOPER_GROUP_ROLE}, PUBLIC;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO ${DEVELOPER_GROUP_ROLE}, PUBLIC;`,
      );
      await productionEnv.applyAccess('read-only');
      const once = await productionEnv.snapshot();
      await productionEnv.applyAccess('read-only');
      expect(await productionEnv.snapshot()).toEqual(once);
    });

    it('matches the matrix: SELECT everywhere, no write, no DDL, pg_authid unreadable', async () => {
      await productionEnv.createObjects('after');
      measured.push(...(await expectMatrix(productionEnv, byName('production (read-only)'))));
    });

    it('the metrics exporter keeps CONNECT on every service database; any other role has none', async () => {
      productionEnv.server.psql('postgres', 'CREATE ROLE cnpg_metrics_exporter LOGIN; CREATE ROLE some_other_role LOGIN;');
      await productionEnv.applyAccess('read-only');
      const connect = (role: string) =>
        productionEnv.server
          .psql(
            'postgres',
            `SELECT string_agg(datname || '=' || has_database_privilege('${role}', datname, 'CONNECT'), ',' ORDER BY datname) FROM pg_database WHERE datname IN ('orders', 'payments');`,
          )
          .trim();
      expect(connect('cnpg_metrics_exporter')).toBe('orders=true,payments=true');
      expect(connect('some_other_role')).toBe('orders=false,payments=false');
      productionEnv.server.psql('postgres', 'DROP ROLE some_other_role;');
    });

    it('grants no predefined role that reads everything (pg_read_all_data would expose pg_authid)', () => {
      const memberships = productionEnv.server
        .psql(
          'postgres',
          `
        SELECT r.rolname || ' -> ' || g.rolname FROM pg_auth_members m
        JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid
        WHERE r.rolname = '${DEVELOPER_GROUP_ROLE}' OR r.rolname LIKE 'dev\\_%' ORDER BY 1;`,
        )
        .trim()
        .split('\n');
      expect(memberships).toEqual(['dev_alice -> developers', 'dev_bob -> developers']);
    });
  });

  describe('switching the test environment', () => {
    it('read-write → read-only revokes every write, on old and new objects; applying again changes nothing', async () => {
      await testEnv.applyAccess('read-only');
      const once = await testEnv.snapshot();
      await testEnv.applyAccess('read-only');
      expect(await testEnv.snapshot()).toEqual(once);
      measured.push(...(await expectMatrix(testEnv, byName('test switched to read-only'))));
      for (const db of DATABASES) {
        const writes = testEnv.server
          .psql(
            db,
            `
          SELECT c.relname || ':' || p.privilege FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
            unnest(ARRAY['INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) AS p(privilege)
          WHERE n.nspname IN ('public', 'ledger', 'later') AND c.relkind = 'r'
            AND has_table_privilege('${DEVELOPER_GROUP_ROLE}', c.oid, p.privilege) ORDER BY 1;`,
          )
          .trim();
        expect(writes, `write privileges left in ${db}`).toBe('');
      }
    });

    it('→ none: the developer roles are dropped, the retained group loses every privilege; services unchanged', async () => {
      await testEnv.declare(MATRIX_FLEET.developers, 'none');
      await testEnv.applyAccess('none');
      const once = await testEnv.snapshot();
      await testEnv.applyAccess('none');
      expect(await testEnv.snapshot()).toEqual(once);
      measured.push(...(await expectMatrix(testEnv, byName('test switched to none'))));
      expect(testEnv.server.psql('postgres', "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'dev\\_%';").trim()).toBe('0');
      expect(testEnv.server.psql('postgres', `SELECT count(*) FROM pg_roles WHERE rolname = '${DEVELOPER_GROUP_ROLE}';`).trim()).toBe('1');
      const left = [
        testEnv.server.psql('postgres', `SELECT datname FROM pg_database WHERE datacl::text LIKE '%${DEVELOPER_GROUP_ROLE}=%';`).trim(),
      ];
      for (const db of DATABASES) {
        left.push(
          testEnv.server
            .psql(
              db,
              `
          SELECT 'class ' || relname FROM pg_class WHERE relacl::text LIKE '%${DEVELOPER_GROUP_ROLE}=%'
          UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspacl::text LIKE '%${DEVELOPER_GROUP_ROLE}=%'
          UNION ALL SELECT 'default ' || defaclobjtype::text FROM pg_default_acl WHERE defaclacl::text LIKE '%${DEVELOPER_GROUP_ROLE}=%';`,
            )
            .trim(),
        );
      }
      expect(left.filter(Boolean)).toEqual([]);
    });
  });
});

function environment(name: string): Environment {
  return MATRIX_FLEET.environments.find((e) => e.name === name)!;
}

/** One environment's single cluster on its own server. */
class ClusterUnderTest {
  readonly cluster: PostgresCluster;
  /** Password per role, and per Secret name (what the managed roles reference). */
  readonly rolePasswords = new Map<string, string>();
  private readonly secretPasswords = new Map<string, string>();

  constructor(
    readonly server: PostgresServer,
    readonly environment: Environment,
  ) {
    expect(environment.clusters).toHaveLength(1);
    this.cluster = environment.clusters[0];
  }

  /**
   * The roles and databases the manifests declare, as the operator would have them: the
   * DatabaseRole objects the Cluster construct renders for this cluster (service owners, the
   * developer group and developers from developerClusterRoles(), the access role), and one
   * database per service with owner and extensions. A developer role whose object is gone
   * (removed from `developers`, or access `none`) is dropped: its reclaim policy is `delete`.
   */
  async declare(
    developers: readonly string[] = MATRIX_FLEET.developers,
    access: DeveloperAccess = this.cluster.developerAccess,
  ): Promise<void> {
    const chart = new Chart(Testing.app(), this.environment.name, { disableResourceNameHashes: true });
    new CnpgCluster(chart, 'Cluster', {
      name: this.cluster.name,
      namespace: this.cluster.namespace,
      instances: this.cluster.instances,
      storage: this.cluster.storage,
      imageName: this.cluster.imageName,
      labels: {},
      databases: this.cluster.services.map((s) => ({
        service: s.name,
        database: s.database,
        owner: s.role,
        ownerSecret: roleSecretName(s),
        extensions: s.extensions,
      })),
      roles: [...developerClusterRoles(developers, access), retiredAccessRole()],
    });
    const objects = Testing.synth(chart);
    expect(objects.find((o) => o.kind === 'Cluster').spec.enableSuperuserAccess).toBe(false);
    const databases = objects
      .filter((o) => o.kind === 'Database')
      .map((d) => ({
        name: d.spec.name as string,
        owner: d.spec.owner as string,
        extensions: ((d.spec.extensions ?? []) as Array<{ name: string; ensure?: string }>)
          .filter((e) => e.ensure !== 'absent')
          .map((e) => e.name),
        schemas: (d.spec.schemas ?? []) as Array<{ name: string; owner?: string }>,
      }));
    expect(databases.map((d) => `${d.name}:${d.owner}`)).toEqual(this.cluster.services.map((s) => `${s.database}:${s.role}`));

    // DatabaseRole.spec has the fields of a managed role the emulation reads (attributes, inRoles, password).
    const roles = objects
      .filter((o) => o.kind === 'DatabaseRole')
      .map((o) => o.spec as ClusterSpecManagedRoles & { databaseRoleReclaimPolicy: string });
    const wanted = [
      ...this.cluster.services.map((s) => s.role),
      ...(access === 'none' ? [] : ['developers', ...developers.map((d) => `dev_${d}`)]),
    ];
    // The retired access role: declared absent inline, so the operator drops it.
    const cluster = objects.find((o) => o.kind === 'Cluster');
    expect(cluster.spec.managed.roles).toEqual([{ name: ACCESS_ROLE, ensure: 'absent' }]);
    this.server.psql('postgres', `DROP ROLE IF EXISTS ${ACCESS_ROLE};`);
    expect(roles.map((r) => r.name)).toEqual(wanted);
    for (const role of roles) {
      if (!role.passwordSecret || this.secretPasswords.has(role.passwordSecret.name)) continue;
      const password = `pw-${role.name}-${Math.random().toString(36).slice(2)}`;
      this.secretPasswords.set(role.passwordSecret.name, password);
    }
    for (const role of roles)
      if (role.passwordSecret) this.rolePasswords.set(role.name, this.secretPasswords.get(role.passwordSecret.name)!);
    if (access !== 'none') expect(this.secretPasswords.has(developerSecretName('alice'))).toBe(true);
    this.secretNames = new Set(roles.flatMap((r) => (r.passwordSecret ? [r.passwordSecret.name] : [])));
    // Objects that were declared before and are gone now: reclaim delete drops the role.
    const dropped = this.declaredRoles.filter((r) => r.databaseRoleReclaimPolicy === 'delete' && !roles.some((n) => n.name === r.name));
    if (dropped.length > 0) this.server.psql('postgres', dropped.map((r) => `DROP ROLE IF EXISTS ${quoteIdent(r.name)};`).join('\n'));
    this.declaredRoles = roles;
    applyManagedRoles(this.server, roles, this.secretPasswords);
    await applyDatabases(this.server, databases);
  }

  private declaredRoles: Array<ClusterSpecManagedRoles & { databaseRoleReclaimPolicy: string }> = [];
  private secretNames = new Set<string>();

  /** Every Secret the rendered roles read a password from. */
  referencedSecrets(): string[] {
    return [...this.secretNames].sort();
  }

  /** What a service's migrations create, logged in as the service: before or after the SQL ran. */
  async createObjects(when: 'before' | 'after'): Promise<void> {
    await this.asOwners(
      when === 'before'
        ? `CREATE TABLE public.items (id bigserial PRIMARY KEY, name text NOT NULL);
         INSERT INTO public.items (name) VALUES ('first'), ('second');
         CREATE SCHEMA ledger;
         CREATE TABLE ledger.entries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, amount numeric NOT NULL);
         INSERT INTO ledger.entries (amount) VALUES (10);`
        : `CREATE TABLE public.later_items (id bigserial PRIMARY KEY, name text NOT NULL);
         INSERT INTO public.later_items (name) VALUES ('later');
         CREATE SCHEMA later;
         CREATE TABLE later.notes (id bigserial PRIMARY KEY, body text NOT NULL);
         INSERT INTO later.notes (body) VALUES ('note');`,
    );
  }

  /** Runs SQL in every service database, logged in as that service. */
  async asOwners(sql: string): Promise<void> {
    for (const service of this.cluster.services) {
      const client = await this.server.connect({
        user: service.role,
        password: this.rolePasswords.get(service.role)!,
        database: service.database,
      });
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    }
  }

  /**
   * Renders the developer-access construct and runs its Job the way the kubelet would: the
   * ConfigMap's keys as files at the Job's mountPath, the Job's command, the Job's environment
   * (the access role's Secret resolved; host and port pointed at this server).
   */
  async applyAccess(access: DeveloperAccess, options: { expectFailure?: boolean } = {}): Promise<JobRun> {
    const app = Testing.app();
    const chart = new Chart(app, this.environment.name, { disableResourceNameHashes: true });
    new DeveloperAccessJobs(chart, 'Access', {
      cluster: this.cluster,
      access,
      schedule: this.environment.accessSchedule,
      labels: {},
      monitoringRoles: ['cnpg_metrics_exporter'],
    });
    const objects = Testing.synth(chart);
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    const job = objects.find((o) => o.kind === 'Job');
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual(['sh', `${ACCESS_MOUNT_PATH}/apply.sh`]);
    expect(container.env.find((e: { name: string }) => e.name === 'PGHOST').value).toBe(`${this.cluster.name}-rw`);
    expect(container.env.find((e: { name: string }) => e.name === 'PGSSLMODE').value).toBe('require');
    // Only the owners' Secrets: never the superuser's, never a role over several services.
    const owners = new Map(this.cluster.services.map((s) => [roleSecretName(s), s.role]));
    const result = await runJobContainer(
      this.server,
      job.spec.template.spec,
      new Map([[configMap.metadata.name, configMap.data]]),
      (name, key) => {
        const role = owners.get(name);
        if (role === undefined) throw new Error(`the access Job reads Secret ${name}, which is no owner's`);
        return key === 'username' ? role : (this.rolePasswords.get(role) ?? 'not-created-yet');
      },
    );
    if (!options.expectFailure && result.code !== 0) {
      throw new Error(`the access Job failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  }

  /** Every privilege-bearing catalog entry the SQL could touch, as text. */
  async snapshot(): Promise<Record<string, string>> {
    const shared = this.server.psql(
      'postgres',
      `
      SELECT datname, datacl FROM pg_database ORDER BY 1;
      SELECT rolname, rolcanlogin, rolinherit, rolsuper FROM pg_roles ORDER BY 1;
      SELECT roleid::regrole, member::regrole, admin_option FROM pg_auth_members ORDER BY 1, 2;`,
    );
    const result: Record<string, string> = { shared };
    const existing = this.server.psql('postgres', 'SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1;').trim().split('\n');
    for (const db of existing) {
      result[db] = this.server.psql(
        db,
        `
        SELECT nspname, nspowner::regrole, nspacl FROM pg_namespace ORDER BY 1;
        SELECT n.nspname, c.relname, c.relkind, c.relowner::regrole, c.relacl FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2;
        SELECT attrelid::regclass, attname, attacl FROM pg_attribute WHERE attacl IS NOT NULL ORDER BY 1, 2;
        SELECT defaclrole::regrole, defaclnamespace, defaclobjtype, defaclacl FROM pg_default_acl ORDER BY 1, 2, 3;`,
      );
    }
    return result;
  }
}

/** Logs in as every subject to every database, tries every operation, and compares with the rule. */
async function expectMatrix(env: ClusterUnderTest, scenario: Scenario): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = [];
  for (const subject of scenario.subjects) {
    for (const database of scenario.databases) {
      rows.push({ scenario: scenario.name, role: subject.role, database, outcomes: await probe(env, subject.role, database) });
    }
  }
  const want = expectedMatrix([scenario]);
  console.log(`\n${scenario.name}:\n${formatMatrix(rows, want)}`);
  expect(rows, `measured matrix for "${scenario.name}" (printed above) differs from the rule`).toEqual(want);
  return rows;
}

const DENIED_CODES = new Set([
  '42501', // insufficient_privilege: permission denied for table/schema/database, must be owner
  '28000', // invalid_authorization_specification: role is not permitted to log in
  '28P01', // invalid_password: also what a role that no longer exists gets
]);

async function probe(env: ClusterUnderTest, role: string, database: string): Promise<Record<string, Outcome>> {
  const outcomes: Record<string, Outcome> = {};
  let client;
  try {
    client = await env.server.connect({ user: role, password: env.rolePasswords.get(role)!, database });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!code || !DENIED_CODES.has(code))
      throw new Error(`${role} → ${database}: unexpected connection error ${code}: ${(error as Error).message}`, { cause: error });
    // Not even a connection: every operation is denied (that is what the server said).
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
        if (!code || !DENIED_CODES.has(code))
          throw new Error(`${role} → ${database}: ${op.sql}: unexpected error ${code}: ${(error as Error).message}`, { cause: error });
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
