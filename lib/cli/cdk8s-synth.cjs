// `dbfleet synth [--output DIR …]` (and this repository's `npm run synth`): the cdk8s CLI's own
// `synth` command — the same module of the fleet repository's pinned cdk8s-cli, the same options,
// cdk8s.yaml, app and validation plugin — without what `npx cdk8s` does before it starts anything:
//   - it loads every command up front, and its `init` command pulls in jsii-pacmak and
//     jsii-rosetta (~0.8 s of CPU here);
//   - its upgrade check loads the cdk8s library and asks the npm registry on every run; when the
//     registry's answer is not what it expects it prints "A new version undefined of cdk8s-cli is
//     available" and a Node stack trace (cdk8s-cli@2.207.60: lib/cli/index.js, lib/upgrades.js).
//     That check cannot be turned off from cdk8s.yaml (yargs reads CDK8S_CHECK_UPGRADE from the
//     environment only), so this runner never starts it.
// `npx cdk8s synth` stays available and gives the same result.
'use strict';
const path = require('node:path');

/** Runs the cdk8s CLI's synth command with `args` (resolved from the current folder first). */
function runCdk8sSynth(args) {
  let cli;
  try {
    cli = path.dirname(require.resolve('cdk8s-cli/package.json', { paths: [process.cwd(), __dirname] }));
  } catch {
    process.stderr.write(
      'dbfleet synth: cdk8s-cli is not installed here: run npm install (it is a devDependency of the fleet repository)\n',
    );
    process.exitCode = 2;
    return;
  }
  const yargs = require(require.resolve('yargs', { paths: [cli] }));
  const synth = require(path.join(cli, 'lib', 'cli', 'cmds', 'synth.js'));
  process.on('unhandledRejection', (error) => {
    process.stderr.write(`${(error && error.stack) || error}\n`);
    process.exit(1);
  });
  // As lib/cli/index.js configures yargs, minus the other commands and the upgrade check.
  yargs
    .command(synth)
    .env('CDK8S')
    .scriptName('dbfleet')
    .showHelpOnFail(false)
    .help()
    .parse(['synth', ...args]);
}

module.exports = { runCdk8sSynth };

if (require.main === module) runCdk8sSynth(process.argv.slice(2));
