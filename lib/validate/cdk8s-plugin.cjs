// Local cdk8s validation plugin. cdk8s-cli require()s local plugins as plain CommonJS, so this file
// is JavaScript.
//
// It does not repeat the app's work: the app validated every object before writing it and
// recorded the SHA-256 of the bytes it wrote under the identity of its validator
// (validation-record.cjs). This plugin re-hashes every file the CLI hands it and validates only
// documents whose bytes are not in that record — a file changed by hand, a file the app did not
// write — or everything when there is no record from the same validator, schemas and settings.
// Its report says how many objects it trusted and why, and which it validated. The validator is
// loaded (from the app's esbuild bundle cache, scripts/bundle-cache.cjs) only when something is
// left to validate.
//
// cdk8s.yaml:
//   validations:
//     - package: ./lib/validate/cdk8s-plugin.cjs
//       class: DbfleetSchemaValidation
//       version: 0.1.0
//       properties:
//         unvalidatedKinds: [example.com/v1/Gadget]   # only for a kind without a CRD; dbfleet needs none
//         # schemasDir: ../shared/crds   (optional; default $DBFLEET_SCHEMAS, else the shipped imports/schemas)
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { defaultCacheDir, partitionManifests, validatorIdentity } = require('./validation-record.cjs');

// In the installed dbfleet package (a fleet repository's cdk8s.yaml names
// ./node_modules/dbfleet/lib/validate/cdk8s-plugin.cjs) the validator comes from the prebuilt
// bundle of lib/validate/index.ts (build/validate.cjs, made by scripts/build-package.mjs);
// scripts/bundle-cache.cjs exists only in the dbfleet repository.
const root = path.resolve(__dirname, '..', '..');
const bundleCache = path.join(root, 'scripts', 'bundle-cache.cjs');

let api;
async function validatorApi() {
  api ??= fs.existsSync(bundleCache)
    ? await require(bundleCache).requireBundled('lib/validate/index.ts')
    : require(path.join(root, 'build', 'validate.cjs'));
  return api;
}

/** The schema folder as schema-source.ts resolves it: explicit, $DBFLEET_SCHEMAS, the shipped imports/schemas. */
function schemasDirOf(explicit) {
  if (explicit) return path.resolve(explicit);
  if (process.env.DBFLEET_SCHEMAS) return path.resolve(process.env.DBFLEET_SCHEMAS);
  return path.resolve(__dirname, '..', '..', 'imports', 'schemas');
}

/** Where the app's records are (record.ts: validationRecordDir). */
function recordsDir() {
  const fromEnv = process.env.DBFLEET_VALIDATION_RECORDS;
  if (fromEnv === 'off') return undefined;
  return fromEnv || defaultCacheDir(__dirname);
}

const shown = (file) => {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
};

/** How a document to validate is named in issues: file, document, and the dist/ file it came from. */
function labelOf(unit) {
  const source = unit.documentIndex === undefined ? null : /^--- # (\S+)/.exec(unit.text);
  return `${shown(unit.manifest)}${unit.documentIndex === undefined ? '' : `#${unit.documentIndex}`}${source ? ` (${source[1]})` : ''}`;
}

const MAX_LISTED = 10;

class DbfleetSchemaValidation {
  /** @param {{ unvalidatedKinds?: string[]; schemasDir?: string }} [properties] from cdk8s.yaml */
  constructor(properties = {}) {
    this.unvalidatedKinds = Array.isArray(properties.unvalidatedKinds) ? properties.unvalidatedKinds.map(String) : [];
    // cdk8s runs in the folder holding cdk8s.yaml; relative folders are resolved from there.
    this.schemasDir = typeof properties.schemasDir === 'string' ? path.resolve(properties.schemasDir) : undefined;
  }

  /** @param {import('cdk8s-cli/lib/plugins/validation').ValidationContext} context */
  async validate(context) {
    const manifests = [...context.manifests];
    const cacheDir = recordsDir();
    const identity =
      cacheDir === undefined
        ? undefined
        : validatorIdentity({ validateDir: __dirname, schemasDir: schemasDirOf(this.schemasDir), unvalidatedKinds: this.unvalidatedKinds });
    const partition =
      cacheDir === undefined
        ? {
            ...partitionManifests({ cacheDir: '', identity: undefined, manifests }),
            noTrustReason: 'validation records are off (DBFLEET_VALIDATION_RECORDS=off)',
          }
        : partitionManifests({ cacheDir, identity, manifests });

    const units = partition.toValidate.map((unit) => ({ ...unit, label: labelOf(unit) }));
    let report;
    let schemasDir = schemasDirOf(this.schemasDir);
    if (units.length > 0) {
      const { loadValidator } = await validatorApi();
      const validator = loadValidator({ schemasDir: this.schemasDir, unvalidatedKinds: this.unvalidatedKinds });
      schemasDir = validator.schemasDir;
      report = validator.validateTexts(units.map((u) => ({ file: u.label, text: u.text })));
    }
    const { formatIssue, formatSummary, notValidatedLines } = report ? await validatorApi() : {};

    for (const issue of report?.issues ?? []) {
      // One violation per problem: the report table then shows file, object and JSON path per line.
      context.report.addViolation({
        ruleName: `${issue.kind ?? '?'}/${issue.name ?? '?'}${issue.path ? `: ${issue.path}` : ''}: ${issue.message}`,
        recommendation: formatIssue(issue),
        fix:
          issue.rule === 'admission'
            ? "Change the fleet so that the operator's webhook accepts the object: the message names the upstream rule (dbfleet docs/admission.md)"
            : issue.schemaSource
              ? `Make the object match ${issue.schemaSource} in ${schemasDir}`
              : `Use an apiVersion/kind that has a schema in ${schemasDir}, or list it under unvalidatedKinds in cdk8s.yaml`,
        violatingResources: [
          {
            resourceName: issue.name ?? '<no name>',
            locations: [issue.path || '(object)'],
            manifestPath: issue.file,
          },
        ],
      });
    }

    // What was trusted and what was checked, in a few lines whatever the number of files.
    const trusted = partition.trusted.length;
    const validatedObjects = report?.objectCount ?? 0;
    const errors = report?.issues.length ?? 0;
    const log = (line) => context.logger.log(line);
    if (trusted > 0) {
      log(
        `dbfleet: trusted ${trusted} object${trusted === 1 ? '' : 's'} in ${new Set(partition.trusted.map((t) => t.manifest)).size} file(s): their bytes are exactly what the app validated, with this validator, these schemas and settings (record ${shown(partition.recordFile)})`,
      );
    }
    if (units.length > 0) {
      log(
        `dbfleet: validating ${units.length} document(s) here${partition.noTrustReason ? ` (all of them: ${partition.noTrustReason})` : ':'}`,
      );
      if (!partition.noTrustReason) {
        for (const unit of units.slice(0, MAX_LISTED)) log(`  ${unit.label}: ${unit.reason}`);
        if (units.length > MAX_LISTED) log(`  … and ${units.length - MAX_LISTED} more`);
      }
    }
    const notValidated = [
      ...partition.trusted.filter((t) => t.notValidated).map((t) => t.notValidated),
      ...(report ? notValidatedLines(report) : []),
    ];
    for (const line of notValidated) log(line);
    log(
      `dbfleet: ${errors === 0 ? 'OK' : 'FAILED'}: ${trusted + validatedObjects} objects: ${trusted} trusted, ${validatedObjects} validated here, ${errors} error${errors === 1 ? '' : 's'}; not validated (no schema): ${notValidated.length}`,
    );
    // The CEL lines of the part validated here (formatSummary's first and last lines are replaced by the line above).
    if (report) for (const line of formatSummary(report).slice(1, -1)) log(`dbfleet: ${line}`);

    const cel = report?.celStats ?? { ran: 0, transitionSkipped: 0, notChecked: 0 };
    context.report.submit(errors === 0 ? 'success' : 'failure', {
      objects: String(trusted + validatedObjects),
      'trusted (validated by the app, bytes unchanged)': String(trusted),
      'validated by this plugin': String(validatedObjects),
      errors: String(errors),
      // CEL counts of the objects validated here (the app's check ran the rules of the trusted ones).
      'CEL rules ran here': String(cel.ran),
      'CEL transition rules skipped here': String(cel.transitionSkipped),
      'CEL rules not checked here': String(cel.notChecked),
      'not validated (no schema)': String(notValidated.length),
    });
  }
}

module.exports = { DbfleetSchemaValidation };
