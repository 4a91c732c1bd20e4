import { resolve } from 'node:path';
import { formatIssue, loadValidator, notValidatedLines, type Validator } from '../validate';
import { readPluginProperties } from '../validate/plugin-config';
import { identityOf, validationRecordDir, writeValidationRecord } from '../validate/record';
import type { RenderedObject } from './render';
import type { WrittenFiles } from './synthesize';

/**
 * Checks rendered objects against the schemas with the settings of the cdk8s.yaml validation
 * plugin (so the app, the plugin, `npm run validate` and the tests agree), and records what
 * passed for the plugin (validation-record.cjs).
 */
export class SchemaChecker {
  private readonly validator: Validator;
  private readonly unvalidatedKinds: readonly string[];
  /** dist/-relative path → NOT VALIDATED line, from the last check. */
  private notValidated = new Map<string, string>();

  constructor(cdk8sYaml = resolve('cdk8s.yaml')) {
    const properties = readPluginProperties(cdk8sYaml) ?? {};
    this.unvalidatedKinds = properties.unvalidatedKinds ?? [];
    this.validator = loadValidator(properties);
  }

  /** One line per problem. */
  check(objects: readonly RenderedObject[]): string[] {
    const report = this.validator.validateObjects(objects.map((o) => ({ object: o.object, location: { file: `dist/${o.path}` } })));
    const lines = notValidatedLines(report);
    this.notValidated = new Map(report.notValidated.map((o, i) => [o.file.slice('dist/'.length), lines[i]]));
    return report.issues.map(formatIssue);
  }

  /**
   * Records the files written after a clean check: their bytes passed this validator. Returns the
   * record file, or undefined when there is none (records off, sources unreadable, disk full).
   */
  record(written: WrittenFiles): string | undefined {
    const cacheDir = validationRecordDir();
    const identity = cacheDir === undefined ? undefined : identityOf(this.validator, this.unvalidatedKinds);
    if (cacheDir === undefined || identity === undefined) return undefined;
    const notValidated = new Map<string, string>();
    for (const [text, path] of written.documents) {
      const line = this.notValidated.get(path);
      if (line !== undefined) notValidated.set(text, line);
    }
    return writeValidationRecord({ cacheDir, outdir: written.outdir, identity, files: written.files, notValidated });
  }
}

/** One line per problem (a checker used once). */
export function schemaCheck(objects: readonly RenderedObject[], cdk8sYaml = resolve('cdk8s.yaml')): string[] {
  return new SchemaChecker(cdk8sYaml).check(objects);
}
