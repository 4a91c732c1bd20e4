/**
 * restore-drill: restores the latest backup of each cluster (or a rotating subset) into a
 * scratch Cluster, checks every service database, reports, and deletes the scratch cluster.
 * See docs/backups.md.
 *
 *   restore-drill --namespace databases --environment production --source volumeSnapshot|objectStore
 *     [--object-store NAME] [--scratch-cluster restore-drill-scratch] [--timeout 1h]
 *     [--clusters-per-run N [--run-interval 168h]] [--pushgateway URL] --owner-secret DB=SECRET [--owner-secret …]
 *     --cluster NAME:db1,db2 [--cluster …]
 *     (each database is checked as its owner, with the credentials in that Secret: no superuser)
 *
 *   restore-drill … --source auroraClone --identifier-prefix FLEET-ENV- --region R --security-group sg-… [--security-group …]
 *     --instance-class db.serverless [--serverless 0.5:16] --owner-secret DB=SECRET [--owner-secret …] --cluster NAME:db1,db2
 *     (Aurora: a copy-on-write clone per cluster, checked as each database's owner; aurora-drill.ts)
 *
 *   restore-drill … --source zalandoClone --owner-secret DB=SECRET [--owner-secret …] --cluster NAME:db1,db2
 *     (Zalando: a scratch postgresql cloned from the source's WAL-G archive to a recovery target
 *     marked on the source as the first database's owner; zalando-drill.ts, recovery-target.ts)
 *
 * Exit: 0 every drilled cluster restored and checked, 1 a drill failed (or its cleanup did),
 * 2 usage error, 143 interrupted by SIGTERM (after cleaning up).
 */
import { parseArgs } from 'node:util';
import { KubeClient, kubeConfigFromEnv } from '../kube/client';
import { jsonLogger, parseDurationSeconds, type OpsLogger } from '../common/log';
import { checkDatabases, type Checker } from './check';
import { drillAuroraCluster, type AuroraCloneSettings } from './aurora-drill';
import { drillZalandoCluster, type ZalandoDrillDeps } from './zalando-drill';
import { drillCluster, type DrillResult, type DrillTarget, type Source } from './drill';
import { pushResult } from './metrics';

export const USAGE =
  'usage: restore-drill --namespace NS --environment ENV --source volumeSnapshot|objectStore|auroraClone|zalandoClone [--object-store NAME] ' +
  '[--identifier-prefix P --region R --security-group SG… --instance-class C [--serverless MIN:MAX]] --owner-secret DB=SECRET… ' +
  '[--scratch-cluster NAME] [--timeout 1h] [--clusters-per-run N [--run-interval 168h]] [--pushgateway URL] --cluster NAME:db1,db2 [--cluster …]';

export interface RestoreDrillDeps {
  readonly log?: OpsLogger;
  readonly client?: KubeClient;
  readonly check?: Checker;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
  /** @default 10 s */
  readonly pollSeconds?: number;
  /** Zalando: how the recovery target is marked on the source. @default chooseRecoveryTarget */
  readonly chooseTarget?: ZalandoDrillDeps['chooseTarget'];
  /** Zalando: TLS with channel binding to the source. @default true */
  readonly ssl?: boolean;
}

/**
 * Which clusters this run drills: all, or `perRun` of them rotating with the run's number
 * (time / interval), so that every cluster is drilled within ⌈n / perRun⌉ runs.
 */
export function clustersForRun<T>(clusters: readonly T[], perRun: number | undefined, runIndex: number): T[] {
  if (!perRun || perRun >= clusters.length) return [...clusters];
  const start = (runIndex * perRun) % clusters.length;
  return Array.from({ length: perRun }, (_, i) => clusters[(start + i) % clusters.length]);
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, deps: RestoreDrillDeps = {}): Promise<number> {
  const log = deps.log ?? jsonLogger('restore-drill');
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        namespace: { type: 'string' },
        environment: { type: 'string' },
        source: { type: 'string' },
        'object-store': { type: 'string' },
        'scratch-cluster': { type: 'string', default: 'restore-drill-scratch' },
        timeout: { type: 'string', default: '1h' },
        'clusters-per-run': { type: 'string' },
        'run-interval': { type: 'string', default: '86400s' },
        pushgateway: { type: 'string' },
        cluster: { type: 'string', multiple: true },
        'identifier-prefix': { type: 'string' },
        region: { type: 'string' },
        'security-group': { type: 'string', multiple: true },
        'instance-class': { type: 'string' },
        serverless: { type: 'string' },
        'owner-secret': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    log.log('error', 'usage', { message: (error as Error).message, usage: USAGE });
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const source = values.source as Source | 'auroraClone' | 'zalandoClone';
  const timeoutSeconds = parseDurationSeconds(values.timeout as string);
  const runIntervalSeconds = parseDurationSeconds(values['run-interval'] as string);
  const perRun = values['clusters-per-run'] !== undefined ? Number(values['clusters-per-run']) : undefined;
  const targets: DrillTarget[] = ((values.cluster as string[] | undefined) ?? []).map((spec) => {
    const [cluster, dbs = ''] = spec.split(':');
    return { cluster, databases: dbs.split(',').filter(Boolean) };
  });
  const problems = [
    !values.namespace && '--namespace is required',
    !values.environment && '--environment is required',
    !['volumeSnapshot', 'objectStore', 'auroraClone', 'zalandoClone'].includes(source) &&
      `--source must be volumeSnapshot, objectStore, auroraClone or zalandoClone, not "${source ?? ''}"`,
    ...(source === 'auroraClone' ? auroraProblems(values) : []),
    ...((values['owner-secret'] as string[] | undefined) ?? [])
      .filter((o) => !/^[^=]+=[^=]+$/.test(o))
      .map((o) => `--owner-secret "${o}" must be DATABASE=SECRET`),
    source === 'objectStore' && !values['object-store'] && '--object-store is required with --source objectStore',
    !runIntervalSeconds && `--run-interval "${values['run-interval']}" is not a duration like 168h`,
    timeoutSeconds === undefined && `--timeout "${values.timeout}" is not a duration like 1h`,
    perRun !== undefined &&
      !(Number.isInteger(perRun) && perRun >= 1) &&
      `--clusters-per-run "${values['clusters-per-run']}" must be an integer >= 1`,
    targets.length === 0 && 'at least one --cluster NAME:db1,db2 is required',
    ...targets
      .filter((t) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(t.cluster) || t.databases.length === 0)
      .map((t) => `--cluster "${t.cluster}:${t.databases.join(',')}" must be NAME:db1[,db2…]`),
  ].filter((p): p is string => !!p);
  if (problems.length > 0) {
    log.log('error', 'usage', { message: problems.join('; '), usage: USAGE });
    return 2;
  }

  let client: KubeClient;
  try {
    client = deps.client ?? new KubeClient(kubeConfigFromEnv(env));
  } catch (error) {
    log.log('error', 'config', { message: (error as Error).message });
    return 1;
  }
  // SIGTERM (the Job's deadline, a node drain): stop waiting, clean up, exit 143.
  let signal = deps.signal;
  let onTerm: (() => void) | undefined;
  if (!signal) {
    const controller = new AbortController();
    onTerm = () => controller.abort();
    process.once('SIGTERM', onTerm);
    signal = controller.signal;
  }
  const now = deps.now ?? Date.now;
  const pollSeconds = deps.pollSeconds ?? 10;
  // The run's number (time / the schedule's interval) rotates the subset: consecutive runs drill the next clusters.
  const selected = clustersForRun(targets, perRun, Math.floor(now() / 1000 / runIntervalSeconds!));
  log.log('info', 'start', {
    namespace: values.namespace,
    environment: values.environment,
    source,
    clusters: selected.map((t) => t.cluster),
  });

  const results: DrillResult[] = [];
  try {
    for (const target of selected) {
      if (signal.aborted) break;
      const drillDeps = { client, check: deps.check ?? checkDatabases, log, now, sleep: deps.sleep ?? sleepFor, signal };
      const result =
        source === 'auroraClone'
          ? await drillAuroraCluster(target, auroraSettings(values, timeoutSeconds!, pollSeconds), drillDeps)
          : source === 'zalandoClone'
            ? await drillZalandoCluster(
                target,
                {
                  namespace: values.namespace as string,
                  scratchCluster: values['scratch-cluster'] as string,
                  ownerSecrets: ownerSecrets(values),
                  timeoutSeconds: timeoutSeconds!,
                  pollSeconds,
                  ssl: deps.ssl,
                },
                { ...drillDeps, chooseTarget: deps.chooseTarget },
              )
            : await drillCluster(
                target,
                {
                  namespace: values.namespace as string,
                  source,
                  objectStore: values['object-store'] as string | undefined,
                  scratchCluster: values['scratch-cluster'] as string,
                  ownerSecrets: ownerSecrets(values),
                  timeoutSeconds: timeoutSeconds!,
                  pollSeconds,
                },
                drillDeps,
              );
      results.push(result);
      log.log(result.success ? 'info' : 'error', 'result', { ...result });
      if (values.pushgateway) await pushResult(values.pushgateway as string, values.environment as string, result, now() / 1000, log);
    }
  } finally {
    if (onTerm) process.removeListener('SIGTERM', onTerm);
  }
  const failed = results.filter((r) => !r.success || r.cleanupFailed);
  log.log(failed.length ? 'error' : 'info', 'done', {
    drilled: results.length,
    failed: failed.map((r) => r.cluster),
    interrupted: signal.aborted,
  });
  if (signal.aborted) return 143;
  return failed.length ? 1 : 0;
}

type Values = Record<string, string | string[] | boolean | undefined>;

const SERVERLESS = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/;

function auroraProblems(values: Values): string[] {
  return [
    !values['identifier-prefix'] && '--identifier-prefix is required with --source auroraClone',
    !values.region && '--region is required with --source auroraClone',
    !(values['security-group'] as string[] | undefined)?.length && '--security-group is required with --source auroraClone',
    !values['instance-class'] && '--instance-class is required with --source auroraClone',
    values.serverless !== undefined &&
      !SERVERLESS.test(values.serverless as string) &&
      `--serverless "${values.serverless}" must be MIN:MAX`,
  ].filter((p): p is string => !!p);
}

/** --owner-secret DB=SECRET…: the Secret of each database's owner login (every source checks as the owner). */
function ownerSecrets(values: Values): Record<string, string> {
  return Object.fromEntries(((values['owner-secret'] as string[] | undefined) ?? []).map((o) => o.split('=') as [string, string]));
}

function auroraSettings(values: Values, timeoutSeconds: number, pollSeconds: number): AuroraCloneSettings {
  const serverless = SERVERLESS.exec((values.serverless as string | undefined) ?? '');
  return {
    namespace: values.namespace as string,
    scratchCluster: values['scratch-cluster'] as string,
    identifierPrefix: values['identifier-prefix'] as string,
    region: values.region as string,
    securityGroupIDs: values['security-group'] as string[],
    instanceClass: values['instance-class'] as string,
    serverless: serverless ? { minCapacity: Number(serverless[1]), maxCapacity: Number(serverless[2]) } : undefined,
    ownerSecrets: ownerSecrets(values),
    timeoutSeconds,
    pollSeconds,
  };
}
