// `dbfleet secrets`: what the secret store must hold before the first sync, per environment.
import { Command } from 'commander';
import { loadFleet } from '../config/load';
import { fleetStoreKeys, type StoreKey } from '../secrets/store-keys';
import type { CliIo } from './io';

export function secretsCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('secrets')
    .description(
      'List every remote key the secret store must hold, per environment, with its purpose and who creates it (dbfleet generates it, or you must put it there before the first sync). From the fleet file; no secret is read.',
    )
    .option('--config <file>', 'fleet file or its folder (env DBFLEET_CONFIG)', process.env.DBFLEET_CONFIG ?? 'fleet.yaml')
    .option('--environment <name>', 'only this environment')
    .option('--format <format>', 'text or json', 'text')
    .action((options: { config: string; environment?: string; format: string }) => {
      if (!['text', 'json'].includes(options.format)) {
        io.err.write(`secrets: --format must be text or json, not ${JSON.stringify(options.format)}\n`);
        return setExit(2);
      }
      const fleet = loadFleet(options.config);
      if (options.environment && !fleet.environments.some((e) => e.name === options.environment)) {
        io.err.write(
          `secrets: the fleet has no environment "${options.environment}" (environments: ${fleet.environments.map((e) => e.name).join(', ')})\n`,
        );
        return setExit(2);
      }
      const keys = fleetStoreKeys(fleet).filter((k) => !options.environment || k.environment === options.environment);
      io.out.write(
        options.format === 'json'
          ? `${JSON.stringify({ store: fleet.secretStore, keys }, null, 2)}\n`
          : formatKeys(fleet.secretStore.kind, fleet.secretStore.name, keys),
      );
      return setExit(0);
    });
}

function formatKeys(kind: string, name: string, keys: readonly StoreKey[]): string {
  const expected = keys.filter((k) => k.origin === 'expected').length;
  const lines = [
    `${kind} ${name} must hold ${keys.length} key${keys.length === 1 ? '' : 's'}: ${expected} you put there before the first sync, ${keys.length - expected} dbfleet generates (remote key → property: purpose):`,
  ];
  let environment: string | undefined;
  for (const k of keys) {
    if (k.environment !== environment) {
      environment = k.environment;
      lines.push('', `${environment}:`);
    }
    lines.push(`  ${k.origin === 'generated' ? 'generated' : 'YOU      '}  ${k.remoteKey} → ${k.property}: ${k.purpose}`);
  }
  return `${lines.join('\n')}\n`;
}
