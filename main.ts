// dbfleet: fleet.yaml → validated model → constructs → charts → dist/.
//
// `npx cdk8s synth` runs this with CDK8S_OUTDIR=.cdk8s.out (cdk8s.yaml): the CLI empties that
// folder first, so it is a scratch folder, never dist/. The app renders, validates every object
// against the real schemas, and only then replaces dist/ atomically: a bad fleet.yaml or an
// invalid object leaves the committed dist/ untouched. With `--output DIR`, only DIR is written.
// The CLI's validation plugin (cdk8s.yaml) then checks the written files once more.
import { resolve } from 'node:path';
import { synthesizeFleet } from './lib/output/synthesize';
import { schemaCheck } from './lib/output/schema-check';

const SCRATCH = '.cdk8s.out';
const configFile = process.env.DBFLEET_CONFIG ?? 'fleet.yaml';
const outdir = process.env.CDK8S_OUTDIR ?? SCRATCH;
const publishTo = resolve(outdir) === resolve(SCRATCH) ? process.env.DBFLEET_DIST ?? 'dist' : undefined;

synthesizeFleet({
  configFile,
  outdir,
  publishTo,
  validate: (objects) => schemaCheck(objects),
  log: (line) => process.stderr.write(`${line}\n`),
}).then((code) => {
  process.exitCode = code;
});
