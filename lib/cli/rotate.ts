// `dbfleet rotate <service> --environment <env>`: one step of a zero-downtime owner-credential
// rotation (lib/secrets/credential-rotation.ts), written into the file that declares the service.
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadFleet } from '../config/load';
import { KubeClient, kubeConfigFromEnv } from '../ops/kube/client';
import { RotateError, rotate } from '../secrets/rotate';
import { checkRotationLogin } from '../secrets/rotation-login-check';
import type { CliIo } from './io';

interface RotateOptions {
  environment: string;
  config: string;
  dryRun?: boolean;
  confirmLoginSucceeded?: boolean;
  kubeApi?: string;
}

/**
 * `asyncAllowed`: whether the action may return a promise (the bin's runDbfleetAsync). The switch
 * step asks the Kubernetes API, which only an async run can wait for.
 */
export function rotateCommand(io: CliIo, setExit: (code: number) => void, asyncAllowed = false): Command {
  return new Command('rotate')
    .description(
      "Advance the rotation of a service's owner credential by one step (add → switch → done) in the fleet file that declares it. Commit, review with `dbfleet plan`, let Argo CD sync, then run it again for the next step. The switch step is refused until the add step's rotation-login Job succeeded at the site that accepts writes: asked of the Kubernetes API (--kube-api, env KUBE_API_SERVER, e.g. `kubectl proxy` at http://127.0.0.1:8001), or confirmed by you with --confirm-login-succeeded. See docs/credentials.md.",
    )
    .argument('<service>', 'the service whose credential to rotate')
    .requiredOption('--environment <name>', 'the environment to rotate in')
    .option('--config <file>', 'fleet file or its folder (env DBFLEET_CONFIG)', process.env.DBFLEET_CONFIG ?? 'fleet.yaml')
    .option('--dry-run', 'print the change, write nothing')
    .option(
      '--kube-api <url>',
      "the writable site's Kubernetes API server for the switch step's check (env KUBE_API_SERVER; token: env KUBE_API_TOKEN)",
      process.env.KUBE_API_SERVER,
    )
    .option(
      '--confirm-login-succeeded',
      "switch step without asking the Kubernetes API: you checked that the rotation-login Job (or, for an even generation, the owner's DatabaseRole) succeeded",
    )
    .action((service: string, options: RotateOptions): void | Promise<void> => {
      let result: ReturnType<typeof rotate>;
      try {
        result = rotate(options.config, service, options.environment, { dryRun: true });
      } catch (error) {
        if (!(error instanceof RotateError)) throw error;
        io.err.write(`rotate: ${error.message}\n`);
        return setExit(2);
      }
      const write = () => {
        if (!options.dryRun) writeFileSync(result.file, result.text);
        io.out.write(
          `${options.dryRun ? 'would write' : 'wrote'} ${result.file}: ${service}.rotation.${options.environment} = { generation: ${result.to.generation}, step: ${result.to.step} }\n${result.description}\n`,
        );
        if (result.to.step === 'done')
          io.out.write('before this step: every pod of the app restarted with the new Secret; plan marks this step DANGER.\n');
        setExit(0);
      };
      if (result.to.step !== 'switch') return write();
      if (options.confirmLoginSucceeded) {
        io.out.write(
          'login step: NOT checked: --confirm-login-succeeded says you saw the rotation-login Job of this generation succeed.\n',
        );
        return write();
      }
      const refuse = (why: string) => {
        io.err.write(
          `rotate: refusing the switch step until the login step succeeded: ${why}.\nOnce it has: run again (or pass --confirm-login-succeeded if you checked it yourself).\n`,
        );
        setExit(1);
      };
      if (!options.kubeApi)
        return refuse(
          'no Kubernetes API to ask (set --kube-api or KUBE_API_SERVER to the writable site, e.g. `kubectl proxy` then http://127.0.0.1:8001)',
        );
      if (!asyncAllowed) return refuse('this in-process run cannot wait for the Kubernetes API (use the dbfleet bin or runDbfleetAsync)');
      const server = options.kubeApi.replace(/\/$/, '');
      const fleet = loadFleet(options.config);
      const environment = fleet.environments.find((e) => e.name === options.environment)!;
      const client = new KubeClient({ ...kubeConfigFromEnv({ ...process.env, KUBE_API_SERVER: server }), timeoutMs: 15_000 });
      return checkRotationLogin(client, server, fleet, environment, service, result.to.generation).then((check) => {
        if (!check.ok) return refuse(check.message);
        io.out.write(`login step: ${check.message}.\n`);
        write();
      });
    });
}
