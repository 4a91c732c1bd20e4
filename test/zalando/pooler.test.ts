// Pooling on Zalando environments: the same `pooler:` settings as on CloudNativePG render the
// operator's own PgBouncer (enableConnectionPooler / enableReplicaConnectionPooler and one
// connectionPooler section), the same app Secret keys with `uri` / `ro-uri` through the poolers and
// `direct-*` past them, the poolers' NetworkPolicies and the alerts that have a signal; what the
// operator's pooler cannot express is a config error at the key. Then the app's Secret is driven
// through a real PgBouncer configured as the operator's image configures itself
// (zalando/postgres-operator@v2.0.1 pooler/pgbouncer.ini.tmpl: auth_user `pooler`, auth_query
// through `pooler.user_lookup`, installed by pkg/cluster/database.go connectionPoolerLookup) in front
// of a real PostgreSQL where the service databases are closed to PUBLIC as the access SQL closes them.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetConfigError, parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { findPgbouncer, pgbouncerUnavailableReason, pgbouncerVersion, startPgbouncer, type Pgbouncer } from '../support/pgbouncer';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

const fleetText = (pooler: string, instances = 2) => `name: shop
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice]
monitoring: { namespace: monitoring }
environments:
  live:
    namespace: databases
    topology: per-service
    instances: ${instances}
    storage: 5Gi
    developerAccess: read-only
    operator: zalando
    pooler:
${pooler}
services:
  - name: orders
    namespace: orders
`;
const BOTH = `      rw: { instances: 3, poolMode: transaction, parameters: { max_db_connections: 20 } }
      ro: { instances: 3, poolMode: transaction, parameters: { max_db_connections: 20 } }`;

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: any; data?: any };
const render = (text: string): Obj[] => renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))).map((o) => o.object as unknown as Obj);
const find = (objects: Obj[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
function problems(text: string): string[] {
  try {
    parseFleet(text, 'fleet.yaml');
  } catch (error) {
    if (error instanceof FleetConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('Zalando: pooler rendering', () => {
  const objects = render(fleetText(BOTH));

  it('turns both poolers on with one connectionPooler section; max_db_connections is per PgBouncer, as on CloudNativePG', () => {
    const spec = find(objects, 'postgresql', 'orders').spec;
    expect(spec.enableConnectionPooler).toBe(true);
    expect(spec.enableReplicaConnectionPooler).toBe(true);
    // The operator divides maxDBConnections by numberOfInstances (connection_pooler.go getConnectionPoolerEnvVars).
    expect(spec.connectionPooler).toEqual({ numberOfInstances: 3, mode: 'transaction', maxDBConnections: 60 });
    expect(objects.some((o) => o.kind === 'Pooler')).toBe(false);
  });

  it("the app Secret: uri and ro-uri through the operator's pooler Services, direct-* to the cluster", () => {
    const data = find(objects, 'ExternalSecret', 'orders-db').spec.target.template.data as Record<string, string>;
    expect(data.host).toBe('orders-pooler.databases.svc');
    expect(data.uri).toContain('@orders-pooler.databases.svc:5432/orders');
    expect(data['ro-uri']).toContain('@orders-pooler-repl.databases.svc:5432/orders');
    expect(data['direct-uri']).toContain('@orders.databases.svc:5432/orders');
    expect(data['direct-ro-uri']).toContain('@orders-repl.databases.svc:5432/orders');
  });

  it("NetworkPolicies: each pooler from its services' namespaces on 5432 only, the cluster from its poolers", () => {
    for (const name of ['orders-pooler', 'orders-pooler-repl']) {
      const policy = find(objects, 'NetworkPolicy', `${name}-ingress`);
      expect(policy.spec.podSelector.matchLabels).toEqual({
        application: 'db-connection-pooler',
        'cluster-name': 'orders',
        'connection-pooler': name,
      });
      // No exporter on the operator's pooler pods: nothing for the monitoring namespace.
      expect(policy.spec.ingress).toEqual([
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } } }],
          ports: [{ protocol: 'TCP', port: 5432 }],
        },
      ]);
    }
    const upstream = find(objects, 'NetworkPolicy', 'orders-from-poolers');
    expect(upstream.spec.podSelector.matchLabels).toEqual({ application: 'spilo', 'cluster-name': 'orders' });
    expect(upstream.spec.ingress[0].from).toEqual([
      { podSelector: { matchLabels: { 'connection-pooler': 'orders-pooler' } } },
      { podSelector: { matchLabels: { 'connection-pooler': 'orders-pooler-repl' } } },
    ]);
  });

  it("alerts where the signal exists: pooler down and degraded on the Deployments' availability", () => {
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    const group = (rule.spec.groups as Array<{ name: string; rules: Array<{ alert: string; expr: string }> }>).find((g) =>
      g.name.endsWith('.pgbouncer'),
    )!;
    expect(group.rules.map((r) => r.alert)).toEqual(['ZalandoPoolerDown', 'ZalandoPoolerDegraded']);
    expect(group.rules[0].expr).toContain(
      'kube_deployment_status_replicas_available{namespace="databases",deployment=~"orders-pooler|orders-pooler-repl"}',
    );
    expect(group.rules[1].expr).toContain('< 3');
  });

  it("the access SQL leaves the operator's `pooler` schema alone (no grants to developers there)", () => {
    const sql = Object.values(find(objects, 'ConfigMap', 'orders-access-sql').data as Record<string, string>).join('\n');
    expect(sql).toContain("'pooler'");
  });

  it('a read-only pooler alone, and none on a single instance (no replicas to pool)', () => {
    const ro = find(render(fleetText('      ro: { instances: 2 }')), 'postgresql', 'orders').spec;
    expect(ro.enableConnectionPooler).toBe(false);
    expect(ro.enableReplicaConnectionPooler).toBe(true);
    const single = find(render(fleetText(BOTH, 1)), 'postgresql', 'orders').spec;
    expect(single.enableConnectionPooler).toBe(true);
    expect(single.enableReplicaConnectionPooler).toBeUndefined();
  });
});

describe('Zalando: what its pooler cannot express is a config error at the key', () => {
  it('a PgBouncer parameter other than max_db_connections', () => {
    const found = problems(fleetText(`      rw: { instances: 2, parameters: { default_pool_size: 10, max_db_connections: 20 } }`));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^fleet\.yaml:\d+/);
    expect(found[0]).toContain('environments.live.pooler.rw.parameters.default_pool_size');
    expect(found[0]).toContain("cannot be set on Zalando's connection pooler");
  });

  it('rw and ro poolers that differ (one connectionPooler section configures both)', () => {
    const found = problems(
      fleetText(`      rw: { instances: 2, poolMode: transaction }\n      ro: { instances: 3, poolMode: transaction }`),
    );
    const message = found.find((p) => p.includes('differ in instances'));
    expect(message).toBeDefined();
    expect(message).toContain('environments.live.pooler.ro.instances');
    expect(message).toMatch(/fleet\.yaml:\d+/);
  });
});

const skipReason = postgresUnavailableReason() ?? pgbouncerUnavailableReason();
if (skipReason) console.warn(`test/zalando/pooler.test.ts (real PgBouncer) skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)("Zalando: the app Secret through a real PgBouncer configured like the operator's", () => {
  const objects = render(fleetText(BOTH));
  const APP_PASSWORD = `app-${randomBytes(6).toString('hex')}`;
  const POOLER_PASSWORD = randomBytes(12).toString('hex');
  const DEV_PASSWORD = randomBytes(12).toString('hex');
  let pg: PostgresServer;
  let rw: Pgbouncer;
  let secret: Record<string, string>;

  beforeAll(async () => {
    pg = await startPostgres({ ssl: false });
    const [major, minor] = pgbouncerVersion(findPgbouncer()!);
    // The image runs the newest PgBouncer release with auth_dbname = postgres (pooler/Dockerfile,
    // pgbouncer.ini.tmpl): the lookup runs in `postgres`, whatever the service database's ACL. An
    // older local pgbouncer looks the user up in the client's database, so there (only) the test
    // grants the pooler CONNECT on it.
    const authDbname = major > 1 || minor >= 19;
    pg.psql(
      'postgres',
      `CREATE ROLE pooler LOGIN PASSWORD '${POOLER_PASSWORD}';
       CREATE ROLE orders LOGIN PASSWORD '${APP_PASSWORD}';
       CREATE ROLE dev_alice LOGIN PASSWORD '${DEV_PASSWORD}';`,
    );
    const created = await pg.connect({ user: pg.superuser, password: pg.superuserPassword, database: 'postgres' });
    await created.query('CREATE DATABASE orders OWNER orders');
    await created.end();
    // What the access SQL does first in every service database (lib/access/privileges-sql.ts).
    pg.psql('orders', 'REVOKE CONNECT, TEMPORARY ON DATABASE orders FROM PUBLIC; GRANT CONNECT ON DATABASE orders TO orders, dev_alice;');
    if (!authDbname) pg.psql('orders', 'GRANT CONNECT ON DATABASE orders TO pooler;');
    // installLookupFunction: the operator's SQL, verbatim but for the template values, in every database.
    const lookup = `
      CREATE SCHEMA IF NOT EXISTS pooler;
      CREATE OR REPLACE FUNCTION pooler.user_lookup(in i_username text, out uname text, out phash text)
      RETURNS record AS $$
      BEGIN
        SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = i_username INTO uname, phash;
        RETURN;
      END;
      $$ LANGUAGE plpgsql SECURITY DEFINER;
      REVOKE ALL ON FUNCTION pooler.user_lookup(text) FROM public, pooler;
      GRANT EXECUTE ON FUNCTION pooler.user_lookup(text) TO pooler;
      GRANT USAGE ON SCHEMA pooler TO pooler;`;
    pg.psql('postgres', lookup);
    pg.psql('orders', lookup);

    const spec = find(objects, 'postgresql', 'orders').spec.connectionPooler;
    const perPod = spec.maxDBConnections / spec.numberOfInstances;
    rw = await startPgbouncer({
      poolMode: spec.mode,
      // The image's values for what the operator computes (getConnectionPoolerEnvVars).
      parameters: { max_db_connections: String(perPod), default_pool_size: String(Math.floor(perPod / 2)) },
      serverHost: pg.host,
      serverPort: pg.port,
      authUser: 'pooler',
      authQuery: 'SELECT * FROM pooler.user_lookup($1)',
      authType: 'md5',
      authUserPassword: POOLER_PASSWORD,
      authDbname,
      serverTls: pg.ssl,
    });
    const template = find(objects, 'ExternalSecret', 'orders-db').spec.target.template.data as Record<string, string>;
    secret = Object.fromEntries(
      Object.entries(template).map(([k, v]) => [
        k,
        v
          .replaceAll('{{ .password | urlquery | replace "+" "%20" }}', APP_PASSWORD)
          .replaceAll('{{ .password | urlquery }}', APP_PASSWORD)
          .replaceAll('{{ .password }}', APP_PASSWORD)
          .replaceAll('orders-pooler.databases.svc:5432', `127.0.0.1:${rw.port}`)
          .replaceAll('orders.databases.svc:5432', `127.0.0.1:${pg.port}`),
      ]),
    );
  }, 120_000);

  afterAll(async () => {
    await rw?.stop();
    await pg?.stop();
  });

  it('`uri` logs the app in through the pooler with its own role and password (pooler.user_lookup)', async () => {
    const client = new Client({ connectionString: secret.uri });
    await client.connect();
    try {
      const { rows } = await client.query('select current_user as "user", current_database() as db');
      expect(rows[0]).toEqual({ user: 'orders', db: 'orders' });
    } finally {
      await client.end();
    }
    const direct = new Client({ connectionString: secret['direct-uri'] });
    await direct.connect();
    expect((await direct.query('select current_user as u')).rows[0].u).toBe('orders');
    await direct.end();
  });

  it('a wrong password is refused by the pooler', async () => {
    const client = new Client({ connectionString: secret.uri.replace(APP_PASSWORD, 'not-the-password') });
    client.on('error', () => undefined);
    await expect(client.connect()).rejects.toThrow(/authentication failed/);
  });

  it("neither the app nor a developer can read password hashes through the operator's lookup function", async () => {
    for (const [user, password] of [
      ['orders', APP_PASSWORD],
      ['dev_alice', DEV_PASSWORD],
    ]) {
      const client = await pg.connect({ user, password, database: 'orders' });
      try {
        await expect(client.query("SELECT * FROM pooler.user_lookup('postgres')")).rejects.toThrow(/permission denied/);
      } finally {
        await client.end();
      }
    }
  });
});
