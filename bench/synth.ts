// npm run bench:synth — how long a synth takes as the fleet grows, and how much memory it needs.
// Each size runs in a fresh process (cold start included, as for a user), a few times; the
// median is reported. Also times `npx cdk8s synth` of the example fleet, the user's command.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, cpSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticFleet } from './fleet-generator';

const root = join(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-bench-synth-'));

console.log(`bench:synth — ${runs} runs per row, median; process = wall time of the whole process (node start, bundle load, render, check, write into a fresh folder)`);
console.log('| services × envs | objects | check | synth wall (ms) | process wall (ms) | objects/s | peak RSS (MB) |');
console.log('|---|---|---|---|---|---|---|');
for (const services of [10, 100, 1000]) {
  const file = join(dir, `fleet-${services}.yaml`);
  writeFileSync(file, syntheticFleet(services));
  for (const mode of ['render', 'validate'] as const) {
    const results = Array.from({ length: runs }, () => {
      const t0 = performance.now();
      const out = execFileSync(process.execPath, [join(root, 'scripts', 'bundle-cache.cjs'), 'bench/synth-worker.ts', file, mode], { cwd: root, encoding: 'utf8' });
      return { ...JSON.parse(out), outerMs: performance.now() - t0 } as { code: number; objects: number; wallMs: number; outerMs: number; maxRssMb: number };
    });
    if (results.some((r) => r.code !== 0)) throw new Error(`synth of ${services} services failed`);
    const wall = median(results.map((r) => r.wallMs));
    const outer = median(results.map((r) => r.outerMs));
    console.log(`| ${services} × 2 | ${results[0].objects} | ${mode === 'validate' ? 'schemas + CEL' : 'none'} | ${wall.toFixed(0)} | ${outer.toFixed(0)} | ${Math.round(results[0].objects / (outer / 1000))} | ${Math.max(...results.map((r) => r.maxRssMb)).toFixed(0)} |`);
  }
}

// The user's command on the example fleet, in a scratch copy so the real dist/ is not touched.
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
rmSync(dir, { recursive: true, force: true });
