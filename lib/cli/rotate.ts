// `dbfleet rotate <service> --environment <env>`: one step of a zero-downtime owner-credential
// rotation (lib/secrets/credential-rotation.ts), written into the file that declares the service.
import { Command } from 'commander';
import { RotateError, rotate } from '../secrets/rotate';
import type { CliIo } from './io';

export function rotateCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('rotate')
    .description(
      "Advance the rotation of a service's owner credential by one step (add → switch → done) in the fleet file that declares it. Commit, review with `dbfleet plan`, let Argo CD sync, then run it again for the next step. See docs/credentials.md.",
    )
    .argument('<service>', 'the service whose credential to rotate')
    .requiredOption('--environment <name>', 'the environment to rotate in')
    .option('--config <file>', 'fleet file or its folder (env DBFLEET_CONFIG)', process.env.DBFLEET_CONFIG ?? 'fleet.yaml')
    .option('--dry-run', 'print the change, write nothing')
    .action((service: string, options: { environment: string; config: string; dryRun?: boolean }) => {
      try {
        const result = rotate(options.config, service, options.environment, { dryRun: options.dryRun });
        io.out.write(
          `${options.dryRun ? 'would write' : 'wrote'} ${result.file}: ${service}.rotation.${options.environment} = { generation: ${result.to.generation}, step: ${result.to.step} }\n${result.description}\n`,
        );
        if (result.to.step === 'switch')
          io.out.write('before this step: Argo CD synced the previous one and the new role logs in (DatabaseRole status applied).\n');
        if (result.to.step === 'done')
          io.out.write('before this step: every pod of the app restarted with the new Secret; plan marks this step DANGER.\n');
        return setExit(0);
      } catch (error) {
        if (!(error instanceof RotateError)) throw error;
        io.err.write(`rotate: ${error.message}\n`);
        return setExit(2);
      }
    });
}
