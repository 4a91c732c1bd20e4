import { describe, expect, it } from 'vitest';
import { Logger, Redactor } from '../../lib/mongo-snapshot/log';
import { metricsBody, pushMetrics, pushTarget } from '../../lib/mongo-snapshot/pushgateway';

const silent = () => new Logger(new Redactor(), 'json', { write: () => undefined });

function sample(body: string): Record<string, string> {
  return Object.fromEntries(
    body
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.lastIndexOf(' ')), l.slice(l.lastIndexOf(' ') + 1)]),
  );
}

describe('pushgateway', () => {
  it('success: all five gauges, labelled with the member', () => {
    const s = sample(metricsBody({ exitCode: 0, member: 'db2:27017', lockHeldSeconds: 12.3456, finishedAt: 1_800_000_000.5 }));
    expect(s).toEqual({
      'mongo_snapshot_last_exit_code{member="db2:27017"}': '0',
      'mongo_snapshot_last_success_timestamp_seconds{member="db2:27017"}': '1800000000.500',
      'mongo_snapshot_lock_held_seconds{member="db2:27017"}': '12.346',
      'mongo_snapshot_last_run_timestamp_seconds{member="db2:27017"}': '1800000000.500',
      'mongo_snapshot_member_locked{member="db2:27017"}': '0',
    });
  });

  it('failure: no last-success gauge; member_locked is 1 only for exit 7; no member label when unknown', () => {
    const seven = sample(metricsBody({ exitCode: 7, member: 'db2:27017', lockHeldSeconds: 130, finishedAt: 1 }));
    expect(Object.keys(seven).some((k) => k.startsWith('mongo_snapshot_last_success'))).toBe(false);
    expect(seven['mongo_snapshot_member_locked{member="db2:27017"}']).toBe('1');
    const three = sample(metricsBody({ exitCode: 3, lockHeldSeconds: 0, finishedAt: 1 }));
    expect(three).toEqual({
      mongo_snapshot_last_exit_code: '3',
      mongo_snapshot_lock_held_seconds: '0',
      mongo_snapshot_last_run_timestamp_seconds: '1',
      mongo_snapshot_member_locked: '0',
    });
  });

  it('the count of members locked by someone else is pushed only when the run looked', () => {
    expect(metricsBody({ exitCode: 0, lockHeldSeconds: 0, finishedAt: 1 })).not.toContain('mongo_snapshot_fsync_locked_members');
    expect(
      sample(metricsBody({ exitCode: 4, lockHeldSeconds: 0, finishedAt: 1, lockedByOthers: 2 })).mongo_snapshot_fsync_locked_members,
    ).toBe('2');
  });

  it('URL: grouping key job/replica_set, "unknown" without a set name, base64 for odd values, basic auth', () => {
    expect(pushTarget('http://gw:9091/', 'rs0').url).toBe('http://gw:9091/metrics/job/mongo-snapshot/replica_set/rs0');
    expect(pushTarget('http://gw:9091', undefined).url).toBe('http://gw:9091/metrics/job/mongo-snapshot/replica_set/unknown');
    expect(pushTarget('http://gw:9091', 'a/b').url).toBe(
      `http://gw:9091/metrics/job/mongo-snapshot/replica_set@base64/${Buffer.from('a/b').toString('base64url')}`,
    );
    const t = pushTarget('https://user:pa%40ss@gw/prefix', 'rs0');
    expect(t.url).toBe('https://gw/prefix/metrics/job/mongo-snapshot/replica_set/rs0');
    expect(t.headers.Authorization).toBe(`Basic ${Buffer.from('user:pa@ss').toString('base64')}`);
  });

  it('PUT on success, POST on failure; errors are swallowed', async () => {
    const calls: Array<{ url: string; method: string }> = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, method: init.method! });
      return new Response('', { status: 200 });
    }) as unknown as typeof fetch;
    expect(
      await pushMetrics('http://gw', { exitCode: 0, setName: 'rs0', lockHeldSeconds: 1, finishedAt: 1 }, silent(), { fetchImpl }),
    ).toBe(true);
    expect(
      await pushMetrics('http://gw', { exitCode: 6, setName: 'rs0', lockHeldSeconds: 1, finishedAt: 1 }, silent(), { fetchImpl }),
    ).toBe(true);
    expect(calls.map((c) => c.method)).toEqual(['PUT', 'POST']);
    const failing = (async () => {
      throw new Error('ECONNREFUSED');
    }) as unknown as typeof fetch;
    expect(await pushMetrics('http://gw', { exitCode: 0, lockHeldSeconds: 1, finishedAt: 1 }, silent(), { fetchImpl: failing })).toBe(
      false,
    );
    const http500 = (async () => new Response('nope', { status: 500 })) as unknown as typeof fetch;
    expect(await pushMetrics('http://gw', { exitCode: 0, lockHeldSeconds: 1, finishedAt: 1 }, silent(), { fetchImpl: http500 })).toBe(
      false,
    );
  });
});
