#!/usr/bin/env node
// Bundles lib/mongo-snapshot/cli.ts into ONE file, build/mongo-snapshot.cjs, that runs with plain `node`
// and no node_modules. The driver's optional native/cloud add-ons (kerberos, snappy, zstd, client-side
// encryption, AWS/GCP credential providers, socks) stay external: the driver loads them lazily and only
// when a connection string asks for them; this tool needs none of them for SCRAM/X.509 over TLS.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const outfile = path.join(root, 'build', 'mongo-snapshot.cjs');

export const OPTIONAL_EXTERNALS = [
  'kerberos', 'snappy', '@mongodb-js/zstd', 'mongodb-client-encryption', '@aws-sdk/credential-providers',
  'gcp-metadata', 'socks', '@mongodb-js/saslprep-optional',
];

export async function buildMongoSnapshot({ quiet = false } = {}) {
  mkdirSync(path.dirname(outfile), { recursive: true });
  const started = Date.now();
  const result = await build({
    entryPoints: [path.join(root, 'lib', 'mongo-snapshot', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    sourcemap: false,
    external: OPTIONAL_EXTERNALS,
    banner: { js: '#!/usr/bin/env node' },
    logLevel: quiet ? 'error' : 'warning',
    metafile: true,
  });
  chmodSync(outfile, 0o755);
  if (!quiet) {
    const kb = (statSync(outfile).size / 1024).toFixed(0);
    process.stdout.write(`built ${path.relative(root, outfile)} (${kb} KiB) in ${Date.now() - started} ms\n`);
  }
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildMongoSnapshot().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  });
}
