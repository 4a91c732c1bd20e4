// npm run plan [-- --base <git-ref>] [--format text|markdown|json] [--allow-destructive]   (also `dbfleet plan`)
// Exit codes: 0 reviewed, nothing dangerous (or allowed); 1 DANGER; 2 usage error or the fleet does not render.
// `npm run plan` runs it from the bundle cache (scripts/bundle-cache.cjs calls main); tsx works too.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { loadValidator } from '../validate';
import { readPluginProperties } from '../validate/plugin-config';
import { ADMISSION_REFUSED_RULE } from './admission-refused';
import { commentBody } from './comment';
import { formatPlan, PLAN_FORMATS, type PlanFormat } from './format';
import { loadFleet } from '../config/load';
import { buildApp, renderObjects } from '../output/render';
import { difference, gitTreeAt, renderedFiles } from './manifests';
import { makePlan, type PlanOptions } from './plan';
import { appCommand, renderWithApp } from './render-app';

/** Where the command writes; tests pass their own. */
export interface PlanIo {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

export interface PlanCliOptions {
  readonly base: string;
  readonly config: string;
  readonly dist: string;
  readonly format: PlanFormat;
  readonly allowDestructive: boolean;
  /** Also write the plan as a pull-request comment here (markdown, within GitHub's size limit). */
  readonly comment?: string;
  /** Where the full plan is, linked from a comment that had to be cut. */
  readonly fullPlanUrl?: string;
  /** Render through the cdk8s.yaml app (false: fleet file only, in-process). */
  readonly app: boolean;
}

/**
 * The CRDs' transition rules, run with the base revision's object as oldSelf: only on changed
 * objects, so the validator is loaded on the first one (a plan without changes never loads it).
 * Without the schemas (no CRD folder here) the plan still runs and says what it could not check.
 */
function transitionRules(io: PlanIo): NonNullable<PlanOptions['rejectedUpdate']> {
  let check: PlanOptions['rejectedUpdate'] | null;
  return (before, after) => {
    if (check === undefined) {
      try {
        const validator = loadValidator(readPluginProperties(resolve('cdk8s.yaml')) ?? {});
        check = (b, a) => validator.validateTransition(b, a, { file: '' });
      } catch (error) {
        io.err.write(`dbfleet plan: the CRDs' update rules are not checked: ${(error as Error).message.split('\n')[0]}\n`);
        check = null;
      }
    }
    return check ? check(before, after) : [];
  };
}

/** The `plan` command's options (shared by `npm run plan` and `dbfleet plan`). */
export function planCommand(): Command {
  return new Command('plan')
    .description('Compare what the fleet renders now with dist/ at a git revision, and flag dangerous changes.')
    .option('--base <git-ref>', 'revision whose committed dist/ is the "before"', 'HEAD')
    .option('--config <file>', 'fleet file or its folder (env DBFLEET_CONFIG)', process.env.DBFLEET_CONFIG ?? 'fleet.yaml')
    .option('--dist <dir>', 'folder of the rendered manifests in the repository', 'dist')
    .addOption(
      new Option('--format <format>', 'output: text (terminal), markdown (pull-request comment), json (tools)')
        .choices(PLAN_FORMATS)
        .default('text'),
    )
    .option('--allow-destructive', 'exit 0 even when there is a DANGER (a reviewed, deliberate change)', false)
    .option(
      '--comment <file>',
      "also write the plan as a pull-request comment to <file>: markdown, cut to GitHub's 65,536-character limit with a link to --full-plan-url",
    )
    .option('--full-plan-url <url>', 'where the full plan can be read (linked from a comment that had to be cut)')
    .option(
      '--no-app',
      "render the fleet file in-process instead of running the cdk8s.yaml app (which may add the repository's own charts)",
    );
}

/** Runs a parsed plan command; returns the exit code. */
export function runPlan(options: PlanCliOptions, io: PlanIo = { out: process.stdout, err: process.stderr }): number {
  try {
    // A fleet repository's app may add its own charts: render what it renders (render-app.ts).
    const command = options.app ? appCommand(resolve('cdk8s.yaml')) : undefined;
    const rendered = command
      ? renderWithApp(command, process.cwd(), options.config)
      : renderedFiles(renderObjects(buildApp(loadFleet(options.config))));
    const tree = gitTreeAt(options.base, options.dist, process.cwd());
    // Files with the same bytes on both sides are skipped unread (manifests.ts).
    const { base, head, allHead } = difference(tree, rendered, options.dist);
    const plan = makePlan(base, head, { allHead, rejectedUpdate: transitionRules(io) });
    const title = `dbfleet plan: ${options.dist}/ at ${options.base} → ${options.config} now`;
    io.out.write(`${formatPlan(plan, title, options.format)}\n`);
    const comment = (note?: string) => {
      if (options.comment)
        writeFileSync(
          options.comment,
          commentBody(`${formatPlan(plan, title, 'markdown')}\n${note ? `\n${note}\n` : ''}`, options.fullPlanUrl),
        );
    };
    if (plan.dangers.length === 0) {
      comment();
      return 0;
    }
    // An update the operator refuses cannot be allowed: the sync would fail whatever the review says.
    const refused = plan.dangers.filter((d) => d.rule === ADMISSION_REFUSED_RULE).length;
    const note =
      refused > 0
        ? `The plan has ${refused} update${refused === 1 ? '' : 's'} the operator REFUSES: --allow-destructive cannot apply ${refused === 1 ? 'it' : 'them'}; follow the way forward above.`
        : options.allowDestructive
          ? '--allow-destructive: proceeding despite the DANGER above'
          : 'The plan has dangerous changes. If they are deliberate, review them and run with --allow-destructive.';
    // JSON stays parseable: the note goes to stderr there.
    comment(note);
    if (options.format === 'json') io.err.write(`${note}\n`);
    else io.out.write(`\n${note}\n`);
    return options.allowDestructive && refused === 0 ? 0 : 1;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    io.err.write(`${error.message}\n`);
    return 2;
  }
}

export function main(argv: readonly string[], io: PlanIo = { out: process.stdout, err: process.stderr }): number {
  const program = planCommand()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (error) {
    return error instanceof CommanderError && error.exitCode === 0 ? 0 : 2;
  }
  return runPlan(program.opts<PlanCliOptions>(), io);
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
