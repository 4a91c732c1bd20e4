/** Helpers for the mongo-snapshot end-to-end tests: run the BUILT CLI through the simulator's run-wrapper. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const SIM_DIR = path.resolve(repoRoot, process.env.MONGO_SIM_DIR ?? '../shared/mongo-sim');
export const simAvailable = fs.existsSync(path.join(SIM_DIR, 'run-wrapper.mjs')) && fs.existsSync(path.join(SIM_DIR, 'sim.mjs'));
// .ci/run: nothing may be skipped in CI for want of the simulator (every mongo-snapshot e2e test skipped silently).
if (!simAvailable && (Boolean(process.env.CI) || process.env.DBFLEET_CI === '1'))
  throw new Error(`CI needs the MongoDB simulator at ${SIM_DIR} (set MONGO_SIM_DIR)`);
/** the bundle under test (MONGO_SNAPSHOT_CLI: another build, e.g. the previous commit's, to see tests fail there) */
export const CLI = process.env.MONGO_SNAPSHOT_CLI ?? path.join(repoRoot, 'build', 'ops', 'mongo-snapshot.cjs');
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
  /** @timeline events: the action */
  action?: string;
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
  event: 'start' | 'end' | 'sigterm' | 'grandchild' | 'signal-parent' | 'foreign';
  /** foreign: the command "someone else" ran, its result */
  cmd?: Record<string, unknown>;
  ok?: number;
  lockCount?: number;
  error?: string;
  t: number;
  argv?: string[];
  pid?: number;
  hasMongoUri?: boolean;
  mode?: string;
}

export interface Scenario {
  setName: string;
  port?: number;
  version?: string;
  auth?: { user: string; password: string; mechanisms?: string[] } | Array<{ user: string; password: string; roles?: unknown[] }>;
  members: Array<{ host: string; state?: string; lockCount?: number; priority?: number; hidden?: boolean }>;
  faults?: Record<string, unknown>;
  timeline?: Array<{ atMs: number; member: string; action: string; [k: string]: unknown }>;
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
  const a = Array.isArray(sc.auth) ? sc.auth[0]! : sc.auth!;
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
  fake?: {
    mode?: 'ok' | 'fail' | 'hang';
    ms?: number;
    ignoreTerm?: boolean;
    child?: boolean;
    signalParent?: 'SIGTERM' | 'SIGINT';
    /** "someone else" runs these admin commands on `member` when the snapshot starts (a key ending in ! : no wait) */
    foreign?: { member: string; commands: Array<Record<string, unknown>> };
  };
  termAfterMs?: number;
  termSignal?: 'SIGTERM' | 'SIGINT';
  timeoutMs?: number;
  /** path of the CLI bundle to run (default: build/ops/mongo-snapshot.cjs) */
  cli?: string;
  /** server version to simulate (overrides the scenario's `version`) */
  version?: string;
  /** changes the scenario (a copy) before it runs, e.g. the time of its timeline events */
  patch?: (sc: Scenario) => void;
  /**
   * Keep the scenario file's ports (for seeds written without a port, which mean 27017). Without it every run
   * gets free ports, and the report is translated back to the file's ports.
   */
  keepPorts?: boolean;
  /** null: pass no --snapshot-command (the CLI's default, make-vm-snapshot on PATH) */
  snapshotCommand?: null;
  /** builds the command the wrapper runs (default: node <cli> <cliArgs>): for running the CLI in a container */
  command?: (o: { cliArgs: string[]; env: NodeJS.ProcessEnv; dir: string }) => string[];
}

export interface RunResult {
  report: WrapperReport;
  records: FakeRecord[];
  scenario: Scenario;
  /** stdout + stderr */
  output: string;
  /** translates a text with this run's ports back to the scenario file's ports */
  toScenario: (s: string) => string;
}

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
  return limited(() => runCliNow(o));
}

const IPV4_PORT = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}):(\d{2,5})(?!\d)/g;

/** Rewrites every `a.b.c.d:port` in `s` whose port is a key of `map`. */
export function mapPorts(s: string, map: ReadonlyMap<number, number>): string {
  if (map.size === 0) return s;
  return s.replace(IPV4_PORT, (all, ip: string, port: string) => {
    const to = map.get(Number(port));
    return to === undefined ? all : `${ip}:${to}`;
  });
}

function canListen(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, ip, () => srv.close(() => resolve(true)));
  });
}

/** A port that every one of `ips` can listen on right now (the OS picks it on the first address). */
async function freePortFor(ips: string[], avoid: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, ips[0], () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    if (avoid.has(port)) continue;
    if ((await Promise.all(ips.map((ip) => canListen(ip, port)))).every(Boolean)) return port;
  }
  throw new Error(`no free port on ${ips.join(', ')}`);
}

/**
 * The scenario with every member on a free port (parallel runs of the suite, or of one scenario under several
 * server versions, never share a port), and the map from the file's ports to the chosen ones.
 */
async function placeScenario(sc: Scenario, o: { keepPorts?: boolean }): Promise<{ scenario: Scenario; ports: Map<number, number> }> {
  const ports = new Map<number, number>();
  if (o.keepPorts) return { scenario: sc, ports };
  const basePort = sc.port ?? 27017;
  const portOf = (host: string) => (/:(\d+)$/.exec(host) ? Number(/:(\d+)$/.exec(host)![1]) : basePort);
  const ipOf = (host: string) => host.replace(/:\d+$/, '');
  const byPort = new Map<number, string[]>();
  for (const m of sc.members) byPort.set(portOf(m.host), [...(byPort.get(portOf(m.host)) ?? []), ipOf(m.host)]);
  for (const [from, ips] of byPort) ports.set(from, await freePortFor(ips, new Set(ports.values())));
  const scenario: Scenario = JSON.parse(mapPorts(JSON.stringify(sc), ports)) as Scenario;
  scenario.port = ports.get(basePort) ?? basePort;
  return { scenario, ports };
}

async function runCliNow(o: RunOptions): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runCliOnce(o);
    } catch (e) {
      // another process took the port between the check and the simulator's listen: pick again
      if (attempt < 4 && e instanceof Error && /EADDRINUSE/.test(e.message)) continue;
      throw e;
    }
  }
}

async function runCliOnce(o: RunOptions): Promise<RunResult> {
  const original = { ...loadScenario(o.scenario), ...(o.version ? { version: o.version } : {}) };
  o.patch?.(original);
  const { scenario: placed, ports } = await placeScenario(original, o);
  const back = new Map([...ports].map(([a, b]) => [b, a] as [number, number]));
  const toScenario = (s: string) => mapPorts(s, back);
  const fwd = (s: string) => mapPorts(s, ports);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-snapshot-e2e-'));
  const recordFile = path.join(dir, 'fake.jsonl');
  const scenarioFile = path.join(dir, 'scenario.json');
  fs.writeFileSync(scenarioFile, JSON.stringify(placed));
  const uri = o.uri === undefined ? uriFor(original) : o.uri;
  const wrapperArgs = [path.join(SIM_DIR, 'run-wrapper.mjs'), scenarioFile, '--timeout-ms', String(o.timeoutMs ?? 50_000)];
  if (o.termAfterMs !== undefined) wrapperArgs.push('--term-after-ms', String(o.termAfterMs), '--term-signal', o.termSignal ?? 'SIGTERM');
  const cliArgs = [
    o.cli ?? CLI,
    ...(uri === null ? [] : [fwd(uri)]),
    ...(o.snapshotCommand === null ? [] : ['--snapshot-command', FAKE]),
    ...(o.args ?? []).map(fwd),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FAKE_SNAPSHOT_RECORD: recordFile,
    FAKE_SNAPSHOT_MODE: o.fake?.mode ?? 'ok',
    FAKE_SNAPSHOT_MS: String(o.fake?.ms ?? 300),
    FAKE_SNAPSHOT_IGNORE_TERM: o.fake?.ignoreTerm ? '1' : '0',
    FAKE_SNAPSHOT_CHILD: o.fake?.child ? '1' : '0',
    FAKE_SNAPSHOT_SIGNAL_PARENT: o.fake?.signalParent ?? '',
    FAKE_SNAPSHOT_FOREIGN: o.fake?.foreign
      ? fwd(JSON.stringify({ uri: uriFor(original, { seeds: [o.fake.foreign.member] }), commands: o.fake.foreign.commands }))
      : '',
    ...Object.fromEntries(Object.entries(o.env ?? {}).map(([k, v]) => [k, fwd(v)])),
  };
  delete env.SIM_LOG;
  if (!o.env?.MONGODB_URI) delete env.MONGODB_URI;
  if (!o.env?.PUSHGATEWAY_URL) delete env.PUSHGATEWAY_URL;
  if (!o.env?.SNAPSHOT_COMMAND) delete env.SNAPSHOT_COMMAND;
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const command = o.command ? o.command({ cliArgs: cliArgs.slice(1), env, dir }) : [process.execPath, ...cliArgs];
      const p = spawn(process.execPath, [...wrapperArgs, '--', ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`run-wrapper exited ${code}: ${stderr}${stdout}`))));
    });
    // Reports read as the scenario file: every a.b.c.d:port back on the file's port.
    const report = JSON.parse(toScenario(out.trim().split('\n').pop()!)) as WrapperReport;
    const records = fs.existsSync(recordFile)
      ? fs
          .readFileSync(recordFile, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as FakeRecord)
      : [];
    return { report, records, scenario: original, output: `${report.stdout}\n${report.stderr}`, toScenario };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the built CLI directly (no simulator): for usage errors. */
export function runCliDirect(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
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
