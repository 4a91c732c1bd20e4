// npm run bench:plan — what `npm run plan` costs the user, against its script run directly (the
// `plan` script of package.json without npm), for the example fleet and synthetic fleets of 10,
// 100 and 1000 services × 2 environments: render the fleet, read dist/ at HEAD from git, compare.
// Each fleet gets a scratch git repository whose committed dist/ is the checkout's own render, so
// the plan has no changes but does all the work. Whole processes under GNU time (wall, CPU of every
// process, peak RSS of the largest), median of BENCH_RUNS (default 3) after one warm-up run.
//
// BENCH_BASELINE=<checkout of the previous commit, with node_modules> benchmarks it in the same
// run, alternating with this checkout (BENCH_CHECKOUT=<dir> measures another checkout as
// "this"). BENCH_SIZES=10,100 picks the synthetic sizes (empty: none), BENCH_EXAMPLE=off skips the
// example fleet.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { syntheticFleet } from './fleet-generator';
import { markdownTable, measure, ms, scratchProject, summarize, type Column, type Measurement } from './measure';

const root = resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const sizes = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').filter(Boolean).map(Number);
const checkouts = [
  { name: 'this', dir: resolve(process.env.BENCH_CHECKOUT ?? root) },
  ...(process.env.BENCH_BASELINE ? [{ name: 'baseline', dir: resolve(process.env.BENCH_BASELINE) }] : []),
];
const schemas = process.env.DBFLEET_SCHEMAS ?? join(root, '..', 'shared', 'crds');

interface Row {
  readonly checkout: string;
  readonly fleet: string;
  readonly objects: number;
  readonly script: string;
  readonly npm: ReturnType<typeof summarize>;
  readonly direct: ReturnType<typeof summarize>;
}

/** A scratch repository with the fleet and its dist/ committed. */
function planRepository(checkout: string, fleet: string): string {
  const project = scratchProject(checkout, fleet);
  const appCommand = /^app: (.*)$/m.exec(readFileSync(join(project, 'cdk8s.yaml'), 'utf8'))![1];
  execFileSync('sh', ['-c', appCommand], {
    cwd: project,
    env: { ...process.env, DBFLEET_SCHEMAS: schemas, CDK8S_OUTDIR: '.cdk8s.out' },
    stdio: 'pipe',
  });
  writeFileSync(join(project, '.gitignore'), '/*\n!/dist/\n!/fleet.yaml\n!/.gitignore\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: project, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'add', '-A');
  git('-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'commit', '-qm', 'fleet');
  return project;
}

function benchFleet(label: string, fleet: string): Row[] {
  const repos = checkouts.map((c) => {
    const project = planRepository(c.dir, fleet);
    const script = (JSON.parse(readFileSync(join(c.dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.plan;
    const objects = execFileSync('git', ['ls-tree', '-r', '--name-only', 'HEAD', 'dist'], { cwd: project, encoding: 'utf8' })
      .trim()
      .split('\n').length;
    return { ...c, project, script, objects };
  });
  const env = { DBFLEET_SCHEMAS: schemas };
  const results = repos.map(() => ({ npm: [] as Measurement[], direct: [] as Measurement[] }));
  try {
    for (let i = 0; i <= runs; i++) {
      repos.forEach((r, k) => {
        const npm = measure('npm', ['run', '--silent', 'plan'], { cwd: r.project, env });
        // The script as npm runs it: node_modules/.bin on the PATH.
        const direct = measure('sh', ['-c', r.script], {
          cwd: r.project,
          env: { ...env, PATH: `${join(r.project, 'node_modules', '.bin')}${delimiter}${process.env.PATH}` },
        });
        for (const m of [npm, direct]) {
          if (m.status !== 0 || !m.output.includes('no changes'))
            throw new Error(`${r.name}: plan of ${label} failed (exit ${m.status}):\n${m.output.slice(-3000)}`);
        }
        if (i > 0) {
          results[k].npm.push(npm);
          results[k].direct.push(direct);
        }
      });
    }
    return repos.map((r, k) => ({
      checkout: r.name,
      fleet: label,
      objects: r.objects,
      script: r.script,
      npm: summarize(results[k].npm),
      direct: summarize(results[k].direct),
    }));
  } finally {
    for (const r of repos) rmSync(r.project, { recursive: true, force: true });
  }
}

const columns: Array<Column<Row>> = [
  { header: 'checkout', value: (r) => r.checkout },
  { header: 'fleet', value: (r) => r.fleet },
  { header: 'objects', value: (r) => r.objects.toLocaleString('en-US') },
  { header: '`npm run plan` wall / CPU (ms)', value: (r) => `${ms(r.npm.wallMs)} / ${ms(r.npm.cpuMs)}` },
  { header: 'peak RSS (MB)', value: (r) => r.npm.maxRssMb.toFixed(0) },
  { header: 'script alone wall / CPU (ms)', value: (r) => `${ms(r.direct.wallMs)} / ${ms(r.direct.cpuMs)}` },
  { header: 'npm / script (wall)', value: (r) => `${(r.npm.wallMs / r.direct.wallMs).toFixed(2)}×` },
  { header: 'script', value: (r) => `\`${r.script}\`` },
];

const rows: Row[] = [];
console.error(`bench:plan: ${runs} runs per row after a warm-up; checkouts: ${checkouts.map((c) => `${c.name} (${c.dir})`).join(', ')}`);
if (process.env.BENCH_EXAMPLE !== 'off')
  rows.push(...benchFleet('example fleet.yaml', readFileSync(join(checkouts[0].dir, 'fleet.yaml'), 'utf8')));
for (const services of sizes) {
  console.error(`bench:plan: ${services} services…`);
  rows.push(...benchFleet(`${services} services × 2 envs`, syntheticFleet(services)));
}
console.log(
  `bench:plan — median of ${runs} runs, whole processes (GNU time); CPU = every process of the command; RSS = its largest process`,
);
console.log('');
console.log(markdownTable(columns, rows));
