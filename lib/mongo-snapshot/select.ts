/**
 * Member selection: pure functions over replSetGetStatus / replSetGetConfig replies and the
 * per-member lock probes. Deterministic: the same inputs always give the same order.
 */
import { normalizeHost } from './uri';

export type Document = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface MemberView {
  id: number;
  /** host:port as in the replica-set config */
  host: string;
  state: number;
  stateStr: string;
  health: number;
  hidden: boolean;
  priority: number;
  arbiterOnly: boolean;
  secondaryDelaySecs: number;
  /** replica-set config: 0 or 1 */
  votes: number;
  /** replica-set config: false means no secondary indexes on this member */
  buildIndexes: boolean;
  /** replica-set config: member tags (custom write concern modes count distinct tag values) */
  tags: Record<string, string>;
  /** the member's last applied optime (wall clock), if reported */
  optimeDate?: Date;
  /** seconds behind the reference (the primary, or the freshest member when there is no primary) */
  lagSeconds?: number;
}

export interface LagReference {
  kind: 'primary' | 'freshest member' | 'none';
  host?: string;
  optimeDate?: Date;
}

export interface Probe {
  /** true when currentOp reports fsyncLock on the member */
  locked?: boolean;
  /** why the member could not be probed (already redacted) */
  error?: string;
}

export interface SelectOptions {
  maxLagSeconds: number;
  allowDelayed: boolean;
  /** lock a voter even when the healthy data-bearing voters left would be fewer than writeMajorityCount */
  allowMajorityStall?: boolean;
  /** rank buildIndexes: false members last instead of rejecting them */
  allowNoIndexes?: boolean;
  /** --member, normalized with normalizeHost */
  member?: string;
}

export type PreferenceClass = 'hidden' | 'passive' | 'other';

/** What w: majority needs, from replSetGetStatus (computed from the config where the status lacks it). */
export interface Majority {
  writeMajorityCount: number;
  /** true when taken from replSetGetStatus */
  reported: boolean;
  /** the cluster-wide default write concern's `w` (getDefaultRWConcern), when it is not "majority" */
  defaultW?: number | string;
  /** custom write concern modes (replSetGetConfig settings.getLastErrorModes): mode -> {tag: distinct values} */
  modes?: Record<string, Record<string, number>>;
}

/**
 * How far behind a member may be and still count as able to acknowledge writes now. A member minutes behind
 * acknowledges a write only once it has applied it: w: majority writes would wait that long.
 */
export const ACK_LAG_SECONDS = 10;

export interface Candidate extends MemberView {
  eligible: boolean;
  reasons: string[];
  preference: PreferenceClass;
  /** 1-based position among eligible members */
  rank?: number;
}

const STATE_NAMES: Record<number, string> = {
  0: 'STARTUP',
  1: 'PRIMARY',
  2: 'SECONDARY',
  3: 'RECOVERING',
  5: 'STARTUP2',
  6: 'UNKNOWN',
  7: 'ARBITER',
  8: 'DOWN',
  9: 'ROLLBACK',
  10: 'REMOVED',
};

function toDate(v: unknown): Date | undefined {
  if (v instanceof Date && !Number.isNaN(v.getTime()) && v.getTime() > 0) return v;
  return undefined;
}

function num(v: unknown, dflt: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return dflt;
}

function optimeOf(m: Document): Date | undefined {
  const d = toDate(m.optimeDate) ?? toDate(m.lastAppliedWallTime);
  if (d) return d;
  const ts = m.optime?.ts ?? m.optime; // Timestamp: high bits are seconds
  if (ts && typeof ts.getHighBitsUnsigned === 'function') {
    const secs = ts.getHighBitsUnsigned();
    return secs > 0 ? new Date(secs * 1000) : undefined;
  }
  return undefined;
}

/** Joins status and config into one view per member, with lag computed against a reference. */
export function memberViews(status: Document, config: Document): { members: MemberView[]; reference: LagReference } {
  const cfgMembers: Document[] = (config.config ?? config).members ?? [];
  const byId = new Map<number, Document>(cfgMembers.map((c) => [num(c._id, -1), c]));
  const byHost = new Map<string, Document>(cfgMembers.map((c) => [normalizeHost(String(c.host)), c]));
  const members: MemberView[] = (status.members ?? []).map((s: Document) => {
    const c = byId.get(num(s._id, -2)) ?? byHost.get(normalizeHost(String(s.name))) ?? {};
    const state = num(s.state, 6);
    const arbiterOnly = !!c.arbiterOnly || state === 7;
    return {
      id: num(s._id, -1),
      host: String(c.host ?? s.name),
      state,
      stateStr: STATE_NAMES[state] ?? String(s.stateStr ?? state),
      health: num(s.health, 0),
      hidden: !!c.hidden,
      priority: num(c.priority, arbiterOnly ? 0 : 1),
      arbiterOnly,
      secondaryDelaySecs: num(c.secondaryDelaySecs ?? c.slaveDelay, 0),
      votes: num(c.votes, 1),
      buildIndexes: c.buildIndexes !== false,
      tags:
        c.tags && typeof c.tags === 'object' ? Object.fromEntries(Object.entries(c.tags as object).map(([k, v]) => [k, String(v)])) : {},
      optimeDate: arbiterOnly ? undefined : optimeOf(s),
    };
  });
  const primary = members.find((m) => m.state === 1 && m.health === 1 && m.optimeDate);
  let reference: LagReference = { kind: 'none' };
  if (primary) reference = { kind: 'primary', host: primary.host, optimeDate: primary.optimeDate };
  else {
    const fresh = members
      .filter((m) => m.health === 1 && m.optimeDate && m.secondaryDelaySecs === 0)
      .sort((a, b) => b.optimeDate!.getTime() - a.optimeDate!.getTime())[0];
    if (fresh) reference = { kind: 'freshest member', host: fresh.host, optimeDate: fresh.optimeDate };
  }
  for (const m of members) {
    if (m.optimeDate && reference.optimeDate) {
      m.lagSeconds = Math.max(0, (reference.optimeDate.getTime() - m.optimeDate.getTime()) / 1000);
    }
  }
  return { members, reference };
}

/**
 * writeMajorityCount as mongod computes it (ReplSetConfig::_calculateMajorities): min(majority of the voters,
 * voters that hold data). replSetGetStatus reports it from 4.4 on; computed from the config otherwise.
 */
export function majorityOf(status: Document, members: MemberView[]): Majority {
  if (status.writeMajorityCount !== undefined) return { writeMajorityCount: num(status.writeMajorityCount, 1), reported: true };
  const voters = members.filter((m) => m.votes > 0);
  const majorityVoteCount = Math.floor(voters.length / 2) + 1;
  return { writeMajorityCount: Math.min(majorityVoteCount, voters.filter((m) => !m.arbiterOnly).length), reported: false };
}

/**
 * Members that hold data and can acknowledge a write now: healthy PRIMARY or SECONDARY, not delayed (a delayed member
 * acknowledges only after its delay), not fsync-locked (a locked member applies nothing), and at most ACK_LAG_SECONDS
 * behind (a lagging member acknowledges only once it has caught up). Voters only, unless `anyVotes` (w: <number> and
 * tag modes count non-voting members too; w: majority counts voters only).
 */
export function ackMembers(members: MemberView[], probes: ReadonlyMap<string, Probe>, anyVotes = false): MemberView[] {
  return members.filter(
    (m) =>
      (anyVotes || m.votes > 0) &&
      !m.arbiterOnly &&
      m.health === 1 &&
      (m.state === 1 || m.state === 2) &&
      m.secondaryDelaySecs === 0 &&
      !probes.get(normalizeHost(m.host))?.locked &&
      (m.state === 1 || (m.lagSeconds !== undefined && m.lagSeconds <= ACK_LAG_SECONDS)),
  );
}

/** Kept for callers: the voters of ackMembers. */
export function healthyDataVoters(members: MemberView[], probes: ReadonlyMap<string, Probe>): MemberView[] {
  return ackMembers(members, probes);
}

/** Can `acks` satisfy the tag mode `mode` ({tag: number of distinct values})? */
function modeSatisfied(mode: Record<string, number>, acks: MemberView[]): boolean {
  return Object.entries(mode).every(([tag, n]) => new Set(acks.filter((a) => a.tags[tag] !== undefined).map((a) => a.tags[tag])).size >= n);
}

/**
 * Why locking `m` would stall writes, or undefined. Checks w: majority (writeMajorityCount voters that can
 * acknowledge now), the default write concern (a number: that many data-bearing members; a mode name: that mode)
 * and every custom mode of the config, each only if it can be satisfied now (locking cannot break what is broken).
 */
export function stallReason(
  m: MemberView,
  members: MemberView[],
  probes: ReadonlyMap<string, Probe>,
  majority: Majority,
): string | undefined {
  const voters = ackMembers(members, probes);
  const all = ackMembers(members, probes, true);
  const notCounted = members
    .filter((x) => x !== m && !x.arbiterOnly && x.health === 1 && (x.state === 1 || x.state === 2) && !all.includes(x))
    .map(
      (x) =>
        // A member with no optime has no lag to show ("lag Infinitys" before): it is unknown.
        `${x.host} ${x.secondaryDelaySecs > 0 ? 'delayed' : probes.get(normalizeHost(x.host))?.locked ? 'locked' : `lag ${x.lagSeconds === undefined ? 'unknown' : fmtLag(x.lagSeconds)}`}`,
    );
  const why = notCounted.length ? `; cannot acknowledge now: ${notCounted.join(', ')}` : '';
  if (m.votes > 0) {
    const left = voters.filter((h) => h !== m).length;
    if (left < majority.writeMajorityCount)
      return `a voter: locking it would leave ${left} healthy data-bearing voter(s), fewer than writeMajorityCount ${majority.writeMajorityCount} (w: majority writes would stall${why}; able to acknowledge: healthy, not delayed or locked, lag <= ${ACK_LAG_SECONDS}s)`;
  }
  const allLeft = all.filter((h) => h !== m);
  const w = majority.defaultW;
  if (typeof w === 'number' && w > 1 && all.length >= w && allLeft.length < w)
    return `locking it would leave ${allLeft.length} data-bearing member(s) able to acknowledge, fewer than the default write concern w: ${w} (writes would stall${why})`;
  const modes = majority.modes ?? {};
  for (const [name, mode] of Object.entries(modes)) {
    if (modeSatisfied(mode, all) && !modeSatisfied(mode, allLeft))
      return `locking it would leave too few tagged members for the write concern mode "${name}" ${JSON.stringify(mode)}${typeof w === 'string' && w === name ? ' (the default write concern)' : ''} (writes with w: "${name}" would stall${why})`;
  }
  return undefined;
}

export function preferenceOf(m: MemberView): PreferenceClass {
  if (m.hidden) return 'hidden';
  if (m.priority === 0) return 'passive';
  return 'other';
}

const PREFERENCE_ORDER: Record<PreferenceClass, number> = { hidden: 0, passive: 1, other: 2 };

/** Lag that counts against --max-lag-seconds: for an allowed delayed member, only the lag beyond its delay. */
export function effectiveLag(m: MemberView, opts: SelectOptions): number | undefined {
  if (m.lagSeconds === undefined) return undefined;
  return opts.allowDelayed && m.secondaryDelaySecs > 0 ? Math.max(0, m.lagSeconds - m.secondaryDelaySecs) : m.lagSeconds;
}

/** Reasons from status and config alone (no I/O). An empty list means "worth probing". */
export function staticReasons(m: MemberView, opts: SelectOptions): string[] {
  const reasons: string[] = [];
  if (opts.member && normalizeHost(m.host) !== opts.member) reasons.push('not the --member');
  if (m.health !== 1) reasons.push(`DOWN or unreachable (health ${m.health}, state ${m.stateStr})`);
  else if (m.arbiterOnly) reasons.push('state ARBITER, not SECONDARY');
  else if (m.state !== 2) reasons.push(`state ${m.stateStr}, not SECONDARY`);
  if (m.secondaryDelaySecs > 0 && !opts.allowDelayed)
    reasons.push(`delayed member (secondaryDelaySecs ${m.secondaryDelaySecs}), needs --allow-delayed`);
  if (!m.buildIndexes && !opts.allowNoIndexes)
    reasons.push('buildIndexes: false (its snapshot has no secondary indexes), needs --allow-no-indexes');
  if (m.state === 2 && m.health === 1 && !m.arbiterOnly) {
    const lag = effectiveLag(m, opts);
    if (lag === undefined) reasons.push('lag unknown (no optime for it or for a reference member)');
    else if (lag > opts.maxLagSeconds) reasons.push(`lag ${fmtLag(lag)} > --max-lag-seconds ${opts.maxLagSeconds}`);
  }
  return reasons;
}

/**
 * Applies the probes and the availability rule, then orders eligible members (compareCandidates). With `majority`,
 * a voter is rejected (unless opts.allowMajorityStall) when locking it would leave fewer healthy data-bearing voters
 * than writeMajorityCount: w: majority writes would wait and flow control would throttle the primary for as long as
 * the lock is held (a locked member can neither apply the oplog nor record an election vote).
 */
export function rankCandidates(
  members: MemberView[],
  opts: SelectOptions,
  probes: ReadonlyMap<string, Probe>,
  majority?: Majority,
): Candidate[] {
  const all: Candidate[] = members.map((m) => {
    const reasons = staticReasons(m, opts);
    if (reasons.length === 0) {
      const p = probes.get(normalizeHost(m.host));
      if (!p) reasons.push('not probed');
      else if (p.error) reasons.push(`unreachable from here: ${p.error}`);
      else if (p.locked === undefined) reasons.push('lock state unknown');
      else if (p.locked) reasons.push('already fsync-locked (another backup may be running): never touched');
    }
    if (reasons.length === 0 && majority && !opts.allowMajorityStall) {
      const stall = stallReason(m, members, probes, majority);
      if (stall) reasons.push(`${stall}; --allow-majority-stall to lock it anyway`);
    }
    return { ...m, eligible: reasons.length === 0, reasons, preference: preferenceOf(m) };
  });
  const eligible = all.filter((c) => c.eligible).sort(compareCandidates);
  eligible.forEach((c, i) => (c.rank = i + 1));
  const rejected = all.filter((c) => !c.eligible).sort((a, b) => cmpStr(a.host, b.host));
  return [...eligible, ...rejected];
}

/**
 * Order of eligible members: members with secondary indexes first (buildIndexes: false only when allowed, last);
 * non-voting (votes: 0) before voters (locking them costs no vote and no write acknowledgement); then hidden,
 * passive (priority 0), the rest; then least lag; then host name.
 */
export function compareCandidates(a: MemberView, b: MemberView): number {
  if (a.buildIndexes !== b.buildIndexes) return a.buildIndexes ? -1 : 1;
  const va = a.votes > 0 ? 1 : 0;
  const vb = b.votes > 0 ? 1 : 0;
  if (va !== vb) return va - vb;
  const pa = PREFERENCE_ORDER[preferenceOf(a)];
  const pb = PREFERENCE_ORDER[preferenceOf(b)];
  if (pa !== pb) return pa - pb;
  const la = a.lagSeconds ?? Number.POSITIVE_INFINITY;
  const lb = b.lagSeconds ?? Number.POSITIVE_INFINITY;
  if (la !== lb) return la - lb;
  return cmpStr(normalizeHost(a.host), normalizeHost(b.host));
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function fmtLag(s: number): string {
  return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}

/**
 * Resolves --member (host or host:port) against the config hosts. Without a port it matches any port,
 * but only if that is unambiguous. Returns the config host (normalized) or an error message.
 */
export function resolveMemberSpec(spec: string, hosts: string[]): { host: string } | { error: string } {
  const want = spec.trim().toLowerCase();
  const norm = hosts.map((h) => normalizeHost(h));
  const hasPort = want.startsWith('[') ? /\]:\d+$/.test(want) : want.includes(':');
  const matches = hasPort ? norm.filter((h) => h === normalizeHost(want)) : norm.filter((h) => h.slice(0, h.lastIndexOf(':')) === want);
  if (matches.length === 1) return { host: matches[0]! };
  if (matches.length === 0) return { error: `--member ${spec} is not a member of the replica set (members: ${hosts.join(', ')})` };
  return { error: `--member ${spec} is ambiguous (${matches.join(', ')}): add the port` };
}
