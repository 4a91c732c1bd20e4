import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { App } from 'cdk8s';
import { FleetConfigError, loadFleet } from '../config/load';
import type { Fleet } from '../config/model';
import { buildApp, RenderError, renderObjects, toYaml, type RenderedObject } from './render';
import { checkObjectSizes } from './object-size';
import { StagedDirectory } from './replace-directory';

/** What a successful synth wrote into the CLI's folder. */
export interface WrittenFiles {
  /** The folder (CDK8S_OUTDIR). */
  readonly outdir: string;
  /** Path relative to outdir → the exact text written; one object per YAML document. */
  readonly files: ReadonlyMap<string, string>;
  /** The text of each document in those files → the dist/-relative path of its object. */
  readonly documents: ReadonlyMap<string, string>;
}

export interface SynthesizeOptions {
  /** The fleet file. */
  readonly configFile: string;
  /** Where cdk8s expects the manifests (CDK8S_OUTDIR). */
  readonly outdir: string;
  /** Also replace this folder (dist/) once everything is valid. @default not published */
  readonly publishTo?: string;
  /** Checks rendered objects; returns one message per problem. @default no check */
  readonly validate?: (objects: readonly RenderedObject[]) => string[];
  /** Told what was written once everything is in place (after a clean check). @default nothing */
  readonly written?: (files: WrittenFiles) => void;
  readonly log: (line: string) => void;
  /** Builds the cdk8s app of the loaded fleet (a fleet repository's own charts join here). @default buildApp */
  readonly build?: (fleet: Fleet) => App;
}

/** The whole pipeline; resolves to the process exit code. Nothing is written unless all of it succeeds. */
export async function synthesizeFleet(options: SynthesizeOptions): Promise<number> {
  let objects: RenderedObject[];
  try {
    objects = renderObjects((options.build ?? buildApp)(loadFleet(options.configFile)));
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    // Config and render errors carry precise messages; so do constructs that reject their props.
    // Anything else is a bug: show where it happened.
    // The first line is a complete summary: the cdk8s CLI prints its own error and stack after ours.
    if (error instanceof FleetConfigError) {
      options.log(
        `dbfleet: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} in the fleet; ${nothingWritten(options)}`,
      );
      options.log(error.message);
    } else if (error instanceof RenderError) {
      options.log(`dbfleet: ${error.message.split('\n')[0]}; ${nothingWritten(options)}`);
      const rest = error.message.split('\n').slice(1);
      if (rest.length) options.log(rest.join('\n'));
    } else {
      options.log(`dbfleet: internal error, ${nothingWritten(options)}: ${error.stack ?? error.message}`);
    }
    return 1;
  }
  // The files are written into a staging folder while the check runs; only a clean check
  // swaps them in.
  const destination = options.publishTo ?? options.outdir;
  const staged = new StagedDirectory(destination);
  const texts: string[] = [];
  try {
    for (const o of objects) {
      const text = toYaml(o.object);
      texts.push(text);
      staged.add(o.path, text);
    }
  } catch (error) {
    await staged.abort();
    throw error;
  }
  // Too large to apply is as fatal as invalid: every such object named, nothing published.
  const problems = [...checkObjectSizes(objects), ...(options.validate?.(objects) ?? [])];
  if (problems.length > 0) {
    await staged.abort();
    options.log(`dbfleet: ${problems.length} invalid object${problems.length === 1 ? '' : 's'}; ${nothingWritten(options)}`);
    for (const problem of problems) options.log(problem);
    return 1;
  }
  await staged.commit();
  const written = options.publishTo
    ? await writeCliBundles(options.outdir, options.publishTo, objects, texts)
    : {
        outdir: options.outdir,
        files: new Map(objects.map((o, i) => [o.path, texts[i]])),
        documents: new Map(objects.map((o, i) => [texts[i], o.path])),
      };
  options.written?.(written);
  options.log(
    `dbfleet: ${objects.length} objects rendered${options.publishTo ? ` into ${options.publishTo}/` : ` into ${options.outdir}/`}`,
  );
  return 0;
}

/**
 * What a failure left behind. Publishing (dist/, or DBFLEET_DIST) leaves the folder as it was.
 * With the CLI's `--output DIR`, the cdk8s CLI itself removed DIR before dbfleet ran
 * (cdk8s-cli lib/cli/cmds/synth.js: `fs.rmSync(outdir)`); say so, and how to avoid it.
 */
function nothingWritten(options: SynthesizeOptions): string {
  if (options.publishTo) return `nothing written, ${options.publishTo}/ is unchanged`;
  return `nothing written into ${options.outdir}/ (the cdk8s CLI's --output empties it before dbfleet runs; DBFLEET_DIST=${options.outdir} npx cdk8s synth renders there instead, keeping files dbfleet did not write and leaving it unchanged on failure)`;
}

/**
 * The CLI's own folder, read by its validation plugin, gets one multi-document file per dist/
 * folder (`production.yaml`: every object of dist/production/, each document headed by the file
 * it is in): the CLI prints one line per YAML file it finds, which for 13,000 files was 420 KB of
 * output, and three files are read, hashed and listed in milliseconds.
 */
async function writeCliBundles(
  outdir: string,
  publishTo: string,
  objects: readonly RenderedObject[],
  texts: readonly string[],
): Promise<WrittenFiles> {
  const bundles = new Map<string, string[]>();
  const documents = new Map<string, string>();
  objects.forEach((o, i) => {
    const slash = o.path.indexOf('/');
    const name = `${slash > 0 ? o.path.slice(0, slash) : 'manifests'}.yaml`;
    const document = `--- # ${publishTo}/${o.path}\n${texts[i]}`;
    documents.set(document, o.path);
    if (!bundles.has(name)) bundles.set(name, []);
    bundles.get(name)!.push(document);
  });
  const files = new Map([...bundles].map(([name, parts]) => [name, parts.join('')]));
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await Promise.all([...files].map(([name, text]) => writeFile(join(outdir, name), text)));
  return { outdir, files, documents };
}
