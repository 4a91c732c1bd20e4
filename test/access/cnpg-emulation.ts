// What CloudNativePG does with the manifests dbfleet renders, reduced to the SQL it runs, so the
// real-server tests start from the same roles and databases a cluster would have:
// - `spec.managed.roles`: CREATE ROLE with every attribute of the entry (the instance manager's
//   role reconciler), COMMENT ON ROLE, then GRANT <inRoles> TO <role> once every role exists;
//   the password comes from the entry's `passwordSecret` (here: a map of secret name → password).
// - a `Database` resource: CREATE DATABASE ... OWNER <owner>, then CREATE EXTENSION as superuser.
import type { ClusterSpecManagedRoles } from '../../imports/postgresql.cnpg.io';
import { quoteIdent, quoteLiteral } from '../../lib/access/privileges-sql';
import type { PostgresServer } from '../support/postgres';

export interface DatabaseDeclaration {
  readonly name: string;
  readonly owner: string;
  readonly extensions: readonly string[];
  /** `spec.schemas`: the operator creates them or sets their owner. @default none */
  readonly schemas?: ReadonlyArray<{ readonly name: string; readonly owner?: string }>;
}

/** Creates or alters the managed roles like the operator's reconciler, memberships last. */
export function applyManagedRoles(
  server: PostgresServer,
  roles: readonly ClusterSpecManagedRoles[],
  passwords: ReadonlyMap<string, string>,
): void {
  const statements: string[] = [];
  for (const role of roles) {
    if (role.ensure === 'absent') {
      statements.push(`DROP ROLE IF EXISTS ${quoteIdent(role.name)};`);
      continue;
    }
    const flag = (on: boolean | undefined, name: string) => (on ? name : `NO${name}`);
    let password = 'PASSWORD NULL';
    if (role.passwordSecret) {
      const secret = passwords.get(role.passwordSecret.name);
      if (secret === undefined) throw new Error(`no password for Secret ${role.passwordSecret.name} (role ${role.name})`);
      password = `PASSWORD ${quoteLiteral(secret)}`;
    } else if (!role.disablePassword) {
      password = ''; // the operator leaves the password alone
    }
    const attributes = [
      flag(role.bypassrls, 'BYPASSRLS'),
      flag(role.createdb, 'CREATEDB'),
      flag(role.createrole, 'CREATEROLE'),
      flag(role.inherit ?? true, 'INHERIT'),
      flag(role.login, 'LOGIN'),
      flag(role.replication, 'REPLICATION'),
      flag(role.superuser, 'SUPERUSER'),
      `CONNECTION LIMIT ${role.connectionLimit ?? -1}`,
      password,
    ]
      .filter(Boolean)
      .join(' ');
    statements.push(
      `DO $r$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(role.name)}) THEN`,
      `  ALTER ROLE ${quoteIdent(role.name)} ${attributes};`,
      `ELSE CREATE ROLE ${quoteIdent(role.name)} ${attributes}; END IF; END $r$;`,
      `COMMENT ON ROLE ${quoteIdent(role.name)} IS ${role.comment ? quoteLiteral(role.comment) : 'NULL'};`,
    );
  }
  for (const role of roles) {
    for (const parent of role.inRoles ?? []) statements.push(`GRANT ${quoteIdent(parent)} TO ${quoteIdent(role.name)};`);
  }
  server.psql('postgres', statements.join('\n'));
}

/** Creates the databases like the Database resources (owner, extensions). */
export async function applyDatabases(server: PostgresServer, databases: readonly DatabaseDeclaration[]): Promise<void> {
  const client = await server.connect({ user: server.superuser, password: server.superuserPassword, database: 'postgres' });
  try {
    for (const db of databases) {
      // CREATE DATABASE refuses a transaction block (psql -1 makes one): a plain client statement.
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
      if (!rowCount) await client.query(`CREATE DATABASE ${quoteIdent(db.name)} OWNER ${quoteIdent(db.owner)}`);
    }
  } finally {
    await client.end();
  }
  for (const db of databases) {
    if (db.extensions.length > 0)
      server.psql(db.name, db.extensions.map((e) => `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e)};`).join('\n'));
    for (const schema of db.schemas ?? []) {
      server.psql(
        db.name,
        `DO $s$ BEGIN IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = ${quoteLiteral(schema.name)}) THEN
        CREATE SCHEMA ${quoteIdent(schema.name)}${schema.owner ? ` AUTHORIZATION ${quoteIdent(schema.owner)}` : ''};
        ${schema.owner ? `ELSIF (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = ${quoteLiteral(schema.name)}) <> ${quoteLiteral(schema.owner)} THEN ALTER SCHEMA ${quoteIdent(schema.name)} OWNER TO ${quoteIdent(schema.owner)};` : ''}
        END IF; END $s$;`,
      );
    }
  }
}
