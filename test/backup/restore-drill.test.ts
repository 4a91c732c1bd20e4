// The restore drill's state machine against the in-process fake API server: the fake plays the
// operator (a scratch Cluster becomes healthy, stays pending, or fails), a fake check plays the
// databases, and fake time makes timeouts instant. Every path must end with the scratch cluster gone.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../lib/ops/kube/client';
import type { Checker } from '../../lib/ops/restore-drill/check';
import { latestBackup, scratchClusterSpec } from '../../lib/ops/restore-drill/drill';
import { clustersForRun, main } from '../../lib/ops/restore-drill/main';
import { metricsBody } from '../../lib/ops/restore-drill/metrics';
import { FakeKube } from '../support/fake-kube';

const CNPG = 'postgresql.cnpg.io';
const NS = 'databases';
const SCRATCH = 'restore-drill-scratch';
const HEALTHY = 'Cluster in healthy state';

function sourceCluster(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: `${CNPG}/v1`,
    kind: 'Cluster',
    metadata: { name, namespace: NS },
    spec: {
      instances: 3,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:16',
      storage: { size: '50Gi', storageClass: 'fast' },
      walStorage: { size: '10Gi' },
      postgresql: { parameters: { max_connections: '300' } },
      plugins: [{ name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true }],
      ...extra,
    },
  };
}

function backup(cluster: string, stoppedAt: string, method = 'volumeSnapshot', phase = 'completed'): KubeObject {
  return {
    apiVersion: `${CNPG}/v1`,
    kind: 'Backup',
    metadata: {
      name: `${cluster}-${stoppedAt.replace(/[-:]/g, '').slice(0, 15)}-${method}`,
      namespace: NS,
      labels: { 'cnpg.io/cluster': cluster },
    },
    spec: {
      cluster: { name: cluster },
      method,
      ...(method === 'plugin' ? { pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' } } : {}),
    },
    status: { phase, method, stoppedAt },
  };
}

describe('drill building blocks', () => {
  it("the latest completed backup of the source's method", () => {
    const list = [
      backup('orders', '2026-03-18T02:00:00Z'),
      backup('orders', '2026-03-19T02:00:00Z'),
      backup('orders', '2026-03-20T02:00:00Z', 'volumeSnapshot', 'running'),
      backup('orders', '2026-03-19T03:00:00Z', 'plugin'),
      backup('payments', '2026-03-20T01:00:00Z'),
    ];
    expect(latestBackup(list, 'orders', 'volumeSnapshot')?.metadata.name).toBe(list[1].metadata.name);
    expect(latestBackup(list, 'orders', 'objectStore')?.metadata.name).toBe(list[3].metadata.name);
    expect(latestBackup(list.slice(0, 2), 'orders', 'objectStore')).toBeUndefined();
  });

  it('the scratch cluster: one instance, sized like the source, restoring, never archiving', () => {
    const snap = scratchClusterSpec(
      { namespace: NS, source: 'volumeSnapshot', scratchCluster: SCRATCH, ownerSecrets: {}, timeoutSeconds: 60 },
      sourceCluster('orders'),
      backup('orders', '2026-03-19T02:00:00Z'),
    );
    expect(snap.metadata).toMatchObject({ name: SCRATCH, namespace: NS, labels: { 'dbfleet.io/restore-drill-of': 'orders' } });
    expect(snap.spec).toEqual({
      instances: 1,
      // Issue 25: no PodDisruptionBudget on the scratch cluster (the operator's default would block drains).
      enablePDB: false,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:16',
      postgresql: { parameters: { max_connections: '300' } },
      // Issue 24: no superuser login; the check logs in as each database's owner.
      enableSuperuserAccess: false,
      storage: { size: '50Gi', storageClass: 'fast' },
      walStorage: { size: '10Gi' },
      bootstrap: { recovery: { backup: { name: 'orders-20260319T020000-volumeSnapshot' } } },
    });
    const pitr = scratchClusterSpec(
      {
        namespace: NS,
        source: 'objectStore',
        objectStore: 'acme-object-store',
        scratchCluster: SCRATCH,
        ownerSecrets: {},
        timeoutSeconds: 60,
      },
      sourceCluster('orders'),
      backup('orders', '2026-03-19T02:00:00Z', 'plugin'),
    );
    expect(pitr.spec.bootstrap).toEqual({ recovery: { source: 'origin' } });
    expect(pitr.spec.externalClusters).toEqual([
      {
        name: 'origin',
        plugin: { name: 'barman-cloud.cloudnative-pg.io', parameters: { barmanObjectName: 'acme-object-store', serverName: 'orders' } },
      },
    ]);
    expect(pitr.spec.plugins).toBeUndefined();
    expect(pitr.spec.enablePDB).toBe(false);
  });

  it('rotates a subset through every cluster', () => {
    const all = ['a', 'b', 'c', 'd', 'e'];
    expect(clustersForRun(all, undefined, 7)).toEqual(all);
    const seen = new Set<string>();
    for (let run = 100; run < 103; run++) for (const c of clustersForRun(all, 2, run)) seen.add(c);
    expect([...seen].sort()).toEqual(all);
    expect(clustersForRun(all, 2, 1)).toEqual(['c', 'd']);
  });

  it('metrics: a failure keeps the last success (not sent), a success sets it', () => {
    const ok = metricsBody(
      { cluster: 'orders', success: true, durationSeconds: 321.5, recoveredTimestamp: 1773885600, databases: [], cleanupFailed: false },
      1774000000,
    );
    expect(ok).toContain('restore_drill_success 1\n');
    expect(ok).toContain('restore_drill_last_success_timestamp_seconds 1774000000\n');
    expect(ok).toContain('restore_drill_recovered_timestamp_seconds 1773885600\n');
    expect(ok).toContain('restore_drill_duration_seconds 321.500\n');
    const bad = metricsBody({ cluster: 'orders', success: false, durationSeconds: 60, databases: [], cleanupFailed: true }, 1774000000);
    expect(bad).toContain('restore_drill_success 0\n');
    expect(bad).toContain('restore_drill_cleanup_failed 1\n');
    expect(bad).not.toContain('last_success');
  });
});

describe('restore-drill against a fake API server', () => {
  let kube: FakeKube;
  let env: NodeJS.ProcessEnv;
  let lines: Array<Record<string, any>>;
  let clock: number;
  let checked: Array<{ host: string; user: string; password: string; databases: readonly string[] }>;
  const log = {
    log: (level: string, event: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, event, ...fields });
    },
  };
  const sleep = async (ms: number) => {
    clock += ms;
  };
  const goodCheck: Checker = async (t) => {
    checked.push(t);
    return t.databases.map((database) => ({ database, ok: true, tables: 3, estimatedRows: 1000 }));
  };
  /** The operator: the scratch cluster is healthy on the nth read after creation. */
  const becomesHealthy = (afterReads: number) => {
    let reads = 0;
    kube.onGet = (key, object) => {
      if (!key.endsWith(`/clusters/${NS}/${SCRATCH}`)) return;
      reads++;
      object.status = reads >= afterReads ? { phase: HEALTHY, readyInstances: 1 } : { phase: 'Setting up primary', readyInstances: 0 };
    };
  };
  const args = [
    '--namespace',
    NS,
    '--environment',
    'production',
    '--source',
    'volumeSnapshot',
    '--timeout',
    '10m',
    '--owner-secret',
    'orders=orders-db-credentials',
    '--owner-secret',
    'payments=payments-db-credentials',
    '--cluster',
    'orders:orders,payments',
  ];
  const run = (argv = args, check: Checker = goodCheck) =>
    main(argv, env, { log, check, now: () => clock, sleep, signal: new AbortController().signal });
  const scratchExists = () => kube.get(CNPG, 'clusters', NS, SCRATCH) !== undefined;
  const created = () => kube.requests.filter((r) => r.method === 'POST').map((r) => r.body);

  beforeEach(async () => {
    kube = new FakeKube();
    env = { KUBE_API_SERVER: await kube.start() };
    lines = [];
    checked = [];
    clock = Date.parse('2026-03-20T05:00:00Z');
    kube.put(CNPG, 'clusters', sourceCluster('orders'));
    kube.put(CNPG, 'backups', backup('orders', '2026-03-19T02:00:00Z'));
    kube.put(CNPG, 'backups', backup('orders', '2026-03-20T02:00:00Z'));
    // The owners' Secrets (the access Jobs' logins); no superuser Secret exists for the drill to read.
    for (const [name, user, password] of [
      ['orders-db-credentials', 'orders', 'orders-s3cret'],
      ['payments-db-credentials', 'payments', 'payments-s3cret'],
    ])
      kube.put('', 'secrets', {
        metadata: { name, namespace: NS },
        data: { username: Buffer.from(user).toString('base64'), password: Buffer.from(password).toString('base64') },
      });
  });
  afterEach(() => kube.stop());

  it('ready: restores the latest backup, checks every database, deletes the scratch cluster, exit 0', async () => {
    becomesHealthy(3);
    expect(await run()).toBe(0);
    expect(created()).toHaveLength(1);
    expect(created()[0].spec.bootstrap.recovery.backup.name).toBe('orders-20260320T020000-volumeSnapshot');
    // Each database as its owner (issue 24), never as postgres.
    expect(checked).toEqual([
      { host: `${SCRATCH}-rw.${NS}.svc`, port: 5432, user: 'orders', password: 'orders-s3cret', databases: ['orders'] },
      { host: `${SCRATCH}-rw.${NS}.svc`, port: 5432, user: 'payments', password: 'payments-s3cret', databases: ['payments'] },
    ]);
    expect(created()[0].spec.enableSuperuserAccess).toBe(false);
    expect(scratchExists()).toBe(false);
    expect(lines.filter((l) => l.event === 'state').map((l) => l.state)).toEqual([
      'find-backup',
      'clear-leftover',
      'create',
      'wait-ready',
      'check',
      'done',
    ]);
    const result = lines.find((l) => l.event === 'result')!;
    expect(result).toMatchObject({
      cluster: 'orders',
      success: true,
      cleanupFailed: false,
      recoveredTimestamp: Date.parse('2026-03-20T02:00:00Z') / 1000,
    });
    expect(result.durationSeconds).toBeGreaterThan(0);
    // No secret in any log line.
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('a database without an owner Secret: failed before anything is created, exit 1', async () => {
    becomesHealthy(1);
    const i = args.indexOf('payments=payments-db-credentials');
    expect(await run([...args.slice(0, i - 1), ...args.slice(i + 1)])).toBe(1);
    expect(lines.find((l) => l.event === 'failed')).toMatchObject({ state: 'find-backup' });
    expect(lines.find((l) => l.event === 'failed')?.message).toMatch(/no owner Secret for database\(s\) .*payments/);
    expect(created()).toHaveLength(0);
  });

  it('timeout: never ready within --timeout → failed in wait-ready, scratch cluster deleted, exit 1', async () => {
    becomesHealthy(Number.POSITIVE_INFINITY);
    expect(await run()).toBe(1);
    expect(lines.find((l) => l.event === 'failed')).toMatchObject({
      state: 'wait-ready',
      message: 'not ready within 600s (phase "Setting up primary")',
    });
    expect(checked).toEqual([]);
    expect(scratchExists()).toBe(false);
    expect(lines.find((l) => l.event === 'result')).toMatchObject({ success: false, failedIn: 'wait-ready', cleanupFailed: false });
  });

  it('failure: a failing phase that persists → failed before the timeout, cleaned up', async () => {
    kube.onGet = (key, object) => {
      if (key.endsWith(`/${SCRATCH}`))
        object.status = { phase: 'Cluster is unrecoverable and needs manual intervention', phaseReason: 'recovery job failed' };
    };
    const start = clock;
    expect(await run()).toBe(1);
    expect(lines.find((l) => l.event === 'failed')?.message).toBe(
      'phase "Cluster is unrecoverable and needs manual intervention": recovery job failed',
    );
    expect(clock - start).toBeLessThan(600_000);
    expect(scratchExists()).toBe(false);
  });

  it('failure: a database missing or unreadable → failed in check, cleaned up', async () => {
    becomesHealthy(1);
    const missing: Checker = async (t) =>
      t.databases.map((database) =>
        database === 'payments'
          ? { database, ok: false, tables: 0, estimatedRows: 0, error: 'database "payments" does not exist' }
          : { database, ok: true, tables: 1, estimatedRows: 1 },
      );
    expect(await run(args, missing)).toBe(1);
    expect(lines.find((l) => l.event === 'failed')).toMatchObject({
      state: 'check',
      message: 'database payments: database "payments" does not exist',
    });
    expect(scratchExists()).toBe(false);
  });

  it('failure: no completed backup → nothing created, exit 1', async () => {
    kube.objects.clear();
    kube.put(CNPG, 'clusters', sourceCluster('orders'));
    kube.put(CNPG, 'backups', backup('orders', '2026-03-20T02:00:00Z', 'volumeSnapshot', 'running'));
    expect(await run()).toBe(1);
    expect(lines.find((l) => l.event === 'failed')).toMatchObject({
      state: 'find-backup',
      message: 'no completed volume-snapshot backup of orders',
    });
    expect(created()).toEqual([]);
  });

  it('a leftover scratch cluster of a killed run is deleted first', async () => {
    kube.put(CNPG, 'clusters', { metadata: { name: SCRATCH, namespace: NS }, spec: {} });
    becomesHealthy(2);
    expect(await run()).toBe(0);
    const calls = kube.requests.map((r) => `${r.method} ${r.path.split('?')[0].split('/').slice(-2).join('/')}`);
    expect(calls.indexOf(`DELETE clusters/${SCRATCH}`)).toBeLessThan(calls.indexOf('POST databases/clusters'));
    expect(lines.some((l) => l.event === 'leftover')).toBe(true);
  });

  it('cleanup failure is reported and fails the run even when the drill passed', async () => {
    becomesHealthy(1);
    kube.interceptors.push((r) => (r.method === 'DELETE' ? { status: 500 } : undefined));
    expect(await run()).toBe(1);
    expect(lines.find((l) => l.event === 'result')).toMatchObject({ success: true, cleanupFailed: true });
    expect(lines.find((l) => l.event === 'cleanup-failed')?.level).toBe('error');
  });

  it('create refused (RBAC): failed in create, and the cleanup still runs', async () => {
    kube.interceptors.push((r) =>
      r.method === 'POST' ? { status: 403, body: { kind: 'Status', reason: 'Forbidden', message: 'clusters is forbidden' } } : undefined,
    );
    expect(await run()).toBe(1);
    expect(lines.find((l) => l.event === 'failed')).toMatchObject({ state: 'create', message: expect.stringContaining('403 Forbidden') });
    expect(kube.requests.some((r) => r.method === 'DELETE')).toBe(true);
  });

  it('SIGTERM while waiting: stops, cleans up, exit 143', async () => {
    becomesHealthy(Number.POSITIVE_INFINITY);
    const controller = new AbortController();
    let sleeps = 0;
    const code = await main(args, env, {
      log,
      check: goodCheck,
      now: () => clock,
      signal: controller.signal,
      sleep: async (ms) => {
        clock += ms;
        if (++sleeps === 3) controller.abort();
      },
    });
    expect(code).toBe(143);
    expect(lines.find((l) => l.event === 'failed')?.message).toBe('interrupted (SIGTERM)');
    expect(scratchExists()).toBe(false);
  });

  it('object store: restores from the ObjectStore, pushes metrics per cluster to the Pushgateway', async () => {
    kube.put(CNPG, 'backups', backup('orders', '2026-03-19T01:00:00Z', 'plugin'));
    becomesHealthy(1);
    const pushes: Array<{ method: string; url: string; body: string }> = [];
    const gateway = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        pushes.push({ method: req.method!, url: req.url!, body });
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      expect(
        await run([
          '--namespace',
          NS,
          '--environment',
          'production',
          '--source',
          'objectStore',
          '--object-store',
          'acme-object-store',
          '--pushgateway',
          url,
          '--owner-secret',
          'orders=orders-db-credentials',
          '--cluster',
          'orders:orders',
        ]),
      ).toBe(0);
      expect(created()[0].spec.externalClusters[0].plugin.parameters).toEqual({
        barmanObjectName: 'acme-object-store',
        serverName: 'orders',
      });
      expect(pushes).toHaveLength(1);
      expect(pushes[0]).toMatchObject({ method: 'PUT', url: '/metrics/job/restore-drill/environment/production/cluster/orders' });
      expect(pushes[0].body).toContain('restore_drill_success 1');
    } finally {
      await new Promise<void>((r) => gateway.close(() => r()));
    }
  });

  it('usage errors: exit 2, no API call', async () => {
    for (const argv of [
      [],
      ['--namespace', NS, '--environment', 'p', '--source', 'tape', '--cluster', 'a:b'],
      ['--namespace', NS, '--environment', 'p', '--source', 'objectStore', '--cluster', 'a:b'],
      ['--namespace', NS, '--environment', 'p', '--source', 'volumeSnapshot', '--cluster', 'a'],
      ['--namespace', NS, '--environment', 'p', '--source', 'volumeSnapshot', '--timeout', 'soon', '--cluster', 'a:b'],
    ]) {
      expect(await run(argv)).toBe(2);
    }
    expect(kube.requests).toEqual([]);
  });
});
