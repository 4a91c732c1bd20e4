// Which files make up a fleet: `fleet.yaml` and, next to it, one file per service in
// `services/*.yaml` (same keys as an entry of `services:`). Teams then own their own file
// (CODEOWNERS `/services/orders.yaml @acme/orders`) while the platform team owns fleet.yaml.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The fleet file name looked for when DBFLEET_CONFIG (or --config) names a folder. */
export const FLEET_FILE = 'fleet.yaml';
/** The folder of one-service files, next to the fleet file. */
export const SERVICES_DIR = 'services';

export interface FleetFile {
  /** The path as it is shown in messages (relative when the given path was relative). */
  readonly file: string;
  readonly text: string;
}

export interface FleetFiles {
  readonly main: FleetFile;
  /** `services/*.yaml` in file-name order (byte order, locale-independent): each holds one service. */
  readonly services: readonly FleetFile[];
}

/** A fleet file or its folder → the fleet file's path. */
export function fleetFilePath(fileOrDir: string): string {
  try {
    if (fs.statSync(fileOrDir).isDirectory()) return path.join(fileOrDir, FLEET_FILE);
  } catch {
    // missing: reported by whoever reads it, with the path as given
  }
  return fileOrDir;
}

/**
 * Largest fleet or service file read (bytes). The example fleet is 7 KiB and a service file well
 * under 1 KiB; 1 MiB leaves room for thousands of services in one file while refusing a file that
 * could only be a mistake or an attack on the parser (YAML anchors are capped separately: load.ts).
 */
export const MAX_FLEET_FILE_BYTES = 1024 * 1024;

/**
 * The service files next to a fleet file: `<dir>/services/*.yaml` (and `*.yml`), sorted.
 *
 * Every entry whose name ends in `.yaml`/`.yml` is a service file, whatever its type: a file that
 * is dropped silently takes its service out of the render, and Argo CD's automated prune then
 * deletes the service's ExternalSecrets, roles and poolers (`creationPolicy: Owner` garbage-collects
 * the app Secret). A symbolic link is followed only when its target is a regular file inside the
 * repository (the folder holding the fleet file): teams may link a shared file, but a link out of
 * the repository would make the render depend on the machine it runs on. Anything else (a
 * directory, a dangling or outside link, a FIFO) is an error, reported by readFleetFiles.
 */
export function serviceFilePaths(fleetFile: string): string[] {
  const dir = path.join(path.dirname(fleetFile), SERVICES_DIR);
  let names: string[];
  try {
    names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => /\.ya?ml$/.test(e.name))
      .map((e) => e.name);
  } catch {
    return [];
  }
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => path.join(dir, name));
}

/** Why a service-file entry cannot be read as one, or undefined when it is a regular file inside `root`. */
function serviceEntryProblem(file: string, root: string): string | undefined {
  const link = fs.lstatSync(file);
  if (link.isFile()) return undefined;
  if (!link.isSymbolicLink())
    return `is not a regular file (${link.isDirectory() ? 'a directory' : 'a special file'}): a service file must be one`;
  let target: string;
  try {
    target = fs.realpathSync(file);
  } catch {
    return `is a symbolic link to ${fs.readlinkSync(file)}, which does not exist: its service would silently disappear from the render`;
  }
  const realRoot = fs.realpathSync(root);
  const inside = path.relative(realRoot, target);
  if (inside.startsWith('..') || path.isAbsolute(inside))
    return `is a symbolic link to ${target}, outside the repository (${realRoot}): link only to files inside it, or copy the file`;
  if (!fs.statSync(target).isFile()) return `is a symbolic link to ${target}, which is not a regular file`;
  return undefined;
}

/**
 * Reads a fleet: the file (or `<folder>/fleet.yaml`) and its `services/*.yaml`.
 * Throws FleetFileError listing every file that cannot be read, too large, or not a service file.
 */
export function readFleetFiles(fileOrDir: string): FleetFiles {
  const mainFile = fleetFilePath(fileOrDir);
  const root = path.dirname(mainFile);
  const problems: string[] = [];
  const read = (file: string, what: string): FleetFile | undefined => {
    try {
      if (what === 'service file') {
        const problem = serviceEntryProblem(file, root);
        if (problem) return void problems.push(`${file}:1: ${problem}`);
      }
      const size = fs.statSync(file).size;
      if (size > MAX_FLEET_FILE_BYTES)
        return void problems.push(
          `${file}:1: is ${size} bytes, more than the ${MAX_FLEET_FILE_BYTES} bytes a ${what} may have: split it (services/*.yaml, one service per file)`,
        );
      return { file, text: fs.readFileSync(file, 'utf8') };
    } catch (error) {
      return void problems.push(`${file}: cannot read the ${what}: ${(error as Error).message}`);
    }
  };
  const main = read(mainFile, 'fleet file');
  const services = serviceFilePaths(mainFile).map((f) => read(f, 'service file'));
  if (problems.length > 0 || !main) throw new FleetFileError(problems.join('\n'));
  return { main, services: services as FleetFile[] };
}

export class FleetFileError extends Error {}
