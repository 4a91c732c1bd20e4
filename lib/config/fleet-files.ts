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

/** The service files next to a fleet file: `<dir>/services/*.yaml` (and `*.yml`), sorted. */
export function serviceFilePaths(fleetFile: string): string[] {
  const dir = path.join(path.dirname(fleetFile), SERVICES_DIR);
  let names: string[];
  try {
    names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => e.name);
  } catch {
    return [];
  }
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => path.join(dir, name));
}

/**
 * Reads a fleet: the file (or `<folder>/fleet.yaml`) and its `services/*.yaml`.
 * Throws `{ file, message }` for the first file that cannot be read.
 */
export function readFleetFiles(fileOrDir: string): FleetFiles {
  const mainFile = fleetFilePath(fileOrDir);
  const read = (file: string, what: string): FleetFile => {
    try {
      return { file, text: fs.readFileSync(file, 'utf8') };
    } catch (error) {
      throw new FleetFileError(`${file}: cannot read the ${what}: ${(error as Error).message}`);
    }
  };
  return { main: read(mainFile, 'fleet file'), services: serviceFilePaths(mainFile).map((f) => read(f, 'service file')) };
}

export class FleetFileError extends Error {}
