/**
 * One run of mongo-snapshot: discover, select, lock, snapshot, unlock. Returns the exit code; never leaves
 * a lock of ours behind without saying so (exit 7).
 */
import type { Options } from './args';
import { attemptNeedsMs, SNAPSHOT_STOP_SECONDS } from './budget';
import { discover } from './discover';
import { formatDuration } from './duration';
import { EXIT, ExitError } from './exit-codes';
import { acquireLock, isLocked, releaseLock, CURRENT_OP, type HeldLock, type LockContext, type UnlockResult } from './lock';
import type { Logger } from './log';
import { directConnector, hello, type AdminConn, type Connector } from './mongo';
import {
  majorityOf,
  memberViews,
  rankCandidates,
  resolveMemberSpec,
  fmtLag,
  type Candidate,
  type Probe,
  type SelectOptions,
} from './select';
import { resolveCommand, runSnapshotCommand, snapshotEnv, type SnapshotResult } from './snapshot-command';
import { hostOnly, memberUri, normalizeHost, parseMongoUri, resolveSrv, UriError, type ParsedUri } from './uri';

/** maxTimeMS of fsync and fsyncUnlock: how long they may wait for mongod's fsync mutex (not the flush). */
export const MUTEX_WAIT_MS = 5_000;
/** How often the lock (and that the member is still a secondary) is checked while the snapshot runs. */
export const LOCK_WATCH_INTERVAL_MS = 2_000;
/** How long the watch may go without an answer from the locked member before the snapshot is stopped (exit 6). */
export const LOCK_WATCH_MAX_BLIND_MS = 10_000;
/** maxWireVersion of 7.0: from 7.0 on, mongod's wait for the fsync mutex honours maxTimeMS (lock.ts). */
export const WIRE_VERSION_7_0 = 21;

export type Phase = 'discovery' | 'locking' | 'locked' | 'unlocking' | 'done';

export interface RunReport {
  exitCode: number;
  setName?: string;
  /** host:port of the member we locked (or tried to) */
  member?: string;
  /** seconds our lock was held (writes blocked on the member) */
  lockHeldSeconds: number;
  dryRun: boolean;
  /**
   * members found fsync-locked by someone else (another backup, or a lock an earlier run could not release),
   * when the run got as far as looking; pushed as mongo_snapshot_fsync_locked_members
   */
  lockedByOthers?: string[];
  /**
   * members this run proved to hold no lock of mongo-snapshot's: seen unlocked when probed, or whose lock of ours was
   * given back (or never taken). Their "may be locked" signal (pushed before each lock) is cleared; any other
   * member's is left as it is, so an orphan stays critical until a run proves it gone.
   */
  provenUnlocked?: string[];
  /**
   * when the probes that proved `provenUnlocked` were sent (epoch seconds, wall clock): every member in it held no
   * fsync lock at all then (a member we locked was probed unlocked right before)
   */
  provenUnlockedAt?: number;
}

export interface RunDeps {
  log: Logger;
  /** connection factory (tests can replace it); default: directConnector for the parsed URI */
  connector?: (parsed: ParsedUri, srvTxt: Record<string, string>) => Connector;
  env?: NodeJS.ProcessEnv;
  /** the process-level signal hooks; run() installs its handlers here */
  signals?: SignalSource;
  stdout?: (s: string) => void;
  /**
   * called right before the fsync lock is sent to `member` (awaited): records "this member may be locked" where a
   * SIGKILL cannot erase it (cli.ts: the Pushgateway). A failure is logged by the callee and does not stop the run.
   */
  beforeLock?: (setName: string, member: string) => Promise<void>;
  /**
   * called (not awaited) as soon as the run proved it holds no lock on a member it called beforeLock for: its lock
   * was given back, or never taken (cli.ts: stops renewing that member's "may be locked" signal and clears it)
   */
  provenFree?: (setName: string, member: string) => void;
}

export interface SignalSource {
  on(sig: 'SIGTERM' | 'SIGINT', fn: () => void): void;
  off(sig: 'SIGTERM' | 'SIGINT', fn: () => void): void;
}

class Interrupted extends Error {
  constructor(readonly sig: 'SIGTERM' | 'SIGINT') {
    super(`interrupted by ${sig}`);
  }
}

const signalExit = (sig: 'SIGTERM' | 'SIGINT') => (sig === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM);

export async function run(opts: Options, deps: RunDeps): Promise<RunReport> {
  const { log } = deps;
  const redactor = log.redactor;
  const t0 = performance.now();
  const ms = (a: number, b = performance.now()) => Math.round((b - a) * 10) / 10;
  /** CPU time of this process so far (user + system, ms; children not included) */
  const cpuMs = () => {
    const u = process.cpuUsage();
    return Math.round((u.user + u.system) / 100) / 10;
  };
  const report: RunReport = { exitCode: EXIT.OK, lockHeldSeconds: 0, dryRun: opts.dryRun };
  const signals = deps.signals ?? process;
  const stdout = deps.stdout ?? ((s: string) => void process.stdout.write(redactor.redact(s)));

  // ---- signals: installed before anything is locked
  let phase: Phase = 'discovery';
  let interrupted: 'SIGTERM' | 'SIGINT' | undefined;
  // The one deadline (budget.ts): the run ends within opts.deadlineMs of process start (performance.now()'s origin).
  // After a signal, everything ends within the snapshot stop + the unlock deadline: the grace period the CronJob
  // derives from the same numbers. `cutoff` is what nothing may be awaited past.
  const deadlineAt = opts.deadlineMs;
  let cutoffAt = Infinity;
  const afterSignalMs = SNAPSHOT_STOP_SECONDS * 1000 + opts.unlockDeadlineMs;
  const abort = new AbortController();
  let rejectInterrupt: (e: Interrupted) => void = () => undefined;
  const interruptedPromise = new Promise<never>((_, reject) => (rejectInterrupt = reject));
  interruptedPromise.catch(() => undefined);
  const onSignal = (sig: 'SIGTERM' | 'SIGINT') => () => {
    if (interrupted) {
      log.warn('signal', `${sig} received again: still ${phase === 'unlocking' ? 'unlocking' : 'finishing'}, please wait`, { phase });
      return;
    }
    interrupted = sig;
    cutoffAt = Math.min(cutoffAt, performance.now() + afterSignalMs);
    log.warn('signal', `${sig} received`, {
      finishWithinMs: afterSignalMs,
      phase,
      action: phase === 'discovery' ? 'stopping (nothing locked)' : phase === 'done' ? 'none' : 'stopping the snapshot and unlocking',
    });
    abort.abort(sig);
    rejectInterrupt(new Interrupted(sig));
  };
  const handlers = { SIGTERM: onSignal('SIGTERM'), SIGINT: onSignal('SIGINT') };
  signals.on('SIGTERM', handlers.SIGTERM);
  signals.on('SIGINT', handlers.SIGINT);
  /** runs a pre-lock step, giving up at once on a signal */
  const step = <T>(p: Promise<T>): Promise<T> => Promise.race([p, interruptedPromise]);

  const openConns = new Set<AdminConn>();
  let held: HeldLock | undefined;
  let unlock: UnlockResult | undefined;
  let lockCtx: LockContext | undefined;
  let foreignLockedSeen: string[] = [];
  /** per member: true from the "may be locked" record before our lock until proven otherwise */
  const mayBeLocked = new Map<string, boolean>();
  let probedUnlocked: string[] = [];
  let setName: string | undefined;
  /** our lock on `host` is proven gone (or was never taken) */
  const provenFree = (host: string) => {
    mayBeLocked.set(host, false);
    if (setName) deps.provenFree?.(setName, host);
  };
  try {
    // ---- 1. input
    let parsed: ParsedUri;
    try {
      parsed = parseMongoUri(opts.uri, redactor);
    } catch (e) {
      throw new ExitError(EXIT.USAGE, e instanceof UriError ? e.message : redactor.error(e));
    }
    log.info('start', 'mongo-snapshot starting', {
      uri: parsed.redacted,
      uriFrom: opts.uriSource,
      maxLagSeconds: opts.maxLagSeconds,
      member: opts.member,
      allowDelayed: opts.allowDelayed,
      dryRun: opts.dryRun,
      snapshotCommand: opts.snapshotCommand,
      snapshotTimeout: formatDuration(opts.snapshotTimeoutMs),
      unlockDeadline: formatDuration(opts.unlockDeadlineMs),
    });

    // the snapshot command must exist before any member is locked for it
    const resolved = resolveCommand(opts.snapshotCommand, (deps.env ?? process.env).PATH);
    if (!resolved) {
      const msg = `snapshot command ${opts.snapshotCommand} not found or not executable${opts.snapshotCommand.includes('/') ? '' : ' on PATH'}`;
      if (!opts.dryRun) throw new ExitError(EXIT.USAGE, `${msg}: nothing was locked (see --snapshot-command / SNAPSHOT_COMMAND)`);
      log.warn('start', `${msg}: a real run would stop here with exit 2`);
    } else log.info('start', 'snapshot command found', { path: resolved });

    // ---- 2. discovery
    let seeds = parsed.seeds;
    let srvTxt: Record<string, string> = {};
    if (parsed.isSrv) {
      try {
        const srv = await step(resolveSrv(parsed));
        seeds = srv.hosts;
        srvTxt = srv.txt;
        log.info('discover', 'SRV resolved', { seeds });
      } catch (e) {
        if (e instanceof Interrupted) throw e;
        throw new ExitError(EXIT.CONNECT, `cannot resolve ${parsed.seeds[0]}: ${redactor.error(e)}`);
      }
    }
    const commandTimeoutMs = Math.max(opts.connectTimeoutMs, 5_000);
    const baseConnect = deps.connector ? deps.connector(parsed, srvTxt) : directConnector(parsed, srvTxt, { commandTimeoutMs });
    const connect: Connector = async (host, timeoutMs) => {
      const c = await baseConnect(host, timeoutMs);
      openConns.add(c);
      const close = c.close.bind(c);
      return { ...c, host: c.host, command: c.command.bind(c), close: () => (openConns.delete(c), close()) };
    };
    const tDisc = performance.now();
    const disc = await step(
      discover(seeds, connect, {
        connectTimeoutMs: opts.connectTimeoutMs,
        expectedSet: parsed.replicaSet ?? srvTxt.replicaSet,
        log,
        redactor,
        checkPrivileges: true,
      }),
    );
    report.setName = disc.setName;
    setName = disc.setName;
    log.info('discover', `replica set ${disc.setName}`, {
      statusFrom: disc.statusFrom,
      members: (disc.status.members ?? []).length,
      ms: ms(tDisc),
    });

    // ---- 3. selection
    const tSel = performance.now();
    const { members, reference } = memberViews(disc.status, disc.config);
    let member: string | undefined;
    if (opts.member) {
      const r = resolveMemberSpec(
        opts.member,
        members.map((m) => m.host),
      );
      if ('error' in r) throw new ExitError(r.error.includes('ambiguous') ? EXIT.USAGE : EXIT.NO_ELIGIBLE, r.error);
      member = r.host;
      report.member = r.host;
    }
    const selOpts: SelectOptions = {
      maxLagSeconds: opts.maxLagSeconds,
      allowDelayed: opts.allowDelayed,
      member,
      allowMajorityStall: opts.allowMajorityStall,
      allowNoIndexes: opts.allowNoIndexes,
    };
    const majority = majorityOf(disc.status, members);
    if (reference.kind !== 'primary')
      log.warn('select', `no primary in the status: lag is measured against the ${reference.kind}`, { reference: reference.host ?? null });
    // probe (currentOp) every healthy data-bearing member: a lock there decides eligibility, and whether the member
    // can still acknowledge majority writes (the availability rule). The connections of candidates are kept.
    const probes = new Map<string, Probe>();
    const probeConns = new Map<string, AdminConn>();
    const probedAt = Math.floor(Date.now() / 1000);
    await step(
      Promise.all(
        members
          .filter((m) => m.health === 1 && !m.arbiterOnly)
          .map(async (m) => {
            const key = normalizeHost(m.host);
            try {
              const pending = disc.conns.get(key);
              disc.conns.delete(key);
              const c = (pending ? await pending.catch(() => undefined) : undefined) ?? (await connect(m.host, opts.connectTimeoutMs));
              probeConns.set(key, c);
              const cur = await c.command(CURRENT_OP);
              probes.set(key, { locked: isLocked(cur) });
            } catch (e) {
              probes.set(key, { error: redactor.error(e) });
            }
          }),
      ),
    );
    for (const p of disc.conns.values())
      void p.then(
        (c) => c.close(),
        () => undefined,
      );
    foreignLockedSeen = members.filter((m) => probes.get(normalizeHost(m.host))?.locked).map((m) => m.host);
    probedUnlocked = members.filter((m) => probes.get(normalizeHost(m.host))?.locked === false).map((m) => m.host);
    report.provenUnlockedAt = probedAt;
    // The write concerns the availability rule protects besides w: majority: the cluster-wide default
    // (getDefaultRWConcern, 4.4+; clusterMonitor may run it) and the config's custom tag modes.
    const settings = (disc.config.config ?? disc.config).settings ?? {};
    if (settings.getLastErrorModes && typeof settings.getLastErrorModes === 'object') majority.modes = settings.getLastErrorModes;
    const rwConn = (reference.host && probeConns.get(normalizeHost(reference.host))) || [...probeConns.values()][0];
    if (rwConn) {
      try {
        const rw = await step(rwConn.command({ getDefaultRWConcern: 1 }));
        const w = (rw.defaultWriteConcern as { w?: unknown } | undefined)?.w;
        if ((typeof w === 'number' || typeof w === 'string') && w !== 'majority') majority.defaultW = w;
        log.info('select', `default write concern: w: ${JSON.stringify(w ?? 'majority (implicit)')}`, { from: rwConn.host });
      } catch (e) {
        if (e instanceof Interrupted) throw e;
        const legacy = (settings.getLastErrorDefaults as { w?: unknown } | undefined)?.w;
        if ((typeof legacy === 'number' && legacy > 1) || (typeof legacy === 'string' && legacy !== 'majority')) majority.defaultW = legacy;
        log.info('select', 'default write concern not readable (getDefaultRWConcern): w: majority and the config modes are checked', {
          error: redactor.error(e),
        });
      }
    }
    const ranked = rankCandidates(members, selOpts, probes, majority);
    for (const [key, c] of probeConns)
      if (!ranked.some((r) => r.eligible && normalizeHost(r.host) === key)) {
        void c.close();
        probeConns.delete(key);
      }
    for (const c of ranked) {
      const desc = {
        member: c.host,
        state: c.stateStr,
        preference: c.preference,
        hidden: c.hidden,
        priority: c.priority,
        lag: c.lagSeconds === undefined ? null : fmtLag(c.lagSeconds),
        delay: c.secondaryDelaySecs || undefined,
      };
      if (c.eligible) log.info('select', `candidate #${c.rank} ${c.host}`, desc);
      else log.info('select', `rejected ${c.host}: ${c.reasons.join('; ')}`, desc);
    }
    const eligible = ranked.filter((c) => c.eligible);
    log.info('select', eligible.length ? `selected ${eligible[0]!.host}` : 'no eligible member', {
      eligible: eligible.length,
      reference: reference.host ?? null,
      writeMajorityCount: majority.writeMajorityCount,
      ms: ms(tSel),
    });

    if (opts.dryRun) {
      printPlan(stdout, opts, disc.setName, disc.statusFrom, reference.host, ranked);
      for (const c of probeConns.values()) void c.close();
      report.exitCode = eligible.length ? EXIT.OK : EXIT.NO_ELIGIBLE;
      log.info('done', eligible.length ? 'dry run: nothing was locked' : 'dry run: no eligible member', {
        exitCode: report.exitCode,
        totalMs: ms(t0),
        cpuMs: cpuMs(),
      });
      return report;
    }
    if (eligible.length === 0) {
      for (const c of probeConns.values()) void c.close();
      throw new ExitError(
        EXIT.NO_ELIGIBLE,
        member
          ? `--member ${opts.member} is not eligible: ${ranked.find((c) => normalizeHost(c.host) === member)?.reasons.join('; ')}`
          : `no eligible secondary in ${disc.setName}`,
      );
    }

    // ---- 4. lock: candidates in order; a member whose lock cannot be taken (and holds nothing of ours) is skipped
    lockCtx = {
      connect,
      log,
      redactor,
      setName: disc.setName,
      connectTimeoutMs: opts.connectTimeoutMs,
      lockTimeoutMs: opts.lockTimeoutMs,
      mutexWaitMs: Math.min(MUTEX_WAIT_MS, opts.lockTimeoutMs),
      commandTimeoutMs,
      unlockDeadlineMs: opts.unlockDeadlineMs,
      interruptibleMutex: disc.maxWireVersion >= WIRE_VERSION_7_0,
      cutoff: () => cutoffAt,
      stopRequested: () => interrupted,
      // a lock reply is awaited at most until the time left is the unlock deadline (to give it back)
      lockWaitCutoff: () => Math.min(deadlineAt, cutoffAt) - opts.unlockDeadlineMs,
    };
    log.info(
      'lock',
      `fsync mutex wait ${lockCtx.interruptibleMutex ? 'honours maxTimeMS (7.0+)' : 'ignores maxTimeMS (before 7.0): fsync commands are never given up'}`,
      {
        maxWireVersion: disc.maxWireVersion,
      },
    );
    const failures: string[] = [];
    const needMs = attemptNeedsMs(opts);
    // Even the first candidate needs the time to lock and, if the reply is late, to await it and give the lock back
    // (lockWaitCutoff): a lock sent with less than that left was given up at once (attack on #26: a slow discovery
    // past --deadline sent the lock, treated it as lost right away and ended in exit 7, "may still be locked").
    const firstNeedsMs = opts.lockTimeoutMs + 2 * opts.unlockDeadlineMs;
    for (const cand of eligible) {
      if (interrupted) break;
      if (deadlineAt - performance.now() < (cand === eligible[0] ? firstNeedsMs : needMs)) {
        failures.push(
          `no time left within --deadline ${formatDuration(opts.deadlineMs)} for ${cand === eligible[0] ? 'a lock' : 'another candidate'} (${cand.host} not tried)`,
        );
        log.warn('lock', `not trying ${cand.host}: ${cand === eligible[0] ? 'the lock' : 'one more attempt'} would not fit in --deadline`, {
          leftMs: Math.round(deadlineAt - performance.now()),
          needMs: cand === eligible[0] ? firstNeedsMs : needMs,
        });
        break;
      }
      phase = 'locking';
      report.member = cand.host;
      const key = normalizeHost(cand.host);
      const probeConn = probeConns.get(key);
      probeConns.delete(key);
      // recorded before the lock: a SIGKILL from here on leaves the evidence behind
      mayBeLocked.set(cand.host, true);
      if (deps.beforeLock) await deps.beforeLock(disc.setName, cand.host);
      if (interrupted) {
        void probeConn?.close();
        provenFree(cand.host);
        break;
      }
      log.info('lock', `locking ${cand.host}`, { rank: cand.rank });
      const r = await acquireLock(cand.host, probeConn, lockCtx);
      if (r.kind === 'not-taken') provenFree(cand.host);
      if (r.kind === 'locked') {
        held = r.lock;
        phase = 'locked';
        break;
      }
      if (r.kind === 'unlock-failed') {
        unlock = r.unlock;
        throw new ExitError(EXIT.UNLOCK_FAILED, `${r.reason}`);
      }
      if (r.wasPrimary) {
        // Our lock was on a PRIMARY (elected during the lock): every write of the set was blocked. It is unlocked,
        // but the run stops here (exit 6) instead of locking another member of a set that is electing.
        for (const c of probeConns.values()) void c.close();
        throw new ExitError(
          EXIT.SNAPSHOT_FAILED,
          `${cand.host} was elected PRIMARY while our lock was on it: unlocked at once (${r.reason}); no snapshot taken, no other member locked`,
        );
      }
      failures.push(`${cand.host}: ${r.reason}`);
      log.warn('lock', `cannot lock ${cand.host}: ${r.reason}`, {
        member: cand.host,
        next: eligible[eligible.indexOf(cand) + 1]?.host ?? null,
      });
    }
    for (const c of probeConns.values()) void c.close();
    if (!held) {
      if (interrupted) throw new Interrupted(interrupted);
      throw new ExitError(EXIT.LOCK_FAILED, `could not lock any eligible member (${failures.join('; ')}); nothing is left locked`);
    }
    const lock = held;
    log.info('lock', `lock acquired and confirmed on ${lock.host}`, {
      member: lock.host,
      lockCount: lock.lockCountAfter,
      lockMs: ms(lock.lockSentAt, lock.confirmedAt),
      sinceStartMs: ms(t0, lock.confirmedAt),
    });

    // ---- 5. snapshot (only with a confirmed lock, and not after a signal)
    let snap: SnapshotResult | undefined;
    let lockLost = false;
    let becamePrimary = false;
    let lostSight = false;
    if (!interrupted) {
      const snapshotHost = hostOnly(lock.host);
      const watchAbort = new AbortController();
      const combined = AbortSignal.any([abort.signal, watchAbort.signal]);
      // The watch: currentOp + hello every LOCK_WATCH_INTERVAL_MS. A check that fails (no reply: our deadline closes
      // that client, and a closed MongoClient refuses every later command) drops its connection and the next check
      // reconnects, so a partition that heals is seen again. Blind for longer than LOCK_WATCH_MAX_BLIND_MS: the
      // snapshot is stopped (exit 6): a member we cannot see may have been elected PRIMARY while locked.
      // The watch has a connection of its own, never the lock's: a check still in flight when the snapshot ends would,
      // at its deadline, close the client the release is unlocking on, and lose the unlock's reply (attack on #26).
      const watchTimeoutMs = Math.min(commandTimeoutMs, LOCK_WATCH_INTERVAL_MS * 2);
      let watchConn: AdminConn | undefined;
      let watchConnected = false;
      let lastSeen = performance.now();
      let watchStopped = false;
      let wake: () => void = () => undefined;
      const watchLoop = async () => {
        while (!watchStopped) {
          await new Promise<void>((r) => {
            const tm = setTimeout(r, LOCK_WATCH_INTERVAL_MS);
            wake = () => (clearTimeout(tm), r());
          });
          if (watchStopped) return;
          try {
            if (!watchConn) {
              watchConn = await connect(lock.host, Math.min(opts.connectTimeoutMs, watchTimeoutMs));
              if (watchStopped) return void watchConn.close();
              if (watchConnected)
                log.info('snapshot', 'watch reconnected to the locked member', { member: lock.host, blindMs: ms(lastSeen) });
              watchConnected = true;
            }
            const t = { timeoutMs: watchTimeoutMs };
            const [cur, h] = await Promise.all([watchConn.command(CURRENT_OP, t), hello(watchConn, t)]);
            if (watchStopped) return;
            lastSeen = performance.now();
            if (!isLocked(cur)) {
              lockLost = true;
              log.error(
                'snapshot',
                'the fsync lock disappeared during the snapshot (mongod restart or a foreign fsyncUnlock): the snapshot is not consistent',
                { member: lock.host },
              );
              watchAbort.abort('lock lost');
              return;
            }
            if (h.isWritablePrimary) {
              becamePrimary = true;
              log.error(
                'snapshot',
                'the member was elected PRIMARY while locked (all writes are blocked): stopping the snapshot and unlocking at once',
                { member: lock.host },
              );
              watchAbort.abort('member became PRIMARY');
              return;
            }
          } catch (e) {
            if (watchStopped) return;
            if (watchConn) void watchConn.close();
            watchConn = undefined;
            const blind = performance.now() - lastSeen;
            log.warn('snapshot', 'lock check failed (reconnecting for the next check)', {
              member: lock.host,
              blindMs: Math.round(blind),
              error: redactor.error(e),
            });
            if (blind > LOCK_WATCH_MAX_BLIND_MS) {
              lostSight = true;
              log.error('snapshot', `no answer from the locked member for ${formatDuration(blind)}: stopping the snapshot and unlocking`, {
                member: lock.host,
              });
              watchAbort.abort('locked member not reachable');
              return;
            }
          }
        }
      };
      const watching = watchLoop();
      const stopWatch = () => {
        watchStopped = true;
        wake();
        // the watch's own connection (a check in flight ends with it); the release never uses it
        if (watchConn) void watchConn.close();
      };
      log.info('snapshot', `running ${opts.snapshotCommand} ${snapshotHost}`, {
        member: lock.host,
        timeout: formatDuration(opts.snapshotTimeoutMs),
      });
      try {
        // the snapshot keeps the unlock deadline inside the run's deadline
        const snapshotTimeoutMs = Math.max(1000, Math.min(opts.snapshotTimeoutMs, deadlineAt - opts.unlockDeadlineMs - performance.now()));
        if (snapshotTimeoutMs < opts.snapshotTimeoutMs)
          log.warn('snapshot', `snapshot timeout cut to ${formatDuration(snapshotTimeoutMs)} to unlock within --deadline`, {
            snapshotTimeoutMs,
          });
        snap = await runSnapshotCommand({
          command: opts.snapshotCommand,
          host: snapshotHost,
          timeoutMs: snapshotTimeoutMs,
          signal: combined,
          env: snapshotEnv(deps.env ?? process.env),
          log,
        });
      } finally {
        stopWatch();
        void watching;
      }
      const level = snap.outcome === 'ok' ? 'info' : 'error';
      log.log(
        level,
        'snapshot',
        `snapshot command ${snap.outcome === 'ok' ? 'succeeded' : snap.outcome === 'failed' ? 'failed' : snap.outcome === 'timeout' ? 'timed out' : snap.outcome === 'aborted' ? 'stopped' : 'could not start'}`,
        {
          member: lock.host,
          exitCode: snap.exitCode,
          signal: snap.signal,
          error: snap.error,
          reason: snap.abortReason,
          snapshotMs: ms(snap.startedAt, snap.endedAt),
        },
      );
    }

    // ---- 6. unlock, always
    phase = 'unlocking';
    const tUnlock = performance.now();
    // knownCount: the lock reply's count (nobody else held a lock: currentOp showed none right before), so a healthy
    // release is one fsyncUnlock, no nested count-read lock; a lost reply is settled against it (lock.ts)
    unlock = await releaseLock(lock.host, lock.count, {
      ...lockCtx,
      conn: lock.conn,
      knownCount: lock.lockCountAfter,
      deadlineMs: opts.unlockDeadlineMs,
    });
    const releasedAt = unlock.releasedAt ?? performance.now();
    report.lockHeldSeconds = Math.round(releasedAt - lock.lockSentAt) / 1000;
    held = undefined;
    if (unlock.ok) provenFree(lock.host);
    phase = 'done';
    if (!unlock.ok) {
      report.lockHeldSeconds = Math.round(performance.now() - lock.lockSentAt) / 1000;
      throw new ExitError(
        EXIT.UNLOCK_FAILED,
        `could not unlock ${lock.host} within ${formatDuration(opts.unlockDeadlineMs)}: ${unlock.error}`,
      );
    }
    log.info('unlock', `unlocked ${lock.host}`, {
      member: lock.host,
      unlockMs: ms(tUnlock, releasedAt),
      attempts: unlock.attempts,
      writesBlockedMs: ms(lock.lockSentAt, releasedAt),
      snapshotMs: snap ? ms(snap.startedAt, snap.endedAt) : null,
      overheadMs: snap ? Math.round((releasedAt - lock.lockSentAt - (snap.endedAt - snap.startedAt)) * 10) / 10 : null,
    });
    if (unlock.lockWasLost) lockLost = true;
    if (unlock.wasPrimary) becamePrimary = true;
    if (unlock.stateUnknown && !interrupted)
      throw new ExitError(
        EXIT.SNAPSHOT_FAILED,
        `${lock.host} is unlocked, but its state after the snapshot could not be read (hello): not trusted`,
      );
    if (interrupted) throw new Interrupted(interrupted);
    if (lostSight)
      throw new ExitError(
        EXIT.SNAPSHOT_FAILED,
        `${lock.host} did not answer for more than ${formatDuration(LOCK_WATCH_MAX_BLIND_MS)} during the snapshot: snapshot stopped, member unlocked`,
      );
    if (becamePrimary)
      throw new ExitError(
        EXIT.SNAPSHOT_FAILED,
        `${lock.host} was elected PRIMARY while locked: snapshot stopped or not trusted, member unlocked`,
      );
    if (!snap || snap.outcome !== 'ok')
      throw new ExitError(
        EXIT.SNAPSHOT_FAILED,
        `snapshot of ${lock.host} not taken (${snap?.error ?? snap?.abortReason ?? `exit code ${snap?.exitCode ?? '?'}${snap?.signal ? `, signal ${snap.signal}` : ''}`}); member unlocked`,
      );
    if (lockLost)
      throw new ExitError(
        EXIT.SNAPSHOT_FAILED,
        `the lock on ${lock.host} was lost while the snapshot ran (not locked any more when we came to unlock it): do not trust this snapshot`,
      );
    report.exitCode = EXIT.OK;
    log.info('done', `snapshot of ${lock.host} taken, member unlocked`, {
      exitCode: 0,
      member: lock.host,
      totalMs: ms(t0),
      cpuMs: cpuMs(),
    });
    return report;
  } catch (caught) {
    let e = caught;
    // a lock still held here means an unexpected error: give it back before anything else
    if (held) {
      const lock = held;
      phase = 'unlocking';
      log.error('unlock', 'unexpected error while locked: unlocking first', { member: lock.host, error: redactor.error(e) });
      unlock = await releaseLock(lock.host, lock.count, {
        ...lockCtx!,
        conn: lock.conn,
        knownCount: lock.lockCountAfter,
        deadlineMs: opts.unlockDeadlineMs,
      });
      report.lockHeldSeconds = Math.round(performance.now() - lock.lockSentAt) / 1000;
      if (unlock.ok) provenFree(lock.host);
      if (!unlock.ok) e = new ExitError(EXIT.UNLOCK_FAILED, `could not unlock ${lock.host}: ${unlock.error}`);
    }
    phase = 'done';
    if (e instanceof Interrupted) {
      report.exitCode = signalExit(e.sig);
      log.warn('done', `interrupted by ${e.sig}${report.lockHeldSeconds ? ', member unlocked' : ', nothing was locked'}`, {
        exitCode: report.exitCode,
        member: report.member ?? null,
        totalMs: ms(t0),
        cpuMs: cpuMs(),
      });
    } else if (e instanceof ExitError) {
      report.exitCode = e.exitCode;
      if (e.exitCode === EXIT.UNLOCK_FAILED) {
        log.error('done', `UNLOCK FAILED: ${e.message}. ${report.member} MAY STILL BE FSYNC-LOCKED (writes blocked, oplog not applied).`, {
          exitCode: e.exitCode,
          member: report.member ?? null,
          totalMs: ms(t0),
          cpuMs: cpuMs(),
        });
        if (report.member) log.error('done', manualUnlockHint(opts, report.member, log), { member: report.member });
      } else {
        log.error('done', e.message, { exitCode: e.exitCode, member: report.member ?? null, totalMs: ms(t0), cpuMs: cpuMs() });
      }
    } else {
      report.exitCode = interrupted ? signalExit(interrupted) : EXIT.LOCK_FAILED;
      log.error('done', `unexpected error: ${redactor.error(e)}`, { exitCode: report.exitCode, totalMs: ms(t0), cpuMs: cpuMs() });
    }
    return report;
  } finally {
    report.lockedByOthers = [...new Set(foreignLockedSeen)].sort();
    report.provenUnlocked = [
      ...new Set([...probedUnlocked.filter((m) => !mayBeLocked.get(m)), ...[...mayBeLocked].filter(([, v]) => !v).map(([m]) => m)]),
    ].sort();
    if (report.lockedByOthers.length) {
      log.warn(
        'done',
        `fsync-locked by someone else (another backup, or a lock an earlier run could not release): ${report.lockedByOthers.join(', ')}`,
        { members: report.lockedByOthers },
      );
    }
    signals.off('SIGTERM', handlers.SIGTERM);
    signals.off('SIGINT', handlers.SIGINT);
    await Promise.all([...openConns].map((c) => c.close().catch(() => undefined)));
  }
}

/** A word for a POSIX shell, in single quotes (a `'` inside becomes `'\''`). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** How to unlock by hand (no credentials in it: mongosh asks for the password). */
export function manualUnlockHint(opts: Options, member: string, log: Logger): string {
  let uri = `mongodb://${member}/?directConnection=true`;
  let user: string | undefined;
  try {
    const p = parseMongoUri(opts.uri, log.redactor);
    const direct = new URL(memberUri(p, member).replace(/^mongodb:/, 'http:'));
    direct.username = '';
    direct.password = '';
    uri = direct.toString().replace(/^http:/, 'mongodb:');
    if (p.username) user = p.username;
  } catch {
    // keep the generic form
  }
  // No user in the connection string: no --username (a placeholder like <user> would be a shell redirection when
  // pasted). mongosh's db.currentOp() returns only {inprog, ok} in current versions: ask the server directly, with
  // $ownOps (no privilege needed); fsyncUnlock's reply says how many locks are left (lockCount).
  const login = user !== undefined ? ` --username ${shellQuote(user)}` : '';
  return (
    `To unlock by hand: mongosh ${shellQuote(uri)}${login} --eval 'db.adminCommand({fsyncUnlock: 1})'${login ? ' (it asks for the password)' : ''}; ` +
    `its reply's lockCount is the number of locks left. Check with db.adminCommand({currentOp: 1, $ownOps: true}).fsyncLock ` +
    `(absent = unlocked). Each lock needs one unlock: if another backup holds a lock too, unlock only once for ours ` +
    `(runbook: docs/runbooks/MongoSnapshotMemberMayBeLocked.md).`
  );
}

function printPlan(
  out: (s: string) => void,
  opts: Options,
  setName: string,
  statusFrom: string,
  reference: string | undefined,
  ranked: Candidate[],
): void {
  const chosen = ranked.find((c) => c.eligible);
  if (opts.logFormat === 'json') {
    out(
      `${JSON.stringify({
        dryRun: true,
        setName,
        statusFrom,
        lagReference: reference ?? null,
        selected: chosen ? chosen.host : null,
        command: chosen ? [opts.snapshotCommand, hostOnly(chosen.host)] : null,
        candidates: ranked.map((c) => ({
          member: c.host,
          eligible: c.eligible,
          rank: c.rank ?? null,
          state: c.stateStr,
          preference: c.preference,
          lagSeconds: c.lagSeconds ?? null,
          reasons: c.reasons,
        })),
      })}\n`,
    );
    return;
  }
  const lines = [`dry run: replica set ${setName} (status from ${statusFrom}, lag measured against ${reference ?? 'nothing'})`];
  for (const c of ranked) {
    const lag = c.lagSeconds === undefined ? 'lag ?' : `lag ${fmtLag(c.lagSeconds)}`;
    if (c.eligible) lines.push(`  #${c.rank} ${c.host}  ${c.preference}, ${lag}${c === chosen ? '  <- would be locked' : ''}`);
    else lines.push(`  -  ${c.host}  ${c.stateStr}, ${lag}: ${c.reasons.join('; ')}`);
  }
  lines.push(
    chosen
      ? `would lock ${chosen.host} and run: ${opts.snapshotCommand} ${hostOnly(chosen.host)}`
      : 'no eligible member: nothing would be locked',
  );
  out(`${lines.join('\n')}\n`);
}
