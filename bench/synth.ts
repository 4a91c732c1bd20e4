// npm run bench:synth — how long a synth takes as the fleet grows, and how much memory it needs.
// Each size runs in a fresh process (cold start included, as for a user), a few times; the
// median is reported. Also times `npx cdk8s synth` of the example fleet, the user's command.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticFleet } from './fleet-generator';

const root = join(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-bench-synth-'));

console.log(`bench:synth — ${runs} runs per row, median; process = wall time of the whole process (node start, bundle load, render, check, write into a fresh folder)`);
console.log('| services × envs | objects | check | synth wall (ms) | process wall (ms) | objects/s | peak RSS (MB) | largest object (bytes) |');
console.log('|---|---|---|---|---|---|---|---|');
// BENCH_SIZES=10,100 (or empty) to run fewer rows.
const sizes = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').filter(Boolean).map(Number);
for (const services of sizes) {
  const file = join(dir, `fleet-${services}.yaml`);
  writeFileSync(file, syntheticFleet(services));
  for (const mode of ['render', 'validate'] as const) {
    const results = Array.from({ length: runs }, () => {
      const t0 = performance.now();
      const out = execFileSync(process.execPath, [join(root, 'scripts', 'bundle-cache.cjs'), 'bench/synth-worker.ts', file, mode], { cwd: root, encoding: 'utf8' });
      return { ...JSON.parse(out), outerMs: performance.now() - t0 } as { code: number; objects: number; wallMs: number; outerMs: number; maxRssMb: number; largestBytes: number; largestPath: string };
    });
    if (results.some((r) => r.code !== 0)) throw new Error(`synth of ${services} services failed`);
    const wall = median(results.map((r) => r.wallMs));
    const outer = median(results.map((r) => r.outerMs));
    console.log(`| ${services} × 2 | ${results[0].objects} | ${mode === 'validate' ? 'schemas + CEL' : 'none'} | ${wall.toFixed(0)} | ${outer.toFixed(0)} | ${Math.round(results[0].objects / (outer / 1000))} | ${Math.max(...results.map((r) => r.maxRssMb)).toFixed(0)} | ${results[0].largestBytes.toLocaleString('en-US')} (${results[0].largestPath}) |`);
  }
}

// BENCH_BASELINE=<git ref>: the 1000 × 2 synth with schema check of that revision and of this
// tree, alternating in one run on the same machine, compared per object (the issue's "within
// 1.2× of the previous commit").
const baseline = process.env.BENCH_BASELINE;
if (baseline) {
  const base = join(dir, 'baseline');
  execFileSync('sh', ['-c', `mkdir -p "${base}" && git -C "${root}" archive ${JSON.stringify(baseline)} | tar -x -C "${base}"`]);
  symlinkSync(join(root, 'node_modules'), join(base, 'node_modules'));
  // A revision without the worker (it went missing for a while) runs this tree's worker.
  if (!existsSync(join(base, 'bench', 'synth-worker.ts'))) cpSync(join(root, 'bench', 'synth-worker.ts'), join(base, 'bench', 'synth-worker.ts'));
  const file = join(dir, 'fleet-1000.yaml');
  writeFileSync(file, syntheticFleet(1000));
  const perObject: Record<'baseline' | 'current', number[]> = { baseline: [], current: [] };
  let objects: Record<'baseline' | 'current', number> = { baseline: 0, current: 0 };
  for (let i = 0; i < runs; i++) {
    for (const [which, cwd] of [['baseline', base], ['current', root]] as const) {
      const t0 = performance.now();
      // The baseline lives in a temp folder: point both at the same schemas.
      const env = { ...process.env, DBFLEET_SCHEMAS: process.env.DBFLEET_SCHEMAS ?? join(root, '..', 'shared', 'crds') };
      const out = JSON.parse(execFileSync(process.execPath, [join(cwd, 'scripts', 'bundle-cache.cjs'), 'bench/synth-worker.ts', file, 'validate'], { cwd, encoding: 'utf8', env })) as { code: number; objects: number };
      const ms = performance.now() - t0;
      if (out.code !== 0) throw new Error(`${which} synth failed`);
      objects = { ...objects, [which]: out.objects };
      perObject[which].push(ms / out.objects);
    }
  }
  const b = median(perObject.baseline);
  const c = median(perObject.current);
  console.log(`
1000 × 2 with schema check, side by side (${runs} alternating runs, median process wall per object):`);
  console.log(`| revision | objects | µs per object |\n|---|---|---|\n| ${baseline} | ${objects.baseline} | ${(b * 1000).toFixed(0)} |\n| this tree | ${objects.current} | ${(c * 1000).toFixed(0)} |`);
  console.log(`ratio this tree / ${baseline}: ${(c / b).toFixed(2)}× (target ≤ 1.2×)`);
}

// The user's command on the example fleet, in a scratch copy so the real dist/ is not touched.
if (process.env.BENCH_SKIP_CLI !== '1') {
const project = join(dir, 'project');
cpSync(root, project, { recursive: true, filter: (src) => !/node_modules|\.git$|\.cdk8s\.out|\.scratch/.test(src.slice(root.length)) });
symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'));
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const result = spawnSync('npx', ['cdk8s', 'synth'], { cwd: project, encoding: 'utf8', env: { ...process.env, DBFLEET_SCHEMAS: process.env.DBFLEET_SCHEMAS ?? join(root, '..', 'shared', 'crds') } });
  if (result.status !== 0) throw new Error(`npx cdk8s synth failed: ${result.stderr}`);
  times.push(performance.now() - t0);
}
console.log(`\nnpx cdk8s synth (example fleet.yaml, app + validation plugin): median ${median(times).toFixed(0)} ms over ${runs} runs`);
}
rmSync(dir, { recursive: true, force: true });
