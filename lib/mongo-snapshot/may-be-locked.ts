/**
 * The "may be locked" signal of one run (the groups are described in pushgateway.ts's module comment).
 *
 * - set(): right before a lock is sent, the run's flag for the member is PUT (awaited, one try: a Pushgateway that is
 *   down does not stop the backup, as decided in issue 26) and from then on renewed every RENEW_INTERVAL_SECONDS.
 *   A run killed by SIGKILL stops renewing: MongoSnapshotMemberMayBeLocked fires once the flag has not been renewed
 *   for STALE_AFTER_SECONDS (within RENEW_INTERVAL_SECONDS + STALE_AFTER_SECONDS of the kill), not at the run's
 *   deadline (~46 min with the defaults).
 * - released(): the run proved it holds no lock on the member: the renewal of that flag stops and the run's group
 *   is deleted in the background (after any renewal still in flight, so a late renewal cannot set it again).
 * - finish(): at the end of the run, the renewal stops (a renewal in flight is awaited first), the flags of members
 *   proven free are deleted (retried within the final push budget), the members proven unlocked get their
 *   "proven unlocked at" time, and flags not proven are left set: the alert fires for them.
 *
 * The renewal runs beside the lock, never in its path: a timer, one HTTP request per 30 s, not awaited by anything
 * the lock or the unlock waits for.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { RENEW_INTERVAL_SECONDS, STALE_AFTER_SECONDS } from './budget';
import type { Logger } from './log';
import {
  mayBeLockedBody,
  memberTarget,
  METRIC,
  provenUnlockedBody,
  pushOnce,
  pushWithRetry,
  runTarget,
  type PushTarget,
} from './pushgateway';

export { RENEW_INTERVAL_SECONDS, STALE_AFTER_SECONDS };

/** A label value naming this run: the host name (the pod's name in Kubernetes, which names its Job) and 6 random hex digits. */
export function newRunId(hostname = os.hostname()): string {
  const host = hostname.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'run';
  return `${host}-${randomBytes(3).toString('hex')}`;
}

interface Flag {
  setName: string;
  member: string;
  target: PushTarget;
  renewing: boolean;
  /** the background delete started by released(): true when it succeeded */
  deleted?: Promise<boolean>;
}

export interface MayBeLockedOptions {
  gateway: string;
  /** the run label (newRunId()) */
  runId: string;
  /** epoch seconds by which the run is surely over (its deadline plus the grace period) */
  deadlineTs: number;
  log: Logger;
  fetchImpl?: typeof fetch;
  /** default RENEW_INTERVAL_SECONDS (tests use less) */
  renewIntervalMs?: number;
  /** wall clock, epoch ms (tests) */
  now?: () => number;
  /** timeout of each request, default 3 s */
  timeoutMs?: number;
}

export class MayBeLockedSignal {
  private readonly flags = new Map<string, Flag>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: MayBeLockedOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Right before the lock: this run's flag for `member`, then renewed until released() or finish(). Never throws. */
  async set(setName: string, member: string): Promise<void> {
    const key = `${setName}\u0000${member}`;
    let flag = this.flags.get(key);
    if (!flag) {
      let target: PushTarget;
      try {
        target = runTarget(this.o.gateway, setName, member, this.o.runId);
      } catch (e) {
        this.o.log.warn('pushgateway', `${METRIC.mayBeLocked} not pushed`, { member, error: this.o.log.redactor.error(e) });
        return;
      }
      flag = { setName, member, target, renewing: true };
      this.flags.set(key, flag);
    }
    flag.renewing = true;
    flag.deleted = undefined;
    await this.put(flag, false);
    this.schedule();
  }

  /** The run proved it holds no lock on `member`: stop renewing, delete the flag in the background. */
  released(setName: string, member: string): void {
    const flag = this.flags.get(`${setName}\u0000${member}`);
    if (!flag || !flag.renewing) return;
    flag.renewing = false;
    const inFlight = this.inFlight;
    flag.deleted = (async () => {
      await inFlight; // a renewal already sent must not land after the delete
      return (await this.delete(flag, 'info')) === 'ok';
    })();
  }

  /**
   * The end of the run: stop renewing; delete the flags of `provenUnlocked` members (retried until `untilMs`,
   * performance.now() clock); push "proven unlocked at `provenAt`" for each of them; leave every other flag set.
   */
  async finish(
    setName: string | undefined,
    provenUnlocked: readonly string[],
    provenAt: number | undefined,
    untilMs: number,
  ): Promise<void> {
    await this.stop();
    const proven = new Set(provenUnlocked);
    const log = this.o.log;
    const work: Array<Promise<unknown>> = [];
    for (const flag of this.flags.values()) {
      if (!proven.has(flag.member) || flag.setName !== setName) {
        log.warn(
          'pushgateway',
          `"may be locked" left set for ${flag.member} (not proven unlocked): MongoSnapshotMemberMayBeLocked fires within ${STALE_AFTER_SECONDS} s`,
          { member: flag.member, run: this.o.runId },
        );
        continue;
      }
      work.push(
        (async () => {
          const ok =
            (flag.deleted && (await flag.deleted)) ||
            (await pushWithRetry(() => this.delete(flag, 'warn'), untilMs, { timeoutMs: this.o.timeoutMs }));
          if (!ok)
            log.error(
              'pushgateway',
              `could not clear the "may be locked" flag of ${flag.member}, which this run proved unlocked: ` +
                `MongoSnapshotMemberMayBeLocked will fire within ${STALE_AFTER_SECONDS} s although the member is not locked by us ` +
                `(check it with the runbook); the next run that sees the member unlocked clears it, or delete the group: curl -X DELETE ${flag.target.url}`,
              { member: flag.member, run: this.o.runId },
            );
        })(),
      );
    }
    if (setName && provenAt !== undefined)
      for (const member of proven) {
        let target: PushTarget;
        try {
          target = memberTarget(this.o.gateway, setName, member);
        } catch {
          continue;
        }
        work.push(
          pushWithRetry(
            () =>
              pushOnce(
                target,
                'PUT',
                provenUnlockedBody(provenAt),
                { done: `${METRIC.provenUnlocked} pushed`, failed: `push of ${METRIC.provenUnlocked} failed` },
                log,
                { member },
                this.opts(),
              ),
            untilMs,
            { timeoutMs: this.o.timeoutMs },
          ),
        );
      }
    await Promise.all(work);
  }

  /** Stops the renewal; a renewal in flight is awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private opts() {
    return { fetchImpl: this.o.fetchImpl, timeoutMs: this.o.timeoutMs };
  }

  private schedule(): void {
    if (this.timer || this.stopped || this.inFlight) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.renew();
      },
      this.o.renewIntervalMs ?? RENEW_INTERVAL_SECONDS * 1000,
    );
    // never what keeps the process alive
    this.timer.unref();
  }

  private renew(): void {
    if (this.stopped) return;
    const live = [...this.flags.values()].filter((f) => f.renewing);
    if (live.length === 0) return;
    const p = Promise.all(live.map((f) => this.put(f, true)));
    this.inFlight = p;
    void p.finally(() => {
      if (this.inFlight === p) this.inFlight = undefined;
      this.schedule();
    });
  }

  private put(flag: Flag, renewal: boolean): Promise<'ok' | 'retry' | 'failed'> {
    return pushOnce(
      flag.target,
      'PUT',
      mayBeLockedBody(this.o.deadlineTs, Math.floor(this.now() / 1000)),
      renewal
        ? { done: `${METRIC.mayBeLocked} 1 renewed`, failed: `renewal of ${METRIC.mayBeLocked} 1 failed` }
        : { done: `${METRIC.mayBeLocked} 1 pushed`, failed: `push of ${METRIC.mayBeLocked} 1 failed` },
      this.o.log,
      { member: flag.member, run: this.o.runId },
      this.opts(),
    );
  }

  private delete(flag: Flag, level: 'warn' | 'info'): Promise<'ok' | 'retry' | 'failed'> {
    return pushOnce(
      flag.target,
      'DELETE',
      undefined,
      { done: `${METRIC.mayBeLocked} cleared (group deleted)`, failed: `clearing ${METRIC.mayBeLocked} failed` },
      this.o.log,
      { member: flag.member, run: this.o.runId },
      { ...this.opts(), level },
    );
  }
}
