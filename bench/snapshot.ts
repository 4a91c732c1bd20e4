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
 * env: BENCH_ITERATIONS (default 15), MONGO_SIM_DIR (default ../shared/mongo-sim)
 */
import { execFileSync, spawn } from 'node:child_process';
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
    setName: 'rs-bench', auth,
    members: [
      { host: '127.0.201.1', state: 'PRIMARY', priority: 2 },
      { host: '127.0.201.2', state: 'SECONDARY', lagSeconds: 1 },
      { host: '127.0.201.3', state: 'SECONDARY', priority: 0, hidden: true, lagSeconds: 1 },
    ],
  };
  const down = {
    setName: 'rs-bench-down', auth,
    members: [
      { host: '127.0.202.1', state: 'DOWN' },
      { host: '127.0.202.2', state: 'PRIMARY', priority: 2 },
      { host: '127.0.202.3', state: 'SECONDARY', lagSeconds: 1 },
      { host: '127.0.202.4', state: 'SECONDARY', priority: 0, hidden: true, lagSeconds: 1 },
    ],
  };
  const write = (n: string, sc: object) => {
    const f = path.join(dir, `${n}.json`);
    fs.writeFileSync(f, JSON.stringify(sc));
    return f;
  };
  return [
    { name: 'healthy 3-member set', file: write('healthy', healthy), uri: `mongodb://admin:${PW}@127.0.201.1,127.0.201.2,127.0.201.3/admin?replicaSet=rs-bench`, member: '127.0.201.3:27017', targetTotalMs: 500 },
    { name: 'DOWN member first in the seed list', file: write('down', down), uri: `mongodb://admin:${PW}@127.0.202.1,127.0.202.2,127.0.202.3,127.0.202.4/admin?replicaSet=rs-bench-down`, member: '127.0.202.4:27017', targetTotalMs: 1500 },
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

function runOnce(sc: Scenario, recordFile: string): Promise<Report> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(simDir, 'run-wrapper.mjs'), sc.file, '--', process.execPath, cli, sc.uri, '--snapshot-command', fake, '--log-format', 'json'], {
      env: { ...process.env, FAKE_SNAPSHOT_RECORD: recordFile, FAKE_SNAPSHOT_MODE: 'ok', FAKE_SNAPSHOT_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
  const unlock = r.events.find((e) => e.member === sc.member && e.cmd === 'fsyncUnlock' && e.ok === 1);
  if (!lock || !unlock) throw new Error('no lock/unlock events');
  const logs = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
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

async function main() {
  if (!fs.existsSync(path.join(simDir, 'run-wrapper.mjs'))) {
    console.error(`simulator not found at ${simDir} (set MONGO_SIM_DIR)`);
    process.exit(2);
  }
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ops.mjs')], { stdio: 'inherit' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-snapshot-bench-'));
  const load = os.loadavg()[0]!.toFixed(2);
  console.log(`mongo-snapshot benchmark: ${iterations} iterations per scenario, node ${process.version}, ${os.cpus().length} CPU(s), load average ${load}`);
  let failed = false;
  for (const sc of scenarios(dir)) {
    const samples: Sample[] = [];
    await runOnce(sc, path.join(dir, 'warmup.jsonl')); // warm-up (file cache)
    for (let i = 0; i < iterations; i++) samples.push(sample(sc, await runOnce(sc, path.join(dir, `rec-${i}.jsonl`))));
    console.log(`\n${sc.name} (locks ${sc.member})`);
    console.log(`  ${'metric'.padEnd(42)} ${'median'.padStart(10)} ${'p95'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)}  target`);
    const rows: Array<[string, keyof Sample, string, number?]> = [
      ['start -> lock (fsync at the member)', 'startToLock', ''],
      ['lock held (fsync -> fsyncUnlock)', 'lockHeld', ''],
      ['snapshot command (spawn -> exit)', 'snapshotMs', ''],
      ['lock overhead (held - snapshot command)', 'overhead', '<= 25 ms median', 25],
      ['total run time without the snapshot', 'totalWithoutSnapshot', `<= ${sc.targetTotalMs} ms`, sc.targetTotalMs],
      ['  of which node start + bundle load', 'nodeStart', ''],
      ['  of which the CLI itself (1st log -> exit)', 'cliWork', ''],
      ['CPU time of the CLI process (user+sys)', 'cpu', 'load-independent'],
    ];
    for (const [label, key, target, limit] of rows) {
      const xs = samples.map((s) => s[key]);
      const med = pct(xs, 50);
      const ok = limit === undefined ? '' : med <= limit ? '  ok' : '  MISSED';
      if (limit !== undefined && med > limit) failed = true;
      console.log(`  ${label.padEnd(42)} ${f(med)} ${f(pct(xs, 95))} ${f(Math.min(...xs))} ${f(Math.max(...xs))}  ${target}${ok}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(failed ? '\nsome targets missed (a benchmark, not a test: see the load average above)' : '\nall targets met');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
