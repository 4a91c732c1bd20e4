// Every process the suite starts (PostgreSQL, PgBouncer, the MongoDB simulator, podman, …) inherits
// DBFLEET_TEST_RUN from here. When the run ends, any process still carrying this run's mark was
// left behind by a test: it is named, stopped, and the run fails.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

const MARK = 'DBFLEET_TEST_RUN';

interface Leftover {
  readonly pid: number;
  readonly command: string;
}

/** Processes (other than this one) whose environment carries `MARK=<run>`. Linux /proc only. */
export function markedProcesses(run: string): Leftover[] {
  const needle = `${MARK}=${run}`;
  const found: Leftover[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!environ.includes(needle)) continue;
      // A zombie has exited already; its parent just has not reaped it.
      if (/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'latin1'))) continue;
      found.push({ pid, command: readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim() });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

export default function setup(): () => Promise<void> {
  const run = randomUUID();
  process.env[MARK] = run;
  // Interrupted (Ctrl-C, a CI timeout's SIGTERM), vitest exits without running the teardown below: PostgreSQL and
  // PgBouncer outlived every interrupted run (issue 33 attack). Stop what this run started before vitest exits.
  const onSignal = () => {
    for (const p of markedProcesses(run))
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, onSignal);
  return async () => {
    // Workers exit just before teardown; give their children's stop handlers a moment.
    let leftovers = markedProcesses(run);
    for (let waited = 0; leftovers.length > 0 && waited < 3_000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      leftovers = markedProcesses(run);
    }
    if (leftovers.length === 0) return;
    for (const p of leftovers)
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    // vitest reports an error thrown here but still exits 0: set the exit code too.
    process.exitCode = 1;
    throw new Error(
      `${leftovers.length} process(es) started by the tests were still running when the suite ended (now killed):\n` +
        leftovers.map((p) => `  pid ${p.pid}: ${p.command}`).join('\n'),
    );
  };
}
