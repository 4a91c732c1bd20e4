// The validator's settings live in one place: the properties of our entry under `validations:` in
// cdk8s.yaml. The CLI and the dist/ test read them from there, so `npm run validate`, `npm test` and
// `cdk8s synth` always agree on which kinds are knowingly unvalidated.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

export const PLUGIN_CLASS = 'DbfleetSchemaValidation';

export interface PluginProperties {
  readonly unvalidatedKinds?: string[];
  readonly schemasDir?: string;
}

/** Properties of the DbfleetSchemaValidation entry in a cdk8s.yaml, or undefined if there is none. */
export function readPluginProperties(cdk8sYaml: string): PluginProperties | undefined {
  if (!fs.existsSync(cdk8sYaml)) return undefined;
  const config = YAML.parse(fs.readFileSync(cdk8sYaml, 'utf8')) as { validations?: unknown } | null;
  const validations = Array.isArray(config?.validations) ? config.validations : [];
  const entry = validations.find((v: { class?: string }) => v && v.class === PLUGIN_CLASS) as { properties?: PluginProperties } | undefined;
  if (!entry) return undefined;
  const props = entry.properties ?? {};
  return {
    unvalidatedKinds: Array.isArray(props.unvalidatedKinds) ? props.unvalidatedKinds.map(String) : undefined,
    // cdk8s resolves local paths from the directory it runs in, which is where cdk8s.yaml is.
    schemasDir: typeof props.schemasDir === 'string' ? path.resolve(path.dirname(cdk8sYaml), props.schemasDir) : undefined,
  };
}
