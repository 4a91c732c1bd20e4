// A rendered environment brought up on a real PostgreSQL, as far as the attacks of issue 24 need:
// - CloudNativePG: the roles of the DatabaseRole objects and the Cluster's inline
//   `managed.roles` (ensure: absent drops), each with the password of its Secret; the databases
//   of the Database objects; the Cluster's `postgresql.pg_hba` lines placed where the operator
//   places them, before the default rule (cloudnative-pg@v1.30.0 pkg/postgres/configuration.go).
// - Zalando: the `postgresql` object's users (flags, the password of the Secret dbfleet
//   pre-creates) and databases, as zalando/postgres-operator@v2.0.1 creates them.
// Secrets resolve to what External Secrets would write: username from the rendered object,
// password generated once per Secret. The superuser's Secret resolves too (to the server's
// superuser), so a Job that reads it *works* here; the tests assert it is never read.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterSpecManagedRoles } from '../../imports/postgresql.cnpg.io';
import { quoteIdent, quoteLiteral } from '../../lib/access/privileges-sql';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { zalandoCredentialSecretName } from '../../lib/backends/zalando/zalando-cluster';
import { applyDatabases, applyManagedRoles } from '../access/cnpg-emulation';
import { fleetOf } from '../support/fleet';
import { runJobContainer, type JobRun } from '../support/job-runner';
import type { PostgresServer } from '../support/postgres';

export type Obj = KubernetesObject & { spec?: any; data?: Record<string, string> };

/** The objects of one environment of a fleet, as rendered into dist/. */
export function renderEnvironment(fleetYaml: string, environment: string): Obj[] {
  return renderObjects(buildApp(fleetOf(fleetYaml)))
    .filter((o) => o.path.startsWith(`${environment}/`))
    .map((o) => o.object as Obj);
}

export class RenderedWorld {
  /** Secret name → { username, password }. */
  private readonly secrets = new Map<string, { username: string; password: string }>();
  /** Role → password, for logging in as any role of the world. */
  readonly passwords = new Map<string, string>();

  constructor(
    readonly server: PostgresServer,
    private objects: Obj[],
  ) {}

  /** Re-render (a later fleet version) without losing passwords. */
  rerender(objects: Obj[]): void {
    this.objects = objects;
  }

  /** The objects as they stand (a deep copy: revert checks edit it and rerender). */
  rendered(): Obj[] {
    return structuredClone(this.objects);
  }

  /** A Secret outside the rendering (a revert check's login), with a password generated once. */
  addSecret(name: string, username: string): { username: string; password: string } {
    const s = this.secret(name, username);
    this.passwords.set(username, s.password);
    return s;
  }

  find(kind: string, name: string): Obj {
    const found = this.objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name} rendered`);
    return found;
  }

  private secret(name: string, username: string): { username: string; password: string } {
    let s = this.secrets.get(name);
    if (!s) {
      s = { username, password: randomBytes(12).toString('hex') };
      this.secrets.set(name, s);
    }
    return s;
  }

  /** What the CloudNativePG operator does with the rendered roles, databases and pg_hba. */
  async operatorSyncCnpg(): Promise<void> {
    const cluster = this.objects.filter((o) => o.kind === 'Cluster');
    const roles: ClusterSpecManagedRoles[] = [
      ...cluster.flatMap((c) => (c.spec.managed?.roles ?? []) as ClusterSpecManagedRoles[]),
      ...this.objects.filter((o) => o.kind === 'DatabaseRole').map((r) => r.spec as ClusterSpecManagedRoles),
    ];
    const passwords = new Map<string, string>();
    for (const role of roles) {
      if (!role.passwordSecret) continue;
      const s = this.secret(role.passwordSecret.name, role.name);
      passwords.set(role.passwordSecret.name, s.password);
      this.passwords.set(role.name, s.password);
    }
    applyManagedRoles(this.server, roles, passwords);
    await applyDatabases(
      this.server,
      this.objects
        .filter((o) => o.kind === 'Database')
        .map((d) => ({
          name: d.spec.name,
          owner: d.spec.owner,
          extensions: (d.spec.extensions ?? []).map((e: { name: string }) => e.name),
        })),
    );
    this.setHba(cluster.flatMap((c) => (c.spec.postgresql?.pg_hba ?? []) as string[]));
  }

  /** The operator's pg_hba: user rules first, then the default (password) rule. */
  setHba(userRules: readonly string[]): void {
    const file = join(this.server.dir, 'data', 'pg_hba.conf');
    const original = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('host all all 127.0.0.1/32'))
      .join('\n');
    writeFileSync(file, `${[...userRules, original].join('\n')}\n`);
    this.server.psql('postgres', 'SELECT pg_reload_conf();');
  }

  /** What Zalando's operator does with the rendered `postgresql`: users with their Secrets' passwords, databases. */
  async operatorSyncZalando(): Promise<void> {
    const pg = this.objects.find((o) => o.kind === 'postgresql')!;
    const cluster = pg.metadata.name;
    for (const [user, flags] of Object.entries(pg.spec.users as Record<string, string[]>)) {
      const login = !flags.map((f) => f.toUpperCase()).includes('NOLOGIN');
      const s = this.secret(zalandoCredentialSecretName(user, cluster), user);
      this.passwords.set(user, s.password);
      const exists = this.server.psql('postgres', `SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(user)};`).trim() === '1';
      this.server.psql(
        'postgres',
        `${exists ? 'ALTER' : 'CREATE'} ROLE ${quoteIdent(user)} ${login ? 'LOGIN' : 'NOLOGIN'} PASSWORD ${quoteLiteral(s.password)};`,
      );
    }
    await applyDatabases(
      this.server,
      Object.entries(pg.spec.databases as Record<string, string>).map(([name, owner]) => ({ name, owner, extensions: [] })),
    );
    // Patroni writes `patroni.pg_hba` as the whole file. PAM lines are left out (the test server
    // may be built without PAM; no test role is in `zalandos`), and without TLS hostssl is host.
    const hba = (pg.spec.patroni?.pg_hba ?? []) as string[];
    if (hba.length > 0) {
      const lines = hba
        .filter((l) => !/ pam$/.test(l))
        .filter((l) => this.server.ssl || !l.startsWith('hostnossl'))
        .map((l) => (this.server.ssl ? l : l.replace(/^hostssl /, 'host ')));
      writeFileSync(join(this.server.dir, 'data', 'pg_hba.conf'), `${lines.join('\n')}\n`);
      this.server.psql('postgres', 'SELECT pg_reload_conf();');
    }
  }

  /** Resolves a Secret the way External Secrets / the operator would have written it. */
  resolve = (name: string, key: string): string => {
    const superuserSecret =
      name.endsWith('-superuser') || (name.startsWith('postgres.') && name.endsWith('.credentials.postgresql.acid.zalan.do'));
    if (superuserSecret) {
      return key === 'username' ? this.server.superuser : this.server.superuserPassword;
    }
    const s = this.secrets.get(name);
    if (!s) throw new Error(`Secret ${name} has no value in this world (is it rendered?)`);
    if (key !== 'username' && key !== 'password') throw new Error(`Secret ${name} has no key ${key}`);
    return s[key];
  };

  /** Runs a rendered Job (by name) with its ConfigMaps and Secrets, exactly as rendered. */
  async runJob(name: string): Promise<JobRun> {
    const job = this.find('Job', name);
    const configMaps = new Map(this.objects.filter((o) => o.kind === 'ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
    return runJobContainer(this.server, job.spec.template.spec, configMaps, this.resolve);
  }

  /** Logins (username, password) of the Secrets a Job run read. */
  loginsOf(run: JobRun): Array<{ user: string; password: string }> {
    const names = [...new Set(run.secretsRead.map((s) => s.slice(0, s.lastIndexOf('/'))))];
    return names.map((n) => ({ user: this.resolve(n, 'username'), password: this.resolve(n, 'password') }));
  }
}

/** Fails with the Job's output unless it exited 0. */
export function succeeded(run: JobRun): JobRun {
  if (run.code !== 0) throw new Error(`the Job failed (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  return run;
}
