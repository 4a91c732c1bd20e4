import { FleetConfigError, loadFleet } from '../config/load';
import { buildApp, RenderError, renderObjects, toYaml, type RenderedObject } from './render';
import { mirrorDirectory, StagedDirectory } from './replace-directory';

export interface SynthesizeOptions {
  /** The fleet file. */
  readonly configFile: string;
  /** Where cdk8s expects the manifests (CDK8S_OUTDIR). */
  readonly outdir: string;
  /** Also replace this folder (dist/) once everything is valid. @default not published */
  readonly publishTo?: string;
  /** Checks rendered objects; returns one message per problem. @default no check */
  readonly validate?: (objects: readonly RenderedObject[]) => string[];
  readonly log: (line: string) => void;
}

/** The whole pipeline; resolves to the process exit code. Nothing is written unless all of it succeeds. */
export async function synthesizeFleet(options: SynthesizeOptions): Promise<number> {
  let objects: RenderedObject[];
  try {
    objects = renderObjects(buildApp(loadFleet(options.configFile)));
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    // Config and render errors carry precise messages; so do constructs that reject their props.
    // Anything else is a bug: show where it happened.
    const expected = error instanceof FleetConfigError || error instanceof RenderError;
    options.log(expected ? error.message : `dbfleet: ${error.stack ?? error.message}`);
    options.log(`dbfleet: nothing written${options.publishTo ? `; ${options.publishTo}/ is unchanged` : ''}`);
    return 1;
  }
  // The files are written into a staging folder while the check runs; only a clean check
  // swaps them in.
  const destination = options.publishTo ?? options.outdir;
  const staged = new StagedDirectory(destination);
  try {
    for (const o of objects) staged.add(o.path, toYaml(o.object));
  } catch (error) {
    await staged.abort();
    throw error;
  }
  const problems = options.validate?.(objects) ?? [];
  if (problems.length > 0) {
    await staged.abort();
    for (const problem of problems) options.log(problem);
    options.log(`dbfleet: ${problems.length} invalid object${problems.length === 1 ? '' : 's'}; nothing written${options.publishTo ? `; ${options.publishTo}/ is unchanged` : ''}`);
    return 1;
  }
  await staged.commit();
  // The CLI's own folder (read by its validation plugin) gets links to the published files.
  if (options.publishTo) await mirrorDirectory(options.publishTo, options.outdir, objects.map((o) => o.path));
  options.log(`dbfleet: ${objects.length} objects rendered${options.publishTo ? ` into ${options.publishTo}/` : ` into ${options.outdir}/`}`);
  return 0;
}
