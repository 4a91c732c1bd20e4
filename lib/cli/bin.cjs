#!/usr/bin/env node
// The `dbfleet` bin. In the installed package it runs the prebuilt bundle (build/index.cjs, made
// by `npm pack`'s prepack step); in the dbfleet repository, where scripts/bundle-cache.cjs exists
// (it is not shipped), it runs the sources through the same content-keyed esbuild bundle cache as
// `npx cdk8s synth`, so it is never stale. No tsx either way.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const bundleCache = path.join(root, 'scripts', 'bundle-cache.cjs');

async function main() {
  // `dbfleet synth` is the cdk8s CLI's synth command: it needs none of dbfleet's code (the app it
  // starts loads that), so it starts without loading the bundle.
  if (process.argv[2] === 'synth') return require('./cdk8s-synth.cjs').runCdk8sSynth(process.argv.slice(3));
  const api = fs.existsSync(bundleCache)
    ? await require(bundleCache).requireBundled('lib/index.ts')
    : require(path.join(root, 'build', 'index.cjs'));
  process.exitCode = await api.runDbfleetAsync(process.argv.slice(2));
}

main().catch((error) => {
  process.stderr.write(`dbfleet: ${(error && error.stack) || error}\n`);
  process.exitCode = 1;
});
