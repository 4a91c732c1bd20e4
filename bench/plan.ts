// npm run bench:plan — what `npm run plan` costs the user next to what a synth of the same fleet
// costs (`npx cdk8s synth`), for synthetic fleets of 10, 100 and 1000 services × 2 environments
// (test: one shared cluster; production: one cluster per service), in three cases:
//   no change        fleet.yaml as committed: the plan does all the work and finds nothing;
//   one service      one service added;
//   fleet-wide       a PostgreSQL parameter added for the whole fleet: every Cluster changes.
// Each fleet gets a scratch git repository whose committed dist/ is the checkout's own render.
// Whole processes under GNU time (wall, CPU of every process, peak RSS of the largest), median of
// BENCH_RUNS (default 3) after one warm-up run, which builds the bundle and compile caches.
//
// BENCH_BASELINE=<checkout with node_modules, or a git revision of this repository, e.g. HEAD~1>
// benchmarks it in the same run, alternating with this checkout, so both see the same machine
// load (a revision is checked out into a temporary worktree sharing this node_modules).
// BENCH_CHECKOUT=<dir> measures another checkout as "this"; BENCH_SIZES=10,100 picks the sizes;
// BENCH_CASES=no-change,one-service picks the cases.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { syntheticFleet } from './fleet-generator';
import { markdownTable, measure, ms, scratchProject, summarize, type Column, type Measurement } from './measure';

const root = resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const sizes = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').filter(Boolean).map(Number);
const schemas = process.env.DBFLEET_SCHEMAS ?? join(root, '..', 'shared', 'crds');

const CASES = {
  'no change': (fleet: string) => fleet,
  'one service': (fleet: string) => fleet.replace('mongoSnapshots:', '  - { name: added-svc, extensions: [pgcrypto] }\nmongoSnapshots:'),
  'fleet-wide': (fleet: string) => fleet.replace('postgres: { version: 16 }', 'postgres: { version: 16, parameters: { work_mem: 8MB } }'),
} as const;
type Case = keyof typeof CASES;
const cases = (process.env.BENCH_CASES ?? Object.keys(CASES).join(','))
  .split(',')
  .map((c) => c.replace(/-/g, ' ').replace('fleet wide', 'fleet-wide') as Case)
  .filter((c) => c in CASES);

/** A baseline given as a git revision: a temporary worktree that shares this checkout's node_modules. */
function baselineCheckout(spec: string): { dir: string; cleanup: () => void } {
  if (existsSync(spec) && statSync(spec).isDirectory()) return { dir: resolve(spec), cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-bench-baseline-'));
  execFileSync('git', ['worktree', 'add', '-q', '--detach', dir, spec], { cwd: root, stdio: 'pipe' });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return {
    dir,
    cleanup: () => execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'pipe' }),
  };
}

const baseline = process.env.BENCH_BASELINE ? baselineCheckout(process.env.BENCH_BASELINE) : undefined;
const checkouts = [
  { name: 'this', dir: resolve(process.env.BENCH_CHECKOUT ?? root) },
  ...(baseline ? [{ name: `baseline (${process.env.BENCH_BASELINE})`, dir: baseline.dir }] : []),
];

interface Row {
  readonly checkout: string;
  readonly fleet: string;
  readonly objects: number;
  readonly case: Case;
  readonly plan: ReturnType<typeof summarize>;
  readonly synth: ReturnType<typeof summarize>;
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

function benchFleet(services: number): Row[] {
  const fleet = syntheticFleet(services);
  const label = `${services} services × 2 envs`;
  const repos = checkouts.map((c) => {
    const project = planRepository(c.dir, fleet);
    const objects = execFileSync('git', ['ls-tree', '-r', '--name-only', 'HEAD', 'dist'], { cwd: project, encoding: 'utf8' })
      .trim()
      .split('\n').length;
    return { ...c, project, objects };
  });
  const env = { DBFLEET_SCHEMAS: schemas, CDK8S_CHECK_UPGRADE: 'false' };
  const results = repos.map(() => ({
    synth: [] as Measurement[],
    plan: new Map<Case, Measurement[]>(cases.map((c) => [c, []])),
  }));
  const check = (m: Measurement, what: string, ok: (m: Measurement) => boolean) => {
    if (!ok(m)) throw new Error(`${what} of ${label} failed (exit ${m.status}):\n${m.output.slice(-3000)}`);
  };
  try {
    for (let i = 0; i <= runs; i++) {
      repos.forEach((r, k) => {
        writeFileSync(join(r.project, 'fleet.yaml'), fleet);
        const synth = measure('npx', ['cdk8s', 'synth'], { cwd: r.project, env });
        check(synth, `${r.name}: npx cdk8s synth`, (m) => m.status === 0);
        if (i > 0) results[k].synth.push(synth);
        for (const c of cases) {
          writeFileSync(join(r.project, 'fleet.yaml'), CASES[c](fleet));
          const plan = measure('npm', ['run', '--silent', 'plan'], { cwd: r.project, env });
          // A fleet-wide change may well be a DANGER (exit 1); anything else is a failure.
          check(plan, `${r.name}: plan (${c})`, (m) =>
            c === 'no change'
              ? m.status === 0 && m.output.includes('no changes')
              : (m.status === 0 || m.status === 1) && !/^no changes$/m.test(m.output),
          );
          if (i > 0) results[k].plan.get(c)!.push(plan);
        }
      });
    }
    return cases.flatMap((c) =>
      repos.map((r, k) => ({
        checkout: r.name,
        fleet: label,
        objects: r.objects,
        case: c,
        plan: summarize(results[k].plan.get(c)!),
        synth: summarize(results[k].synth),
      })),
    );
  } finally {
    for (const r of repos) rmSync(r.project, { recursive: true, force: true });
  }
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const columns: Array<Column<Row>> = [
  { header: 'fleet', value: (r) => r.fleet },
  { header: 'objects', value: (r) => r.objects.toLocaleString('en-US') },
  { header: 'case', value: (r) => r.case },
  { header: 'checkout', value: (r) => r.checkout },
  { header: '`npm run plan` wall / CPU (ms)', value: (r) => `${ms(r.plan.wallMs)} / ${ms(r.plan.cpuMs)}` },
  { header: '`npx cdk8s synth` wall / CPU (ms)', value: (r) => `${ms(r.synth.wallMs)} / ${ms(r.synth.cpuMs)}` },
  { header: 'plan / synth (wall, CPU)', value: (r) => `${ratio(r.plan.wallMs, r.synth.wallMs)}, ${ratio(r.plan.cpuMs, r.synth.cpuMs)}` },
  { header: 'plan peak RSS (MB)', value: (r) => r.plan.maxRssMb.toFixed(0) },
];

const rows: Row[] = [];
console.error(`bench:plan: ${runs} runs per row after a warm-up; checkouts: ${checkouts.map((c) => `${c.name} (${c.dir})`).join(', ')}`);
try {
  for (const services of sizes) {
    console.error(`bench:plan: ${services} services…`);
    rows.push(...benchFleet(services));
  }
} finally {
  baseline?.cleanup();
}
console.log(
  `bench:plan — median of ${runs} runs, whole processes (GNU time); CPU = every process of the command; RSS = its largest process; synth = the same fleet, same run`,
);
console.log('');
console.log(markdownTable(columns, rows));
