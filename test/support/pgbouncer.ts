// A throwaway PgBouncer for tests, configured the way CloudNativePG configures a Pooler's, where
// that translates to a plain pgbouncer.ini (cloudnative-pg@v1.30.0:pkg/management/pgbouncer/config/
// config.go): the `*` fallback database pointing at the cluster's Service, pool_mode, auth_user
// cnpg_pooler_pgbouncer with auth_query through public.user_search() and auth_dbname postgres,
// auth_type hba with `host all all … md5` (SCRAM when the stored secret is SCRAM), the operator's
// defaults (log_stats 0, ignore_startup_parameters extra_float_digits,options) and the Pooler's
// `parameters` on top. What does not translate: the auth user logs in to PostgreSQL with a TLS
// client certificate in CloudNativePG and with a password here; TLS files; the admin console is a
// peer-authenticated socket there and a password-authenticated admin user here.
//
// Finding the binary: $PGBOUNCER, `pgbouncer` on PATH, /usr/sbin/pgbouncer (Debian package
// `pgbouncer`). pgbouncer refuses to run as root, so as root it runs as the `postgres` OS user.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findPgbouncer(): string | undefined {
  const candidates = [process.env.PGBOUNCER, 'pgbouncer', '/usr/sbin/pgbouncer'].filter((c): c is string => !!c);
  return candidates.find((c) => spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0);
}

/** Why the PgBouncer tests cannot run, or undefined; with DBFLEET_REQUIRE_POSTGRES=1 (CI) a missing binary throws. */
export function pgbouncerUnavailableReason(): string | undefined {
  if (findPgbouncer()) return undefined;
  const reason = 'no pgbouncer binary found (looked at $PGBOUNCER, PATH, /usr/sbin/pgbouncer); install the `pgbouncer` package';
  if (process.env.DBFLEET_REQUIRE_POSTGRES === '1') throw new Error(`DBFLEET_REQUIRE_POSTGRES=1: ${reason}`);
  return reason;
}

/** [major, minor] of the pgbouncer binary. */
export function pgbouncerVersion(binary: string): [number, number] {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout;
  const m = /PgBouncer (\d+)\.(\d+)/.exec(out);
  if (!m) throw new Error(`cannot read the pgbouncer version from: ${out}`);
  return [Number(m[1]), Number(m[2])];
}

/** The auth user CloudNativePG creates for its poolers. */
export const AUTH_USER = 'cnpg_pooler_pgbouncer';
/** CloudNativePG's default auth_query (PoolerSpecPgbouncer.authQuery). */
export const AUTH_QUERY = 'SELECT usename, passwd FROM public.user_search($1)';

export interface PgbouncerOptions {
  /** The Pooler's spec.pgbouncer.poolMode. */
  readonly poolMode: string;
  /** The Pooler's spec.pgbouncer.parameters. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Where the `*` database points (the cluster's -rw/-ro Service in Kubernetes). */
  readonly serverHost: string;
  readonly serverPort: number;
  /** Password of cnpg_pooler_pgbouncer (a TLS client certificate in CloudNativePG). */
  readonly authUserPassword: string;
  /** `auth_dbname = postgres` (PgBouncer ≥ 1.19, as CloudNativePG requires). */
  readonly authDbname: boolean;
  /** server_tls_sslmode: the server offers TLS or not. */
  readonly serverTls: boolean;
  /** The auth user. @default AUTH_USER (CloudNativePG's) */
  readonly authUser?: string;
  /** The auth query. @default AUTH_QUERY (CloudNativePG's) */
  readonly authQuery?: string;
  /** auth_type when the parameters do not set it. @default hba */
  readonly authType?: string;
}

export interface Pgbouncer {
  readonly host: string;
  readonly port: number;
  /** An admin console user (password auth) for SHOW commands. */
  readonly admin: { readonly user: string; readonly password: string };
  readonly ini: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startPgbouncer(options: PgbouncerOptions): Promise<Pgbouncer> {
  const binary = findPgbouncer();
  if (!binary) throw new Error(pgbouncerUnavailableReason());
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? osUser('postgres') : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-pgbouncer-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const write = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    chmodSync(path, 0o600);
    if (owner) chownSync(path, owner.uid, owner.gid);
    return path;
  };
  const port = await freePort();
  const admin = { user: 'dbfleet_admin', password: 'admin-secret' };
  // The operator's defaults, then the user's parameters; ignore_startup_parameters is appended to.
  const defaults: Record<string, string> = { log_stats: '0', ignore_startup_parameters: 'extra_float_digits,options' };
  const params: Record<string, string> = { ...defaults, ...options.parameters };
  if (options.parameters.ignore_startup_parameters)
    params.ignore_startup_parameters = `${defaults.ignore_startup_parameters},${options.parameters.ignore_startup_parameters}`;
  const hba = write('pg_hba.conf', `host pgbouncer ${admin.user} 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 md5\n`);
  const authUser = options.authUser ?? AUTH_USER;
  const userlist = write('userlist.txt', `"${authUser}" "${options.authUserPassword}"\n"${admin.user}" "${admin.password}"\n`);
  const ini = [
    '[databases]',
    `* = host=${options.serverHost} port=${options.serverPort}`,
    '',
    '[pgbouncer]',
    `pool_mode = ${options.poolMode}`,
    `auth_user = ${authUser}`,
    `auth_query = ${options.authQuery ?? AUTH_QUERY}`,
    ...(options.authDbname ? ['auth_dbname = postgres'] : []),
    // A user parameter may override auth_type (it is in the allowed list), as with the operator.
    ...Object.keys(params)
      .sort()
      .map((k) => `${k} = ${params[k]}`),
    ...(params.auth_type ? [] : [`auth_type = ${options.authType ?? 'hba'}`]),
    // Forced by the operator (listen_port 5432, unix_socket_dir, admin_users, TLS files): test equivalents.
    `auth_hba_file = ${hba}`,
    `auth_file = ${userlist}`,
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    `unix_socket_dir = ${dir}`,
    `admin_users = ${admin.user}`,
    `server_tls_sslmode = ${options.serverTls ? 'require' : 'disable'}`,
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    '',
  ].join('\n');
  const iniPath = write('pgbouncer.ini', ini);

  const [cmd, args] = owner ? ['runuser', ['-u', 'postgres', '--', binary, iniPath]] : [binary, [iniPath]];
  const child: ChildProcess = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const log = () => `${output}${existsSync(join(dir, 'pgbouncer.log')) ? readFileSync(join(dir, 'pgbouncer.log'), 'utf8') : ''}`;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    await waitForPort(port, 10_000, () => child.exitCode !== null);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${log()}\n--- pgbouncer.ini ---\n${ini}`, { cause: error });
  }
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    admin,
    ini,
    log,
    async stop() {
      if (stopped) return;
      stopped = true;
      // As root the child is runuser, which does not pass signals on: signal PgBouncer itself (its pidfile).
      const pidFile = join(dir, 'pgbouncer.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
      const signal = (sig: NodeJS.Signals) => {
        if (Number.isInteger(pid) && pid > 0)
          try {
            process.kill(pid, sig);
          } catch {
            // already gone
          }
        if (child.exitCode === null) child.kill(sig);
      };
      const alive = () => child.exitCode === null || (Number.isInteger(pid) && pid > 0 && processExists(pid));
      if (alive()) {
        signal('SIGINT');
        for (let waited = 0; alive() && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
        if (alive()) signal('SIGKILL');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 1_000))]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function osUser(name: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error(`running as root, and pgbouncer refuses root: an OS user \`${name}\` is needed`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, gaveUp: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (gaveUp()) throw new Error('the process exited');
    if (Date.now() > deadline) throw new Error(`port ${port} not open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
