// `dbfleet iam-policy <environment>`: the rds-db:connect policy of each developer of an Aurora environment.
import { Command } from 'commander';
import { developerIamPolicies } from '../backends/aws-aurora/iam-policy';
import { loadFleet } from '../config/load';
import type { CliIo } from './io';

export function iamPolicyCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('iam-policy')
    .description(
      'Print, per developer, the IAM policy document (rds-db:connect on their own database user) that lets them log in to an Aurora environment with an IAM token instead of a password (docs/aurora.md). From the fleet file.',
    )
    .argument('<environment>', 'an environment with operator: aws-aurora')
    .option('--config <file>', 'fleet file or its folder (env DBFLEET_CONFIG)', process.env.DBFLEET_CONFIG ?? 'fleet.yaml')
    .option('--account <id>', 'the AWS account ID (default: any, `*`)')
    .option('--cluster-resource-id <id...>', "the clusters' DbiResourceIds (cluster-…; default: any cluster of the region)")
    .action((name: string, options: { config: string; account?: string; clusterResourceId?: string[] }) => {
      const fleet = loadFleet(options.config);
      const environment = fleet.environments.find((e) => e.name === name);
      if (!environment) {
        io.err.write(
          `iam-policy: the fleet has no environment "${name}" (environments: ${fleet.environments.map((e) => e.name).join(', ')})\n`,
        );
        return setExit(2);
      }
      try {
        const policies = developerIamPolicies(fleet, environment, {
          account: options.account,
          clusterResourceIds: options.clusterResourceId,
        });
        io.out.write(`${JSON.stringify(policies, null, 2)}\n`);
        return setExit(0);
      } catch (error) {
        if (!(error instanceof Error) || error.constructor !== Error) throw error;
        io.err.write(`iam-policy: ${error.message}\n`);
        return setExit(2);
      }
    });
}
