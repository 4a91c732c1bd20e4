// dbfleet: fleet.yaml → validated model → constructs → charts → dist/.
//
// `npx cdk8s synth` runs this with CDK8S_OUTDIR=.cdk8s.out (cdk8s.yaml): the CLI empties that
// folder first, so it is a scratch folder, never dist/. The app renders, validates every object
// against the real schemas, and only then replaces dist/ atomically: a bad fleet.yaml or an
// invalid object leaves the committed dist/ untouched. With `--output DIR`, only DIR is written.
// The CLI's validation plugin (cdk8s.yaml) then checks the written files; the app records the
// digests of what it validated, so the plugin validates only bytes that differ (a file changed
// since), not everything again (lib/validate/validation-record.cjs).
import { resolve } from 'node:path';
import { SchemaChecker } from './lib/output/schema-check';
import { synthesizeFleet } from './lib/output/synthesize';

const SCRATCH = '.cdk8s.out';
const configFile = process.env.DBFLEET_CONFIG ?? 'fleet.yaml';
const outdir = process.env.CDK8S_OUTDIR ?? SCRATCH;
const publishTo = resolve(outdir) === resolve(SCRATCH) ? process.env.DBFLEET_DIST ?? 'dist' : undefined;
let checker: SchemaChecker | undefined;

synthesizeFleet({
  configFile,
  outdir,
  publishTo,
  validate: (objects) => (checker ??= new SchemaChecker()).check(objects),
  written: (files) => checker?.record(files),
  log: (line) => process.stderr.write(`${line}\n`),
}).then((code) => {
  process.exitCode = code;
});
