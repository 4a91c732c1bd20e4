// dbfleet: fleet.yaml → validated model → constructs → charts → dist/.
//
// `npx cdk8s synth` runs this with CDK8S_OUTDIR=.cdk8s.out (cdk8s.yaml): the CLI empties that
// folder first, so it is a scratch folder, never dist/. The app renders, validates every object
// against the real schemas, and only then replaces dist/ atomically: a bad fleet.yaml or an
// invalid object leaves the committed dist/ untouched. With `--output DIR`, only DIR is written.
import { resolve } from 'node:path';
import { synthesizeFleet } from './lib/output/synthesize';

const configFile = process.env.DBFLEET_CONFIG ?? 'fleet.yaml';
const outdir = process.env.CDK8S_OUTDIR ?? '.cdk8s.out';
const publishTo = resolve(outdir) === resolve('.cdk8s.out') ? process.env.DBFLEET_DIST ?? 'dist' : undefined;

process.exitCode = synthesizeFleet({ configFile, outdir, publishTo, log: (line) => process.stderr.write(`${line}\n`) });
