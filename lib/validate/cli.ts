// npm run validate [dir-or-files…]   (default: dist/)
// `npm run validate` runs it from the bundle cache (scripts/bundle-cache.cjs calls main); tsx works too.
// Errors go to stderr, one per line; then a summary. Exit 0 = valid, 1 = invalid objects, 2 = usage
// or setup error (unknown option, missing path, no manifests found, missing schema folder).
import { Command, CommanderError } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatIssue } from './issues';
import { readPluginProperties } from './plugin-config';
import { formatSummary, notValidatedLines } from './report-text';
import { SCHEMAS_ENV } from './schema-source';
import { loadValidator, mergeReports, type ValidationReport } from './validator';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

export function runCli(
  argv: readonly string[],
  io: CliIo = { out: process.stdout, err: process.stderr },
  name = 'npm run validate --',
): number {
  const program = new Command()
    .name(name)
    .description('Validate Kubernetes manifests against the CRD and Kubernetes 1.28 schemas, CEL rules included.')
    .argument('[paths...]', 'folders (searched for *.yaml) and files', ['dist'])
    .option('--schemas <dir>', `schema folder (default: $${SCHEMAS_ENV}, else the compact schemas shipped with dbfleet)`)
    .option('--unvalidated-kind <apiVersion/kind>', 'accept this kind without a schema, listed as NOT VALIDATED (repeatable)', collect, [])
    .option('--config <cdk8s.yaml>', 'read unvalidatedKinds/schemasDir from the DbfleetSchemaValidation entry of this file', 'cdk8s.yaml')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    throw e;
  }
  const opts = program.opts<{ schemas?: string; unvalidatedKind: string[]; config: string }>();
  const paths = program.processedArgs[0] as string[];

  const fromConfig = readPluginProperties(path.resolve(opts.config));
  let validator;
  try {
    validator = loadValidator({
      schemasDir: opts.schemas ?? fromConfig?.schemasDir,
      unvalidatedKinds: [...(fromConfig?.unvalidatedKinds ?? []), ...opts.unvalidatedKind],
    });
  } catch (e) {
    io.err.write(`validate: ${(e as Error).message}\n`);
    return 2;
  }

  const reports: ValidationReport[] = [];
  const files: string[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) {
      io.err.write(`validate: no such file or directory: ${p}\n`);
      return 2;
    }
    if (fs.statSync(p).isDirectory()) reports.push(validator.validateDirectory(p));
    else files.push(p);
  }
  if (files.length) reports.push(validator.validateFiles(files));
  const report = mergeReports(reports);
  if (report.fileCount === 0) {
    // Validating nothing "successfully" would hide a wrong path or an empty render.
    io.err.write(`validate: no *.yaml manifests found in ${paths.join(', ')}\n`);
    return 2;
  }

  for (const issue of report.issues) io.err.write(`${formatIssue(issue)}\n`);
  for (const line of notValidatedLines(report)) io.out.write(`${line}\n`);
  for (const line of formatSummary(report)) io.out.write(`${line}\n`);
  return report.issues.length ? 1 : 0;
}

/** The command's entry point (scripts/bundle-cache.cjs): the exit code. */
export function main(argv: readonly string[]): number {
  return runCli(argv);
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
