// Human-readable summary lines shared by the CLI and the cdk8s plugin, so both say the same thing.
import type { ValidationReport } from './validator';

/** `NOT VALIDATED (no schema in <dir>): <file>[#n]: <Kind>/<name> (<apiVersion>)`, one per object. */
export function notValidatedLines(report: ValidationReport): string[] {
  return report.notValidated.map((o) => {
    const where = o.documentIndex !== undefined ? `${o.file}#${o.documentIndex}` : o.file;
    return `${o.reason}: ${where}: ${o.kind}/${o.name ?? '<no name>'} (${o.apiVersion})`;
  });
}

export function formatSummary(report: ValidationReport): string[] {
  const { celStats } = report;
  const lines = [
    `${report.issues.length === 0 ? 'OK' : 'FAILED'}: ${report.objectCount} objects in ${report.fileCount} files, ${report.issues.length} errors`,
    `CEL rules: ${celStats.ran} ran, ${celStats.transitionSkipped} transition rules skipped (no previous object), ${celStats.notChecked} not checked`,
  ];
  for (const r of celStats.notCheckedRules) lines.push(`  not checked: ${r.crdPath}: ${r.rule} (${r.reason})`);
  lines.push(`Not validated (no schema): ${report.notValidated.length} objects`);
  return lines;
}
