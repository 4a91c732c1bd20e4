// Measuring whole commands as a user runs them: wall time, CPU time (user + system, the command
// and every process it starts) and peak RSS (the largest of those processes), from GNU time.
// CPU time is reported because the machines this runs on are shared: wall time also measures
// the neighbours.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measurement {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMb: number;
  readonly status: number | null;
  readonly output: string;
}

const TIME = '/usr/bin/time';

/** Runs `command args…` under GNU time. */
export function measure(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Measurement {
  if (!existsSync(TIME))
    throw new Error(`${TIME} (GNU time) is needed to measure CPU time and peak RSS of child processes: apt-get install time`);
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-measure-'));
  const file = join(dir, 'time');
  try {
    const result = spawnSync(TIME, ['-o', file, '-f', '%e %U %S %M', command, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const [elapsed, user, system, rssKb] = readFileSync(file, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return {
      wallMs: elapsed * 1000,
      cpuMs: (user + system) * 1000,
      maxRssMb: rssKb / 1024,
      status: result.status,
      output: `${result.stdout}${result.stderr}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Median wall and CPU, largest RSS of several measurements. */
export function summarize(runs: readonly Measurement[]): { wallMs: number; cpuMs: number; maxRssMb: number } {
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)),
  };
}

/**
 * A scratch cdk8s project of a checkout: its sources linked, its cdk8s.yaml copied, `fleet` as
 * fleet.yaml. Writing dist/ there never touches the checkout.
 */
export function scratchProject(checkout: string, fleet: string): string {
  const project = mkdtempSync(join(tmpdir(), 'dbfleet-bench-project-'));
  for (const entry of [
    'main.ts',
    'charts',
    'lib',
    'imports',
    'scripts',
    'node_modules',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
  ]) {
    if (existsSync(join(checkout, entry))) symlinkSync(join(checkout, entry), join(project, entry));
  }
  cpSync(join(checkout, 'cdk8s.yaml'), join(project, 'cdk8s.yaml'));
  writeFileSync(join(project, 'fleet.yaml'), fleet);
  return project;
}

/** A Markdown table whose columns are a list: adding one is one entry. */
export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
}

export function markdownTable<Row>(columns: ReadonlyArray<Column<Row>>, rows: readonly Row[]): string {
  return [
    `| ${columns.map((c) => c.header).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${columns.map((c) => c.value(row)).join(' | ')} |`),
  ].join('\n');
}

export const ms = (value: number): string => Math.round(value).toLocaleString('en-US');
