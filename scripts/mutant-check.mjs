// Checks by hand that tests kill given mutants of a finished Stryker run: each mutant is applied to the
// source file (from the report's location and replacement), the tests are run once, and the file is
// restored. For survivors the tests were written for after the run (docs/mutation-testing.md).
//   node scripts/mutant-check.mjs <mutation.json> <id,id,…> <test file>…
// Prints one line per mutant: KILLED (the tests failed), SURVIVED (they passed) or TIMEOUT. Exit 1 if any survived.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const [reportFile, idList, ...tests] = process.argv.slice(2);
if (!reportFile || !idList || tests.length === 0) {
  console.error('usage: node scripts/mutant-check.mjs <mutation.json> <id,id,…> <test file>…');
  process.exit(2);
}
const ids = new Set(idList.split(','));
const report = JSON.parse(readFileSync(reportFile, 'utf8'));
// A mutant can make a test loop for ever (a deadline that never comes, with a fake clock): such a run is stopped after
// MUTANT_CHECK_TIMEOUT_MS (default 3 min) and counted as TIMEOUT (detected, as Stryker counts a timeout).
const timeoutMs = Number(process.env.MUTANT_CHECK_TIMEOUT_MS ?? 180_000);
// coreutils `timeout` signals its whole process group: vitest's forked workers too (killing vitest alone left a
// hung worker running).
const runTests = () =>
  spawnSync(
    'timeout',
    ['-s', 'KILL', String(Math.ceil(timeoutMs / 1000)), process.execPath, 'node_modules/vitest/vitest.mjs', 'run', ...tests],
    {
      encoding: 'utf8',
    },
  );
// A failing baseline would count every mutant as killed.
const baseline = runTests();
if (baseline.status !== 0) {
  console.error(`the tests fail without any mutant:\n${baseline.stdout}${baseline.stderr}`);
  process.exit(2);
}
let survived = 0;
for (const [file, { mutants }] of Object.entries(report.files)) {
  for (const m of mutants.filter((x) => ids.has(x.id))) {
    const original = readFileSync(file, 'utf8');
    if (original !== report.files[file].source) {
      console.error(`${file} changed since the run: its mutants' locations no longer apply`);
      process.exit(2);
    }
    const lines = original.split('\n');
    // The report's locations (mutation-testing-report-schema): 1-based lines AND columns.
    const offset = (p) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
    const mutated = original.slice(0, offset(m.location.start)) + m.replacement + original.slice(offset(m.location.end));
    writeFileSync(file, mutated);
    try {
      const run = runTests();
      if (run.signal === 'SIGKILL' || run.status === 137 || run.status === 124) {
        console.log(
          `TIMEOUT  ${m.id} ${relative(process.cwd(), file)}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} (the tests did not end within ${timeoutMs} ms)`,
        );
        continue;
      }
      const killed = run.status !== 0;
      // The first failing test, as vitest names it (FAIL file > describe > it).
      const failed = killed
        ? (/FAIL\s+(.*)/.exec(run.stdout + run.stderr)?.[1] ?? '').replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
        : '';
      // A whole file failing (no ` > `) is a mutated source that does not load, not a test failing.
      if (killed && !failed.includes(' > ')) {
        console.log(`INVALID  ${m.id}: the mutated source does not load (${failed.slice(0, 100)})`);
        continue;
      }
      if (!killed) survived++;
      console.log(
        `${killed ? 'KILLED  ' : 'SURVIVED'} ${m.id} ${relative(process.cwd(), file)}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} → ${JSON.stringify(m.replacement).slice(0, 80)}${failed ? `\n           failed: ${failed.slice(0, 160)}` : ''}`,
      );
    } finally {
      writeFileSync(file, original);
    }
  }
}
process.exit(survived ? 1 : 0);
