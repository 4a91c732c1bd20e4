// npm run plan [-- --base <git-ref>] [--format text|markdown|json] [--allow-destructive]
// Exit codes: 0 reviewed, nothing dangerous (or allowed); 1 DANGER; 2 usage error or the fleet does not render.
// `npm run plan` runs it from the bundle cache (scripts/bundle-cache.cjs calls main); tsx works too.
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { loadValidator } from '../validate';
import { readPluginProperties } from '../validate/plugin-config';
import { formatPlan, PLAN_FORMATS, type PlanFormat } from './format';
import { readManifestsAt, renderManifests } from './manifests';
import { makePlan, type PlanOptions } from './plan';

/**
 * The CRDs' transition rules, run with the base revision's object as oldSelf. Without the
 * schemas (no CRD folder here) the plan still runs and says what it could not check.
 */
function transitionRules(): PlanOptions['rejectedUpdate'] {
  try {
    const validator = loadValidator(readPluginProperties(resolve('cdk8s.yaml')) ?? {});
    return (before, after) => validator.validateTransition(before, after, { file: '' });
  } catch (error) {
    process.stderr.write(`dbfleet plan: the CRDs' update rules are not checked: ${(error as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

export function main(argv: readonly string[]): number {
  const program = new Command('plan')
    .description('Compare what fleet.yaml renders now with dist/ at a git revision, and flag dangerous changes.')
    .option('--base <git-ref>', 'revision whose committed dist/ is the "before"', 'HEAD')
    .option('--config <file>', 'fleet file (env DBFLEET_CONFIG)', process.env.DBFLEET_CONFIG ?? 'fleet.yaml')
    .option('--dist <dir>', 'folder of the rendered manifests in the repository', 'dist')
    .addOption(new Option('--format <format>', 'output: text (terminal), markdown (pull-request comment), json (tools)').choices(PLAN_FORMATS).default('text'))
    .option('--allow-destructive', 'exit 0 even when there is a DANGER (a reviewed, deliberate change)', false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (error) {
    return error instanceof CommanderError && error.exitCode === 0 ? 0 : 2;
  }
  const options = program.opts<{ base: string; config: string; dist: string; format: PlanFormat; allowDestructive: boolean }>();

  try {
    const plan = makePlan(readManifestsAt(options.base, options.dist, process.cwd()), renderManifests(options.config), { rejectedUpdate: transitionRules() });
    process.stdout.write(`${formatPlan(plan, `dbfleet plan: ${options.dist}/ at ${options.base} → ${options.config} now`, options.format)}\n`);
    if (plan.dangers.length === 0) return 0;
    const note = options.allowDestructive
      ? '--allow-destructive: proceeding despite the DANGER above'
      : 'The plan has dangerous changes. If they are deliberate, review them and run with --allow-destructive.';
    // JSON stays parseable: the note goes to stderr there.
    if (options.format === 'json') process.stderr.write(`${note}\n`);
    else process.stdout.write(`\n${note}\n`);
    return options.allowDestructive ? 0 : 1;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
