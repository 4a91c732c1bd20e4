// npm run bench:synth — what a synth costs the user (`npx cdk8s synth`: npx, the cdk8s CLI, the
// app, the CLI's validation plugin) against the app's own run (the `app:` command of cdk8s.yaml,
// as the CLI starts it), for the example fleet and synthetic fleets of 10, 100 and 1000 services
// × 2 environments. Ratio = synth / app. Whole processes under GNU time: wall, CPU (every process
// of the command), peak RSS (the largest process); median of BENCH_RUNS (default 3) after one
// warm-up run of each, which builds the bundle and compile caches; each run re-renders over the
// dist/ of the previous one, as a user's second synth does.
//
// BENCH_BASELINE=<checkout of the previous commit, with node_modules> benchmarks it in the same
// run, alternating with this checkout, so both see the same machine load (BENCH_CHECKOUT=<dir>
// measures another checkout as "this"). BENCH_SIZES=10,100 picks the synthetic sizes (empty: none),
// BENCH_EXAMPLE=off skips the example fleet. `npm run synth` (the documented fast path, `dbfleet synth`)
// is measured the same way, in the same project and run. The CLI's upgrade check (a registry request on every run) is off
// (CDK8S_CHECK_UPGRADE=false) except in the "upgrade check on" row.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
  readonly app: ReturnType<typeof summarize>;
  readonly synth: ReturnType<typeof summarize>;
  /** `npm run synth` (= `dbfleet synth`): the CLI's synth command without npx, its other commands and the upgrade check. */
  readonly npmSynth: ReturnType<typeof summarize>;
  /** The largest rendered file (issue 25: every object below 256 KiB at 1000 services). */
  readonly largest: { readonly file: string; readonly bytes: number };
  /** Lines and bytes the CLI printed (last run). */
  readonly outputLines: number;
  readonly outputBytes: number;
}

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : 1), 0);
}

function largestFile(dir: string, base = dir): { file: string; bytes: number } {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (best, e) => {
      const found = e.isDirectory()
        ? largestFile(join(dir, e.name), base)
        : { file: join(dir, e.name).slice(base.length + 1), bytes: statSync(join(dir, e.name)).size };
      return found.bytes > best.bytes ? found : best;
    },
    { file: '-', bytes: 0 },
  );
}

/** `fleet`: the fleet text, or per checkout (the example: each checkout's own fleet.yaml, which the other may not accept). */
function benchFleet(label: string, fleet: string | ((dir: string) => string), env: NodeJS.ProcessEnv = {}): Row[] {
  const projects = checkouts.map((c) => ({ ...c, project: scratchProject(c.dir, typeof fleet === 'string' ? fleet : fleet(c.dir)) }));
  const environment = { DBFLEET_SCHEMAS: schemas, CDK8S_CHECK_UPGRADE: 'false', ...env };
  const results = projects.map(() => ({ app: [] as Measurement[], synth: [] as Measurement[], npmSynth: [] as Measurement[] }));
  try {
    for (let i = 0; i <= runs; i++) {
      projects.forEach((p, k) => {
        const appCommand = /^app: (.*)$/m.exec(readFileSync(join(p.project, 'cdk8s.yaml'), 'utf8'))![1];
        const app = measure('sh', ['-c', appCommand], { cwd: p.project, env: { ...environment, CDK8S_OUTDIR: '.cdk8s.out' } });
        const synth = measure('npx', ['cdk8s', 'synth'], { cwd: p.project, env: environment });
        const npmSynth = measure('npm', ['run', '--silent', 'synth'], { cwd: p.project, env: environment });
        for (const [what, m] of [
          ['app', app],
          ['npx cdk8s synth', synth],
          ['npm run synth', npmSynth],
        ] as const) {
          if (m.status !== 0) throw new Error(`${p.name}: ${what} of ${label} failed (exit ${m.status}):\n${m.output.slice(-3000)}`);
        }
        if (i > 0) {
          results[k].app.push(app);
          results[k].synth.push(synth);
          results[k].npmSynth.push(npmSynth);
        }
      });
    }
    return projects.map((p, k) => {
      const last = results[k].synth[results[k].synth.length - 1];
      return {
        checkout: p.name,
        fleet: label,
        objects: countFiles(join(p.project, 'dist')),
        largest: largestFile(join(p.project, 'dist')),
        app: summarize(results[k].app),
        synth: summarize(results[k].synth),
        npmSynth: summarize(results[k].npmSynth),
        outputLines: last.output.split('\n').length,
        outputBytes: Buffer.byteLength(last.output),
      };
    });
  } finally {
    for (const p of projects) rmSync(p.project, { recursive: true, force: true });
  }
}

const columns: Array<Column<Row>> = [
  { header: 'checkout', value: (r) => r.checkout },
  { header: 'fleet', value: (r) => r.fleet },
  { header: 'objects', value: (r) => r.objects.toLocaleString('en-US') },
  { header: 'largest object (KiB)', value: (r) => `${(r.largest.bytes / 1024).toFixed(0)} (${r.largest.file})` },
  { header: 'app wall / CPU (ms)', value: (r) => `${ms(r.app.wallMs)} / ${ms(r.app.cpuMs)}` },
  { header: 'app peak RSS (MB)', value: (r) => r.app.maxRssMb.toFixed(0) },
  { header: '`npx cdk8s synth` wall / CPU (ms)', value: (r) => `${ms(r.synth.wallMs)} / ${ms(r.synth.cpuMs)}` },
  { header: 'synth peak RSS (MB)', value: (r) => r.synth.maxRssMb.toFixed(0) },
  {
    header: 'synth / app (wall, CPU)',
    value: (r) => `${(r.synth.wallMs / r.app.wallMs).toFixed(2)}×, ${(r.synth.cpuMs / r.app.cpuMs).toFixed(2)}×`,
  },
  { header: 'synth − app (ms wall, CPU)', value: (r) => `${ms(r.synth.wallMs - r.app.wallMs)}, ${ms(r.synth.cpuMs - r.app.cpuMs)}` },
  { header: '`npm run synth` wall / CPU (ms)', value: (r) => `${ms(r.npmSynth.wallMs)} / ${ms(r.npmSynth.cpuMs)}` },
  {
    header: 'npm run synth / app (wall, CPU)',
    value: (r) => `${(r.npmSynth.wallMs / r.app.wallMs).toFixed(2)}×, ${(r.npmSynth.cpuMs / r.app.cpuMs).toFixed(2)}×`,
  },
  {
    header: 'npm run synth − app (ms wall, CPU)',
    value: (r) => `${ms(r.npmSynth.wallMs - r.app.wallMs)}, ${ms(r.npmSynth.cpuMs - r.app.cpuMs)}`,
  },
  { header: 'CLI output', value: (r) => `${r.outputLines.toLocaleString('en-US')} lines, ${(r.outputBytes / 1024).toFixed(0)} KB` },
];

const rows: Row[] = [];
const example = (dir: string) => readFileSync(join(dir, 'fleet.yaml'), 'utf8');
console.error(`bench:synth: ${runs} runs per row after a warm-up; checkouts: ${checkouts.map((c) => `${c.name} (${c.dir})`).join(', ')}`);
if (process.env.BENCH_EXAMPLE !== 'off') {
  rows.push(...benchFleet('example fleet.yaml', example));
  rows.push(...benchFleet('example, upgrade check on', example, { CDK8S_CHECK_UPGRADE: 'true' }));
}
for (const services of sizes) {
  console.error(`bench:synth: ${services} services…`);
  rows.push(...benchFleet(`${services} services × 2 envs`, syntheticFleet(services)));
}
console.log(
  `bench:synth — median of ${runs} runs, whole processes (GNU time); CPU = every process of the command; RSS = its largest process`,
);
console.log('');
console.log(markdownTable(columns, rows));
