// `dbfleet switchover <environment> --to <site> [--token <cluster>=<token>]... [--failover]`
import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadFleet } from '../config/load';
import { switchover } from '../dr/switchover';
import type { CliIo } from './io';

export function switchoverCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('switchover')
    .description(
      'Write the next step of a DR switchover (or a failover) into the fleet file, for review with `dbfleet plan` (docs/disaster-recovery.md).',
    )
    .argument('<environment>', 'the standby environment or its source')
    .requiredOption('--to <site>', 'the site (environment) that becomes primary')
    .option(
      '--token <cluster=token>',
      "step 2: a cluster's demotion token from the former primary (repeat per cluster)",
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--failover', 'promote without tokens: the primary site is lost', false)
    .option('--config <file>', 'fleet file (env DBFLEET_CONFIG)', process.env.DBFLEET_CONFIG ?? 'fleet.yaml')
    .action((environment: string, options: { to: string; token: string[]; failover: boolean; config: string }) => {
      const tokens: Record<string, string> = {};
      for (const t of options.token) {
        const i = t.indexOf('=');
        if (i <= 0) {
          io.err.write(`switchover: --token must be <cluster>=<token>, not ${JSON.stringify(t)}\n`);
          return setExit(2);
        }
        tokens[t.slice(0, i)] = t.slice(i + 1);
      }
      try {
        const before = readFileSync(options.config, 'utf8');
        const result = switchover(before, { environment, to: options.to, tokens, failover: options.failover });
        writeFileSync(options.config, result.text);
        // The result must load (every cluster has a token, the tokens look like ones), or the file is restored.
        try {
          loadFleet(options.config);
        } catch (error) {
          writeFileSync(options.config, before);
          throw error;
        }
        io.out.write(`${options.config}: ${result.step}\nReview with \`dbfleet plan\`, then commit.\n`);
        return setExit(0);
      } catch (error) {
        io.err.write(`switchover: ${(error as Error).message}\n`);
        return setExit(2);
      }
    });
}
