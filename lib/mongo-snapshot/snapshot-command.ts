/**
 * Runs the snapshot command: no shell, the member's host name as its only argument, in its own process group
 * (so a timeout or a signal kills it and everything it started), output passed through line by line.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from './log';

export type SnapshotOutcome = 'ok' | 'failed' | 'timeout' | 'aborted' | 'spawn-error';

export interface SnapshotResult {
  outcome: SnapshotOutcome;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now ms: right before spawn, and when the process exited */
  startedAt: number;
  endedAt: number;
  durationMs: number;
  error?: string;
  /** why it was aborted (signal name, "lock lost", ...) */
  abortReason?: string;
}

export interface SnapshotOptions {
  command: string;
  host: string;
  timeoutMs: number;
  /** aborting kills the process group; the reason is reported in the result */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  log: Logger;
  /** how long to wait after SIGTERM before SIGKILL */
  killGraceMs?: number;
  /** where the command's output goes; default: stdout/stderr (text) or log records (json) */
  passThrough?: (stream: 'stdout' | 'stderr', line: string) => void;
}

/** Environment for the snapshot command: ours, minus the connection string (it needs no database credentials). */
export function snapshotEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.MONGODB_URI;
  return out;
}

/**
 * Where the command would be found (like execvp: a name with a slash is a path, else PATH is searched),
 * or undefined when it is missing or not executable. Checked before anything is locked.
 */
export function resolveCommand(command: string, envPath = process.env.PATH ?? ''): string | undefined {
  const usable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return usable(command) ? command : undefined;
  for (const dir of envPath.split(path.delimiter)) {
    const p = path.join(dir || '.', command);
    if (usable(p)) return p;
  }
  return undefined;
}

export function runSnapshotCommand(o: SnapshotOptions): Promise<SnapshotResult> {
  const grace = o.killGraceMs ?? 2000;
  const startedAt = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let outcome: SnapshotOutcome | undefined;
    let abortReason: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let giveUpTimer: NodeJS.Timeout | undefined;
    const child = spawn(o.command, [o.host], {
      detached: true, // own process group: kill(-pid) reaches its children too
      stdio: ['ignore', 'pipe', 'pipe'],
      env: o.env ?? snapshotEnv(),
      shell: false,
    });
    const pass = o.passThrough ?? defaultPassThrough(o.log);
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = child[stream];
      if (!s) continue;
      s.on('error', () => undefined);
      createInterface({ input: s, crlfDelay: Infinity }).on('line', (line) => pass(stream, line));
    }
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          // already gone
        }
      }
    };
    const stop = (why: SnapshotOutcome, reason?: string) => {
      if (outcome || settled) return;
      outcome = why;
      abortReason = reason;
      o.log.warn('snapshot', `stopping the snapshot command (${reason ?? why}): SIGTERM to its process group`, { pid: child.pid });
      killGroup('SIGTERM');
      killTimer = setTimeout(() => {
        o.log.warn('snapshot', 'snapshot command still running: SIGKILL to its process group', { pid: child.pid });
        killGroup('SIGKILL');
        // a process stuck in the kernel may never exit: do not wait for it forever, the lock must go
        giveUpTimer = setTimeout(() => finish(null, 'SIGKILL', 'the process did not exit after SIGKILL'), 5000);
      }, grace);
    };
    const timer = setTimeout(() => stop('timeout', `timeout after ${o.timeoutMs}ms`), o.timeoutMs);
    const onAbort = () => stop('aborted', String(o.signal?.reason ?? 'aborted'));
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (code: number | null, sig: NodeJS.Signals | null, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(giveUpTimer);
      o.signal?.removeEventListener('abort', onAbort);
      const endedAt = performance.now();
      const final: SnapshotOutcome = outcome ?? (error ? 'spawn-error' : code === 0 ? 'ok' : 'failed');
      if (outcome) killGroup('SIGKILL'); // leftovers of a stopped command
      // stop reading output that grandchildren may keep open
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 200).unref();
      resolve({ outcome: final, exitCode: code, signal: sig, startedAt, endedAt, durationMs: endedAt - startedAt, error, abortReason });
    };
    child.on('error', (e) => finish(null, null, `cannot run ${o.command}: ${e.message}`));
    child.on('exit', (code, sig) => finish(code, sig));
  });
}

function defaultPassThrough(log: Logger): (stream: 'stdout' | 'stderr', line: string) => void {
  return (stream, line) => {
    if (log.format === 'json') log.info('snapshot', 'snapshot command output', { stream, line });
    else (stream === 'stdout' ? process.stdout : process.stderr).write(`${log.redactor.redact(line)}\n`);
  };
}
