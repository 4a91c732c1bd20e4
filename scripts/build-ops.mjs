#!/usr/bin/env node
// Bundles every ops command into ONE file each, build/ops/<command>.cjs, that runs with plain `node` and no
// node_modules: the files the ops image (Dockerfile.ops) ships in /app. Convention (docs/ops-image.md):
//   - mongo-snapshot: lib/mongo-snapshot/cli.ts
//   - any other command: lib/ops/<command>.ts (a file directly in lib/ops; helpers live in sub-folders or lib/*)
// Each entry runs itself when executed (`if (require.main === module) main(...)`) and exits with its own code.
// The driver's optional native/cloud add-ons (kerberos, snappy, zstd, client-side encryption, AWS/GCP credential
// providers, socks) stay external: the driver loads them lazily and only when a connection string asks for them.
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const outdir = path.join(root, 'build', 'ops');
/** kept for callers of the old script */
export const outfile = path.join(outdir, 'mongo-snapshot.cjs');

export const OPTIONAL_EXTERNALS = [
  'kerberos', 'snappy', '@mongodb-js/zstd', 'mongodb-client-encryption', '@aws-sdk/credential-providers',
  'gcp-metadata', 'socks', '@mongodb-js/saslprep-optional',
];

const COMMAND_NAME = /^[a-z][a-z0-9-]*$/;

/** The ops commands: name → entry file (absolute). */
export function opsCommands() {
  const commands = { 'mongo-snapshot': path.join(root, 'lib', 'mongo-snapshot', 'cli.ts') };
  const dir = path.join(root, 'lib', 'ops');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      const full = path.join(dir, f);
      if (!f.endsWith('.ts') || f.endsWith('.d.ts') || f.endsWith('.test.ts') || !statSync(full).isFile()) continue;
      const name = f.slice(0, -3);
      if (!COMMAND_NAME.test(name)) throw new Error(`lib/ops/${f}: a command name is lower-case letters, digits and dashes`);
      if (commands[name]) throw new Error(`lib/ops/${f}: command ${name} is defined twice`);
      commands[name] = full;
    }
  }
  return commands;
}

export async function buildOps({ quiet = false } = {}) {
  mkdirSync(outdir, { recursive: true });
  const started = Date.now();
  const commands = opsCommands();
  await Promise.all(Object.entries(commands).map(async ([name, entry]) => {
    const file = path.join(outdir, `${name}.cjs`);
    await build({
      entryPoints: [entry],
      outfile: file,
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
    });
    chmodSync(file, 0o755);
  }));
  if (!quiet) {
    for (const name of Object.keys(commands)) {
      const file = path.join(outdir, `${name}.cjs`);
      process.stdout.write(`built ${path.relative(root, file)} (${(statSync(file).size / 1024).toFixed(0)} KiB)\n`);
    }
    process.stdout.write(`${Object.keys(commands).length} command(s) in ${Date.now() - started} ms\n`);
  }
  return commands;
}

/** @deprecated name: builds every ops command */
export const buildMongoSnapshot = buildOps;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildOps().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  });
}
