/** Command-line parsing (commander). Flag names are a contract: the Kubernetes CronJob passes them. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseDuration, parsePositiveDuration } from './duration';
import { attemptNeedsMs, runBudget } from './budget';
import { formatDuration } from './duration';
import { exitCodeTable, EXIT } from './exit-codes';
import type { LogFormat } from './log';

export interface Options {
  /** the connection string (holds the password: never log it) */
  uri: string;
  uriSource: 'argument' | 'MONGODB_URI';
  maxLagSeconds: number;
  member?: string;
  allowDelayed: boolean;
  /** lock a voter even when fewer healthy data-bearing voters than writeMajorityCount would be left */
  allowMajorityStall: boolean;
  /** rank buildIndexes: false members last instead of rejecting them */
  allowNoIndexes: boolean;
  dryRun: boolean;
  snapshotCommand: string;
  snapshotTimeoutMs: number;
  unlockDeadlineMs: number;
  /** hard bound for the fsync lock command (its flush included) */
  lockTimeoutMs: number;
  connectTimeoutMs: number;
  /**
   * the whole run ends within this, from process start (budget.ts): fallback candidates are tried only while one
   * more attempt fits, the snapshot command is cut short to keep the unlock deadline, and after SIGTERM/SIGINT
   * everything ends within the snapshot stop + the unlock deadline
   */
  deadlineMs: number;
  /** given on the command line (else derived from the other durations) */
  deadlineFromFlag: boolean;
  logFormat: LogFormat;
  pushgateway?: string;
}

export type ParseResult =
  | { kind: 'run'; options: Options }
  /** help, version or a usage error: print and exit. `logFormat`/`pushgateway` are set when they could be read. */
  | { kind: 'exit'; exitCode: number; stdout: string; stderr: string; pushgateway?: string; logFormat?: LogFormat };

export const DEFAULTS = {
  maxLagSeconds: 60,
  snapshotCommand: 'make-vm-snapshot',
  snapshotTimeout: '30m',
  unlockDeadline: '120s',
  lockTimeout: '60s',
  connectTimeout: '5s',
} as const;

function durationArg(positive: boolean) {
  return (v: string): number => {
    try {
      return positive ? parsePositiveDuration(v) : parseDuration(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

const HELP_AFTER = `
The connection string is the only argument, or env MONGODB_URI (prefer the env: command lines are visible to
other processes). Percent-encode @ : / ? # [ ] % in the user name and password (@ is %40). Example:
  mongo-snapshot "mongodb://backup:<password>@vm-hostname1,vm-hostname2,vm-hostname3/admin?replicaSet=rs0"
The user needs the cluster actions fsync, unlock, replSetGetStatus and replSetGetConfig (the roles hostManager +
clusterMonitor); they are checked before anything is locked (exit 3 names what is missing).

Durations: plain seconds or a unit: 90, 90s, 30m, 1h, 1h30m, 500ms.

Selection: state SECONDARY with health 1, reachable, not delayed (unless --allow-delayed), lag <= --max-lag-seconds,
not already fsync-locked, buildIndexes not false (unless --allow-no-indexes: then last), and, for a voter, enough
healthy data-bearing voters left for writeMajorityCount (unless --allow-majority-stall). Preference: votes 0 first,
then hidden, then passive (priority 0), then the rest; then least lag; then host name.

Exit codes:
${exitCodeTable()}
`;

export function buildProgram(): Command {
  return new Command()
    .name('mongo-snapshot')
    .description('Consistent VM snapshot of one MongoDB secondary: fsync-lock it, run the snapshot command, always unlock.')
    .argument('[connection-string]', 'mongodb:// or mongodb+srv:// connection string of the replica set (or env MONGODB_URI)')
    .addOption(
      new Option('--max-lag-seconds <seconds>', 'reject members lagging more than this behind the primary')
        .default(DEFAULTS.maxLagSeconds)
        .argParser((v) => durationArg(false)(v) / 1000),
    )
    .addOption(new Option('--member <host[:port]>', 'use this member (still checked for eligibility)'))
    .addOption(new Option('--allow-delayed', 'allow delayed members (secondaryDelaySecs > 0); lag counts beyond the delay').default(false))
    .addOption(
      new Option('--allow-majority-stall', 'lock a voter even if w: majority writes would stall while it is locked').default(false),
    )
    .addOption(
      new Option('--allow-no-indexes', 'allow buildIndexes: false members (ranked last): their snapshot has no secondary indexes').default(
        false,
      ),
    )
    .addOption(new Option('--dry-run', 'print the plan (candidates, reasons, choice) and lock nothing').default(false))
    .addOption(
      new Option('--snapshot-command <path>', 'executable run with the member host name as its only argument')
        .env('SNAPSHOT_COMMAND')
        .default(DEFAULTS.snapshotCommand),
    )
    .addOption(
      new Option('--snapshot-timeout <duration>', 'kill the snapshot command (its process group) after this')
        .default(parsePositiveDuration(DEFAULTS.snapshotTimeout), DEFAULTS.snapshotTimeout)
        .argParser(durationArg(true)),
    )
    .addOption(
      new Option('--unlock-deadline <duration>', 'keep retrying fsyncUnlock until this has passed')
        .default(parsePositiveDuration(DEFAULTS.unlockDeadline), DEFAULTS.unlockDeadline)
        .argParser(durationArg(true)),
    )
    .addOption(
      new Option('--lock-timeout <duration>', 'give up waiting for the fsync lock reply (its flush included) after this')
        .default(parsePositiveDuration(DEFAULTS.lockTimeout), DEFAULTS.lockTimeout)
        .argParser(durationArg(true)),
    )
    .addOption(
      new Option('--connect-timeout <duration>', 'how long to wait for a member to answer')
        .default(parsePositiveDuration(DEFAULTS.connectTimeout), DEFAULTS.connectTimeout)
        .argParser(durationArg(true)),
    )
    .addOption(
      new Option(
        '--deadline <duration>',
        'the whole run ends within this (default: start-up + 2 lock attempts + snapshot timeout + unlock deadline)',
      ).argParser(durationArg(true)),
    )
    .addOption(new Option('--log-format <format>', 'log lines on stderr').choices(['text', 'json']).default('text'))
    .addOption(new Option('--pushgateway <url>', 'Prometheus Pushgateway to push run metrics to at the end').env('PUSHGATEWAY_URL'))
    .version('0.1.0', '--version')
    .helpOption('-h, --help')
    .addHelpText('after', HELP_AFTER)
    .showHelpAfterError('(run mongo-snapshot --help for usage)')
    .allowExcessArguments(false)
    .exitOverride();
}

/** Best-effort scan of raw argv for flags that matter even when parsing fails. */
function scan(argv: string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === flag) return argv[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParseResult {
  let stdout = '';
  let stderr = '';
  const program = buildProgram().configureOutput({
    writeOut: (s) => void (stdout += s),
    writeErr: (s) => void (stderr += s),
    outputError: (s, write) => write(s),
  });
  const scannedFormat = scan(argv, '--log-format');
  const fallback = {
    pushgateway: scan(argv, '--pushgateway') ?? (env.PUSHGATEWAY_URL || undefined),
    logFormat: scannedFormat === 'json' ? ('json' as const) : ('text' as const),
  };
  // commander reads option env vars from process.env: parse with the given env in place
  const saved = { SNAPSHOT_COMMAND: process.env.SNAPSHOT_COMMAND, PUSHGATEWAY_URL: process.env.PUSHGATEWAY_URL };
  for (const k of Object.keys(saved) as Array<keyof typeof saved>) {
    if (env[k]) process.env[k] = env[k];
    else delete process.env[k];
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
      return { kind: 'exit', exitCode: ok ? EXIT.OK : EXIT.USAGE, stdout, stderr, ...(ok ? {} : fallback) };
    }
    throw e;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const o = program.opts<{
    maxLagSeconds: number;
    member?: string;
    allowDelayed: boolean;
    allowMajorityStall: boolean;
    allowNoIndexes: boolean;
    dryRun: boolean;
    snapshotCommand: string;
    snapshotTimeout: number;
    unlockDeadline: number;
    lockTimeout: number;
    connectTimeout: number;
    deadline?: number;
    logFormat: LogFormat;
    pushgateway?: string;
  }>();
  const usage = (msg: string): ParseResult => ({
    kind: 'exit',
    exitCode: EXIT.USAGE,
    stdout: '',
    stderr: `error: ${msg}\n(run mongo-snapshot --help for usage)\n`,
    ...fallback,
    logFormat: o.logFormat,
  });
  const positional = program.args[0];
  const fromEnv = env.MONGODB_URI?.trim();
  const uri = positional?.trim() ? positional : fromEnv;
  if (!uri) return usage('missing connection string: pass it as the only argument or in env MONGODB_URI');
  const snapshotCommand = o.snapshotCommand?.trim() || DEFAULTS.snapshotCommand;
  if (o.member !== undefined && !o.member.trim()) return usage('--member needs a host[:port]');
  if (o.pushgateway) {
    try {
      const u = new URL(o.pushgateway);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      return usage('--pushgateway must be an http:// or https:// URL');
    }
  }
  const derived = runBudget({
    lockTimeoutSeconds: o.lockTimeout / 1000,
    snapshotTimeoutSeconds: o.snapshotTimeout / 1000,
    unlockDeadlineSeconds: o.unlockDeadline / 1000,
  }).deadlineSeconds;
  const needs = attemptNeedsMs({ lockTimeoutMs: o.lockTimeout, snapshotTimeoutMs: o.snapshotTimeout, unlockDeadlineMs: o.unlockDeadline });
  if (o.deadline !== undefined && o.deadline < needs)
    return usage(
      `--deadline ${formatDuration(o.deadline)} is shorter than one lock attempt (--lock-timeout + --snapshot-timeout + --unlock-deadline = ${formatDuration(needs)})`,
    );
  return {
    kind: 'run',
    options: {
      uri,
      uriSource: positional?.trim() ? 'argument' : 'MONGODB_URI',
      maxLagSeconds: o.maxLagSeconds,
      member: o.member?.trim(),
      allowDelayed: !!o.allowDelayed,
      allowMajorityStall: !!o.allowMajorityStall,
      allowNoIndexes: !!o.allowNoIndexes,
      dryRun: !!o.dryRun,
      snapshotCommand,
      snapshotTimeoutMs: o.snapshotTimeout,
      unlockDeadlineMs: o.unlockDeadline,
      lockTimeoutMs: o.lockTimeout,
      connectTimeoutMs: o.connectTimeout,
      deadlineMs: o.deadline ?? derived * 1000,
      deadlineFromFlag: o.deadline !== undefined,
      logFormat: o.logFormat,
      pushgateway: o.pushgateway || undefined,
    },
  };
}
