// Public API of the manifest validator. main.ts validates the rendered objects in memory with
// validateObjects() before it replaces dist/, so a failed validation leaves the committed dist/
// intact; the CLI (cli.ts), the cdk8s plugin (cdk8s-plugin.cjs) and the tests use the same calls.
export { loadValidator, mergeReports } from './validator';
export type { Validator, ValidatorOptions, ValidationReport, ValidationSink, NotValidatedObject } from './validator';
export { formatIssue } from './issues';
export type { ValidationIssue, ObjectLocation, IssueRule } from './issues';
export type { CelStats, CelRuleInfo, CelRuleStatus, NotCheckedOccurrence } from './cel-rules';
export { resolveSchemasDir, SCHEMAS_ENV } from './schema-source';
export { formatSummary, notValidatedLines } from './report-text';
