// npm run plan [-- --base <git-ref>] [--allow-destructive]
// Exit codes: 0 reviewed, nothing dangerous (or allowed); 1 DANGER; 2 usage error or the fleet does not render.
// `npm run plan` runs it from the bundle cache (scripts/bundle-cache.cjs calls main); tsx works too.
import { Command, CommanderError } from 'commander';
import { FleetConfigError } from '../config/load';
import { RenderError } from '../output/render';
import { readManifestsAt, renderManifests } from './manifests';
import { formatPlan, makePlan } from './plan';

export function main(argv: readonly string[]): number {
  const program = new Command('plan')
    .description('Compare what fleet.yaml renders now with dist/ at a git revision, and flag dangerous changes.')
    .option('--base <git-ref>', 'revision whose committed dist/ is the "before"', 'HEAD')
    .option('--config <file>', 'fleet file (env DBFLEET_CONFIG)', process.env.DBFLEET_CONFIG ?? 'fleet.yaml')
    .option('--dist <dir>', 'folder of the rendered manifests in the repository', 'dist')
    .option('--allow-destructive', 'exit 0 even when there is a DANGER (a reviewed, deliberate change)', false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (error) {
    return error instanceof CommanderError && error.exitCode === 0 ? 0 : 2;
  }
  const options = program.opts<{ base: string; config: string; dist: string; allowDestructive: boolean }>();

  try {
    const plan = makePlan(readManifestsAt(options.base, options.dist, process.cwd()), renderManifests(options.config));
    process.stdout.write(`${formatPlan(plan, `dbfleet plan: ${options.dist}/ at ${options.base} → ${options.config} now`)}\n`);
    if (plan.dangers.length > 0) {
      if (options.allowDestructive) {
        process.stdout.write('\n--allow-destructive: proceeding despite the DANGER above\n');
      } else {
        process.stdout.write('\nThe plan has dangerous changes. If they are deliberate, review them and run with --allow-destructive.\n');
        return 1;
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof FleetConfigError || error instanceof RenderError || error instanceof Error) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
