// The whole `npx cdk8s synth` pipeline for a fleet repository's main.ts, in one call.
import { resolve } from 'node:path';
import type { FleetApp } from '../fleet/fleet-app';
import { buildApp } from './render';
import { SchemaChecker } from './schema-check';
import { synthesizeFleet } from './synthesize';

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
