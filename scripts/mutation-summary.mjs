// Summarises a Stryker run for docs/mutation-testing.md: one row per module, then every surviving and
// uncovered mutant grouped by module and line.
//   node scripts/mutation-summary.mjs [reports/mutation/mutation.json | reports/mutation/progress.jsonl]
// The progress file (scripts/stryker-plugins.mjs) also counts a run that was stopped before its end.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const file = process.argv[2] ?? 'reports/mutation/mutation.json';
const text = readFileSync(file, 'utf8');
/** module → mutant results, from either report. */
const byModule = new Map();
const add = (name, m) => {
  const key = relative(process.cwd(), name);
  if (!byModule.has(key)) byModule.set(key, []);
  byModule.get(key).push(m);
};
if (file.endsWith('.jsonl')) {
  for (const line of text.split('\n').filter(Boolean)) {
    const m = JSON.parse(line);
    add(m.fileName, m);
  }
} else {
  const report = JSON.parse(text);
  for (const [name, f] of Object.entries(report.files)) for (const m of f.mutants) add(name, { ...m, source: f.source });
}

const row = (cells) => `| ${cells.join(' | ')} |`;
console.log(
  row([
    'module',
    'mutants',
    'killed',
    'timeout',
    'survived',
    'no coverage',
    'ignored: static',
    'ignored: log text',
    'score',
    'score of covered',
  ]),
);
console.log(row(Array(10).fill('---')));
for (const [name, mutants] of [...byModule].sort(([a], [b]) => a.localeCompare(b))) {
  const n = (s) => mutants.filter((m) => m.status === s).length;
  const [killed, timeout, survived, noCoverage] = ['Killed', 'Timeout', 'Survived', 'NoCoverage'].map(n);
  // Stryker's reasons: "Static mutant (and "ignoreStatic" was enabled)", or the log-text ignorer's.
  const ignoredStatic = mutants.filter((m) => m.status === 'Ignored' && /static/i.test(m.statusReason ?? '')).length;
  const ignoredLog = mutants.filter((m) => m.status === 'Ignored' && /^log text/.test(m.statusReason ?? '')).length;
  const detected = killed + timeout;
  const pct = (a, b) => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)} %`);
  console.log(
    row([
      `\`${name}\``,
      mutants.length,
      killed,
      timeout,
      survived,
      noCoverage,
      ignoredStatic,
      ignoredLog,
      pct(detected, detected + survived + noCoverage),
      pct(detected, detected + survived),
    ]),
  );
}
for (const [name, mutants] of byModule) {
  const open = mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage');
  if (open.length === 0) continue;
  console.log(`\n${name}`);
  for (const m of open.sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column))
    console.log(
      `  ${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName} → ${JSON.stringify(m.replacement ?? '').slice(0, 100)}`,
    );
}
