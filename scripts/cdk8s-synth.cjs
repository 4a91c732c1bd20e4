// `npm run synth [-- --output DIR …]`: the cdk8s CLI's own `synth` command — the same module of the
// pinned cdk8s-cli, the same options, cdk8s.yaml, app and validation plugin — without the ~1 s
// `npx cdk8s` spends before it starts anything: `cdk8s` loads every command up front, and its
// `init` command pulls in jsii-pacmak and jsii-rosetta (~0.8 s of CPU here); its upgrade check
// loads the cdk8s library and asks the npm registry (cdk8s-cli@2.207.60:
// lib/cli/index.js, lib/cli/cmds/init.js, lib/upgrades.js). `npx cdk8s synth` stays the reference
// command and gives the same result.
'use strict';
const path = require('node:path');

const cli = path.dirname(require.resolve('cdk8s-cli/package.json'));
const yargs = require(require.resolve('yargs', { paths: [cli] }));
const synth = require(path.join(cli, 'lib', 'cli', 'cmds', 'synth.js'));

// As lib/cli/index.js configures yargs, minus the other commands and the upgrade check.
yargs
  .command(synth)
  .env('CDK8S')
  .showHelpOnFail(false)
  .help()
  .parse(['synth', ...process.argv.slice(2)]);

process.on('unhandledRejection', (error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
