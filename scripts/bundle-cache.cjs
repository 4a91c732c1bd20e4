// Loads a TypeScript entry point of this repository from an esbuild bundle cached under
// node_modules/.cache/dbfleet-bundles, keyed by the content of every source file and the
// lockfile. Running through tsx costs ~0.7 s more per process (it transpiles and resolves every
// import through loader hooks), which is most of a synth; a bundle is rebuilt (~0.5 s) whenever
// anything changes, so it can never be stale.
//
// Runs the app (`cdk8s.yaml`), `npm run plan`, `npm run validate` and the benchmarks:
//   node scripts/bundle-cache.cjs <entry.ts> [args…]
// The entry sees process.argv as if it had been started itself ([node, entry, args…]); if it
// exports `main(args)`, that is called and its result (a number, or a promise of one) is the
// exit code. No tsx at run time: esbuild is only needed when a bundle has to be (re)built.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const SOURCES = ['main.ts', 'charts', 'lib', 'imports', 'package-lock.json'];

function sourceFiles() {
  const files = [];
  const walk = (entry) => {
    const absolute = path.join(root, entry);
    if (!fs.existsSync(absolute)) return;
    if (fs.statSync(absolute).isDirectory()) {
      for (const child of fs.readdirSync(absolute).sort()) walk(path.join(entry, child));
    } else if (/\.(ts|cjs|mjs|js|json)$/.test(entry)) {
      files.push(entry);
    }
  };
  SOURCES.forEach(walk);
  return files;
}

function cacheKey(entry) {
  // The entry itself counts too: it may live outside the source folders (bench/). So does the
  // checkout's path: bundles embed it (the modules' __dirname).
  const hash = createHash('sha256')
    .update(`${process.version}\0${root}\0${entry}\0`)
    .update(fs.readFileSync(path.join(root, entry)));
  for (const file of sourceFiles())
    hash
      .update(file)
      .update('\0')
      .update(fs.readFileSync(path.join(root, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 24);
}

async function build(entry, outfile) {
  const { build: esbuild } = require('esbuild');
  await esbuild({
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
    // Modules that locate files relative to themselves keep their own directory.
    plugins: [
      {
        name: 'keep-dirname',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => {
            const source = fs.readFileSync(args.path, 'utf8');
            if (!source.includes('__dirname')) return undefined;
            return { contents: `const __dirname = ${JSON.stringify(path.dirname(args.path))};\n${source}`, loader: 'ts' };
          });
        },
      },
    ],
  });
}

function bundlePath(entry) {
  const dir = process.env.DBFLEET_BUNDLE_CACHE || path.join(root, 'node_modules', '.cache', 'dbfleet-bundles');
  return path.join(dir, `${path.basename(entry, '.ts')}-${cacheKey(entry)}.cjs`);
}

/** The cached bundle of an entry, built first when missing; resolves to its path. */
async function ensureBundle(entry) {
  const outfile = bundlePath(entry);
  if (!fs.existsSync(outfile)) {
    fs.mkdirSync(path.dirname(outfile), { recursive: true });
    // Build beside and rename: two synths at once never load a half-written bundle.
    const partial = `${outfile}.${process.pid}.tmp`;
    await build(entry, partial);
    fs.renameSync(partial, outfile);
  }
  return outfile;
}

/** The entry's exports, from the cached bundle (built first when missing). */
async function requireBundled(entry) {
  return require(await ensureBundle(entry));
}

/**
 * The same, synchronously, for callers that cannot wait (`dbfleet plan` loading the app in its own
 * process): a missing bundle is built by `node bundle-cache.cjs --build <entry>` (esbuild's
 * plugins, which keep each module's __dirname, only run asynchronously). The module is loaded
 * afresh each time: loading the app is what renders it.
 */
function requireBundledSync(entry) {
  let outfile = bundlePath(entry);
  if (!fs.existsSync(outfile)) {
    require('node:child_process').execFileSync(process.execPath, [__filename, '--build', entry], { stdio: 'inherit' });
    outfile = bundlePath(entry);
  }
  delete require.cache[outfile];
  return require(outfile);
}

module.exports = { requireBundled, requireBundledSync };

/**
 * Runs an entry point as a command: `args` become its process.argv, its `main(args)` (when it
 * exports one) gives the exit code. Errors are printed with their stack and exit 1.
 */
async function runBundled(entry, args) {
  process.argv = [process.argv[0], path.resolve(root, entry), ...args];
  try {
    const exported = await requireBundled(entry);
    if (typeof exported.main === 'function') {
      const code = await exported.main(args);
      if (typeof code === 'number') process.exitCode = code;
    }
  } catch (error) {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  }
}

module.exports.runBundled = runBundled;

// `node scripts/bundle-cache.cjs main.ts [args…]` runs an entry point.
if (require.main === module) {
  const [entry, ...args] = process.argv.slice(2);
  if (entry === '--build' && args[0]) {
    ensureBundle(args[0]).catch((error) => {
      process.stderr.write(`${error?.stack ?? error}\n`);
      process.exitCode = 1;
    });
  } else if (!entry) {
    process.stderr.write('usage: node scripts/bundle-cache.cjs <entry.ts> [args…]\n');
    process.exit(2);
  } else {
    void runBundled(entry, args);
  }
}
