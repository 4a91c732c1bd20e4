// What Zalando's postgres-operator does with a database owner's credentials Secret and role at one
// sync of a cluster, transcribed from zalando/postgres-operator@v2.0.1 for the path dbfleet uses
// (manifest users, no Teams API, no infrastructure roles, password_rotation_interval 90 days):
// - pkg/cluster/sync.go syncSecrets → updateSecret → checkForPasswordRotation / rotatePasswordInSecret
//   (the Secret may be rewritten: a reset to the user's own name with a random password when its
//   rotation is off and the Secret names another user; a rotation when nextRotation has passed);
// - then "for non-infrastructure role - update the role with username and password from secret",
//   a Secret naming another user making that user a rotation user, member of the owner;
// - pkg/cluster/sync.go syncRoles ("copy rolconfig to rotation users", "remove group role from
//   dbUsers") and pkg/util/users/users.go ProduceSyncRequests / ExecuteSyncRequests: CREATE ROLE …
//   IN ROLE, ALTER ROLE … PASSWORD when it differs, missing flags and memberships added (never
//   removed), `RESET ALL` + `SET` when the parameters differ.
// It runs as the superuser, as the operator does (it is the operator, not one of dbfleet's Jobs).
// One deviation: the operator compares the stored hash with the password's; this keeps the last
// password it set per role (and treats a NULL one as different), which decides the same.
import { randomBytes } from 'node:crypto';
import { ZALANDO_ROTATION_ROLE, zalandoCredentialSecretName } from '../../lib/backends/zalando/zalando-cluster';
import type { PostgresServer } from '../support/postgres';

export type SecretData = Record<string, string>;

const ROTATION_INTERVAL_DAYS = 90;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class ZalandoOperatorUsers {
  /** The password the operator last set per role. */
  private readonly setPasswords = new Map<string, string>();
  /** What it did, for failure messages. */
  readonly log: string[] = [];

  constructor(private readonly pg: PostgresServer) {}

  /** One sync of the database owners of `manifest` (a rendered `postgresql`), with `secrets` (name → data) as they are now. */
  sync(manifest: { metadata: { name: string }; spec: any }, secrets: Map<string, SecretData>, now = new Date()): void {
    const spec = manifest.spec;
    const owners = [...new Set(Object.values(spec.databases as Record<string, string>))].sort();
    for (const owner of owners) {
      const flags = spec.users[owner] as string[];
      const secretName = zalandoCredentialSecretName(owner, manifest.metadata.name);
      let secret = secrets.get(secretName);
      if (!secret) {
        // generateUserSecrets: a new Secret with a random password
        secret = { username: owner, password: randomBytes(24).toString('base64url') };
        secrets.set(secretName, secret);
        this.log.push(`created Secret ${secretName} with a random password`);
      } else {
        this.checkForPasswordRotation(owner, secretName, secret, spec, now);
      }
      const user = {
        name: secret.username,
        password: secret.password,
        login: !flags.map((f) => f.toUpperCase()).includes('NOLOGIN'),
        memberOf: secret.username !== owner ? [owner] : [],
        parameters: {} as Record<string, string>,
      };
      this.syncRole(owner, user);
    }
    // dbfleet's keeper login (CREATEROLE, PostgreSQL <= 15): a manifest user whose Secret the
    // operator generates (dbfleet renders none), its rotation ignored (usersIgnoringSecretRotation).
    if (spec.users[ZALANDO_ROTATION_ROLE]) {
      const secretName = zalandoCredentialSecretName(ZALANDO_ROTATION_ROLE, manifest.metadata.name);
      if (!secrets.has(secretName)) {
        secrets.set(secretName, { username: ZALANDO_ROTATION_ROLE, password: randomBytes(24).toString('base64url') });
        this.log.push(`generated ${ZALANDO_ROTATION_ROLE}'s Secret ${secretName}`);
      }
      const secret = secrets.get(secretName)!;
      const flags = (spec.users[ZALANDO_ROTATION_ROLE] as string[]).map((f) => f.toUpperCase());
      this.syncRole(ZALANDO_ROTATION_ROLE, {
        name: secret.username,
        password: secret.password,
        login: true,
        memberOf: [],
        parameters: {},
        flags,
      });
    }
  }

  private checkForPasswordRotation(owner: string, secretName: string, secret: SecretData, spec: any, now: Date): void {
    const inManifest = (spec.usersWithSecretRotation ?? []).includes(owner) || (spec.usersWithInPlaceSecretRotation ?? []).includes(owner);
    const ignoring = (spec.usersIgnoringSecretRotation ?? []).includes(owner);
    // Global enable_password_rotation is off (the default), and would spare owners anyway.
    if (inManifest && !ignoring) {
      let next = RFC3339.test(secret.nextRotation ?? '') ? new Date(secret.nextRotation) : undefined;
      const clamp = new Date(now.getTime() + ROTATION_INTERVAL_DAYS * 86_400_000);
      if (!next) {
        next = clamp;
        secret.nextRotation = clamp.toISOString().replace(/\.\d+Z$/, 'Z');
        this.log.push(`rotation date not found in secret ${secretName}: set to ${secret.nextRotation}`);
      }
      if (next > clamp) next = clamp;
      const yymmdd = now.toISOString().slice(2, 10).replace(/-/g, '');
      const expected = `${owner}${yymmdd}`;
      if (now > next || secret.username.length > expected.length) {
        secret.username = expected;
        secret.password = randomBytes(24).toString('base64url');
        secret.nextRotation = clamp.toISOString();
        this.log.push(`ROTATED ${secretName}: new user ${expected} with a random password`);
      }
    } else if (secret.username !== owner) {
      // "username might not match if password rotation has been disabled again"
      secret.username = owner;
      secret.password = randomBytes(24).toString('base64url');
      secret.nextRotation = '';
      this.log.push(`RESET ${secretName}: username ${owner}, random password`);
    }
  }

  private syncRole(
    owner: string,
    user: { name: string; password: string; login: boolean; memberOf: string[]; parameters: Record<string, string>; flags?: string[] },
  ) {
    const names = [user.name, ...user.memberOf];
    const rows = this.pg
      .psql(
        'postgres',
        `SELECT a.rolname, a.rolpassword IS NULL, a.rolcanlogin, a.rolcreaterole, coalesce(array_to_string(r.rolconfig, chr(31)), ''),
                coalesce((SELECT string_agg(g.rolname, ',') FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = a.oid), '')
           FROM pg_authid a JOIN pg_roles r ON r.oid = a.oid WHERE a.rolname IN (${names.map((n) => `'${n}'`).join(',')})`,
      )
      .trim()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        const [name, noPassword, canLogin, createRole, config, memberOf] = l.split('|');
        return {
          name,
          noPassword: noPassword === 't',
          canLogin: canLogin === 't',
          createRole: createRole === 't',
          parameters: Object.fromEntries(
            config
              .split('\u001f')
              .filter((x) => x)
              .map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]),
          ),
          memberOf: memberOf ? memberOf.split(',') : [],
        };
      });
    const db = new Map(rows.map((r) => [r.name, r]));
    // a rotation user takes its group role's settings; the group role is left alone
    if (user.memberOf.length > 0) {
      user.parameters = db.get(owner)?.parameters ?? {};
      db.delete(owner);
    }
    const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
    const ident = (v: string) => `"${v}"`;
    const statements: string[] = [];
    const existing = db.get(user.name);
    const setParameters = () => [
      `ALTER ROLE ${ident(user.name)} RESET ALL`,
      ...Object.entries(user.parameters).map(([k, v]) => `ALTER ROLE ${ident(user.name)} SET ${k} TO ${v.startsWith("'") ? v : quote(v)}`),
    ];
    if (!existing) {
      statements.push(
        `CREATE ROLE ${ident(user.name)} ${user.login ? 'LOGIN' : ''} ${(user.flags ?? []).join(' ')} ${user.memberOf.length ? `IN ROLE ${user.memberOf.map(ident).join(',')}` : ''} ENCRYPTED PASSWORD ${quote(user.password)}`,
      );
      if (Object.keys(user.parameters).length > 0) statements.push(...setParameters());
    } else {
      const alter: string[] = [];
      if (existing.noPassword || this.setPasswords.get(user.name) !== user.password)
        alter.push(`ENCRYPTED PASSWORD ${quote(user.password)}`);
      if (user.login && !existing.canLogin) alter.push('LOGIN');
      if ((user.flags ?? []).includes('CREATEROLE') && !existing.createRole) alter.push('CREATEROLE');
      if (alter.length) statements.push(`ALTER ROLE ${ident(user.name)} ${alter.join(' ')}`);
      const missing = user.memberOf.filter((m) => !existing.memberOf.includes(m));
      if (missing.length) statements.push(`GRANT ${missing.map(ident).join(',')} TO ${ident(user.name)}`);
      const same =
        Object.keys(user.parameters).length === Object.keys(existing.parameters).length &&
        Object.entries(user.parameters).every(([k, v]) => existing.parameters[k] === v);
      if (Object.keys(user.parameters).length > 0 && !same) statements.push(...setParameters());
    }
    if (statements.length === 0) return;
    this.pg.psql('postgres', statements.join(';\n') + ';');
    this.setPasswords.set(user.name, user.password);
    this.log.push(...statements.map((s) => s.replace(/PASSWORD '[^']*'/, "PASSWORD '…'")));
  }
}
