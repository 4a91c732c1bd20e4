// The whole `npx cdk8s synth` pipeline for a fleet repository's main.ts, in one call.
import { resolve } from 'node:path';
import type { FleetApp } from '../fleet/fleet-app';
import { loadFleet } from '../config/load';
import { buildApp, renderObjects, type RenderedObject } from './render';
import { SchemaChecker } from './schema-check';
import { synthesizeFleet } from './synthesize';

/** Where a plan waits for the app's render (lib/plan/render-app.ts). */
export const RENDER_CAPTURE = Symbol.for('dbfleet.render-capture');

/** Set by the plan before it loads the app; renderFleet fills in `render`. */
export interface RenderCapture {
  /** The fleet file, unless the app names its own. */
  readonly config: string;
  render?: () => RenderedObject[];
}

/** The folder cdk8s.yaml names as `output:`: cdk8s empties it before each run, so it is scratch. */
export const SCRATCH_OUTDIR = '.cdk8s.out';

export interface RenderFleetOptions {
  /** The fleet file, or its folder. @default $DBFLEET_CONFIG, else `fleet.yaml` */
  readonly config?: string;
  /** Where the validated manifests are published. @default $DBFLEET_DIST, else `dist` */
  readonly dist?: string;
  /** The cdk8s.yaml whose DbfleetSchemaValidation entry sets the validator's options. @default `cdk8s.yaml` */
  readonly cdk8sYaml?: string;
  /** Adds the repository's own constructs (see FleetAppProps.extend). @default nothing added */
  readonly extend?: (fleetApp: FleetApp) => void;
  /** Where progress and errors go. @default standard error */
  readonly log?: (line: string) => void;
}

/**
 * Loads the fleet, renders it, validates every object against the schemas, and only then
 * replaces dist/ (or, with `cdk8s synth --output DIR`, writes DIR only). Sets process.exitCode
 * (0, or 1 when anything failed: then nothing is written) and resolves to it.
 *
 * ```ts
 * // main.ts of a fleet repository
 * import { renderFleet } from 'dbfleet';
 * renderFleet();
 * ```
 */
export async function renderFleet(options: RenderFleetOptions = {}): Promise<number> {
  // `dbfleet plan` loads the app in its own process to see what it renders (lib/plan/render-app.ts):
  // hand it the render instead of writing anything. Synchronous, before any await: the plan reads
  // it as soon as the app's module has been loaded. A global symbol, because the app may run from
  // another copy of this library (its own bundle) than the plan.
  const capture = (globalThis as Record<symbol, RenderCapture | undefined>)[RENDER_CAPTURE];
  if (capture) {
    capture.render = () => renderObjects(buildApp(loadFleet(options.config ?? capture.config), { extend: options.extend }));
    // Never settles: the plan decides the exit code, so nothing the app chains on this call
    // (`.then((code) => process.exit(code))`, code after an await) may run in the plan's process.
    return new Promise<number>(() => undefined);
  }
  const outdir = process.env.CDK8S_OUTDIR ?? SCRATCH_OUTDIR;
  // Run by `cdk8s synth` with its scratch folder: publish to dist/. With --output DIR: DIR only.
  const publishTo = resolve(outdir) === resolve(SCRATCH_OUTDIR) ? (options.dist ?? process.env.DBFLEET_DIST ?? 'dist') : undefined;
  const cdk8sYaml = resolve(options.cdk8sYaml ?? 'cdk8s.yaml');
  let checker: SchemaChecker | undefined;
  const code = await synthesizeFleet({
    configFile: options.config ?? process.env.DBFLEET_CONFIG ?? 'fleet.yaml',
    outdir,
    publishTo,
    build: (fleet) => buildApp(fleet, { extend: options.extend }),
    validate: (objects) => (checker ??= new SchemaChecker(cdk8sYaml)).check(objects),
    // The validation plugin then re-checks only what differs from what was validated here.
    written: (files) => checker?.record(files),
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  });
  process.exitCode = code;
  return code;
}
