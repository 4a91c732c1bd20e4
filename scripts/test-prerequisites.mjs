#!/usr/bin/env node
// `npm test` runs this first (the `pretest` script): it makes sure the tools the tests drive for
// real are installed. Missing Debian packages are installed when it can (root, or password-less
// sudo, and apt-get); otherwise it stops at once with one line saying what to install.
//
// To add a tool, append one entry to PREREQUISITES (docs/testing.md):
//   package: the Debian package that provides it
//   needs:   what the tests use it for (shown when it is missing)
//   command: a program that must be on PATH, or
//   path:    a file that must exist (`*` matches one path segment)
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PREREQUISITES = [
  {
    package: 'postgresql',
    needs: 'PostgreSQL server binaries (developer access on a real server)',
    path: '/usr/lib/postgresql/*/bin/initdb',
  },
  { package: 'prometheus', needs: 'promtool (alert rule tests)', command: 'promtool' },
  { package: 'buildah', needs: 'buildah (the ops image is built for real: test/ops-image)', command: 'buildah' },
  { package: 'podman', needs: 'podman (the ops image is run for real: test/ops-image)', command: 'podman' },
  { package: 'runc', needs: 'runc (the OCI runtime podman runs the ops image with)', command: 'runc' },
  { package: 'lua5.1', needs: 'Lua 5.1 (the Argo CD health checks run as Argo CD runs them: test/gitops)', command: 'lua5.1' },
  { package: 'pgbouncer', needs: 'PgBouncer (the app Secret through a real pooler, test/pooling)', path: '/usr/sbin/pgbouncer' },
];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The MongoDB simulator of the mongo-snapshot end-to-end tests: optional locally, required in CI. */
const MONGO_SIM = resolve(root, process.env.MONGO_SIM_DIR ?? '../shared/mongo-sim');

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** Does a path with `*` segments match an existing file? */
function globExists(pattern) {
  const parts = pattern.split('/');
  const walk = (base, i) => {
    if (i === parts.length) return existsSync(base);
    if (parts[i] !== '*') return walk(join(base, parts[i]), i + 1);
    let names;
    try {
      names = readdirSync(base);
    } catch {
      return false;
    }
    return names.some((name) => walk(join(base, name), i + 1));
  };
  return walk(pattern.startsWith('/') ? '/' : '.', pattern.startsWith('/') ? 1 : 0);
}

export function isPresent(p) {
  if (p.command) return onPath(p.command);
  if (p.path) return globExists(p.path);
  throw new Error(`prerequisite ${p.package}: give a command or a path`);
}

function run(command, args) {
  const r = spawnSync(command, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function install(packages) {
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!onPath('apt-get') || (!asRoot && !sudo)) return false;
  const cmd = (c, args) => (asRoot ? run(c, args) : run('sudo', ['-n', c, ...args]));
  process.stderr.write(`test prerequisites: installing ${packages.join(' ')} with apt-get\n`);
  cmd('apt-get', ['update', '-qq']);
  // The packages' services are never started (policy-rc.d refuses): the tests start their own.
  // --no-install-recommends keeps the Prometheus server's web assets and exporters out.
  const policy = '/usr/sbin/policy-rc.d';
  const hadPolicy = existsSync(policy);
  if (!hadPolicy) cmd('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > ${policy} && chmod +x ${policy}`]);
  try {
    cmd('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  } finally {
    if (!hadPolicy) cmd('rm', ['-f', policy]);
  }
  return true;
}

function main() {
  if (process.env.DBFLEET_SKIP_PREREQUISITES === '1') return 0;
  const inCi = Boolean(process.env.CI) || process.env.DBFLEET_CI === '1';
  const missing = PREREQUISITES.filter((p) => !isPresent(p));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((p) => p.package))];
    let installed = false;
    try {
      installed = install(packages);
    } catch (error) {
      process.stderr.write(`test prerequisites: ${error.message}\n`);
    }
    const still = installed ? missing.filter((p) => !isPresent(p)) : missing;
    if (still.length > 0) {
      process.stderr.write(
        `npm test needs ${still.map((p) => `${p.package} for ${p.needs}`).join(', ')}: run \`sudo apt-get install -y --no-install-recommends ${[...new Set(still.map((p) => p.package))].join(' ')}\` (or DBFLEET_SKIP_PREREQUISITES=1 npm test to run without them; tests that need them skip or fail)\n`,
      );
      return 1;
    }
  }
  if (!existsSync(join(MONGO_SIM, 'sim.mjs'))) {
    if (inCi) {
      process.stderr.write(
        `npm test in CI needs the MongoDB simulator at ${MONGO_SIM} (set MONGO_SIM_DIR): the mongo-snapshot end-to-end tests may not be skipped in CI\n`,
      );
      return 1;
    }
    process.stderr.write(
      `test prerequisites: no MongoDB simulator at ${MONGO_SIM}: the mongo-snapshot end-to-end tests will be SKIPPED (set MONGO_SIM_DIR; CI requires it)\n`,
    );
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
