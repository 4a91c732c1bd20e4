import { Long, Timestamp } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  majorityOf,
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
