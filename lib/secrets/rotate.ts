// `dbfleet rotate <service> --environment <env>`: advances a service's credential rotation by one
// step (credential-rotation.ts) by editing the fleet file that declares the service — fleet.yaml
// or services/<file>.yaml — in place (lib/config/yaml-edit.ts): only the rotation line changes. The change is then reviewed
// (`dbfleet plan`) and applied by Argo CD like any other.
import { writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { loadFleet } from '../config/load';
import { setInText, YamlEditError } from '../config/yaml-edit';
import { readFleetFiles, type FleetFile } from '../config/fleet-files';
import { describeRotationStep, nextRotationState, NOT_ROTATED, type RotationState } from './credential-rotation';
import { backendTraits } from '../backends/traits';

export interface RotateResult {
  /** The file that was (or would be) changed. */
  readonly file: string;
  readonly from: RotationState;
  readonly to: RotationState;
  /** What the new step does, in one line. */
  readonly description: string;
  /** The file's new text. */
  readonly text: string;
}

export class RotateError extends Error {}

/** Computes the next step and the edited file; writes it unless `dryRun`. */
export function rotate(fleetFileOrDir: string, serviceName: string, environment: string, options: { dryRun?: boolean } = {}): RotateResult {
  const fleet = loadFleet(fleetFileOrDir);
  const service = fleet.services.find((s) => s.name === serviceName);
  if (!service) throw new RotateError(`no service "${serviceName}" (services: ${fleet.services.map((s) => s.name).join(', ')})`);
  const env = fleet.environments.find((e) => e.name === environment);
  if (!env) throw new RotateError(`no environment "${environment}" (environments: ${fleet.environments.map((e) => e.name).join(', ')})`);
  const traits = backendTraits(env.operator);
  if (traits.ownerRotation !== true)
    throw new RotateError(
      `environment "${environment}" runs on ${traits.title}: owner rotation needs CloudNativePG (README "Credentials")`,
    );

  // A DR standby uses its source's logins and store keys: the rotation that counts is the source's
  // (rotation.<standby> would be written and ignored). Both sites follow it.
  if (env.dr?.standby)
    throw new RotateError(
      `environment "${environment}" is the DR standby of "${env.dr.source}": both sites use ${env.dr.source}'s logins, so rotate there (dbfleet rotate ${serviceName} --environment ${env.dr.source}); the rotation Job runs at whichever site is primary`,
    );
  const from = service.rotation?.[environment] ?? NOT_ROTATED;
  const to = nextRotationState(from);
  const files = readFleetFiles(fleetFileOrDir);
  const edited = [
    editFile(files.main, true, serviceName, environment, to),
    ...files.services.map((f) => editFile(f, false, serviceName, environment, to)),
  ].find((e) => e !== undefined);
  if (!edited) throw new RotateError(`service "${serviceName}" was loaded but not found in any fleet file`);
  if (!options.dryRun) writeFileSync(edited.file, edited.text);
  return { file: edited.file, from, to, description: describeRotationStep(service, to), text: edited.text };
}

/** The file with the service's `rotation.<environment>` set, or undefined if it does not declare the service. */
function editFile(
  file: FleetFile,
  isFleetFile: boolean,
  serviceName: string,
  environment: string,
  state: RotationState,
): { file: string; text: string } | undefined {
  const doc = parseDocument(file.text);
  const path = servicePath(doc, isFleetFile, serviceName);
  if (!path) return undefined;
  // In place: only the rotation line changes (or is added), every other byte is kept.
  let text: string;
  try {
    text = setInText(file.text, [...path, 'rotation', environment], { generation: state.generation, step: state.step }, 'flow');
  } catch (error) {
    // An anchor other services alias, a file the edit cannot keep valid: refused, nothing written (exit 2).
    if (error instanceof YamlEditError) throw new RotateError(`${file.file}: ${error.message}`);
    throw error;
  }
  return { file: file.file, text };
}

/** Path of the service's map in the document: `['services', i]` in fleet.yaml, `[]` in a service file. */
function servicePath(doc: Document, isFleetFile: boolean, serviceName: string): Array<string | number> | undefined {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  if (!isFleetFile) return root.get('name') === serviceName ? [] : undefined;
  const services = root.get('services');
  if (!isSeq(services)) return undefined;
  const index = services.items.findIndex((item) => isMap(item) && item.get('name') === serviceName);
  return index === -1 ? undefined : ['services', index];
}
