import { describe, expect, it } from 'vitest';
import { applyScript, CLUSTER_SQL_KEY, databaseSqlKey, privilegesSql, quoteIdent, quoteLiteral, shQuote } from '../../lib/access/privileges-sql';
import type { DeveloperAccess, PostgresCluster, Service } from '../../lib/config/model';

function service(name: string, overrides: Partial<Service> = {}): Service {
  const id = name.replace(/-/g, '_');
  return { name, namespace: name, database: id, role: id, extensions: [], ...overrides };
}

function cluster(access: DeveloperAccess, services: Service[] = [service('orders'), service('customer-profiles')]): PostgresCluster {
  return {
    name: 'commerce', environment: 'test', namespace: 'databases', instances: 1, storage: '1Gi',
    imageName: 'ghcr.io/cloudnative-pg/postgresql:16', postgresVersion: 16, services, developerAccess: access,
  };
}

const lines = (sql: string) => sql.split('\n');
const gen = (c: PostgresCluster, access: DeveloperAccess = c.developerAccess) => privilegesSql(c, access, { developers: ['alice', 'bob'] });

describe('quoting', () => {
  it('double-quotes identifiers and doubles embedded quotes', () => {
    expect(quoteIdent('orders')).toBe('"orders"');
    expect(quoteIdent('Weird"Name')).toBe('"Weird""Name"');
    expect(() => quoteIdent('')).toThrow('invalid SQL identifier');
    expect(() => quoteIdent('a\0b')).toThrow('invalid SQL identifier');
  });

  it('single-quotes literals, doubling quotes, refusing backslashes and NUL', () => {
    expect(quoteLiteral("o'brien")).toBe("'o''brien'");
    expect(() => quoteLiteral('a\\b')).toThrow('refusing to quote');
    expect(() => quoteLiteral('a\0b')).toThrow('refusing to quote');
  });

  it('quotes shell words', () => {
    expect(shQuote('orders')).toBe("'orders'");
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('quotes every name it puts into SQL, so an odd name stays one identifier', () => {
    const odd = service('odd', { database: 'my"db', role: "o'wner" });
    const sql = gen(cluster('read-write', [odd]));
    expect(sql.files.map((f) => [f.key, f.database])).toEqual([[CLUSTER_SQL_KEY, 'postgres'], ['database-my"db.sql', 'my"db']]);
    const clusterSql = lines(sql.files[0].sql);
    expect(clusterSql).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE "my""db" FROM PUBLIC;');
    expect(clusterSql).toContain(`GRANT CONNECT, TEMPORARY ON DATABASE "my""db" TO "o'wner";`);
    expect(lines(sql.files[1].sql)).toContain(`ALTER DEFAULT PRIVILEGES FOR ROLE "o'wner" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "developers";`);
    expect(lines(sql.files[1].sql)).toContain(`    IF schema_name = 'public' AND NOT pg_has_role('o''wner', schema_owner, 'USAGE') THEN`);
  });
});

describe('privilegesSql', () => {
  it('one file for the cluster (in postgres), then one per service database, in service order', () => {
    const sql = gen(cluster('read-write'));
    expect(sql.files.map((f) => [f.key, f.database])).toEqual([
      ['00-cluster.sql', 'postgres'],
      ['database-orders.sql', 'orders'],
      ['database-customer_profiles.sql', 'customer_profiles'],
    ]);
    expect(databaseSqlKey('orders')).toBe('database-orders.sql');
  });

  it('uses the cluster\'s access mode unless told otherwise, and is deterministic', () => {
    expect(gen(cluster('read-only'))).toEqual(gen(cluster('read-write'), 'read-only'));
    expect(gen(cluster('read-only'))).toEqual(gen(cluster('read-only')));
    expect(gen(cluster('read-only'))).not.toEqual(gen(cluster('read-only'), 'read-write'));
  });

  it('refuses a cluster without databases', () => {
    expect(() => gen(cluster('read-write', []))).toThrow('cluster commerce holds no service database');
  });

  it('the script: one psql per database, each one transaction with ON_ERROR_STOP, stopping at the first failure', () => {
    expect(gen(cluster('read-only')).script).toBe([
      '#!/bin/sh',
      '# dbfleet developer access for cluster commerce: one psql run per database, each in one',
      '# transaction with ON_ERROR_STOP. Every statement is idempotent: re-running converges.',
      'set -eu',
      'dir=$(dirname "$0")',
      'apply() {',
      '  echo "dbfleet-access: $2 -> database $1"',
      '  psql --no-psqlrc --quiet --single-transaction --set ON_ERROR_STOP=1 --dbname "$1" --file "$dir/$2"',
      '}',
      "apply 'postgres' '00-cluster.sql'",
      "apply 'orders' 'database-orders.sql'",
      "apply 'customer_profiles' 'database-customer_profiles.sql'",
      'echo "dbfleet-access: cluster commerce: 3 file(s) applied"',
      '',
    ].join('\n'));
    expect(applyScript('x', [{ key: "a'b.sql", database: "d'b", sql: '' }])).toContain(`apply 'd'\\''b' 'a'\\''b.sql'`);
  });

  describe('cluster level', () => {
    it('read-write/read-only: PUBLIC loses CONNECT and TEMPORARY, the owner and the group connect, the group never creates', () => {
      for (const access of ['read-write', 'read-only'] as const) {
        const sql = lines(gen(cluster(access)).files[0].sql);
        const at = sql.indexOf('REVOKE CONNECT, TEMPORARY ON DATABASE "orders" FROM PUBLIC;');
        expect(sql.slice(at, at + 4)).toEqual([
          'REVOKE CONNECT, TEMPORARY ON DATABASE "orders" FROM PUBLIC;',
          'GRANT CONNECT, TEMPORARY ON DATABASE "orders" TO "orders";',
          'GRANT CONNECT ON DATABASE "orders" TO "developers";',
          'REVOKE CREATE, TEMPORARY ON DATABASE "orders" FROM "developers";',
        ]);
        expect(sql).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE "customer_profiles" FROM PUBLIC;');
        expect(sql).toContain('GRANT CONNECT, TEMPORARY ON DATABASE "customer_profiles" TO "customer_profiles";');
      }
    });

    it('starts with a preflight naming every role and database it needs', () => {
      const sql = gen(cluster('read-write')).files[0].sql;
      expect(sql).toContain("  FROM (VALUES ('role', 'orders'), ('database', 'orders'), ('role', 'customer_profiles'), ('database', 'customer_profiles'), ('role', 'developers')) AS e(kind, name)");
      expect(sql).toContain("    RAISE EXCEPTION 'dbfleet: not created yet: %', missing");
      expect(sql.indexOf('$preflight$;')).toBeLessThan(sql.indexOf('REVOKE CONNECT'));
      // none: the group is not required.
      expect(gen(cluster('none')).files[0].sql).toContain("('role', 'customer_profiles'), ('database', 'customer_profiles')) AS e(kind, name)");
    });

    it('read-write/read-only: dev_ members of the group not in developers: lose membership and login', () => {
      const sql = gen(cluster('read-only')).files[0].sql;
      expect(sql).toContain([
        "    WHERE g.rolname = 'developers' AND NOT m.rolsuper",
        "      AND starts_with(m.rolname, 'dev_') AND m.rolname <> ALL (ARRAY['dev_alice', 'dev_bob']::name[])",
        '    ORDER BY 1',
        '  LOOP',
        "    EXECUTE format('REVOKE %I FROM %I', 'developers', member);",
        "    EXECUTE format('ALTER ROLE %I NOLOGIN', member);",
      ].join('\n'));
      const none = privilegesSql(cluster('read-write'), 'read-write', { developers: [] }).files[0].sql;
      expect(none).toContain("AND m.rolname <> ALL (ARRAY[]::name[])");
      expect(privilegesSql(cluster('read-write'), 'read-write', { developers: ['bob-smith'] }).files[0].sql).toContain("ARRAY['dev_bob_smith']::name[]");
    });

    it('none: isolation stays; the group, if it exists, loses its databases and its dev_ members their LOGIN', () => {
      const sql = gen(cluster('none')).files[0].sql;
      expect(lines(sql)).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE "orders" FROM PUBLIC;');
      expect(sql).not.toContain('GRANT CONNECT ON DATABASE "orders" TO "developers"');
      expect(sql).toContain([
        "  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'developers') THEN",
        "    EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', 'orders', 'developers');",
        "    EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', 'customer_profiles', 'developers');",
      ].join('\n'));
      expect(sql).toContain("      WHERE g.rolname = 'developers' AND m.rolcanlogin AND NOT m.rolsuper\n        AND starts_with(m.rolname, 'dev_')");
      expect(sql).toContain("      EXECUTE format('ALTER ROLE %I NOLOGIN', member);");
    });
  });

  describe('database level', () => {
    it('read-write: SELECT/INSERT/UPDATE/DELETE and sequence USAGE/SELECT/UPDATE, on existing objects and by default', () => {
      const sql = gen(cluster('read-write')).files[1].sql;
      expect(sql).toContain([
        "  FOR schema_name, schema_owner IN SELECT n.nspname, n.nspowner FROM pg_namespace n WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1 LOOP",
        "    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', schema_name);",
        "    IF schema_name = 'public' AND NOT pg_has_role('orders', schema_owner, 'USAGE') THEN",
        "      EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', schema_name, 'orders');",
        '    END IF;',
        "    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM %I', schema_name, 'developers');",
        "    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, 'developers');",
        "    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, 'developers');",
        "    EXECUTE format('REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA %I FROM %I', schema_name, 'developers');",
        "    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, 'developers');",
        "    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM %I', 'orders', schema_name, 'developers');",
        '    schemas := schemas + 1;',
        '  END LOOP;',
      ].join('\n'));
      expect(sql).toContain([
        'ALTER DEFAULT PRIVILEGES FOR ROLE "orders" GRANT USAGE ON SCHEMAS TO "developers";',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "orders" REVOKE CREATE ON SCHEMAS FROM "developers";',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "orders" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "developers";',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "orders" REVOKE TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM "developers";',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "orders" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "developers";',
        '',
      ].join('\n'));
    });

    it('read-only: SELECT only, and every write privilege revoked, on existing objects and in the defaults', () => {
      const sql = gen(cluster('read-only')).files[2].sql;
      expect(sql).toContain('database customer_profiles (owner customer_profiles): developers read-only');
      expect(sql).toContain([
        "    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', schema_name, 'developers');",
        "    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA %I FROM %I', schema_name, 'developers');",
        "    EXECUTE format('GRANT SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, 'developers');",
        "    EXECUTE format('REVOKE USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA %I FROM %I', schema_name, 'developers');",
        "    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM %I', 'customer_profiles', schema_name, 'developers');",
        "    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE USAGE, UPDATE ON SEQUENCES FROM %I', 'customer_profiles', schema_name, 'developers');",
      ].join('\n'));
      expect(sql).toContain([
        'ALTER DEFAULT PRIVILEGES FOR ROLE "customer_profiles" GRANT SELECT ON TABLES TO "developers";',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "customer_profiles" REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM "developers";',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "customer_profiles" GRANT SELECT ON SEQUENCES TO "developers";',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "customer_profiles" REVOKE USAGE, UPDATE ON SEQUENCES FROM "developers";',
      ].join('\n'));
      expect(sql).not.toMatch(/GRANT [^;']*(INSERT|UPDATE|DELETE)[^;']* TO/);
    });

    it('none: everything the group may hold is revoked, defaults included, only if the group exists', () => {
      const sql = gen(cluster('none')).files[1].sql;
      expect(sql).toContain("  has_group boolean := EXISTS (SELECT FROM pg_roles WHERE rolname = 'developers');");
      expect(sql).toContain([
        '    IF has_group THEN',
        "      EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', schema_name, 'developers');",
        "      EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', schema_name, 'developers');",
        "      EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', schema_name, 'developers');",
      ].join('\n'));
      for (const kind of ['TABLES', 'SEQUENCES', 'SCHEMAS']) {
        expect(sql).toContain(`    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I REVOKE ALL ON ${kind} FROM %I', 'orders', 'developers');`);
      }
      expect(sql).not.toMatch(/\bGRANT\b(?! USAGE, CREATE ON SCHEMA %I TO %I', schema_name, 'orders')/);
    });
  });

  it('never uses pg_read_all_data / pg_write_all_data, never grants TRUNCATE, CREATE, or a role', () => {
    for (const access of ['read-write', 'read-only', 'none'] as const) {
      const all = gen(cluster(access)).files.map((f) => f.sql).join('\n');
      expect(all).not.toMatch(/pg_(read|write)_all_data/);
      const grants = all.split('\n').filter((l) => /\bGRANT\b/.test(l) && !/REVOKE/.test(l));
      for (const grant of grants) {
        expect(grant).not.toMatch(/TRUNCATE|TRIGGER|REFERENCES/);
        // CREATE goes only to the owner (database, public schema), never to the group.
        if (/CREATE/.test(grant)) expect(grant).not.toMatch(/developers/);
      }
      expect(all).not.toMatch(/GRANT "?developers"? TO/);
    }
  });
});
