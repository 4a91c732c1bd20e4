// The backend contract (lib/backends/types.ts) is the only place that knows which operator an
// environment runs: outside lib/backends/, code asks the backend or its traits, never compares
// the operator's name. A third backend is then a folder, not a third set of branches.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allBackends, backendOf } from '../../lib/backends';
import { ALL_BACKEND_TRAITS, backendTraits } from '../../lib/backends/traits';
import { OPERATORS } from '../../lib/config/schema';

const root = join(__dirname, '..', '..');

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === 'node_modules'
        ? []
        : sourcesUnder(join(dir, entry.name))
      : /\.(ts|cts|mts|cjs|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

const names = OPERATORS.map((o) => o.replace(/[-]/g, '\\-')).join('|');
/** `x.operator === 'zalando'`, `'zalando' !== env.operator`, `case 'zalando':`, `operator == "cloudnative-pg"`. */
const COMPARISONS = [
  new RegExp(`operator\\s*[!=]==?\\s*(['"\`])(${names})\\1`),
  new RegExp(`(['"\`])(${names})\\1\\s*[!=]==?\\s*[\\w.?!\\]\\[]*operator\\b`),
  new RegExp(`case\\s+(['"\`])(${names})\\1\\s*:`),
];

function comparisonsIn(text: string): string[] {
  return text.split('\n').filter((line) => COMPARISONS.some((re) => re.test(line)));
}

describe('backend contract', () => {
  it('catches the comparisons it guards against (self-check)', () => {
    expect(comparisonsIn("if (environment.operator === 'zalando') {")).toHaveLength(1);
    expect(comparisonsIn("  env.operator !== 'cloudnative-pg' ? a : b")).toHaveLength(1);
    expect(comparisonsIn("if ('zalando' === input.environments[env].operator)")).toHaveLength(1);
    expect(comparisonsIn("  case 'zalando':")).toHaveLength(1);
    expect(comparisonsIn("if (e.key !== 'x' || e.operator !== 'In') return [];")).toHaveLength(0);
  });

  it('no file outside lib/backends/ compares the operator to a literal', () => {
    const files = [...sourcesUnder(join(root, 'lib')), ...sourcesUnder(join(root, 'charts')), join(root, 'main.ts')].filter(
      (f) => !relative(root, f).startsWith(join('lib', 'backends')),
    );
    const offenders = files.flatMap((f) => comparisonsIn(readFileSync(f, 'utf8')).map((line) => `${relative(root, f)}: ${line.trim()}`));
    expect(offenders).toEqual([]);
  });

  it('the environment chart names no backend: no operator literal, no backend construct', () => {
    const chart = readFileSync(join(root, 'lib', 'fleet', 'environment-chart.ts'), 'utf8');
    for (const operator of OPERATORS) expect(chart).not.toContain(`'${operator}'`);
    expect(chart).not.toMatch(/Cnpg|Zalando|Aurora|instanceof/);
    expect(chart).not.toMatch(/from '\.\.\/backends\/[^']+\//);
  });

  it('every operator of the config schema has one backend and its traits', () => {
    expect(allBackends().map((b) => b.traits.operator)).toEqual([...OPERATORS]);
    expect(ALL_BACKEND_TRAITS.map((t) => t.operator)).toEqual([...OPERATORS]);
    for (const operator of OPERATORS) {
      expect(backendOf(operator).traits).toBe(backendTraits(operator));
      expect(backendTraits(operator).clusterKinds.length).toBeGreaterThan(0);
    }
  });
});
