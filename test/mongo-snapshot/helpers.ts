/** Helpers for the mongo-snapshot end-to-end tests: run the BUILT CLI through the simulator's run-wrapper. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const SIM_DIR = path.resolve(repoRoot, process.env.MONGO_SIM_DIR ?? '../shared/mongo-sim');
export const simAvailable = fs.existsSync(path.join(SIM_DIR, 'run-wrapper.mjs')) && fs.existsSync(path.join(SIM_DIR, 'sim.mjs'));
export const CLI = path.join(repoRoot, 'build', 'mongo-snapshot.cjs');
export const FAKE = path.join(__dirname, 'fixtures', 'fake-make-vm-snapshot.mjs');
export const SCENARIOS = path.join(__dirname, 'scenarios');

export interface SimEvent {
  t: number;
  tReply?: number;
  member: string;
  conn: number;
  cmd: string;
  db?: string;
  lockCountAfter: number;
  args?: Record<string, unknown>;
  ok?: number;
  code?: number;
  fault?: string;
  reply?: string;
}

export interface WrapperReport {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  events: SimEvent[];
  finalLocks: Record<string, number>;
  durationMs: number;
  startedAt: number;
  termSentAt: number | null;
  timedOut: boolean;
  error?: string;
  simExitCode?: number;
  simStderr?: string;
}

export interface FakeRecord {
  event: 'start' | 'end' | 'sigterm' | 'grandchild';
  t: number;
  argv?: string[];
  pid?: number;
  hasMongoUri?: boolean;
  mode?: string;
}

export interface Scenario {
  setName: string;
  port?: number;
  auth?: { user: string; password: string; mechanisms?: string[] };
  members: Array<{ host: string; state?: string; lockCount?: number; priority?: number; hidden?: boolean }>;
  faults?: Record<string, unknown>;
}

export function loadScenario(name: string): Scenario {
  return JSON.parse(fs.readFileSync(path.join(SCENARIOS, `${name}.json`), 'utf8')) as Scenario;
}

/** host:port of every member, as the simulator names them. */
export function memberNames(sc: Scenario): string[] {
  return sc.members.map((m) => (m.host.includes(':') ? m.host : `${m.host}:${sc.port ?? 27017}`));
}

/** Connection string for a scenario: percent-encoded credentials, all members as seeds (in order), replicaSet. */
export function uriFor(sc: Scenario, o: { password?: string; seeds?: string[]; extra?: string } = {}): string {
  const a = sc.auth!;
  const cred = `${encodeURIComponent(a.user)}:${encodeURIComponent(o.password ?? a.password)}@`;
  const seeds = o.seeds ?? memberNames(sc);
  return `mongodb://${cred}${seeds.join(',')}/admin?replicaSet=${sc.setName}${o.extra ?? ''}`;
}

export interface RunOptions {
  scenario: string;
  /** CLI args after the connection string; the fake snapshot command is added unless `snapshotCommand` is false */
  args?: string[];
  /** connection string; default uriFor(scenario). null: none given on the command line */
  uri?: string | null;
  env?: Record<string, string>;
  fake?: { mode?: 'ok' | 'fail' | 'hang'; ms?: number; ignoreTerm?: boolean; child?: boolean };
  termAfterMs?: number;
  termSignal?: 'SIGTERM' | 'SIGINT';
  timeoutMs?: number;
  /** path of the CLI bundle to run (default: build/mongo-snapshot.cjs) */
  cli?: string;
}

export interface RunResult {
  report: WrapperReport;
  records: FakeRecord[];
  scenario: Scenario;
  /** stdout + stderr */
  output: string;
}

// Runs that share a scenario (same loopback addresses) must not overlap.
const scenarioQueues = new Map<string, Promise<unknown>>();

// At most this many simulator+CLI runs at once: CI machines have 2 cores, and signal tests need timely starts.
const MAX_PARALLEL = Number(process.env.MONGO_SNAPSHOT_E2E_PARALLEL ?? 3);
let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export function runCli(o: RunOptions): Promise<RunResult> {
  const prev = scenarioQueues.get(o.scenario) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(() => limited(() => runCliNow(o)));
  scenarioQueues.set(o.scenario, next);
  return next;
}

async function runCliNow(o: RunOptions): Promise<RunResult> {
  const sc = loadScenario(o.scenario);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-snapshot-e2e-'));
  const recordFile = path.join(dir, 'fake.jsonl');
  const uri = o.uri === undefined ? uriFor(sc) : o.uri;
  const wrapperArgs = [path.join(SIM_DIR, 'run-wrapper.mjs'), path.join(SCENARIOS, `${o.scenario}.json`), '--timeout-ms', String(o.timeoutMs ?? 50_000)];
  if (o.termAfterMs !== undefined) wrapperArgs.push('--term-after-ms', String(o.termAfterMs), '--term-signal', o.termSignal ?? 'SIGTERM');
  const cliArgs = [o.cli ?? CLI, ...(uri === null ? [] : [uri]), '--snapshot-command', FAKE, ...(o.args ?? [])];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FAKE_SNAPSHOT_RECORD: recordFile,
    FAKE_SNAPSHOT_MODE: o.fake?.mode ?? 'ok',
    FAKE_SNAPSHOT_MS: String(o.fake?.ms ?? 300),
    FAKE_SNAPSHOT_IGNORE_TERM: o.fake?.ignoreTerm ? '1' : '0',
    FAKE_SNAPSHOT_CHILD: o.fake?.child ? '1' : '0',
    ...o.env,
  };
  delete env.SIM_LOG;
  if (!o.env?.MONGODB_URI) delete env.MONGODB_URI;
  if (!o.env?.PUSHGATEWAY_URL) delete env.PUSHGATEWAY_URL;
  if (!o.env?.SNAPSHOT_COMMAND) delete env.SNAPSHOT_COMMAND;
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, [...wrapperArgs, '--', process.execPath, ...cliArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`run-wrapper exited ${code}: ${stderr}${stdout}`))));
  });
  const report = JSON.parse(out.trim().split('\n').pop()!) as WrapperReport;
  const records = fs.existsSync(recordFile)
    ? fs.readFileSync(recordFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeRecord)
    : [];
  fs.rmSync(dir, { recursive: true, force: true });
  return { report, records, scenario: sc, output: `${report.stdout}\n${report.stderr}` };
}

/** Runs the built CLI directly (no simulator): for usage errors. */
export function runCliDirect(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const e: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!env.MONGODB_URI) delete e.MONGODB_URI;
    const p = spawn(process.execPath, [CLI, ...args], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Lock count of `member` at time `t`, from the event log (lockCountAfter of the last event at or before t). */
export function lockCountAt(events: SimEvent[], member: string, t: number, initial: number): number {
  let count = initial;
  for (const e of events) {
    if (e.member !== member) continue;
    if (e.t > t) break;
    count = e.lockCountAfter;
  }
  return count;
}

/**
 * Throws unless `member` was locked by us (count initial+1) from before `start` to after `end`,
 * with no event in between that lowered the count.
 */
export function assertLockedDuring(events: SimEvent[], member: string, start: number, end: number, initial: number): void {
  const atStart = lockCountAt(events, member, start, initial);
  if (atStart < initial + 1) throw new Error(`${member} not locked when the snapshot started (count ${atStart}, initial ${initial})`);
  for (const e of events) {
    if (e.member !== member || e.t <= start || e.t > end) continue;
    if (e.lockCountAfter < initial + 1) throw new Error(`${member} unlocked during the snapshot at ${e.t} (${e.cmd})`);
  }
  const lock = events.filter((e) => e.member === member && e.cmd === 'fsync' && e.lockCountAfter === initial + 1 && e.t < start);
  if (lock.length === 0) throw new Error(`no fsync lock on ${member} before the snapshot`);
}

/** Every way the password could appear. */
export function secretForms(password: string): string[] {
  const enc = encodeURIComponent(password);
  return [...new Set([password, enc, enc.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())])];
}

export function events(r: RunResult, member: string, cmd?: string): SimEvent[] {
  return r.report.events.filter((e) => e.member === member && (!cmd || e.cmd.toLowerCase() === cmd.toLowerCase()));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie (exited, not yet reaped: containers often have no init that reaps) is dead too
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}
