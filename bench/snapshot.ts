/**
 * npm run bench:snapshot — a benchmark (not a test) of mongo-snapshot against the simulator.
 *
 * Runs the BUILT bundle through the simulator's run-wrapper with a fake make-vm-snapshot that returns at once,
 * several times per scenario, and reports median and p95 of:
 *   - start → lock:        wrapper spawn → the fsync lock command arriving at the member (simulator clock)
 *   - lock overhead:       lock held (fsync → fsyncUnlock, simulator events) minus the snapshot command's run time
 *                          (spawn → exit, measured by the CLI): the time writes are blocked for nothing
 *   - total w/o snapshot:  whole process run time (spawn → exit) minus the snapshot command's run time
 *   - node start:          spawn → first log line (node + bundle load)
 *   - CPU time:            user+system CPU of the CLI process itself (children excluded), from its own last log
 *                          line: what the run costs independent of machine load
 * Targets (docs/mongo-snapshot.md): overhead ≤ 25 ms median; total ≤ 500 ms (healthy 3 members),
 * ≤ 1.5 s (DOWN member first in the seed list).
 *
 * env: BENCH_ITERATIONS (default 15), MONGO_SIM_DIR (default ../shared/mongo-sim),
 *      BENCH_BASELINE=<git ref> (e.g. main or HEAD~1): also builds that revision in a temporary git worktree and runs
 *      both bundles in the same run, interleaved, so the load is the same for both (before / after columns).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const simDir = path.resolve(root, process.env.MONGO_SIM_DIR ?? '../shared/mongo-sim');
const cli = path.join(root, 'build', 'ops', 'mongo-snapshot.cjs');
const fake = path.join(root, 'test', 'mongo-snapshot', 'fixtures', 'fake-make-vm-snapshot.mjs');
const iterations = Number(process.env.BENCH_ITERATIONS ?? 15);
const PW = 'S3cr3t-canary-pw';

interface Scenario {
  name: string;
  file: string;
  uri: string;
  member: string;
  targetTotalMs: number;
}

function scenarios(dir: string): Scenario[] {
  const auth = { user: 'admin', password: PW };
  const healthy = {
    setName: 'rs-bench',
    auth,
    members: [
      { host: '127.0.201.1', state: 'PRIMARY', priority: 2 },
      { host: '127.0.201.2', state: 'SECONDARY', lagSeconds: 1 },
      { host: '127.0.201.3', state: 'SECONDARY', priority: 0, hidden: true, lagSeconds: 1 },
    ],
  };
  const down = {
    setName: 'rs-bench-down',
    auth,
    members: [
      { host: '127.0.202.1', state: 'DOWN' },
      { host: '127.0.202.2', state: 'PRIMARY', priority: 2 },
      { host: '127.0.202.3', state: 'SECONDARY', lagSeconds: 1 },
      // the backup member: hidden, priority 0, votes 0 (with a member down, a voter may not be locked)
      { host: '127.0.202.4', state: 'SECONDARY', priority: 0, hidden: true, votes: 0, lagSeconds: 1 },
    ],
  };
  const write = (n: string, sc: object) => {
    const f = path.join(dir, `${n}.json`);
    fs.writeFileSync(f, JSON.stringify(sc));
    return f;
  };
  return [
    {
      name: 'healthy 3-member set',
      file: write('healthy', healthy),
      uri: `mongodb://admin:${PW}@127.0.201.1,127.0.201.2,127.0.201.3/admin?replicaSet=rs-bench`,
      member: '127.0.201.3:27017',
      targetTotalMs: 500,
    },
    {
      name: 'DOWN member first in the seed list',
      file: write('down', down),
      uri: `mongodb://admin:${PW}@127.0.202.1,127.0.202.2,127.0.202.3,127.0.202.4/admin?replicaSet=rs-bench-down`,
      member: '127.0.202.4:27017',
      targetTotalMs: 1500,
    },
  ];
}

interface Sample {
  startToLock: number;
  overhead: number;
  totalWithoutSnapshot: number;
  nodeStart: number;
  cliWork: number;
  cpu: number;
  snapshotMs: number;
  lockHeld: number;
}

interface Report {
  exitCode: number | null;
  stderr: string;
  durationMs: number;
  startedAt: number;
  events: Array<{ t: number; member: string; cmd: string; ok?: number; lockCountAfter: number; args?: { lock?: boolean } }>;
}

function runOnce(sc: Scenario, recordFile: string, cli: string): Promise<Report> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [
        path.join(simDir, 'run-wrapper.mjs'),
        sc.file,
        '--',
        process.execPath,
        cli,
        sc.uri,
        '--snapshot-command',
        fake,
        '--log-format',
        'json',
      ],
      {
        env: { ...process.env, FAKE_SNAPSHOT_RECORD: recordFile, FAKE_SNAPSHOT_MODE: 'ok', FAKE_SNAPSHOT_MS: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as Report);
      } catch (e) {
        reject(e);
      }
    });
  });
}

function sample(sc: Scenario, r: Report): Sample {
  if (r.exitCode !== 0) throw new Error(`run failed (exit ${r.exitCode}):\n${r.stderr}`);
  const lock = r.events.find((e) => e.member === sc.member && e.cmd === 'fsync' && e.ok === 1 && e.args?.lock);
  // the last unlock: the lock count may be read (a nested lock and its unlock) before ours
  const unlock = r.events.filter((e) => e.member === sc.member && e.cmd === 'fsyncUnlock' && e.ok === 1).at(-1);
  if (!lock || !unlock) throw new Error('no lock/unlock events');
  const logs = r.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const done = logs.find((l) => l.step === 'snapshot' && typeof l.snapshotMs === 'number');
  const last = logs.find((l) => l.step === 'done' && typeof l.cpuMs === 'number');
  const snapshotMs = Number(done?.snapshotMs);
  const firstTs = Date.parse(String(logs[0]!.ts));
  return {
    startToLock: lock.t - r.startedAt,
    lockHeld: unlock.t - lock.t,
    snapshotMs,
    overhead: unlock.t - lock.t - snapshotMs,
    totalWithoutSnapshot: r.durationMs - snapshotMs,
    nodeStart: firstTs - r.startedAt,
    cliWork: r.durationMs - snapshotMs - (firstTs - r.startedAt),
    cpu: Number(last?.cpuMs),
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const f = (n: number) => `${n.toFixed(1)} ms`.padStart(10);

/** Builds `ref` in a temporary worktree; returns its bundle and a cleanup. */
function buildBaseline(ref: string): { cli: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-snapshot-baseline-'));
  execFileSync('git', ['worktree', 'add', '--detach', '--quiet', dir, ref], { cwd: root, stdio: 'inherit' });
  const cleanup = () => {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    const script = ['build-ops.mjs', 'build-mongo-snapshot.mjs'].map((f) => path.join(dir, 'scripts', f)).find((f) => existsSync(f));
    if (!script) throw new Error(`${ref}: no bundle script`);
    execFileSync(process.execPath, [script], { cwd: dir, stdio: 'ignore' });
    const cli = [path.join(dir, 'build', 'ops', 'mongo-snapshot.cjs'), path.join(dir, 'build', 'mongo-snapshot.cjs')].find((f) =>
      existsSync(f),
    );
    if (!cli) throw new Error(`${ref}: no bundle built`);
    return { cli, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

async function main() {
  if (!fs.existsSync(path.join(simDir, 'run-wrapper.mjs'))) {
    console.error(`simulator not found at ${simDir} (set MONGO_SIM_DIR)`);
    process.exit(2);
  }
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ops.mjs')], { stdio: 'inherit' });
  const baselineRef = process.env.BENCH_BASELINE;
  const baseline = baselineRef ? buildBaseline(baselineRef) : undefined;
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const builds: Array<{ name: string; cli: string }> = [
    ...(baseline ? [{ name: `before (${baselineRef})`, cli: baseline.cli }] : []),
    {
      name: `after (${head}${execFileSync('git', ['status', '--porcelain', '--', 'lib'], { cwd: root, encoding: 'utf8' }).trim() ? '+changes' : ''})`,
      cli,
    },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-snapshot-bench-'));
  const load = os.loadavg()[0]!.toFixed(2);
  console.log(
    `mongo-snapshot benchmark: ${iterations} iterations per scenario and build, node ${process.version}, ${os.cpus().length} CPU(s), load average ${load}`,
  );
  let failed = false;
  try {
    for (const sc of scenarios(dir)) {
      const samples = builds.map(() => [] as Sample[]);
      for (const b of builds) await runOnce(sc, path.join(dir, 'warmup.jsonl'), b.cli); // warm-up (file cache)
      // interleaved: both builds see the same machine load
      for (let i = 0; i < iterations; i++) {
        for (const [k, b] of builds.entries())
          samples[k]!.push(sample(sc, await runOnce(sc, path.join(dir, `rec-${k}-${i}.jsonl`), b.cli)));
      }
      console.log(`\n${sc.name} (locks ${sc.member}); medians${builds.length > 1 ? ' before -> after' : ''}, p95 of the last build`);
      console.log(
        `  ${'metric'.padEnd(42)} ${builds.map((b) => b.name.slice(0, 18).padStart(18)).join(' ')} ${'p95'.padStart(10)}  target`,
      );
      const rows: Array<[string, keyof Sample, string, number?]> = [
        ['start -> lock (fsync at the member)', 'startToLock', ''],
        ['lock held (fsync -> last fsyncUnlock)', 'lockHeld', ''],
        ['snapshot command (spawn -> exit)', 'snapshotMs', ''],
        ['lock overhead (held - snapshot command)', 'overhead', '<= 25 ms median', 25],
        ['total run time without the snapshot', 'totalWithoutSnapshot', `<= ${sc.targetTotalMs} ms`, sc.targetTotalMs],
        ['  of which node start + bundle load', 'nodeStart', ''],
        ['  of which the CLI itself (1st log -> exit)', 'cliWork', ''],
        ['CPU time of the CLI process (user+sys)', 'cpu', 'load-independent'],
      ];
      for (const [label, key, target, limit] of rows) {
        const meds = samples.map((ss) =>
          pct(
            ss.map((s) => s[key]),
            50,
          ),
        );
        const last = samples.at(-1)!.map((s) => s[key]);
        const med = meds.at(-1)!;
        const ok = limit === undefined ? '' : med <= limit ? '  ok' : '  MISSED';
        if (limit !== undefined && med > limit) failed = true;
        console.log(`  ${label.padEnd(42)} ${meds.map((m) => f(m).padStart(18)).join(' ')} ${f(pct(last, 95))}  ${target}${ok}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    baseline?.cleanup();
  }
  console.log(failed ? '\nsome targets missed (a benchmark, not a test: see the load average above)' : '\nall targets met');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
