// The `dbfleet` command: init, synth, plan, validate, schema, secrets, rotate, switchover, iam-policy. `dbfleet synth`
// (`npm run synth`) and `npx cdk8s synth` render. Exit codes: 0 ok; 1 invalid input or a DANGER (plan); 2 usage error.
import { Command, CommanderError } from 'commander';
import { FleetConfigError } from '../config/load';
import { fleetJsonSchema, jsonSchemaText, serviceJsonSchema } from '../config/json-schema';
import { planCommand, runPlan } from '../plan/cli';
import { runCli as runValidate } from '../validate/cli';
import { iamPolicyCommand } from './iam-policy';
import { initCommand } from './init';
import type { CliIo } from './io';
import * as path from 'node:path';
import { PACKAGE_ROOT, packageJson } from './package-info';
import { rotateCommand } from './rotate';
import { secretsCommand } from './secrets';
import { switchoverCommand } from './switchover';

export function runDbfleet(argv: readonly string[], io: CliIo = { out: process.stdout, err: process.stderr }): number {
  return run(argv, io, false) as number;
}

/** runDbfleet, waiting for commands that ask the Kubernetes API (`rotate`'s switch step): what the bin runs. */
export function runDbfleetAsync(argv: readonly string[], io: CliIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  return Promise.resolve(run(argv, io, true));
}

function run(argv: readonly string[], io: CliIo, async: boolean): number | Promise<number> {
  let code = 0;
  const setExit = (c: number) => {
    code = c;
  };
  const output = { writeOut: (s: string) => io.out.write(s), writeErr: (s: string) => io.err.write(s) };
  const program = new Command('dbfleet')
    .description('Databases for microservices on Kubernetes, the GitOps way. `npx cdk8s synth` renders; these commands set up and review.')
    .version(packageJson().version)
    .showHelpAfterError()
    .configureOutput(output);

  program.addCommand(initCommand(io, setExit));
  program.addCommand(
    new Command('synth')
      .description(
        "Render and validate dist/: the cdk8s CLI's own synth command (same options, cdk8s.yaml, app and validation plugin) without its upgrade check and its other commands, ~1 s faster than `npx cdk8s synth`. `npm run synth` in a fleet repository.",
      )
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[args...]')
      .action((args: string[]) => {
        // The bin runs it before loading this bundle; here for runDbfleet callers and `--help`.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require(path.join(PACKAGE_ROOT, 'lib', 'cli', 'cdk8s-synth.cjs')) as { runCdk8sSynth(a: string[]): void }).runCdk8sSynth(args);
        setExit(0);
      }),
  );
  program.addCommand(planCommand().action((options) => setExit(runPlan(options, io))));
  program.addCommand(
    new Command('validate')
      .description(
        'Validate Kubernetes manifests (default dist/) against the shipped CRD and Kubernetes 1.28 schemas, CEL rules included. `dbfleet validate --help` for its options.',
      )
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[args...]')
      .action((args: string[]) => setExit(runValidate(args, io, 'dbfleet validate'))),
  );
  program.addCommand(
    new Command('schema')
      .description('Print the JSON Schema of the fleet file (or of a services/*.yaml file), for editors and other tools.')
      .option('--service', 'the schema of one service file instead')
      .action((options: { service?: boolean }) => {
        io.out.write(jsonSchemaText(options.service ? serviceJsonSchema() : fleetJsonSchema()));
        setExit(0);
      }),
  );
  program.addCommand(secretsCommand(io, setExit));
  program.addCommand(switchoverCommand(io, setExit));
  program.addCommand(rotateCommand(io, setExit, async));
  program.addCommand(iamPolicyCommand(io, setExit));
  for (const command of program.commands) command.configureOutput(output).exitOverride();
  program.exitOverride();

  const failed = (error: unknown): number => {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof FleetConfigError) {
      io.err.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  };
  if (async) return program.parseAsync(argv as string[], { from: 'user' }).then(() => code, failed);
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (error) {
    return failed(error);
  }
  return code;
}

if (require.main === module) {
  void runDbfleetAsync(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
