// Retention of volume-snapshot backups: the pure rules (which go, which stay), then the command
// against the fake API server (what it deletes, what it leaves, how it fails).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../lib/ops/kube/client';
import { main } from '../../lib/ops/prune-backups/main';
import { planPrune } from '../../lib/ops/prune-backups/plan';
import { FakeKube } from '../support/fake-kube';

const NOW = Date.parse('2026-03-20T12:00:00Z');
const DAY = 86_400_000;

/** A Backup of `cluster`'s ScheduledBackup that stopped `daysAgo` days before NOW. */
function backup(
  cluster: string,
  daysAgo: number,
  phase: string | null = 'completed',
  extra: Partial<KubeObject['metadata']> = {},
  method = 'volumeSnapshot',
): KubeObject {
  const stopped = new Date(NOW - daysAgo * DAY).toISOString();
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Backup',
    metadata: {
      name: `${cluster}-${stopped.replace(/[-:.]/g, '').slice(0, 15)}`,
      namespace: 'databases',
      labels: { 'cnpg.io/cluster': cluster, 'cnpg.io/scheduled-backup': cluster, 'cnpg.io/immediateBackup': 'false' },
      creationTimestamp: stopped,
      ...extra,
    },
    spec: { cluster: { name: cluster }, method },
    status: phase
      ? { phase, startedAt: stopped, stoppedAt: phase === 'completed' || phase === 'failed' ? stopped : undefined, method }
      : undefined,
  };
}

const deleted = (decisions: ReturnType<typeof planPrune>) =>
  decisions
    .filter((d) => d.action === 'delete')
    .map((d) => d.name)
    .sort();
const kept = (decisions: ReturnType<typeof planPrune>) =>
  decisions
    .filter((d) => d.action === 'keep')
    .map((d) => d.name)
    .sort();

describe('retention rules', () => {
  const daily = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => backup('orders', d));

  it('keep N: the newest N completed stay, the rest go', () => {
    const decisions = planPrune(daily, { clusters: ['orders'], keep: 3, now: NOW });
    expect(kept(decisions)).toEqual(
      daily
        .slice(0, 3)
        .map((b) => b.metadata.name)
        .sort(),
    );
    expect(deleted(decisions)).toEqual(
      daily
        .slice(3)
        .map((b) => b.metadata.name)
        .sort(),
    );
  });

  it('order is by completion time, not by list order or name', () => {
    const shuffled = [daily[5], daily[0], daily[9], daily[2], daily[1]];
    expect(kept(planPrune(shuffled, { clusters: ['orders'], keep: 2, now: NOW }))).toEqual(
      [daily[0], daily[1]].map((b) => b.metadata.name).sort(),
    );
  });

  it('maxAge: older ones go, but never the newest (even when all are old)', () => {
    const old = [20, 30, 40].map((d) => backup('orders', d));
    const decisions = planPrune(old, { clusters: ['orders'], maxAgeSeconds: 7 * 86_400, now: NOW });
    expect(kept(decisions)).toEqual([old[0].metadata.name]);
    expect(deleted(decisions)).toEqual([old[1], old[2]].map((b) => b.metadata.name).sort());
    expect(deleted(planPrune(daily, { clusters: ['orders'], maxAgeSeconds: 7 * 86_400 + 1, now: NOW }))).toEqual(
      [daily[8], daily[9]].map((b) => b.metadata.name).sort(),
    );
  });

  it('keep and maxAge together: the newest N stay whatever their age; beyond them, only the young stay', () => {
    const decisions = planPrune(daily, { clusters: ['orders'], keep: 2, maxAgeSeconds: 4.5 * 86_400, now: NOW });
    expect(kept(decisions)).toEqual(
      daily
        .slice(0, 5)
        .map((b) => b.metadata.name)
        .sort(),
    );
    const stale = [10, 11, 12].map((d) => backup('orders', d));
    expect(kept(planPrune(stale, { clusters: ['orders'], keep: 2, maxAgeSeconds: 86_400, now: NOW }))).toEqual(
      [stale[0], stale[1]].map((b) => b.metadata.name).sort(),
    );
  });

  it('never one in progress, never one already being deleted', () => {
    const running = [
      backup('orders', 20, 'running'),
      backup('orders', 21, 'pending'),
      backup('orders', 22, null),
      backup('orders', 23, 'finalizing'),
      backup('orders', 24, 'started'),
    ];
    const deleting = backup('orders', 25, 'completed', { deletionTimestamp: new Date(NOW).toISOString() });
    const decisions = planPrune([...daily, ...running, deleting], { clusters: ['orders'], keep: 1, now: NOW });
    for (const b of [...running, deleting]) expect(decisions.find((d) => d.name === b.metadata.name)?.action).toBe('keep');
    expect(deleted(decisions)).toEqual(
      daily
        .slice(1)
        .map((b) => b.metadata.name)
        .sort(),
    );
  });

  it('fewer completed than N: nothing completed goes', () => {
    expect(deleted(planPrune(daily.slice(0, 3), { clusters: ['orders'], keep: 5, now: NOW }))).toEqual([]);
  });

  it('failed backups go once a newer one completed, and stay while none has', () => {
    const failedOld = backup('orders', 3.5, 'failed');
    // newer than the newest completed one (daily[1]): nothing supersedes it yet
    const failedNew = backup('orders', 0.5, 'failed');
    const walFailing = backup('orders', 2.5, 'walArchivingFailing');
    const decisions = planPrune([daily[1], daily[2], failedOld, failedNew, walFailing], { clusters: ['orders'], keep: 5, now: NOW });
    expect(deleted(decisions)).toEqual([failedOld, walFailing].map((b) => b.metadata.name).sort());
    expect(decisions.find((d) => d.name === failedNew.metadata.name)?.action).toBe('keep');
  });

  it("only this fleet's scheduled volume-snapshot backups of the listed clusters, each cluster on its own", () => {
    const onDemand = backup('orders', 30, 'completed', { labels: { 'cnpg.io/cluster': 'orders' } });
    const plugin = backup('orders', 31, 'completed', {}, 'plugin');
    const objectStore = backup('orders', 32, 'completed', {
      labels: { 'cnpg.io/cluster': 'orders', 'cnpg.io/scheduled-backup': 'orders-object-store' },
    });
    const otherCluster = backup('legacy', 33);
    const payments = [0, 1, 2].map((d) => backup('payments', d));
    const decisions = planPrune([...daily.slice(0, 3), onDemand, plugin, objectStore, otherCluster, ...payments], {
      clusters: ['orders', 'payments'],
      keep: 2,
      now: NOW,
    });
    const touched = decisions.map((d) => d.name);
    for (const b of [onDemand, plugin, objectStore, otherCluster]) expect(touched).not.toContain(b.metadata.name);
    expect(deleted(decisions)).toEqual([daily[2], payments[2]].map((b) => b.metadata.name).sort());
  });
});

describe('prune-backups against a fake API server', () => {
  let kube: FakeKube;
  let env: NodeJS.ProcessEnv;
  let lines: Array<Record<string, any>>;
  const log = {
    log: (level: string, event: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, event, ...fields });
    },
  };

  beforeEach(async () => {
    kube = new FakeKube();
    env = { KUBE_API_SERVER: await kube.start(), KUBE_API_TOKEN: 'test-token' };
    lines = [];
    for (const d of [0, 1, 2, 3, 4]) kube.put('postgresql.cnpg.io', 'backups', backup('orders', d));
    kube.put('postgresql.cnpg.io', 'backups', backup('orders', 9, 'running'));
  });
  afterEach(() => kube.stop());

  const remaining = () => [...kube.objects.keys()].map((k) => k.split('/').pop()).sort();

  it('deletes exactly the Backups the rules select, with the token, in the background', async () => {
    expect(await main(['--namespace', 'databases', '--cluster', 'orders', '--keep', '2'], env, { log, now: () => NOW })).toBe(0);
    expect(remaining()).toEqual(
      [backup('orders', 0), backup('orders', 1), backup('orders', 9, 'running')].map((b) => b.metadata.name).sort(),
    );
    expect(kube.requests[0]).toMatchObject({
      method: 'GET',
      path: '/apis/postgresql.cnpg.io/v1/namespaces/databases/backups?labelSelector=cnpg.io%2Fscheduled-backup',
    });
    const deletes = kube.requests.filter((r) => r.method === 'DELETE');
    expect(deletes).toHaveLength(3);
    expect(deletes[0].body).toMatchObject({ kind: 'DeleteOptions', propagationPolicy: 'Background' });
    expect(lines.at(-1)).toMatchObject({ event: 'done', deleted: 3, failed: 0 });
  });

  it('--dry-run deletes nothing', async () => {
    expect(await main(['--namespace', 'databases', '--cluster', 'orders', '--keep', '2', '--dry-run'], env, { log, now: () => NOW })).toBe(
      0,
    );
    expect(kube.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(lines.filter((l) => l.event === 'would-delete')).toHaveLength(3);
  });

  it('a failed delete is reported, the others still go, exit 1 (the next run retries)', async () => {
    const victim = backup('orders', 3).metadata.name;
    kube.interceptors.push((r) => (r.method === 'DELETE' && r.path.endsWith(`/${victim}`) ? { status: 403 } : undefined));
    expect(await main(['--namespace', 'databases', '--cluster', 'orders', '--keep', '2'], env, { log, now: () => NOW })).toBe(1);
    expect(remaining()).toContain(victim);
    expect(remaining()).not.toContain(backup('orders', 2).metadata.name);
    expect(lines.find((l) => l.event === 'delete-failed')).toMatchObject({ backup: victim, level: 'error' });
  });

  it('the API server unreachable or refusing the list: exit 1, nothing deleted', async () => {
    kube.interceptors.push(() => ({ status: 403 }));
    expect(await main(['--namespace', 'databases', '--cluster', 'orders', '--keep', '2'], env, { log, now: () => NOW })).toBe(1);
    expect(lines.at(-1)).toMatchObject({ event: 'list-failed', level: 'error' });
    expect(
      await main(['--namespace', 'databases', '--cluster', 'orders', '--keep', '2'], { KUBE_API_SERVER: 'http://127.0.0.1:1' }, { log }),
    ).toBe(1);
    expect(await main(['--namespace', 'databases', '--cluster', 'orders', '--keep', '2'], {}, { log })).toBe(1);
    expect(lines.at(-1)?.message).toMatch(/KUBERNETES_SERVICE_HOST is unset/);
  });

  it('usage errors: exit 2, no API call', async () => {
    for (const argv of [
      [],
      ['--cluster', 'orders', '--keep', '2'],
      ['--namespace', 'd', '--keep', '2'],
      ['--namespace', 'd', '--cluster', 'o'],
      ['--namespace', 'd', '--cluster', 'o', '--keep', '0'],
      ['--namespace', 'd', '--cluster', 'o', '--max-age', '7 days'],
      ['--bogus'],
    ]) {
      expect(await main(argv, env, { log })).toBe(2);
    }
    expect(kube.requests).toEqual([]);
  });
});
