/**
 * mongo-snapshot: consistent VM snapshot of one MongoDB secondary that never leaves a lock behind.
 * Entry point (bundled into build/ops/mongo-snapshot.cjs). See docs/mongo-snapshot.md.
 */
import { parseArgs } from './args';
import { EXIT } from './exit-codes';
import { Logger, Redactor, type LogFormat } from './log';
import { MARGIN_SECONDS, PUSH_SECONDS, SNAPSHOT_STOP_SECONDS } from './budget';
import { MayBeLockedSignal, newRunId } from './may-be-locked';
import { pushMetrics, pushMetricsOnce, pushWithRetry } from './pushgateway';
import { run, type RunReport } from './run';

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Every entry point (this bundle run directly, or loaded by the ops image's dispatcher /app/ops.cjs, which calls
  // main() without running the `require.main` block below) gets the same handlers: until main() returns, SIGTERM and
  // SIGINT never kill the process with their default action. run() installs the handlers that act on them; before
  // and after run() (argument parsing, the final Pushgateway push) they are noted and the work finishes.
  const noted = () => undefined;
  process.on('SIGTERM', noted);
  process.on('SIGINT', noted);
  try {
    return await mainInner(argv, env);
  } finally {
    process.off('SIGTERM', noted);
    process.off('SIGINT', noted);
  }
}

async function mainInner(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const redactor = new Redactor();
  // Secrets may sit in the environment: register them before anything is printed.
  if (env.MONGODB_URI) {
    const m = /^mongodb(?:\+srv)?:\/\/[^/?#]*?:([^/?#]*)@/i.exec(env.MONGODB_URI.trim());
    if (m) redactor.add(m[1]);
  }
  for (const a of argv) {
    const m = /^mongodb(?:\+srv)?:\/\/[^/?#]*?:([^/?#]*)@/i.exec(a.trim());
    if (m) redactor.add(m[1]);
  }
  const parsed = parseArgs(argv, env);
  if (parsed.kind === 'exit') {
    // --help/--version: only known secrets are redacted (the help's example connection string stays readable)
    if (parsed.stdout)
      process.stdout.write(parsed.exitCode === EXIT.OK ? redactor.redactKnown(parsed.stdout) : redactor.redact(parsed.stdout));
    if (parsed.stderr && parsed.exitCode !== EXIT.OK && parsed.logFormat === 'json') {
      // keep stderr machine-readable: one JSON line
      const msg = parsed.stderr
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('(run '))
        .join(' ')
        .replace(/^error: /, '');
      new Logger(redactor, 'json').error('usage', msg, { exitCode: parsed.exitCode });
    } else if (parsed.stderr) process.stderr.write(redactor.redact(parsed.stderr));
    if (parsed.exitCode !== EXIT.OK && parsed.pushgateway) {
      const log = new Logger(redactor, parsed.logFormat ?? 'text');
      await pushMetrics(parsed.pushgateway, { exitCode: parsed.exitCode, lockHeldSeconds: 0, finishedAt: Date.now() / 1000 }, log);
    }
    return parsed.exitCode;
  }
  const opts = parsed.options;
  if (opts.pushgateway) {
    try {
      redactor.add(decodeURIComponent(new URL(opts.pushgateway).password));
    } catch {
      // validated in parseArgs
    }
  }
  const log = new Logger(redactor, opts.logFormat as LogFormat);
  // An unexpected async error must never kill the process while a member may be locked: log it (redacted) and let
  // the run finish its unlock path.
  process.on('unhandledRejection', (e) => log.error('internal', `unhandled rejection: ${redactor.error(e)}`));
  process.on('uncaughtException', (e) => log.error('internal', `uncaught exception: ${redactor.error(e)}`));
  // When a run that locked is surely over, wall clock: its deadline (from process start), then the grace period
  // after a signal (budget.ts). Past it, a "may be locked" 1 nobody cleared is an orphan (MongoSnapshotMemberMayBeLocked).
  const surelyOverTs =
    (Date.now() - performance.now()) / 1000 +
    opts.deadlineMs / 1000 +
    SNAPSHOT_STOP_SECONDS +
    opts.unlockDeadlineMs / 1000 +
    PUSH_SECONDS +
    MARGIN_SECONDS;
  const gateway = opts.dryRun ? undefined : opts.pushgateway;
  // "may be locked": this run's own flag per member, renewed while the run lives (may-be-locked.ts)
  const signal = gateway ? new MayBeLockedSignal({ gateway, runId: newRunId(), deadlineTs: Math.ceil(surelyOverTs), log }) : undefined;
  let report: RunReport;
  try {
    report = await run(opts, {
      log,
      env,
      beforeLock: signal ? (setName, member) => signal.set(setName, member) : undefined,
      provenFree: signal ? (setName, member) => signal.released(setName, member) : undefined,
    });
  } catch (e) {
    // run() handles its own errors; this is a last resort
    log.error('done', `internal error: ${redactor.error(e)}`);
    report = { exitCode: EXIT.LOCK_FAILED, lockHeldSeconds: 0, dryRun: opts.dryRun };
  }
  if (gateway) {
    const setName = report.setName;
    // The final pushes, retried within PUSH_SECONDS (budget.ts: in the deadline and in the grace period after a
    // signal). A "may be locked" flag that cannot be cleared stays set: a false page, said in the log (may-be-locked.ts).
    const untilMs = performance.now() + PUSH_SECONDS * 1000;
    const metrics = {
      exitCode: report.exitCode,
      setName,
      member: report.member,
      lockHeldSeconds: report.lockHeldSeconds,
      finishedAt: Date.now() / 1000,
      lockedByOthers: report.lockedByOthers?.length,
    };
    await Promise.all([
      pushWithRetry(() => pushMetricsOnce(gateway, metrics, log), untilMs),
      signal?.finish(setName, report.provenUnlocked ?? [], report.provenUnlockedAt, untilMs),
    ]);
  }
  return report.exitCode;
}

if (require.main === module) {
  // Until we exit with our own code, a signal must not kill us (run() installs the real handlers).
  const keep = () => undefined;
  process.on('SIGTERM', keep);
  process.on('SIGINT', keep);
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(EXIT.LOCK_FAILED),
  );
}
