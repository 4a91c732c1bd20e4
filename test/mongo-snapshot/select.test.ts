import { Long, Timestamp } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  ackMembers,
  compareCandidates,
  effectiveLag,
  fmtLag,
  majorityOf,
  type MemberView,
  stallReason,
  memberViews,
  rankCandidates,
  resolveMemberSpec,
  staticReasons,
  type Probe,
  type SelectOptions,
} from '../../lib/mongo-snapshot/select';

const NOW = new Date('2026-01-01T12:00:00Z').getTime();
const STATES: Record<string, number> = { PRIMARY: 1, SECONDARY: 2, RECOVERING: 3, STARTUP2: 5, ARBITER: 7, DOWN: 8 };

interface M {
  host: string;
  state?: string;
  lag?: number;
  hidden?: boolean;
  priority?: number;
  delay?: number;
  votes?: number;
  buildIndexes?: boolean;
}

/** replSetGetStatus / replSetGetConfig replies shaped like mongod's. */
function replies(ms: M[]) {
  const status = {
    set: 'rs0',
    members: ms.map((m, i) => {
      const state = m.state ?? 'SECONDARY';
      if (state === 'DOWN')
        return {
          _id: i,
          name: m.host,
          health: 0,
          state: 8,
          stateStr: '(not reachable/healthy)',
          optimeDate: new Date(0),
          optime: { ts: new Timestamp({ t: 0, i: 0 }), t: Long.fromNumber(-1) },
        };
      const base = { _id: i, name: m.host, health: 1, state: STATES[state], stateStr: state };
      if (state === 'ARBITER') return base;
      const d = new Date(NOW - (m.lag ?? 0) * 1000);
      return { ...base, optime: { ts: new Timestamp({ t: Math.floor(d.getTime() / 1000), i: 1 }), t: Long.fromNumber(1) }, optimeDate: d };
    }),
  };
  const config = {
    config: {
      _id: 'rs0',
      members: ms.map((m, i) => ({
        _id: i,
        host: m.host,
        arbiterOnly: m.state === 'ARBITER',
        hidden: !!m.hidden,
        priority: m.priority ?? (m.hidden || m.state === 'ARBITER' ? 0 : 1),
        secondaryDelaySecs: Long.fromNumber(m.delay ?? 0),
        votes: m.votes ?? 1,
        buildIndexes: m.buildIndexes ?? true,
      })),
    },
  };
  return { status, config };
}

function pick(ms: M[], opts: Partial<SelectOptions> = {}, probes?: Map<string, Probe>, withMajority = false) {
  const { status, config } = replies(ms);
  const { members } = memberViews(status, config);
  const o: SelectOptions = { maxLagSeconds: 60, allowDelayed: false, ...opts };
  const p = probes ?? new Map(members.filter((m) => staticReasons(m, o).length === 0).map((m) => [m.host, { locked: false }]));
  return rankCandidates(members, o, p, withMajority ? majorityOf(status, members) : undefined);
}

const eligible = (c: ReturnType<typeof pick>) => c.filter((x) => x.eligible).map((x) => x.host);
const reasonsOf = (c: ReturnType<typeof pick>, host: string) => c.find((x) => x.host === host)!.reasons.join('; ');

describe('selection', () => {
  it('prefers hidden, then passive, then the rest', () => {
    const c = pick([
      { host: 'a:27017', state: 'PRIMARY' },
      { host: 'b:27017', lag: 0 },
      { host: 'c:27017', priority: 0, lag: 5 },
      { host: 'd:27017', hidden: true, lag: 9 },
    ]);
    expect(eligible(c)).toEqual(['d:27017', 'c:27017', 'b:27017']);
    expect(c.map((x) => x.rank ?? null)).toEqual([1, 2, 3, null]);
  });

  it('within a class: least lag, then host name', () => {
    const c = pick([
      { host: 'p:27017', state: 'PRIMARY' },
      { host: 'z:27017', lag: 1 },
      { host: 'y:27017', lag: 3 },
      { host: 'x:27017', lag: 1 },
    ]);
    expect(eligible(c)).toEqual(['x:27017', 'z:27017', 'y:27017']);
  });

  it('never PRIMARY, ARBITER, RECOVERING, STARTUP2 or DOWN', () => {
    const c = pick([
      { host: 'down:27017', state: 'DOWN' },
      { host: 'arb:27017', state: 'ARBITER' },
      { host: 'rec:27017', state: 'RECOVERING' },
      { host: 'st2:27017', state: 'STARTUP2' },
      { host: 'pri:27017', state: 'PRIMARY' },
    ]);
    expect(eligible(c)).toEqual([]);
    expect(reasonsOf(c, 'down:27017')).toMatch(/DOWN or unreachable/);
    expect(reasonsOf(c, 'arb:27017')).toMatch(/ARBITER/);
    expect(reasonsOf(c, 'rec:27017')).toMatch(/RECOVERING/);
    expect(reasonsOf(c, 'st2:27017')).toMatch(/STARTUP2/);
    expect(reasonsOf(c, 'pri:27017')).toMatch(/PRIMARY/);
  });

  it('lag limit: equal to the limit is fine, above is rejected', () => {
    const c = pick([
      { host: 'p:1', state: 'PRIMARY' },
      { host: 'a:1', lag: 60 },
      { host: 'b:1', lag: 61 },
    ]);
    expect(eligible(c)).toEqual(['a:1']);
    expect(reasonsOf(c, 'b:1')).toBe('lag 61s > --max-lag-seconds 60');
    expect(
      eligible(
        pick(
          [
            { host: 'p:1', state: 'PRIMARY' },
            { host: 'a:1', lag: 5 },
          ],
          { maxLagSeconds: 4 },
        ),
      ),
    ).toEqual([]);
  });

  it('delayed members only with --allow-delayed, where lag counts beyond the delay', () => {
    const ms: M[] = [
      { host: 'p:1', state: 'PRIMARY' },
      { host: 'd:1', hidden: true, delay: 3600, lag: 3630 },
      { host: 's:1', lag: 2 },
    ];
    const c = pick(ms);
    expect(eligible(c)).toEqual(['s:1']);
    expect(reasonsOf(c, 'd:1')).toMatch(/delayed member \(secondaryDelaySecs 3600\), needs --allow-delayed/);
    expect(eligible(pick(ms, { allowDelayed: true }))).toEqual(['d:1', 's:1']);
    expect(eligible(pick(ms, { allowDelayed: true, maxLagSeconds: 20 }))).toEqual(['s:1']);
  });

  it('a member that is already fsync-locked, unreachable or not probed is rejected', () => {
    const ms: M[] = [{ host: 'p:1', state: 'PRIMARY' }, { host: 'a:1' }, { host: 'b:1' }, { host: 'c:1' }, { host: 'd:1' }];
    const probes = new Map<string, Probe>([
      ['a:1', { locked: true }],
      ['b:1', { error: 'connection refused' }],
      ['d:1', { locked: false }],
    ]);
    const c = pick(ms, {}, probes);
    expect(eligible(c)).toEqual(['d:1']);
    expect(reasonsOf(c, 'a:1')).toMatch(/already fsync-locked/);
    expect(reasonsOf(c, 'b:1')).toMatch(/unreachable from here: connection refused/);
    expect(reasonsOf(c, 'c:1')).toMatch(/not probed/);
  });

  it('--member restricts to that member, which must still be eligible', () => {
    const ms: M[] = [
      { host: 'p:27017', state: 'PRIMARY' },
      { host: 'a:27017', hidden: true },
      { host: 'b:27017', lag: 2 },
    ];
    expect(eligible(pick(ms, { member: 'b:27017' }))).toEqual(['b:27017']);
    const c = pick(ms, { member: 'p:27017' });
    expect(eligible(c)).toEqual([]);
    expect(reasonsOf(c, 'p:27017')).toMatch(/PRIMARY/);
    expect(reasonsOf(c, 'a:27017')).toBe('not the --member');
  });

  it('lag is measured against the primary, or the freshest member without one', () => {
    const withP = memberViews(
      ...(Object.values(
        replies([
          { host: 'p:1', state: 'PRIMARY', lag: 2 },
          { host: 'a:1', lag: 5 },
        ]),
      ) as [object, object]),
    );
    expect(withP.reference).toMatchObject({ kind: 'primary', host: 'p:1' });
    expect(withP.members[1]!.lagSeconds).toBe(3);
    const noP = memberViews(
      ...(Object.values(
        replies([
          { host: 'a:1', lag: 5 },
          { host: 'b:1', lag: 2 },
          { host: 'x:1', state: 'DOWN' },
        ]),
      ) as [object, object]),
    );
    expect(noP.reference).toMatchObject({ kind: 'freshest member', host: 'b:1' });
    expect(noP.members.map((m) => m.lagSeconds)).toEqual([3, 0, undefined]);
  });

  it('is deterministic whatever the input order', () => {
    const ms: M[] = [
      { host: 'p:1', state: 'PRIMARY' },
      { host: 'c:1', lag: 1 },
      { host: 'a:1', lag: 1 },
      { host: 'b:1', lag: 1, priority: 0 },
    ];
    const a = eligible(pick(ms));
    const b = eligible(pick([...ms].reverse()));
    expect(a).toEqual(['b:1', 'a:1', 'c:1']);
    expect(b).toEqual(a);
  });
});

describe('resolveMemberSpec', () => {
  const hosts = ['db1.example.com:27017', 'db2.example.com:27018', 'db3.example.com:27017', 'db3.example.com:27019'];
  it('matches host or host:port', () => {
    expect(resolveMemberSpec('db1.example.com', hosts)).toEqual({ host: 'db1.example.com:27017' });
    expect(resolveMemberSpec('DB2.example.com', hosts)).toEqual({ host: 'db2.example.com:27018' });
    expect(resolveMemberSpec('db3.example.com:27019', hosts)).toEqual({ host: 'db3.example.com:27019' });
  });
  it('reports unknown and ambiguous members', () => {
    expect(resolveMemberSpec('db9', hosts)).toMatchObject({ error: expect.stringMatching(/not a member/) });
    expect(resolveMemberSpec('db3.example.com', hosts)).toMatchObject({ error: expect.stringMatching(/ambiguous/) });
    expect(resolveMemberSpec('db2.example.com:27017', hosts)).toMatchObject({ error: expect.stringMatching(/not a member/) });
  });
});

describe('availability: votes, writeMajorityCount, buildIndexes', () => {
  it('votes: 0 members come first, before hidden voting ones', () => {
    const c = pick(
      [{ host: 'p:1', state: 'PRIMARY' }, { host: 'h:1', hidden: true }, { host: 'n:1', priority: 0, votes: 0, lag: 5 }, { host: 's:1' }],
      {},
      undefined,
      true,
    );
    expect(eligible(c)).toEqual(['n:1', 'h:1', 's:1']);
  });

  it('writeMajorityCount: computed like mongod (arbiters vote but hold no data; votes 0 do not count)', () => {
    const { status, config } = replies([{ host: 'p:1', state: 'PRIMARY' }, { host: 's:1' }, { host: 'a:1', state: 'ARBITER' }]);
    expect(majorityOf(status, memberViews(status, config).members)).toEqual({ writeMajorityCount: 2, reported: false });
    expect(majorityOf({ ...status, writeMajorityCount: 3 }, [])).toEqual({ writeMajorityCount: 3, reported: true });
    const five = replies([
      { host: 'p:1', state: 'PRIMARY' },
      { host: 's:1' },
      { host: 't:1' },
      { host: 'a:1', state: 'ARBITER' },
      { host: 'n:1', votes: 0, priority: 0 },
    ]);
    expect(majorityOf(five.status, memberViews(five.status, five.config).members).writeMajorityCount).toBe(3);
  });

  it('primary + secondary + arbiter: the secondary is refused; allowed with allowMajorityStall', () => {
    const set = [{ host: 'p:1', state: 'PRIMARY' }, { host: 's:1' }, { host: 'a:1', state: 'ARBITER' }];
    const c = pick(set, {}, undefined, true);
    expect(eligible(c)).toEqual([]);
    expect(c.find((x) => x.host === 's:1')!.reasons.join()).toMatch(
      /leave 1 healthy data-bearing voter\(s\), fewer than writeMajorityCount 2/,
    );
    expect(eligible(pick(set, { allowMajorityStall: true }, undefined, true))).toEqual(['s:1']);
  });

  it('a member down, a delayed member or a member locked by someone else does not count as a healthy voter', () => {
    expect(
      eligible(pick([{ host: 'p:1', state: 'PRIMARY' }, { host: 's:1' }, { host: 'd:1', state: 'DOWN' }], {}, undefined, true)),
    ).toEqual([]);
    expect(
      eligible(
        pick(
          [{ host: 'p:1', state: 'PRIMARY' }, { host: 's:1' }, { host: 'x:1', delay: 3600, hidden: true, priority: 0 }],
          {},
          undefined,
          true,
        ),
      ),
    ).toEqual([]);
    const locked = new Map<string, Probe>([
      ['s:1', { locked: false }],
      ['l:1', { locked: true }],
    ]);
    expect(eligible(pick([{ host: 'p:1', state: 'PRIMARY' }, { host: 's:1' }, { host: 'l:1' }], {}, locked, true))).toEqual([]);
    // three healthy data-bearing voters: one may be locked
    expect(eligible(pick([{ host: 'p:1', state: 'PRIMARY' }, { host: 's:1' }, { host: 't:1' }], {}, undefined, true))).toEqual([
      's:1',
      't:1',
    ]);
  });

  it('a votes: 0 member never costs a vote: it stays eligible in a primary + secondary + arbiter set', () => {
    const c = pick(
      [{ host: 'p:1', state: 'PRIMARY' }, { host: 's:1' }, { host: 'a:1', state: 'ARBITER' }, { host: 'n:1', votes: 0, priority: 0 }],
      {},
      undefined,
      true,
    );
    expect(eligible(c)).toEqual(['n:1']);
  });

  it('buildIndexes: false is rejected, or ranked last with allowNoIndexes', () => {
    const set = [
      { host: 'p:1', state: 'PRIMARY' },
      { host: 'b:1', hidden: true, priority: 0, votes: 0, buildIndexes: false },
      { host: 's:1', lag: 3 },
      { host: 't:1', lag: 2 },
    ];
    const c = pick(set, {}, undefined, true);
    expect(eligible(c)).toEqual(['t:1', 's:1']);
    expect(c.find((x) => x.host === 'b:1')!.reasons.join()).toMatch(/buildIndexes: false/);
    expect(eligible(pick(set, { allowNoIndexes: true }, undefined, true))).toEqual(['t:1', 's:1', 'b:1']);
  });
});

// The parts of the selection the scenarios above reach only through the simulator (a child process that
// a mutation run cannot see): the replies' odd shapes, the default write concern and tag modes, and the
// exact reasons a member is refused. Found unchecked by the mutation run (docs/mutation-testing.md).
const view = (v: Partial<MemberView> & { host: string }): MemberView => ({
  id: 0,
  state: 2,
  stateStr: 'SECONDARY',
  health: 1,
  hidden: false,
  priority: 1,
  arbiterOnly: false,
  secondaryDelaySecs: 0,
  votes: 1,
  buildIndexes: true,
  tags: {},
  lagSeconds: 0,
  ...v,
});
const primary = view({ host: 'p:1', state: 1, stateStr: 'PRIMARY', lagSeconds: undefined });

describe('memberViews: the shapes of replSetGetStatus and replSetGetConfig', () => {
  const at = (secs: number) => new Date(NOW - secs * 1000);
  it('config by _id, else by host; defaults for what the config leaves out; tags as strings', () => {
    const { members } = memberViews(
      {
        members: [
          { _id: 7, name: 'B.example:27017', health: 1, state: 2, optimeDate: at(0) },
          { _id: Long.fromNumber(1), name: 'c:1', health: 1, state: 2, optimeDate: at(0) },
          { _id: 2n, name: 'd:1', state: 4, stateStr: 'FATAL' },
          { name: 'e:1', health: 1 },
        ],
      },
      {
        members: [
          { _id: 0, host: 'b.example', tags: { dc: 'east', rack: 2 }, slaveDelay: 60, priority: 0 },
          { _id: 1, host: 'c:1', votes: 0, buildIndexes: false, arbiterOnly: false, tags: 'not an object' },
          { _id: 2, host: 'd:1', arbiterOnly: true },
        ],
      },
    );
    expect(members.map(({ optimeDate: _o, lagSeconds: _l, ...m }) => m)).toEqual([
      {
        id: 7,
        host: 'b.example',
        state: 2,
        stateStr: 'SECONDARY',
        health: 1,
        hidden: false,
        priority: 0,
        arbiterOnly: false,
        secondaryDelaySecs: 60,
        votes: 1,
        buildIndexes: true,
        tags: { dc: 'east', rack: '2' },
      },
      {
        id: 1,
        host: 'c:1',
        state: 2,
        stateStr: 'SECONDARY',
        health: 1,
        hidden: false,
        priority: 1,
        arbiterOnly: false,
        secondaryDelaySecs: 0,
        votes: 0,
        buildIndexes: false,
        tags: {},
      },
      {
        id: 2,
        host: 'd:1',
        state: 4,
        stateStr: 'FATAL',
        health: 0,
        hidden: false,
        priority: 0,
        arbiterOnly: true,
        secondaryDelaySecs: 0,
        votes: 1,
        buildIndexes: true,
        tags: {},
      },
      {
        id: -1,
        host: 'e:1',
        state: 6,
        stateStr: 'UNKNOWN',
        health: 1,
        hidden: false,
        priority: 1,
        arbiterOnly: false,
        secondaryDelaySecs: 0,
        votes: 1,
        buildIndexes: true,
        tags: {},
      },
    ]);
    // A state without a name and without stateStr: its number.
    expect(memberViews({ members: [{ _id: 0, name: 'x:1', state: 42 }] }, { members: [] }).members[0]!.stateStr).toBe('42');
  });

  it('optime: optimeDate, else lastAppliedWallTime, else the Timestamp (seconds in its high bits); none for arbiters', () => {
    const ts = (secs: number) => new Timestamp({ t: secs, i: 1 });
    const { members, reference } = memberViews(
      {
        members: [
          { _id: 0, name: 'p:1', health: 1, state: 1, optimeDate: at(0) },
          { _id: 1, name: 'a:1', health: 1, state: 2, optimeDate: new Date(0), lastAppliedWallTime: at(4) },
          { _id: 2, name: 'b:1', health: 1, state: 2, optime: { ts: ts(NOW / 1000 - 6) } },
          { _id: 3, name: 'c:1', health: 1, state: 2, optime: ts(NOW / 1000 - 8) },
          { _id: 4, name: 'd:1', health: 1, state: 2, optime: { ts: ts(0) }, optimeDate: new Date(Number.NaN) },
          { _id: 5, name: 'e:1', health: 1, state: 7, optimeDate: at(0) },
          { _id: 6, name: 'f:1', health: 1, state: 2, optime: { ts: 'not a timestamp' } },
        ],
      },
      { config: { members: [] } },
    );
    expect(reference).toEqual({ kind: 'primary', host: 'p:1', optimeDate: at(0) });
    expect(members.map((m) => m.lagSeconds)).toEqual([0, 4, 6, 8, undefined, undefined, undefined]);
    expect(members[4]!.optimeDate).toBeUndefined();
    expect(members[5]!.optimeDate).toBeUndefined();
  });

  it('the reference: a healthy primary with an optime; else the freshest healthy member that is not delayed; lag never negative', () => {
    const { members, reference } = memberViews(
      {
        members: [
          { _id: 0, name: 'p:1', health: 0, state: 1, optimeDate: at(0) },
          { _id: 1, name: 'q:1', health: 1, state: 1 },
          { _id: 2, name: 'd:1', health: 1, state: 2, optimeDate: at(1) },
          { _id: 3, name: 'u:1', health: 0, state: 2, optimeDate: at(2) },
          { _id: 4, name: 'a:1', health: 1, state: 2, optimeDate: at(3) },
          { _id: 5, name: 'b:1', health: 1, state: 2, optimeDate: at(5) },
        ],
      },
      { members: [{ _id: 2, host: 'd:1', secondaryDelaySecs: 3600 }] },
    );
    expect(reference).toEqual({ kind: 'freshest member', host: 'a:1', optimeDate: at(3) });
    expect(members.map((m) => m.lagSeconds)).toEqual([0, undefined, 0, 0, 0, 2]);
    expect(memberViews({ members: [{ _id: 0, name: 'q:1', health: 1, state: 2 }] }, { members: [] }).reference).toEqual({ kind: 'none' });
  });

  it('writeMajorityCount as reported (a Long), or computed: min(majority of voters, voters holding data)', () => {
    expect(majorityOf({ writeMajorityCount: Long.fromNumber(2) }, [])).toEqual({ writeMajorityCount: 2, reported: true });
    const arb = view({ host: 'a:1', arbiterOnly: true });
    expect(majorityOf({}, [primary, arb, view({ host: 'b:1', arbiterOnly: true })])).toEqual({ writeMajorityCount: 1, reported: false });
    expect(majorityOf({}, [primary, view({ host: 's:1' }), view({ host: 't:1' }), view({ host: 'u:1' })])).toEqual({
      writeMajorityCount: 3,
      reported: false,
    });
  });
});

describe('who can acknowledge a write now, and why locking a member would stall writes', () => {
  const none = new Map<string, Probe>();
  it('ackMembers: healthy PRIMARY or SECONDARY, voting, not delayed or locked, at most 10 s behind', () => {
    const members = [
      primary,
      view({ host: 'ok:1', lagSeconds: 10 }),
      view({ host: 'late:1', lagSeconds: 10.5 }),
      view({ host: 'unknown:1', lagSeconds: undefined }),
      view({ host: 'novote:1', votes: 0 }),
      view({ host: 'arb:1', arbiterOnly: true }),
      view({ host: 'down:1', health: 0 }),
      view({ host: 'rec:1', state: 3 }),
      view({ host: 'delayed:1', secondaryDelaySecs: 60 }),
      view({ host: 'locked:1' }),
    ];
    const probes = new Map<string, Probe>([
      ['locked:1', { locked: true }],
      ['ok:1', { locked: false }],
    ]);
    expect(ackMembers(members, probes).map((m) => m.host)).toEqual(['p:1', 'ok:1']);
    expect(ackMembers(members, probes, true).map((m) => m.host)).toEqual(['p:1', 'ok:1', 'novote:1']);
  });

  it('the default write concern w: <number>: refused when it can be met now and no longer with the member locked', () => {
    const members = [primary, view({ host: 's:1' }), view({ host: 'n:1', votes: 0, priority: 0 })];
    const majority = { writeMajorityCount: 1, reported: true };
    expect(stallReason(members[2]!, members, none, { ...majority, defaultW: 3 })).toBe(
      'locking it would leave 2 data-bearing member(s) able to acknowledge, fewer than the default write concern w: 3 (writes would stall)',
    );
    expect(stallReason(members[2]!, members, none, { ...majority, defaultW: 2 })).toBeUndefined();
    // w: 4 cannot be met even now: locking breaks nothing.
    expect(stallReason(members[2]!, members, none, { ...majority, defaultW: 4 })).toBeUndefined();
    expect(stallReason(members[2]!, members, none, { ...majority, defaultW: 1 })).toBeUndefined();
    expect(stallReason(members[2]!, [members[2]!], none, { ...majority, defaultW: 1 })).toBeUndefined();
    expect(stallReason(members[2]!, members, none, { ...majority, defaultW: 'majority' })).toBeUndefined();
  });

  it('tag modes: refused when the mode can be met now and not with the member locked; the default mode is named', () => {
    const members = [
      view({ ...primary, tags: { dc: 'east' } }),
      view({ host: 's:1', tags: { dc: 'west' } }),
      view({ host: 't:1', tags: { dc: 'west' } }),
      view({ host: 'u:1', tags: { rack: 'r1' } }),
    ];
    const majority = { writeMajorityCount: 1, reported: true, modes: { twoDCs: { dc: 2 } } };
    // Another west member stays: the mode is still met.
    expect(stallReason(members[1]!, members, none, majority)).toBeUndefined();
    const two = members.filter((m) => m.host !== 't:1');
    expect(stallReason(two[1]!, two, none, majority)).toBe(
      'locking it would leave too few tagged members for the write concern mode "twoDCs" {"dc":2} (writes with w: "twoDCs" would stall)',
    );
    expect(stallReason(two[1]!, two, none, { ...majority, defaultW: 'twoDCs' })).toBe(
      'locking it would leave too few tagged members for the write concern mode "twoDCs" {"dc":2} (the default write concern) (writes with w: "twoDCs" would stall)',
    );
    expect(stallReason(two[1]!, two, none, { ...majority, defaultW: 'other' })).toBe(
      'locking it would leave too few tagged members for the write concern mode "twoDCs" {"dc":2} (writes with w: "twoDCs" would stall)',
    );
    // A mode no one can meet now (three data centres): locking breaks nothing.
    expect(stallReason(two[1]!, two, none, { ...majority, modes: { three: { dc: 3 } } })).toBeUndefined();
    // A member without the tag counts for nothing.
    expect(stallReason(members[3]!, members, none, majority)).toBeUndefined();
  });

  it('w: majority: the members that could count but cannot acknowledge now are named, with why', () => {
    const members = [
      primary,
      view({ host: 's:1' }),
      view({ host: 'd:1', secondaryDelaySecs: 60, votes: 1 }),
      view({ host: 'l:1' }),
      view({ host: 'g:1', lagSeconds: 30.25 }),
      view({ host: 'x:1', health: 0 }),
      view({ host: 'a:1', arbiterOnly: true }),
    ];
    const probes = new Map<string, Probe>([['l:1', { locked: true }]]);
    expect(stallReason(members[1]!, members, probes, { writeMajorityCount: 2, reported: true })).toBe(
      'a voter: locking it would leave 1 healthy data-bearing voter(s), fewer than writeMajorityCount 2 (w: majority writes would stall; cannot acknowledge now: d:1 delayed, l:1 locked, g:1 lag 30.3s; able to acknowledge: healthy, not delayed or locked, lag <= 10s)',
    );
    expect(stallReason(members[1]!, members, probes, { writeMajorityCount: 1, reported: true })).toBeUndefined();
    // A votes: 0 member costs no vote.
    const n = view({ host: 'n:1', votes: 0 });
    expect(stallReason(n, [primary, n], none, { writeMajorityCount: 2, reported: true })).toBeUndefined();
  });

  it('rankCandidates: exact reasons, lock state unknown, the stall reason with its override, rejected members by host', () => {
    const members = [
      view({ ...primary, host: 'z:1' }),
      view({ host: 'y:1', health: 0, state: 8, stateStr: 'DOWN' }),
      view({ host: 'x:1', arbiterOnly: true, state: 7, stateStr: 'ARBITER' }),
      view({ host: 'w:1', state: 3, stateStr: 'RECOVERING' }),
      view({ host: 'v:1', lagSeconds: undefined }),
      view({ host: 'u:1', buildIndexes: false, secondaryDelaySecs: 5, lagSeconds: 7 }),
      view({ host: 't:1' }),
      view({ host: 's:1' }),
    ];
    const probes = new Map<string, Probe>([
      ['t:1', {}],
      ['s:1', { locked: false }],
    ]);
    const c = rankCandidates(members, { maxLagSeconds: 60, allowDelayed: false }, probes, { writeMajorityCount: 3, reported: true });
    expect(c.map((x) => [x.host, x.rank ?? null, x.reasons])).toEqual([
      [
        's:1',
        null,
        [
          'a voter: locking it would leave 2 healthy data-bearing voter(s), fewer than writeMajorityCount 3 (w: majority writes would stall; cannot acknowledge now: v:1 lag unknown, u:1 delayed; able to acknowledge: healthy, not delayed or locked, lag <= 10s); --allow-majority-stall to lock it anyway',
        ],
      ],
      ['t:1', null, ['lock state unknown']],
      [
        'u:1',
        null,
        [
          'delayed member (secondaryDelaySecs 5), needs --allow-delayed',
          'buildIndexes: false (its snapshot has no secondary indexes), needs --allow-no-indexes',
        ],
      ],
      ['v:1', null, ['lag unknown (no optime for it or for a reference member)']],
      ['w:1', null, ['state RECOVERING, not SECONDARY']],
      ['x:1', null, ['state ARBITER, not SECONDARY']],
      ['y:1', null, ['DOWN or unreachable (health 0, state DOWN)']],
      ['z:1', null, ['state PRIMARY, not SECONDARY']],
    ]);
    // Without `majority`, or with the override, nothing about stalls.
    expect(
      rankCandidates(members, { maxLagSeconds: 60, allowDelayed: false }, probes)
        .filter((x) => x.eligible)
        .map((x) => [x.host, x.rank]),
    ).toEqual([['s:1', 1]]);
    expect(
      rankCandidates(members, { maxLagSeconds: 60, allowDelayed: false, allowMajorityStall: true }, probes, {
        writeMajorityCount: 2,
        reported: true,
      })
        .filter((x) => x.eligible)
        .map((x) => x.host),
    ).toEqual(['s:1']);
  });

  it('effectiveLag and the lag limit: an allowed delayed member counts only the lag beyond its delay, never below 0', () => {
    const delayed = view({ host: 'd:1', secondaryDelaySecs: 3600, lagSeconds: 3630 });
    expect(effectiveLag(delayed, { maxLagSeconds: 60, allowDelayed: true })).toBe(30);
    expect(effectiveLag(delayed, { maxLagSeconds: 60, allowDelayed: false })).toBe(3630);
    expect(effectiveLag(view({ host: 'e:1', secondaryDelaySecs: 3600, lagSeconds: 10 }), { maxLagSeconds: 60, allowDelayed: true })).toBe(
      0,
    );
    expect(effectiveLag(view({ host: 's:1', lagSeconds: 12 }), { maxLagSeconds: 60, allowDelayed: true })).toBe(12);
    expect(effectiveLag(view({ host: 'u:1', lagSeconds: undefined }), { maxLagSeconds: 60, allowDelayed: true })).toBeUndefined();
    expect(staticReasons(view({ host: 's:1', lagSeconds: 2.25 }), { maxLagSeconds: 2, allowDelayed: false })).toEqual([
      'lag 2.3s > --max-lag-seconds 2',
    ]);
    expect(fmtLag(3)).toBe('3s');
    expect(fmtLag(0.5)).toBe('0.5s');
  });

  it('compareCandidates: indexes, then non-voters, then hidden, passive, the rest, then lag, then host', () => {
    const order = (...ms: MemberView[]) => [...ms].sort(compareCandidates).map((m) => m.host);
    const noIdx = view({ host: 'a:1', buildIndexes: false, votes: 0, hidden: true });
    const voter = view({ host: 'b:1' });
    expect(order(noIdx, voter)).toEqual(['b:1', 'a:1']);
    expect(order(voter, noIdx)).toEqual(['b:1', 'a:1']);
    expect(order(voter, view({ host: 'c:1', votes: 0 }))).toEqual(['c:1', 'b:1']);
    expect(order(view({ host: 'c:1', votes: 0 }), voter)).toEqual(['c:1', 'b:1']);
    expect(order(view({ host: 'z:1', lagSeconds: undefined }), view({ host: 'y:1', lagSeconds: 100 }))).toEqual(['y:1', 'z:1']);
    expect(order(view({ host: 'B:1' }), view({ host: 'a:1' }))).toEqual(['a:1', 'B:1']);
    expect(compareCandidates(view({ host: 'a:1' }), view({ host: 'a:1' }))).toBe(0);
  });

  it('resolveMemberSpec: trimmed, IPv6 with a port, exact error texts', () => {
    const hosts = ['[::1]:27017', '[::1]:27018', 'db1:27017'];
    expect(resolveMemberSpec(' [::1]:27018 ', hosts)).toEqual({ host: '[::1]:27018' });
    expect(resolveMemberSpec('[::1]', hosts)).toEqual({ error: '--member [::1] is ambiguous ([::1]:27017, [::1]:27018): add the port' });
    expect(resolveMemberSpec('db2', hosts)).toEqual({
      error: '--member db2 is not a member of the replica set (members: [::1]:27017, [::1]:27018, db1:27017)',
    });
    expect(resolveMemberSpec('DB1:27017', hosts)).toEqual({ host: 'db1:27017' });
  });
});

// Survivors of the select.ts mutation run (docs/mutation-testing.md, "lib/mongo-snapshot/select.ts"): each `it` below
// fails with the mutant named in its comment applied, and passes without it (checked with scripts/mutant-check.mjs).
describe('select.ts: what the mutation run found unproven', () => {
  const none = new Map<string, Probe>();
  const at = (secs: number) => new Date(NOW - secs * 1000);

  // 122 `[num(c._id, -1), c]` → `[]` (no join by _id: every member joined by host). The test above names every
  // member in the status as in the config, so it could not tell the two joins apart.
  it('a status member is joined to the config member with its _id, even under another name', () => {
    const { members } = memberViews(
      { members: [{ _id: 3, name: 'old-name:1', health: 1, state: 2, optimeDate: at(0) }] },
      { members: [{ _id: 3, host: 'new-name:1', votes: 0, priority: 0, hidden: true }] },
    );
    expect(members.map((m) => [m.host, m.votes, m.priority, m.hidden])).toEqual([['new-name:1', 0, 0, true]]);
  });

  // 104 `typeof v.toNumber === 'function'` → `true`: a value of an unexpected type crashed the selection
  // ("toNumber is not a function") instead of reading as the default.
  it('a number field of an unexpected type (a string, an object) reads as its default, not a crash', () => {
    const { members } = memberViews(
      { members: [{ _id: 0, name: 'a:1', health: 1, state: 2, optimeDate: at(0) }] },
      { members: [{ _id: 0, host: 'a:1', priority: '2', votes: { $numberInt: '0' } }] },
    );
    expect(members.map((m) => [m.priority, m.votes])).toEqual([[1, 1]]);
  });

  // 124 `status.members ?? []` → `["Stryker was here"]` (uncovered): a status without members made a member up.
  it('a status without members has no member', () => {
    expect(memberViews({}, { members: [{ _id: 0, host: 'a:1' }] })).toEqual({ members: [], reference: { kind: 'none' } });
  });

  // 199 `every` → `some`: a mode of two tags was taken as met while one of its tags was not.
  it('a tag mode of two tags: locking a member that leaves one tag short stalls it, even if the other tag is still met', () => {
    const members = [
      view({ ...primary, tags: { dc: 'east', rack: 'r1' } }),
      view({ host: 's:1', tags: { dc: 'west', rack: 'r2' } }),
      view({ host: 't:1', tags: { dc: 'west', rack: 'r1' } }),
    ];
    const majority = { writeMajorityCount: 1, reported: true, modes: { dcAndRack: { dc: 2, rack: 2 } } };
    expect(stallReason(members[1]!, members, none, majority)).toBe(
      'locking it would leave too few tagged members for the write concern mode "dcAndRack" {"dc":2,"rack":2} (writes with w: "dcAndRack" would stall)',
    );
    // t:1 shares its rack with the primary: locking it leaves both tags met.
    expect(stallReason(members[2]!, members, none, majority)).toBeUndefined();
  });

  // 216 `x !== m` → `true`: the member to be locked was listed among the others that cannot acknowledge.
  // 216 `x.state === 1` → `false`: a PRIMARY locked by someone else was not named (the reason why w: majority stalls).
  it('w: majority: the members named as unable to acknowledge are the others, a locked PRIMARY included', () => {
    const lagging = view({ host: 's:1', lagSeconds: 20 });
    const members = [primary, lagging, view({ host: 'g:1', lagSeconds: 30 })];
    expect(stallReason(lagging, members, none, { writeMajorityCount: 3, reported: true })).toBe(
      'a voter: locking it would leave 1 healthy data-bearing voter(s), fewer than writeMajorityCount 3 (w: majority writes would stall; cannot acknowledge now: g:1 lag 30s; able to acknowledge: healthy, not delayed or locked, lag <= 10s)',
    );
    const s = view({ host: 's:1' });
    const withLockedPrimary = [primary, s, view({ host: 't:1' })];
    expect(stallReason(s, withLockedPrimary, new Map([['p:1', { locked: true }]]), { writeMajorityCount: 2, reported: true })).toBe(
      'a voter: locking it would leave 1 healthy data-bearing voter(s), fewer than writeMajorityCount 2 (w: majority writes would stall; cannot acknowledge now: p:1 locked; able to acknowledge: healthy, not delayed or locked, lag <= 10s)',
    );
  });

  // 250 `m.lagSeconds === undefined` → `false`: an allowed delayed member with no optime had a lag of NaN, which no
  // limit rejects: it was eligible with its lag unknown.
  it('an allowed delayed member whose lag is unknown is rejected for it', () => {
    const d = view({ host: 'd:1', secondaryDelaySecs: 3600, lagSeconds: undefined });
    expect(effectiveLag(d, { maxLagSeconds: 60, allowDelayed: true })).toBeUndefined();
    expect(staticReasons(d, { maxLagSeconds: 60, allowDelayed: true })).toEqual([
      'lag unknown (no optime for it or for a reference member)',
    ]);
  });

  // 338 `spec.trim()` → `spec`: a --member without a port, with a space around it (a YAML args value), matched nothing.
  it('--member without a port is trimmed too', () => {
    expect(resolveMemberSpec(' db1 ', ['db1:27017', 'db2:27017'])).toEqual({ host: 'db1:27017' });
  });
});
