// Local cdk8s validation plugin. cdk8s-cli require()s local plugins as plain CommonJS, so this file
// is JavaScript: it loads the TypeScript validator from the same content-keyed esbuild bundle
// cache as the app (scripts/bundle-cache.cjs; tsx would cost ~0.45 s more), and exports the
// plugin class.
//
// cdk8s.yaml:
//   validations:
//     - package: ./lib/validate/cdk8s-plugin.cjs
//       class: DbfleetSchemaValidation
//       version: 0.1.0
//       properties:
//         unvalidatedKinds: [example.com/v1/Gadget]   # only for a kind without a CRD; dbfleet needs none
//         # schemasDir: ../shared/crds   (optional; default $DBFLEET_SCHEMAS, else ../shared/crds)
'use strict';

const path = require('node:path');
const { requireBundled } = require('../../scripts/bundle-cache.cjs');

// Loaded on first validate() so that `cdk8s synth --no-validate` pays nothing.
let api;
async function validatorApi() {
  api ??= await requireBundled('lib/validate/index.ts');
  return api;
}

class DbfleetSchemaValidation {
  /** @param {{ unvalidatedKinds?: string[]; schemasDir?: string }} [properties] from cdk8s.yaml */
  constructor(properties = {}) {
    this.unvalidatedKinds = Array.isArray(properties.unvalidatedKinds) ? properties.unvalidatedKinds.map(String) : [];
    // cdk8s runs in the folder holding cdk8s.yaml; relative folders are resolved from there.
    this.schemasDir = typeof properties.schemasDir === 'string' ? path.resolve(properties.schemasDir) : undefined;
  }

  /** @param {import('cdk8s-cli/lib/plugins/validation').ValidationContext} context */
  async validate(context) {
    const { loadValidator, formatIssue, formatSummary, notValidatedLines } = await validatorApi();
    const validator = loadValidator({ schemasDir: this.schemasDir, unvalidatedKinds: this.unvalidatedKinds });
    const report = validator.validateFiles([...context.manifests]);

    for (const issue of report.issues) {
      // One violation per problem: the report table then shows file, object and JSON path per line.
      context.report.addViolation({
        ruleName: `${issue.kind ?? '?'}/${issue.name ?? '?'}${issue.path ? `: ${issue.path}` : ''}: ${issue.message}`,
        recommendation: formatIssue(issue),
        fix: issue.schemaSource
          ? `Make the object match ${issue.schemaSource} in ${validator.schemasDir}`
          : `Use an apiVersion/kind that has a schema in ${validator.schemasDir}, or list it under unvalidatedKinds in cdk8s.yaml`,
        violatingResources: [{
          resourceName: issue.name ?? '<no name>',
          locations: [issue.path || '(object)'],
          manifestPath: issue.file,
        }],
      });
    }
    for (const line of notValidatedLines(report)) context.logger.log(line);
    for (const line of formatSummary(report)) context.logger.log(line);

    const { celStats } = report;
    context.report.submit(report.issues.length === 0 ? 'success' : 'failure', {
      objects: String(report.objectCount),
      errors: String(report.issues.length),
      'CEL rules ran': String(celStats.ran),
      'CEL transition rules skipped': String(celStats.transitionSkipped),
      'CEL rules not checked': String(celStats.notChecked),
      'not validated (no schema)': String(report.notValidated.length),
    });
  }
}

module.exports = { DbfleetSchemaValidation };
