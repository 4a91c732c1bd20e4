// The access matrix: which role may do what in which database, per scenario. `expected()` is the
// rule the issue states; matrix.test.ts measures the real server against it, and
// docs/developer-access.md carries the same table (checked by the test, so the two cannot drift).
import { parseFleet } from '../../lib/config/load';
import type { DeveloperAccess } from '../../lib/config/model';
import { developerRoleName } from '../../lib/config/names';

export type Outcome = 'allowed' | 'denied';

export interface Operation {
  readonly id: string;
  /** Column header in the printed matrix. */
  readonly label: string;
  readonly description: string;
  /** Run in BEGIN … ROLLBACK, so no probe changes what the next one sees. */
  readonly sql: string;
  /** What a developer may do with it: `read` in read-only and read-write, `write` in read-write only, `never`. */
  readonly developer: 'read' | 'write' | 'never';
}

// Objects every service database has (matrix.test.ts creates them as the service):
//   before the SQL ran: public.items (bigserial), ledger.entries (identity column, own schema);
//   after the SQL ran:  public.later_items (bigserial), schema later with later.notes.
export const OPERATIONS: readonly Operation[] = [
  { id: 'connect', label: 'connect', description: 'log in to the database', sql: 'SELECT 1', developer: 'read' },
  { id: 'select', label: 'select', description: 'SELECT from public.items', sql: 'SELECT count(*) FROM public.items', developer: 'read' },
  {
    id: 'insert',
    label: 'insert',
    description: 'INSERT into public.items (takes nextval of its sequence)',
    sql: "INSERT INTO public.items (name) VALUES ('probe')",
    developer: 'write',
  },
  {
    id: 'update',
    label: 'update',
    description: 'UPDATE public.items',
    sql: "UPDATE public.items SET name = 'probe' WHERE id = 1",
    developer: 'write',
  },
  {
    id: 'delete',
    label: 'delete',
    description: 'DELETE from public.items',
    sql: 'DELETE FROM public.items WHERE id = 1',
    developer: 'write',
  },
  { id: 'truncate', label: 'truncate', description: 'TRUNCATE public.items', sql: 'TRUNCATE public.items', developer: 'never' },
  {
    id: 'select-schema',
    label: 'select ledger',
    description: 'SELECT from ledger.entries (a second schema)',
    sql: 'SELECT count(*) FROM ledger.entries',
    developer: 'read',
  },
  {
    id: 'insert-schema',
    label: 'insert ledger',
    description: 'INSERT into ledger.entries',
    sql: 'INSERT INTO ledger.entries (amount) VALUES (1)',
    developer: 'write',
  },
  {
    id: 'select-later',
    label: 'select later',
    description: 'SELECT from public.later_items, created by the service after the SQL ran',
    sql: 'SELECT count(*) FROM public.later_items',
    developer: 'read',
  },
  {
    id: 'insert-later',
    label: 'insert later',
    description: 'INSERT into public.later_items (its sequence is new too)',
    sql: "INSERT INTO public.later_items (name) VALUES ('probe')",
    developer: 'write',
  },
  {
    id: 'update-later',
    label: 'update later',
    description: 'UPDATE public.later_items: a write that needs no sequence, so a table grant alone decides it',
    sql: "UPDATE public.later_items SET name = 'probe'",
    developer: 'write',
  },
  {
    id: 'nextval',
    label: 'nextval',
    description:
      "SELECT nextval('public.items_id_seq'): a sequence write (an owner may have granted it to PUBLIC, whose member every developer is)",
    sql: "SELECT nextval('public.items_id_seq')",
    developer: 'write',
  },
  {
    id: 'nextval-later',
    label: 'nextval later',
    description: "SELECT nextval('public.later_items_id_seq'): a sequence created after the SQL ran (default privileges decide it)",
    sql: "SELECT nextval('public.later_items_id_seq')",
    developer: 'write',
  },
  {
    id: 'select-later-schema',
    label: 'select later schema',
    description: 'SELECT from later.notes: schema and table created after the SQL ran',
    sql: 'SELECT count(*) FROM later.notes',
    developer: 'read',
  },
  {
    id: 'insert-later-schema',
    label: 'insert later schema',
    description: 'INSERT into later.notes',
    sql: "INSERT INTO later.notes (body) VALUES ('probe')",
    developer: 'write',
  },
  {
    id: 'create-table',
    label: 'create table',
    description: 'CREATE TABLE in public',
    sql: 'CREATE TABLE public.probe_table (id int)',
    developer: 'never',
  },
  { id: 'create-schema', label: 'create schema', description: 'CREATE SCHEMA', sql: 'CREATE SCHEMA probe_schema', developer: 'never' },
  {
    id: 'create-temp',
    label: 'create temp',
    description: 'CREATE TEMP TABLE',
    sql: 'CREATE TEMP TABLE probe_temp (id int)',
    developer: 'never',
  },
  {
    id: 'alter',
    label: 'alter',
    description: 'ALTER TABLE public.items ADD COLUMN',
    sql: 'ALTER TABLE public.items ADD COLUMN probe int',
    developer: 'never',
  },
  { id: 'drop', label: 'drop', description: 'DROP TABLE public.items', sql: 'DROP TABLE public.items', developer: 'never' },
  {
    id: 'pg-authid',
    label: 'read pg_authid',
    description: 'SELECT rolpassword FROM pg_authid (SCRAM verifiers)',
    sql: 'SELECT count(rolpassword) FROM pg_authid',
    developer: 'never',
  },
];

/** A role under test: a developer login role, or a service's owner role. */
export type Subject =
  { readonly kind: 'developer'; readonly role: string } | { readonly kind: 'service'; readonly role: string; readonly owns: string };

export interface Scenario {
  readonly name: string;
  /** The access mode the SQL was last applied with. */
  readonly access: DeveloperAccess;
  readonly subjects: readonly Subject[];
  readonly databases: readonly string[];
  /** Developer roles whose names were removed from `developers:` before the SQL was applied. @default none */
  readonly removed?: readonly string[];
}

/** The rule: what the issue asks for, per subject, database and operation. */
export function expected(
  access: DeveloperAccess,
  subject: Subject,
  database: string,
  op: Operation,
  removed: readonly string[] = [],
): Outcome {
  if (subject.kind === 'service') {
    // A service owns its database (everything but the catalog's secrets) and cannot enter any other.
    return subject.owns === database && op.id !== 'pg-authid' ? 'allowed' : 'denied';
  }
  if (access === 'none' || removed.includes(subject.role)) return 'denied';
  if (op.developer === 'read') return 'allowed';
  if (op.developer === 'write') return access === 'read-write' ? 'allowed' : 'denied';
  return 'denied';
}

export interface MatrixRow {
  readonly scenario: string;
  readonly role: string;
  readonly database: string;
  readonly outcomes: Readonly<Record<string, Outcome>>;
}

export function expectedMatrix(scenarios: readonly Scenario[]): MatrixRow[] {
  return scenarios.flatMap((s) =>
    s.subjects.flatMap((subject) =>
      s.databases.map((database) => ({
        scenario: s.name,
        role: subject.role,
        database,
        outcomes: Object.fromEntries(OPERATIONS.map((op) => [op.id, expected(s.access, subject, database, op, s.removed)])),
      })),
    ),
  );
}

/**
 * A Markdown table: one row per scenario × role × database, one column per operation,
 * ✅ allowed / ❌ denied. With `against`, a cell that differs shows `actual (expected X)`.
 */
export function formatMatrix(rows: readonly MatrixRow[], against?: readonly MatrixRow[]): string {
  const header = ['scenario', 'role', 'database', ...OPERATIONS.map((o) => o.label)];
  const mark = (o: Outcome) => (o === 'allowed' ? '✅' : '❌');
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  rows.forEach((row, i) => {
    const other = against?.[i];
    const cells = OPERATIONS.map((op) => {
      const actual = row.outcomes[op.id];
      const want = other?.outcomes[op.id];
      return want && want !== actual ? `${mark(actual)} (expected ${mark(want)})` : mark(actual);
    });
    lines.push(`| ${[row.scenario, row.role, row.database, ...cells].join(' | ')} |`);
  });
  return lines.join('\n');
}

/** The legend printed under the matrix and in the docs. */
export function formatLegend(): string {
  return OPERATIONS.map((o) => `- **${o.label}**: ${o.description}`).join('\n');
}

// Two services sharing a cluster in both environments (test: shared, production: grouped), so
// "a service cannot reach another service's database" is tested under both access modes.
export const MATRIX_FLEET = parseFleet(
  `
name: matrix
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice, bob]
groups: { commerce: {} }
environments:
  test: { namespace: databases, topology: shared, instances: 1, storage: 1Gi, developerAccess: read-write }
  production: { namespace: databases, topology: grouped, instances: 3, storage: 1Gi, developerAccess: read-only }
services:
  - { name: orders, namespace: orders, group: commerce, extensions: [pgcrypto] }
  - { name: payments, namespace: payments, group: commerce }
`,
  'matrix fleet (test/access/matrix.ts)',
);

const SUBJECTS: readonly Subject[] = [
  ...MATRIX_FLEET.developers.map((d): Subject => ({ kind: 'developer', role: developerRoleName(d) })),
  ...MATRIX_FLEET.services.map((s): Subject => ({ kind: 'service', role: s.role, owns: s.database })),
];
export const DATABASES = MATRIX_FLEET.services.map((s) => s.database);
const scenario = (name: string, access: DeveloperAccess, removed?: string[]): Scenario => ({
  name,
  access,
  subjects: SUBJECTS,
  databases: DATABASES,
  removed,
});

/** In the order the test runs them; docs/developer-access.md shows the same. */
export const SCENARIOS: readonly Scenario[] = [
  scenario('test (read-write)', 'read-write'),
  scenario('test, bob removed from developers:', 'read-write', ['dev_bob']),
  scenario('production (read-only)', 'read-only'),
  scenario('test switched to read-only', 'read-only'),
  scenario('test switched to none', 'none'),
];

/** The block between <!-- matrix:start --> and <!-- matrix:end --> in docs/developer-access.md. */
export function docsBlock(): string {
  return `${formatMatrix(expectedMatrix(SCENARIOS))}\n\n${formatLegend()}`;
}

// `npx tsx test/access/matrix.ts` prints the docs block.
if (require.main === module) process.stdout.write(`<!-- matrix:start -->\n${docsBlock()}\n<!-- matrix:end -->\n`);
