// Issue 27, "Blocker: the starter repo does not install": dbfleet is published to a real npm
// registry (verdaccio, pinned devDependency, on 127.0.0.1) and the README's "Start your own fleet
// repository" block runs verbatim against it: init → npm install → synth → commit → plan →
// validate; then `npm ci` in a clean clone (the starter's .ci/run). A tarball install
// (`npx --package ./dbfleet-<v>.tgz dbfleet init`) must write a spec that resolves from the new
// repository.
//
// Where dbfleet's own dependencies come from: verdaccio serves dbfleet from its storage only (no
// uplink for it: a published dbfleet could otherwise shadow the one under test) and proxies every
// other package to the npm registry npm is configured with (reachable from every machine of this
// project); npm prefers its local cache (prefer-offline), so tarballs already cached by this
// repository's `npm ci` are not downloaded again, and verdaccio's own storage is kept under
// node_modules/.cache between runs.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
let work: string;
let registry: string;
let verdaccio: ChildProcess | undefined;
let env: NodeJS.ProcessEnv;

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 600_000 });
}

function ok(result: SpawnSyncReturns<string>): string {
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  return `${result.stdout}${result.stderr}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The README's block under the local-registry-test marker, as written. */
function readmeSteps(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- test\/package\/local-registry\.test\.ts runs this block verbatim[^>]*-->\n```bash\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README: the marked bash block of "Start your own fleet repository" is missing');
  return block[1];
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dbfleet-registry-'));
  const port = await freePort();
  registry = `http://127.0.0.1:${port}/`;
  const uplink = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).stdout.trim() || 'https://registry.npmjs.org/';
  const storage = join(root, 'node_modules', '.cache', 'dbfleet-verdaccio', 'storage');
  // dbfleet under test is published fresh every run.
  rmSync(join(storage, 'dbfleet'), { recursive: true, force: true });
  mkdirSync(storage, { recursive: true });
  writeFileSync(
    join(work, 'verdaccio.yaml'),
    `storage: ${storage}
auth:
  htpasswd: { file: ${join(work, 'htpasswd')}, max_users: 10 }
uplinks:
  npmjs: { url: ${uplink}, timeout: 60s, max_fails: 5, fail_timeout: 1m }
packages:
  dbfleet: { access: $all, publish: $authenticated }
  '**': { access: $all, publish: $authenticated, proxy: npmjs }
log: { type: stdout, format: pretty, level: error }
server: { keepAliveTimeout: 60 }
`,
  );
  verdaccio = spawn(
    process.execPath,
    [
      join(root, 'node_modules', 'verdaccio', 'bin', 'verdaccio'),
      '--config',
      join(work, 'verdaccio.yaml'),
      '--listen',
      `127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  verdaccio.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  verdaccio.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${registry}-/ping`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 120) throw new Error(`verdaccio did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // A user to publish as: verdaccio's CouchDB-style login answers with a token.
  const login = await fetch(`${registry}-/user/org.couchdb.user:ci`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci', password: 'ci-password-1' }),
  });
  const { token } = (await login.json()) as { token: string };
  const npmrc = join(work, 'npmrc');
  writeFileSync(npmrc, `registry=${registry}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  env = { ...process.env };
  for (const name of ['DBFLEET_SCHEMAS', 'DBFLEET_CONFIG', 'DBFLEET_DIST', 'CDK8S_OUTDIR']) delete env[name];
  for (const name of Object.keys(env)) if (name.toLowerCase().startsWith('npm_config_')) delete env[name];
  Object.assign(env, {
    npm_config_userconfig: npmrc,
    npm_config_registry: registry,
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    GIT_AUTHOR_NAME: 'ci',
    GIT_AUTHOR_EMAIL: 'ci@example.com',
    GIT_COMMITTER_NAME: 'ci',
    GIT_COMMITTER_EMAIL: 'ci@example.com',
  });

  // What `npm publish` runs as prepack, then publish the tarball.
  ok(run(process.execPath, [join(root, 'scripts', 'build-package.mjs')], root));
  if (!existsSync(join(root, 'build', 'ops', 'mongo-snapshot.cjs')))
    ok(run(process.execPath, [join(root, 'scripts', 'build-ops.mjs')], root));
  ok(run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], root));
  ok(run('npm', ['publish', join(work, `dbfleet-${version}.tgz`), '--ignore-scripts'], work));
}, 900_000);

afterAll(() => {
  verdaccio?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the package installs the way the README says', () => {
  it('the README steps run verbatim against a local registry: init, npm install, synth, commit, plan, validate', () => {
    const fleets = join(work, 'fleets');
    mkdirSync(fleets);
    const output = ok(
      spawnSync('bash', ['-euo', 'pipefail', '-c', readmeSteps()], { cwd: fleets, env, encoding: 'utf8', timeout: 900_000 }),
    );
    const repo = join(fleets, 'acme-databases');
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.dbfleet).toBe(`^${version}`);
    const lock = readFileSync(join(repo, 'package-lock.json'), 'utf8');
    expect(lock).toContain(`${registry}dbfleet/-/dbfleet-${version}.tgz`);
    expect(output).toMatch(/dbfleet: \d+ objects rendered into dist\//);
    expect(output).toContain('no changes'); // plan right after the first commit
    expect(output).toMatch(/^OK: \d+ objects/m);
    // `npm run synth` (dbfleet synth): no cdk8s upgrade check, no stack trace.
    expect(output).not.toMatch(/new version|cdk8s-cli is available|\n\s+at /);
  }, 900_000);

  it('npm ci in a clean clone: the starter .ci/run passes and prints one line per step', () => {
    const repo = join(work, 'fleets', 'acme-databases');
    const clean = join(work, 'clean');
    ok(run('git', ['clone', '-q', repo, clean], work));
    expect(existsSync(join(clean, 'node_modules'))).toBe(false);
    const output = ok(run('bash', ['.ci/run'], clean));
    expect(output.trim().split('\n')).toEqual(['ok: npm ci', 'ok: render', 'ok: dist/ is current', 'ok: validate dist/']);
  }, 900_000);

  it('from a tarball: init copies it into the repository and depends on it relatively, so a clean clone installs', () => {
    const from = join(work, 'elsewhere');
    mkdirSync(from);
    cpSync(join(work, `dbfleet-${version}.tgz`), join(from, `dbfleet-${version}.tgz`));
    // As the README says, from the folder holding the tarball; the repository is created beside it.
    ok(run('npx', ['--yes', '--package', `./dbfleet-${version}.tgz`, 'dbfleet', 'init', 'acme-tarball'], from));
    const repo = join(from, 'acme-tarball');
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.dbfleet).toBe(`file:vendor/dbfleet-${version}.tgz`);
    expect(readdirSync(join(repo, 'vendor'))).toEqual([`dbfleet-${version}.tgz`]);
    // The lockfile resolves it relative to the repository: a copy elsewhere installs with npm ci.
    ok(run('npm', ['install', '--package-lock-only'], repo));
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
    expect(lock.packages['node_modules/dbfleet'].resolved).toBe(`file:vendor/dbfleet-${version}.tgz`);
    const moved = join(work, 'moved', 'acme-tarball');
    cpSync(repo, moved, { recursive: true });
    ok(run('npm', ['ci'], moved));
    expect(existsSync(join(moved, 'node_modules', 'dbfleet', 'build', 'index.cjs'))).toBe(true);
  }, 900_000);
});

describe('the README figures of the package', () => {
  it('the tarball size the README states is current (within 10 %)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const stated = /the package tarball is \*\*[\d.]+ MB\*\* \(([\d,]+) bytes/.exec(readme);
    expect(stated, 'README: "the package tarball is **N MB** (N bytes"').not.toBeNull();
    const size = readFileSync(join(work, `dbfleet-${version}.tgz`)).length;
    expect(Math.abs(size - Number(stated![1].replace(/,/g, ''))) / size).toBeLessThan(0.1);
  });
});
