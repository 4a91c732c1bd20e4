// Loads a TypeScript entry point of this repository from an esbuild bundle cached under
// node_modules/.cache/dbfleet-bundles, keyed by the content of every source file and the
// lockfile. Running through tsx costs ~0.7 s more per process (it transpiles and resolves every
// import through loader hooks), which is most of a synth; a bundle is rebuilt (~0.5 s) whenever
// anything changes, so it can never be stale.
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
  // The entry itself counts too: it may live outside the source folders (bench/).
  const hash = createHash('sha256').update(`${process.version}\0${entry}\0`).update(fs.readFileSync(path.join(root, entry)));
  for (const file of sourceFiles()) hash.update(file).update('\0').update(fs.readFileSync(path.join(root, file))).update('\0');
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
    plugins: [{
      name: 'keep-dirname',
      setup(b) {
        b.onLoad({ filter: /\.ts$/ }, (args) => {
          const source = fs.readFileSync(args.path, 'utf8');
          if (!source.includes('__dirname')) return undefined;
          return { contents: `const __dirname = ${JSON.stringify(path.dirname(args.path))};\n${source}`, loader: 'ts' };
        });
      },
    }],
  });
}

/** The entry's exports, from the cached bundle (built first when missing). */
async function requireBundled(entry) {
  const dir = process.env.DBFLEET_BUNDLE_CACHE || path.join(root, 'node_modules', '.cache', 'dbfleet-bundles');
  const outfile = path.join(dir, `${path.basename(entry, '.ts')}-${cacheKey(entry)}.cjs`);
  if (!fs.existsSync(outfile)) {
    fs.mkdirSync(dir, { recursive: true });
    // Build beside and rename: two synths at once never load a half-written bundle.
    const partial = `${outfile}.${process.pid}.tmp`;
    await build(entry, partial);
    fs.renameSync(partial, outfile);
  }
  return require(outfile);
}

module.exports = { requireBundled };

// `node scripts/bundle-cache.cjs main.ts` runs an entry point.
if (require.main === module) {
  const entry = process.argv[2];
  if (!entry) {
    process.stderr.write('usage: node scripts/bundle-cache.cjs <entry.ts>\n');
    process.exit(2);
  }
  requireBundled(entry).catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}
