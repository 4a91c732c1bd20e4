// The pooler keys of fleet.yaml: defaults, per-service overrides on shared clusters, and the
// parameters CloudNativePG would refuse, reported at the line and path they are written.
import { describe, expect, it } from 'vitest';
import type { Fleet, PostgresCluster } from '../../lib/config/model';
import { ALLOWED_PGBOUNCER_PARAMETERS } from '../../lib/config/pgbouncer-parameters';
import { BASE_FLEET, configErrors, fleetOf, lineOf } from '../support/fleet';

/** BASE_FLEET (test: shared, 1 instance; production: per-service, 3 instances, orders 5) with extra environment keys. */
function withPooler(test: string, production: string, servicesTail = ''): string {
  return (
    BASE_FLEET.replace('    developerAccess: read-write\n', `    developerAccess: read-write\n${test}`).replace(
      '    developerAccess: read-only\n',
      `    developerAccess: read-only\n${production}`,
    ) + servicesTail
  );
}
const cluster = (fleet: Fleet, env: string, name: string): PostgresCluster => {
  const found = fleet.environments.find((e) => e.name === env)!.clusters.find((c) => c.name === name);
  if (!found) throw new Error(`no cluster ${name} in ${env}`);
  return found;
};

describe('environments.<env>.pooler', () => {
  it('is off unless asked for', () => {
    const fleet = fleetOf();
    expect(cluster(fleet, 'production', 'orders').poolers).toEqual([]);
    expect(cluster(fleet, 'test', 'acme').poolers).toEqual([]);
  });

  it('renders a read-write pooler and, on clusters with replicas, a read-only one, with defaults', () => {
    const text = withPooler(
      '    pooler: { rw: {}, ro: {} }\n',
      '    pooler:\n      rw: { instances: 3, poolMode: transaction, parameters: { max_client_conn: 500, default_pool_size: "25", server_round_robin: true } }\n      ro: {}\n',
    );
    const fleet = fleetOf(text);
    expect(cluster(fleet, 'production', 'payments').poolers).toEqual([
      {
        type: 'rw',
        instances: 3,
        poolMode: 'transaction',
        parameters: { default_pool_size: '25', max_client_conn: '500', server_round_robin: 'true' },
      },
      { type: 'ro', instances: 2, poolMode: 'session', parameters: {} },
    ]);
    // test has one instance: no replicas, so no read-only pooler.
    expect(cluster(fleet, 'test', 'acme').poolers).toEqual([{ type: 'rw', instances: 2, poolMode: 'session', parameters: {} }]);
  });

  it('rejects a parameter the operator does not allow, naming file, line and path', () => {
    const text = withPooler('', '    pooler:\n      rw: { parameters: { max_client_conn: 100, listen_port: 6432 } }\n');
    const errors = configErrors(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^fleet\\.yaml:${lineOf(text, 'listen_port')}: environments\\.production\\.pooler\\.rw\\.parameters\\.listen_port: "listen_port" is not a PgBouncer parameter CloudNativePG lets a Pooler set`,
      ),
    );
  });

  it('rejects unknown keys, a pool mode PgBouncer-on-CloudNativePG does not offer, and 0 instances', () => {
    const text = withPooler('', '    pooler:\n      rw: { instances: 0, poolMode: statement }\n      rx: {}\n');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'rw: {')}: environments.production.pooler.rw.instances: must be >= 1`,
      `fleet.yaml:${lineOf(text, 'rw: {')}: environments.production.pooler.rw.poolMode: "statement" is not one of "session", "transaction"`,
      `fleet.yaml:${lineOf(text, 'rx: {}')}: environments.production.pooler.rx: is not a known key (did you mean "rw"?)`,
    ]);
  });

  it("allows exactly the parameters of CloudNativePG 1.30's webhook", () => {
    expect(ALLOWED_PGBOUNCER_PARAMETERS.size).toBe(57);
    for (const forbidden of [
      'listen_port',
      'listen_addr',
      'auth_user',
      'auth_query',
      'auth_dbname',
      'auth_file',
      'pool_mode',
      'unix_socket_dir',
      'admin_users',
    ]) {
      expect(ALLOWED_PGBOUNCER_PARAMETERS.has(forbidden), forbidden).toBe(false);
    }
  });

  it('refuses a pooler whose name a cluster or a cluster Service already has', () => {
    const text =
      BASE_FLEET.replace('    developerAccess: read-only\n', '    developerAccess: read-only\n    pooler: { rw: {} }\n') +
      '  - name: orders-pooler\n    group: commerce\n';
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'pooler: { rw')}: environments.production.pooler: the rw pooler of cluster "orders" would be named "orders-pooler-rw", which cluster "orders-pooler" already uses for a Service: rename one of the clusters`,
    ]);
  });
});

describe('services[].overrides.<env>.pooler on a shared cluster', () => {
  const shared = (test: string, orders: string, payments: string) =>
    BASE_FLEET.replace(
      '    developerAccess: read-write\n',
      `    developerAccess: read-write\n    instances: 2\n${test}`.replace('    instances: 1\n', ''),
    )
      .replace('    instances: 1\n', '')
      .replace('      production: { storage: 200Gi, instances: 5 }\n', `      production: { storage: 200Gi, instances: 5 }\n${orders}`)
      .replace('  - name: payments\n    group: commerce\n', `  - name: payments\n    group: commerce\n${payments}`);

  it('an override enables the pooler for its cluster and raises its instances', () => {
    const text = shared(
      '',
      '      test: { pooler: { rw: { instances: 4 } } }\n',
      '    overrides:\n      test: { pooler: { rw: { instances: 3 }, ro: {} } }\n',
    );
    const fleet = fleetOf(text);
    expect(cluster(fleet, 'test', 'acme').instances).toBe(2);
    expect(cluster(fleet, 'test', 'acme').poolers).toEqual([
      { type: 'rw', instances: 4, poolMode: 'session', parameters: {} },
      { type: 'ro', instances: 2, poolMode: 'session', parameters: {} },
    ]);
    // production untouched
    expect(cluster(fleet, 'production', 'orders').poolers).toEqual([]);
  });

  it('one pool mode per cluster: a service may not switch its neighbours to transaction mode', () => {
    const text = shared('    pooler: { rw: { poolMode: session } }\n', '      test: { pooler: { rw: { poolMode: transaction } } }\n', '');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'poolMode: transaction')}: services[0].overrides.test.pooler.rw.poolMode: pool mode "transaction" conflicts with "session" (services[1] ("payments"), from environments.test.pooler.rw.poolMode) for cluster "acme": its rw pooler serves every service of the cluster and has one pool mode`,
    ]);
  });

  it("every service agreeing on a mode overrides the environment's", () => {
    const text = shared(
      '    pooler: { rw: { poolMode: transaction } }\n',
      '      test: { pooler: { rw: { poolMode: session } } }\n',
      '    overrides:\n      test: { pooler: { rw: { poolMode: session } } }\n',
    );
    expect(cluster(fleetOf(text), 'test', 'acme').poolers?.[0].poolMode).toBe('session');
  });

  it('parameters merge; two services disagreeing on one is an error, a service over the environment is not', () => {
    const ok = shared(
      '    pooler: { rw: { parameters: { default_pool_size: 10, max_client_conn: 200 } } }\n',
      '      test: { pooler: { rw: { parameters: { default_pool_size: 30 } } } }\n',
      '    overrides:\n      test: { pooler: { rw: { parameters: { query_timeout: 60 } } } }\n',
    );
    expect(cluster(fleetOf(ok), 'test', 'acme').poolers?.[0].parameters).toEqual({
      default_pool_size: '30',
      max_client_conn: '200',
      query_timeout: '60',
    });

    const clash = shared(
      '',
      '      test: { pooler: { rw: { parameters: { default_pool_size: 30 } } } }\n',
      '    overrides:\n      test: { pooler: { rw: { parameters: { default_pool_size: 40 } } } }\n',
    );
    expect(configErrors(clash)).toEqual([
      `fleet.yaml:${lineOf(clash, 'default_pool_size: 40')}: services[1].overrides.test.pooler.rw.parameters.default_pool_size: "40" conflicts with "30" from services[0] ("orders"), which shares cluster "acme"`,
    ]);
  });

  it("override parameters are checked like the environment's", () => {
    const text = shared('', '      test: { pooler: { ro: { parameters: { auth_user: x } } } }\n', '');
    const errors = configErrors(text);
    expect(errors[0]).toMatch(
      new RegExp(
        `^fleet\\.yaml:${lineOf(text, 'auth_user')}: services\\[0\\]\\.overrides\\.test\\.pooler\\.ro\\.parameters\\.auth_user: "auth_user" is not a PgBouncer parameter`,
      ),
    );
  });
});

describe('pooler on a Zalando environment', () => {
  // Zalando's operator runs its own PgBouncer (test/zalando/pooler.test.ts); what it cannot express is an error at the key.
  it('takes rw and ro with the same settings, and refuses a parameter its connectionPooler section has no field for', () => {
    const text = BASE_FLEET.replace(
      '    developerAccess: read-only\n',
      '    developerAccess: read-only\n    operator: zalando\n    pooler: { rw: { parameters: { max_db_connections: 30 } }, ro: { parameters: { max_db_connections: 30 } } }\n',
    ).replace(
      '      production: { storage: 200Gi, instances: 5 }\n',
      '      production: { storage: 200Gi, instances: 5, pooler: { rw: { parameters: { server_lifetime: 60 } } } }\n',
    );
    const errors = configErrors(text);
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^fleet\\.yaml:${lineOf(text, 'server_lifetime')}: services\\[0\\]\\.overrides\\.production\\.pooler\\.rw\\.parameters\\.server_lifetime: "server_lifetime" cannot be set on Zalando's connection pooler`,
        ),
      ),
    ]);
  });
});
