// The secret scan reads every string value of every rendered object (test/support/secret-scan.ts):
// each way a literal secret can slip into a manifest is caught, and the committed dist/ is clean.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { scanForSecrets } from '../support/secret-scan';

const root = join(__dirname, '..', '..');
const job = (env: unknown[], args: string[] = []) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'x', annotations: {} as Record<string, string> },
  spec: { template: { spec: { containers: [{ name: 'c', image: 'ghcr.io/acme/ops:1.0', env, args }] } } },
});

describe('secret scan of rendered output', () => {
  it('finds a literal password given as a container env value (DB_PASSWORD: …), whatever it looks like', () => {
    const findings = scanForSecrets(job([{ name: 'DB_PASSWORD', value: 'correct horse' }]));
    expect(findings.map((f) => f.path)).toContain('spec.template.spec.containers[0].env[0].value');
  });

  it('accepts env entries that read a Secret, and env names that are not secrets', () => {
    const findings = scanForSecrets(
      job([
        { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } },
        { name: 'PGSSLMODE', value: 'verify-full' },
        { name: 'PGPASSFILE', value: '' },
        { name: 'DBFLEET_OWNER_CREDENTIALS', value: '/etc/dbfleet/owners' },
      ]),
    );
    expect(findings).toEqual([]);
  });

  it('finds a generated-looking literal in args and annotations, a password assigned in a command line, a URL with a password', () => {
    const o = job([], ['--dsn', 'host=db password=Tr0ub4dor-and-3']);
    o.metadata.annotations['acme.io/token'] = 'kX9!pQ2vL7@zR4mN8wB1yT6h';
    (o.spec.template.spec.containers[0].args as string[]).push('postgresql://app:s3cr3t-Value@db:5432/app');
    const reasons = scanForSecrets(o).map((f) => `${f.path}: ${f.reason}`);
    expect(reasons.some((r) => r.startsWith('spec.template.spec.containers[0].args[1]: assigns a literal'))).toBe(true);
    expect(reasons.some((r) => r.startsWith('metadata.annotations.acme.io/token: a high-entropy literal'))).toBe(true);
    expect(reasons.some((r) => r.startsWith('spec.template.spec.containers[0].args[2]: a URL carries a password'))).toBe(true);
  });

  it('finds a known test password anywhere, e.g. in ConfigMap data', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { note: 'use hunter2 to log in' } };
    expect(scanForSecrets(cm, { known: ['hunter2'] })).toEqual([{ path: 'data.note', reason: 'contains a known test password' }]);
  });

  it('allows what is provably not a secret: templates over the store, Secret references, image digests, commit ids', () => {
    const es = {
      spec: {
        target: { template: { data: { uri: 'postgresql://{{ .username }}:{{ .password | urlquery }}@acme-rw:5432/orders' } } },
      },
      image: `ghcr.io/cloudnative-pg/postgresql:17.6@sha256:${'ab12'.repeat(16)}`,
      catalog: 'host=acme-rw port=5432 dbname=orders user=orders secret=orders/orders-db',
      uses: `actions/checkout@${'0123456789abcdef0123'.repeat(2)}`,
      script: 'psql "$PGURI" -c "select 1" && PGPASSWORD="${PGPASSWORD}" pg_dump',
      applySh:
        'owners=${DBFLEET_OWNER_CREDENTIALS:?names the directory of the owner credentials}\n  PGPASSWORD=$(cat "$owners/$1/password")\n  psql',
    };
    expect(scanForSecrets(es)).toEqual([]);
  });

  it('finds nothing in the committed dist/', () => {
    const findings: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.yaml'))
          for (const doc of loadAll(readFileSync(path, 'utf8')))
            for (const f of scanForSecrets(doc)) findings.push(`${path.slice(root.length + 1)}: ${f.path}: ${f.reason}`);
      }
    };
    walk(join(root, 'dist'));
    expect(findings).toEqual([]);
  });
});

// Attack on issue 33: each of these slipped past the scan (a literal password rendered in plain sight).
describe('secret scan: literals the key names or the command line give away', () => {
  const paths = (o: unknown) => scanForSecrets(o).map((f) => f.path);
  it('a ConfigMap value or an annotation under a key named like a secret', () => {
    expect(paths({ kind: 'ConfigMap', data: { PGPASSWORD: 'hunter2hunter2' } })).toContain('data.PGPASSWORD');
    expect(paths({ metadata: { annotations: { 'acme.io/db-password': 'Summer2024!' } } })).toContain(
      'metadata.annotations.acme.io/db-password',
    );
  });
  it("a Secret's stringData or data: rendered output never carries a Secret's content", () => {
    expect(paths({ apiVersion: 'v1', kind: 'Secret', stringData: { user: 'app', pw: 'correct-horse' } })).toContain('stringData.pw');
    expect(paths({ apiVersion: 'v1', kind: 'Secret', data: { x: 'aHVudGVyMg==' } })).toContain('data.x');
  });
  it('a password given as the argument after --password', () => {
    expect(paths({ args: ['--db-password', 'hunter2hunter2'] })).toContain('args[1]');
  });
  it('a command substitution that prints a literal into a password variable', () => {
    expect(paths({ data: { 'apply.sh': '  PGPASSWORD=$(printf %s Tr0ub4dor3xQ)\n  export PGPASSWORD' } })).toContain('data.apply.sh');
    // reading the mounted Secret's file is how it should be done
    expect(paths({ data: { 'apply.sh': '  PGPASSWORD=$(cat "$owners/$1/password")\n' } })).toEqual([]);
  });
  // Review of the scan (issue 33, low): these four slipped past it.
  it('a URL with an empty user name and a password', () => {
    expect(paths({ data: { dsn: 'postgresql://:hunter2hunter2@db:5432/app' } })).toContain('data.dsn');
  });
  it('a password assigned to pwd= (ODBC/JDBC style)', () => {
    expect(paths({ args: ['Server=db;Database=app;Uid=app;Pwd=hunter2hunter2'] })).toContain('args[0]');
  });
  it('an AWS access key id in an env value or a config file', () => {
    expect(paths({ env: [{ name: 'AWS_ACCESS_KEY', value: 'AKIAIOSFODNN7EXAMPLE' }] })).toContain('env[0].value');
    expect(paths({ data: { 'config.ini': '[default]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\n' } })).toContain('data.config.ini');
  });
});

// Attack on issue 33 (the allow-list and key names): each of these passed the scan.
describe('secret scan: keys that hold a key, templates with a constant, the allow-list only where it is provable', () => {
  const paths = (o: unknown) => scanForSecrets(o).map((f) => f.path);
  it('a value under api_key, secret_key, private-key, aws_secret_access_key or an env MYSQL_PWD (not a reference like secretKey)', () => {
    for (const key of ['api_key', 'API_KEY', 'secret_key', 'private-key', 'aws_secret_access_key'])
      expect(paths({ data: { [key]: 'Summer2024!' } }), key).toContain(`data.${key}`);
    expect(paths({ env: [{ name: 'MYSQL_PWD', value: 'Summer2024!' }] })).toContain('env[0].value');
    // External Secrets' secretKey / remoteKey name a key; a secretKeyRef's key too
    expect(paths({ secretKey: 'password', remoteRef: { key: 'databases/test/orders', property: 'password' } })).toEqual([]);
  });
  it('an AWS secret access key, whose slashes split it into short words', () => {
    expect(paths({ data: { note: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } })).toContain('data.note');
  });
  it('a constant inside a Go template, or a literal glued to one, under a key named like a secret', () => {
    expect(paths({ data: { note: '{{ "kX9!pQ2vL7@zR4mN8wB1yT6h" }}' } })).toContain('data.note');
    expect(paths({ data: { password: 'Summer2024!{{ .suffix }}' } })).toContain('data.password');
    // the store's value where the password goes stays allowed
    expect(paths({ data: { '.pgpass': 'acme-rw:5432:orders:orders:{{ .password }}' } })).toEqual([]);
  });
  it('40 or 64 hex digits are a key unless they stand as a commit pin or an image digest', () => {
    const hex40 = '3f786850e387550fdab836ed7e6dc881de23001b';
    const hex64 = '9715665844fb088ba6e17181cfc2e2505b3a711e7a293ac721490175f9515233';
    expect(paths({ metadata: { labels: { 'acme.io/rev': hex40 } } })).toContain('metadata.labels.acme.io/rev');
    expect(paths({ data: { note: `sha256:${hex64}` } })).toContain('data.note');
    expect(paths({ uses: `actions/checkout@${hex40}`, image: `ghcr.io/acme/ops:1.0@sha256:${hex64}` })).toEqual([]);
  });
  it('a known test password in any letter case, without being told which', () => {
    expect(paths({ data: { note: 'ADMIN-SECRET' } })).toContain('data.note');
  });
});
