import { resolve } from 'node:path';
import { formatIssue, loadValidator } from '../validate';
import { readPluginProperties } from '../validate/plugin-config';
import type { RenderedObject } from './render';

/**
 * Checks rendered objects against the schemas with the settings of the cdk8s.yaml validation
 * plugin (so the app, the plugin, `npm run validate` and the tests agree). One line per problem.
 */
export function schemaCheck(objects: readonly RenderedObject[], cdk8sYaml = resolve('cdk8s.yaml')): string[] {
  const validator = loadValidator(readPluginProperties(cdk8sYaml) ?? {});
  const report = validator.validateObjects(objects.map((o) => ({ object: o.object, location: { file: `dist/${o.path}` } })));
  return report.issues.map(formatIssue);
}
