// dbfleet: fleet.yaml (+ services/*.yaml) → validated model → constructs → charts → dist/.
//
// This repository is also the example of a fleet repository: main.ts uses the public API
// (lib/index.ts; `import { renderFleet } from 'dbfleet'` in a repository made by `dbfleet init`)
// plus its own charts (charts/).
//
// `npx cdk8s synth` runs this with CDK8S_OUTDIR=.cdk8s.out (cdk8s.yaml): the CLI empties that
// folder first, so it is a scratch folder, never dist/. renderFleet renders, validates every
// object against the real schemas, and only then replaces dist/ atomically: a bad fleet.yaml or
// an invalid object leaves the committed dist/ untouched. With `--output DIR`, only DIR is written.
// The CLI's validation plugin (cdk8s.yaml) then checks the written files; the app records the
// digests of what it validated, so the plugin validates only bytes that differ (a file changed
// since), not everything again (lib/validate/validation-record.cjs).
import { extendFleet } from './charts';
import { renderFleet } from './lib';

void renderFleet({ extend: extendFleet });
