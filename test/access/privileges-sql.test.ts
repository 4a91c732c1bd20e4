import { describe, expect, it } from 'vitest';
import {
  APPLY_SCRIPT_KEY,
  DATABASE_SQL_KEY,
  DATABASES_KEY,
  PREFLIGHT_SQL_KEY,
  privilegesSql,
  quoteIdent,
  quoteLiteral,
  shQuote,
} from '../../lib/access/privileges-sql';
import type { DeveloperAccess, PostgresCluster, Service } from '../../lib/config/model';

function service(name: string, overrides: Partial<Service> = {}): Service {
  const id = name.replace(/-/g, '_');
  return { name, namespace: name, database: id, role: id, extensions: [], ...overrides };
}

function cluster(access: DeveloperAccess, services: Service[] = [service('orders'), service('customer-profiles')]): PostgresCluster {
  return {
    name: 'commerce',
    environment: 'test',
    namespace: 'databases',
    instances: 1,
    storage: '1Gi',
    imageName: 'ghcr.io/cloudnative-pg/postgresql:16',
    postgresVersion: 16,
    services,
    developerAccess: access,
  };
}

const file = (sql: ReturnType<typeof privilegesSql>, key: string) => sql.files.find((f) => f.key === key)!.content;
const lines = (text: string) => text.split('\n');
const size = (sql: ReturnType<typeof privilegesSql>) =>
  sql.files.reduce((n, f) => n + Buffer.byteLength(f.key) + Buffer.byteLength(f.content), 0);

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

  it('names reach SQL only through psql variables (:"name" identifiers, :\'name\' literals) and format(%I)', () => {
    const sql = privilegesSql(cluster('read-write', [service('odd', { database: 'my"db', role: "o'wner" })]));
    expect(file(sql, DATABASES_KEY)).toBe(`my"db\to'wner\n`);
    const template = file(sql, DATABASE_SQL_KEY);
    expect(template).not.toContain('my"db');
    expect(lines(template)).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE :"database" FROM PUBLIC;');
    expect(lines(template)).toContain('GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"owner";');
    expect(lines(template)).toContain(
      `ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "developers";`,
    );
    expect(lines(template)).toContain("SELECT pg_catalog.set_config('dbfleet.owner', :'owner', true) AS owner \\gset");
  });

  it('refuses names that cannot be one field of the list', () => {
    expect(() => privilegesSql(cluster('read-write', [service('tab', { database: 'a\tb' })]))).toThrow('cannot be listed in databases.tsv');
    expect(() => privilegesSql(cluster('read-write', [service('nl', { role: 'a\nb' })]))).toThrow('cannot be listed in databases.tsv');
  });
});

describe('privilegesSql', () => {
  it('four files: the script, the preflight, one template for every database, the list', () => {
    const sql = privilegesSql(cluster('read-write'));
    expect(sql.files.map((f) => f.key)).toEqual([APPLY_SCRIPT_KEY, PREFLIGHT_SQL_KEY, DATABASE_SQL_KEY, DATABASES_KEY]);
    expect(file(sql, DATABASES_KEY)).toBe('orders\torders\ncustomer_profiles\tcustomer_profiles\n');
    expect(file(sql, APPLY_SCRIPT_KEY)).toBe(sql.script);
  });

  it('defect 5: grows by the list line of a service and nothing else (1000 services stay small)', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => service(`service-${String(i).padStart(4, '0')}`));
    const one = privilegesSql(cluster('read-write', many(1)));
    const thousand = privilegesSql(cluster('read-write', many(1000)));
    const listBytes = (sql: ReturnType<typeof privilegesSql>) => Buffer.byteLength(file(sql, DATABASES_KEY));
    // Only databases.tsv differs; each service is `<database>\t<owner>\n`: 26 bytes here.
    for (const key of [APPLY_SCRIPT_KEY, PREFLIGHT_SQL_KEY, DATABASE_SQL_KEY]) expect(file(thousand, key)).toBe(file(one, key));
    expect(listBytes(thousand) - listBytes(one)).toBe(999 * 26);
    expect(size(thousand)).toBeLessThan(64 * 1024);
  });

  it("uses the cluster's access mode unless told otherwise, and is deterministic", () => {
    expect(privilegesSql(cluster('read-only'))).toEqual(privilegesSql(cluster('read-write'), 'read-only'));
    expect(privilegesSql(cluster('read-only'))).toEqual(privilegesSql(cluster('read-only')));
    expect(privilegesSql(cluster('read-only'))).not.toEqual(privilegesSql(cluster('read-only'), 'read-write'));
  });

  it('refuses a cluster without databases', () => {
    expect(() => privilegesSql(cluster('read-write', []))).toThrow('cluster commerce holds no service database');
  });

  it('the script: the preflight, then one psql per line, each one transaction with ON_ERROR_STOP, one failure not stopping the others', () => {
    const script = privilegesSql(cluster('read-only')).script;
    expect(lines(script)).toEqual(
      expect.arrayContaining([
        '#!/bin/sh',
        'set -eu',
        'run_psql() { psql --no-psqlrc --quiet --single-transaction --set ON_ERROR_STOP=1 "$@" </dev/null; }',
        'owners=${DBFLEET_OWNER_CREDENTIALS:?names the directory of the owner credentials}',
        `  if login_as_owner_of "$candidate" && run_psql --dbname 'postgres' --set pairs="$(cat "$dir/databases.tsv")" --file "$dir/preflight.sql"; then`,
        'while IFS="$tab" read -r database owner extensions; do',
        '  if login_as_owner_of "$database" && echo "dbfleet-access: database $database (owner $owner, login $PGUSER)" &&',
        '    run_psql --dbname "$database" --set database="$database" --set owner="$owner" --set extensions="${extensions:-}" --file "$dir/database.sql"; then',
        '    failed="$failed $database"',
        'done < "$dir/databases.tsv"',
      ]),
    );
  });

  describe('preflight', () => {
    it('names every database and owner of the list, and the group unless access is none', () => {
      const withGroup = file(privilegesSql(cluster('read-write')), PREFLIGHT_SQL_KEY);
      expect(withGroup).toContain("SELECT 'database', pg_catalog.split_part(line, E'\\t', 1) FROM lines");
      expect(withGroup).toContain("UNION SELECT 'role', pg_catalog.split_part(line, E'\\t', 2) FROM lines");
      expect(withGroup).toContain("UNION SELECT 'role', 'developers'");
      expect(withGroup).toContain("RAISE EXCEPTION 'dbfleet: not created yet: %', missing");
      expect(file(privilegesSql(cluster('none')), PREFLIGHT_SQL_KEY)).not.toContain("'developers'");
    });
  });

  describe('the database template', () => {
    it('read-write: SELECT/INSERT/UPDATE/DELETE and sequence USAGE/SELECT/UPDATE, on existing objects and by default', () => {
      const t = lines(file(privilegesSql(cluster('read-write')), DATABASE_SQL_KEY));
      expect(t).toContain(
        '    EXECUTE pg_catalog.format(\'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO "developers"\', schema_name);',
      );
      expect(t).toContain(
        '    EXECUTE pg_catalog.format(\'REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA %I FROM "developers"\', schema_name);',
      );
      expect(t).toContain(
        '    EXECUTE pg_catalog.format(\'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO "developers"\', schema_name);',
      );
      expect(t).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "developers";');
      expect(t).toContain('GRANT CONNECT ON DATABASE :"database" TO "developers";');
      expect(t).toContain('REVOKE CREATE, TEMPORARY ON DATABASE :"database" FROM "developers";');
    });

    it('read-only: SELECT only, and every write privilege revoked, on existing objects and in the defaults', () => {
      const t = lines(file(privilegesSql(cluster('read-only')), DATABASE_SQL_KEY));
      expect(t).toContain('    EXECUTE pg_catalog.format(\'GRANT SELECT ON ALL TABLES IN SCHEMA %I TO "developers"\', schema_name);');
      expect(t).toContain(
        '    EXECUTE pg_catalog.format(\'REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA %I FROM "developers"\', schema_name);',
      );
      expect(t).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE USAGE, UPDATE ON SEQUENCES FROM "developers";');
    });

    it('none: isolation stays; everything the group may hold is revoked, only if the group exists', () => {
      const t = file(privilegesSql(cluster('none')), DATABASE_SQL_KEY);
      expect(lines(t)).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE :"database" FROM PUBLIC;');
      expect(t).toContain("has_group boolean := EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'developers');");
      expect(t).toContain("EXECUTE pg_catalog.format('REVOKE ALL ON DATABASE %I FROM %I', pg_catalog.current_database(), 'developers');");
      expect(t).not.toContain('GRANT CONNECT ON DATABASE :"database" TO "developers"');
    });

    it('defect 6: the monitoring roles keep CONNECT (granted when they exist)', () => {
      const t = file(privilegesSql(cluster('read-only'), 'read-only', { monitoringRoles: ['cnpg_metrics_exporter'] }), DATABASE_SQL_KEY);
      expect(t).toContain(
        "FOR monitor IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY (ARRAY['cnpg_metrics_exporter']::name[]) ORDER BY 1 LOOP",
      );
      expect(t).toContain("EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO %I', pg_catalog.current_database(), monitor);");
      expect(file(privilegesSql(cluster('read-only')), DATABASE_SQL_KEY)).not.toContain('$monitoring$');
    });
  });

  it('operator gaps (Zalando): grants to each developer role, former grantees cleaned up, extensions as a third column; nothing needs a superuser', () => {
    const sql = privilegesSql(
      cluster('read-write', [service('orders', { extensions: ['pgcrypto', 'citext'] }), service('payments')]),
      'read-write',
      { developers: ['alice'], operatorGaps: { directGrants: true, extensions: true } },
    );
    expect(file(sql, DATABASES_KEY)).toBe('orders\torders\tpgcrypto,citext\npayments\tpayments\t\n');
    const preflight = file(sql, PREFLIGHT_SQL_KEY);
    expect(lines(preflight)).toContain("    UNION SELECT 'role', 'dev_alice'");
    expect(preflight).not.toContain("'developers'");
    for (const text of [preflight, file(sql, DATABASE_SQL_KEY)]) {
      expect(text).not.toMatch(/GRANT "?[a-z_]+"? TO "dev_|GRANT pg_monitor|ALTER ROLE|NOLOGIN/);
    }
    const t = file(sql, DATABASE_SQL_KEY);
    expect(t).toContain("EXECUTE pg_catalog.format('CREATE EXTENSION IF NOT EXISTS %I SCHEMA public', extension);");
    expect(lines(t)).toContain('GRANT CONNECT ON DATABASE :"database" TO "dev_alice";');
    expect(t).toContain("keep name[] := ARRAY['dev_alice']::name[];");
  });

  it('issue 24: every file pins search_path first, and calls no catalog function unqualified', () => {
    for (const access of ['read-write', 'read-only', 'none'] as const) {
      for (const gaps of [undefined, { directGrants: true, extensions: true }]) {
        const sql = privilegesSql(cluster(access), access, { developers: ['alice'], operatorGaps: gaps, monitoringRoles: ['m'] });
        for (const key of [PREFLIGHT_SQL_KEY, DATABASE_SQL_KEY]) {
          const text = file(sql, key);
          const statements = lines(text).filter((l) => l && !l.startsWith('--'));
          expect(statements[0], `${access} ${key}`).toBe('SET LOCAL search_path = pg_catalog, pg_temp;');
          // Function calls: a name followed by "(" that is not qualified and not SQL syntax.
          const unqualified = text
            .replace(/'(?:[^']|'')*'/g, "''")
            .match(
              /(?<![.\w])(format|current_setting|set_config|pg_has_role|string_to_array|unnest|split_part|string_agg|starts_with|current_database|aclexplode|to_regrole)\(/g,
            );
          expect(unqualified, `${access} ${key}`).toBeNull();
        }
      }
    }
  });
});
