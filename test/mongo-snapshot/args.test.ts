import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../lib/mongo-snapshot/args';

const URI = 'mongodb://u:p@h1,h2/?replicaSet=rs0';

describe('parseArgs', () => {
  it('defaults', () => {
    const r = parseArgs([URI], {});
    expect(r).toMatchObject({
      kind: 'run',
      options: {
        uri: URI,
        uriSource: 'argument',
        maxLagSeconds: 60,
        allowDelayed: false,
        dryRun: false,
        snapshotCommand: 'make-vm-snapshot',
        snapshotTimeoutMs: 1_800_000,
        unlockDeadlineMs: 120_000,
        connectTimeoutMs: 5000,
        logFormat: 'text',
      },
    });
  });

  it('every flag, durations with units', () => {
    const r = parseArgs(
      [
        URI,
        '--max-lag-seconds',
        '30',
        '--member',
        'h2:27017',
        '--allow-delayed',
        '--dry-run',
        '--snapshot-command',
        '/bin/snap',
        '--snapshot-timeout',
        '1h',
        '--unlock-deadline',
        '90',
        '--connect-timeout',
        '500ms',
        '--log-format',
        'json',
        '--pushgateway',
        'http://gw:9091',
      ],
      {},
    );
    expect(r).toMatchObject({
      kind: 'run',
      options: {
        maxLagSeconds: 30,
        member: 'h2:27017',
        allowDelayed: true,
        dryRun: true,
        snapshotCommand: '/bin/snap',
        snapshotTimeoutMs: 3_600_000,
        unlockDeadlineMs: 90_000,
        connectTimeoutMs: 500,
        logFormat: 'json',
        pushgateway: 'http://gw:9091',
      },
    });
  });

  it('env: MONGODB_URI, SNAPSHOT_COMMAND, PUSHGATEWAY_URL; the argument wins over MONGODB_URI', () => {
    const env = {
      MONGODB_URI: 'mongodb://e:e@env/',
      SNAPSHOT_COMMAND: '/opt/snapshot/bin/make-vm-snapshot',
      PUSHGATEWAY_URL: 'http://pg:9091',
    };
    expect(parseArgs([], env)).toMatchObject({
      kind: 'run',
      options: { uri: env.MONGODB_URI, uriSource: 'MONGODB_URI', snapshotCommand: env.SNAPSHOT_COMMAND, pushgateway: env.PUSHGATEWAY_URL },
    });
    expect(parseArgs([URI], env)).toMatchObject({ kind: 'run', options: { uri: URI, uriSource: 'argument' } });
    expect(parseArgs([URI, '--snapshot-command', '/x'], env)).toMatchObject({ kind: 'run', options: { snapshotCommand: '/x' } });
  });

  it.each([
    [[]],
    [[URI, '--snapshot-timeout', '0']],
    [[URI, '--unlock-deadline', 'soon']],
    [[URI, '--log-format', 'xml']],
    [[URI, '--bogus']],
    [[URI, 'extra']],
    [[URI, '--pushgateway', 'ftp://x']],
    [[URI, '--max-lag-seconds', '-1']],
  ])('usage error (exit 2): %j', (argv) => {
    const r = parseArgs(argv as string[], {});
    expect(r).toMatchObject({ kind: 'exit', exitCode: 2 });
  });

  it('a usage error still knows the pushgateway, for the metrics', () => {
    expect(parseArgs(['--pushgateway', 'http://gw', '--snapshot-timeout', 'x'], {})).toMatchObject({
      kind: 'exit',
      exitCode: 2,
      pushgateway: 'http://gw',
    });
  });

  it('--help: exit 0 with exit codes', () => {
    const r = parseArgs(['--help'], {});
    expect(r.kind).toBe('exit');
    if (r.kind === 'exit') {
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/143 +interrupted by SIGTERM/);
    }
  });
});

describe('--deadline (issue #26 defect 6: one budget)', () => {
  const URI = 'mongodb://u:p@h1/?replicaSet=rs0';
  it('defaults to the budget the CronJob derives, and refuses one shorter than a single lock attempt', () => {
    const r = parseArgs([URI], {});
    expect(r.kind === 'run' && r.options.deadlineMs).toBe(2652_000); // budget.ts: 120 + 2 × (60 + 240) + 1800 + 120 + 12 (final pushes, retried)
    const given = parseArgs([URI, '--deadline', '1h'], {});
    expect(given.kind === 'run' && given.options.deadlineMs).toBe(3600_000);
    const short = parseArgs([URI, '--deadline', '10m'], {});
    expect(short.kind).toBe('exit');
    expect(short.kind === 'exit' && short.stderr).toMatch(/--deadline 10(\.0)?m.* shorter than one lock attempt/);
  });
});
