// The drill's metrics, pushed to a Prometheus Pushgateway per cluster (grouping key job,
// environment, cluster). A successful drill PUTs (replacing the group); a failed one POSTs, which
// replaces only the metrics it sends, so the last success timestamp survives a failure.
import * as http from 'node:http';
import * as https from 'node:https';
import type { OpsLogger } from '../common/log';
import type { DrillResult } from './drill';

export const PUSH_JOB = 'restore-drill';
export const METRIC = {
  success: 'restore_drill_success',
  lastRun: 'restore_drill_last_run_timestamp_seconds',
  lastSuccess: 'restore_drill_last_success_timestamp_seconds',
  duration: 'restore_drill_duration_seconds',
  recovered: 'restore_drill_recovered_timestamp_seconds',
  cleanupFailed: 'restore_drill_cleanup_failed',
} as const;

const HELP: Record<string, string> = {
  [METRIC.success]: '1 when the last restore drill of the cluster restored and checked every database, else 0.',
  [METRIC.lastRun]: 'When the last restore drill of the cluster ended (epoch seconds).',
  [METRIC.lastSuccess]: 'When the last successful restore drill of the cluster ended (epoch seconds).',
  [METRIC.duration]: 'How long the last restore drill of the cluster took, restore and check (seconds).',
  [METRIC.recovered]:
    'Lower bound of the point in time the last successful drill recovered: the end of the restored base backup (epoch seconds).',
  [METRIC.cleanupFailed]: '1 when the last drill could not delete its scratch cluster.',
};

export function metricsBody(result: DrillResult, finishedAt: number): string {
  const values: Array<[string, number]> = [
    [METRIC.success, result.success ? 1 : 0],
    [METRIC.lastRun, finishedAt],
    [METRIC.duration, result.durationSeconds],
    [METRIC.cleanupFailed, result.cleanupFailed ? 1 : 0],
  ];
  if (result.success) values.push([METRIC.lastSuccess, finishedAt]);
  if (result.recoveredTimestamp !== undefined) values.push([METRIC.recovered, result.recoveredTimestamp]);
  return values
    .map(([name, v]) => `# HELP ${name} ${HELP[name]}\n# TYPE ${name} gauge\n${name} ${Number.isInteger(v) ? v : v.toFixed(3)}\n`)
    .join('');
}

export function pushURL(base: string, environment: string, cluster: string): URL {
  const seg = (s: string) => encodeURIComponent(s);
  return new URL(`${base.replace(/\/$/, '')}/metrics/job/${seg(PUSH_JOB)}/environment/${seg(environment)}/cluster/${seg(cluster)}`);
}

/** Never throws: a failed push is logged, and the drill's result stands. */
export async function pushResult(
  base: string,
  environment: string,
  result: DrillResult,
  finishedAt: number,
  log: OpsLogger,
): Promise<boolean> {
  const url = pushURL(base, environment, result.cluster);
  const body = Buffer.from(metricsBody(result, finishedAt));
  const transport = url.protocol === 'https:' ? https : http;
  try {
    await new Promise<void>((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method: result.success ? 'PUT' : 'POST',
          timeout: 10_000,
          headers: { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': String(body.length) },
        },
        (res) => {
          res.resume();
          res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`Pushgateway answered ${res.statusCode}`))));
        },
      );
      req.on('timeout', () => req.destroy(new Error('Pushgateway: no answer within 10s')));
      req.on('error', reject);
      req.end(body);
    });
    return true;
  } catch (error) {
    log.log('warn', 'push-failed', { cluster: result.cluster, message: (error as Error).message });
    return false;
  }
}
