/**
 * prune-backups: enforces the retention of CloudNativePG volume-snapshot backups, which the
 * operator does not do for that method. Deletes old Backup objects; their VolumeSnapshots go
 * with them (the Cluster sets `snapshotOwnerReference: backup`). See docs/backups.md.
 *
 *   prune-backups --namespace databases --cluster orders [--cluster …] [--keep 7] [--max-age 336h] [--dry-run]
 *
 * Exit: 0 done (or nothing to do), 1 an API call failed (some Backups may remain: the next run
 * retries), 2 usage error.
 */
import { parseArgs } from 'node:util';
import { CNPG_BACKUPS, KubeClient, kubeConfigFromEnv } from '../kube/client';
import { jsonLogger, parseDurationSeconds, type OpsLogger } from '../common/log';
import { planPrune } from './plan';

export const USAGE = 'usage: prune-backups --namespace NS --cluster NAME [--cluster NAME …] [--keep N] [--max-age DURATION] [--dry-run]';

export interface PruneDeps {
  readonly log?: OpsLogger;
  readonly now?: () => number;
  readonly client?: KubeClient;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, deps: PruneDeps = {}): Promise<number> {
  const log = deps.log ?? jsonLogger('prune-backups');
  let values: { namespace?: string; cluster?: string[]; keep?: string; 'max-age'?: string; 'dry-run'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        namespace: { type: 'string' },
        cluster: { type: 'string', multiple: true },
        keep: { type: 'string' },
        'max-age': { type: 'string' },
        'dry-run': { type: 'boolean' },
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
  const keep = values.keep !== undefined ? Number(values.keep) : undefined;
  const maxAgeSeconds = values['max-age'] !== undefined ? parseDurationSeconds(values['max-age']) : undefined;
  const problems = [
    !values.namespace && '--namespace is required',
    !values.cluster?.length && 'at least one --cluster is required',
    keep !== undefined && !(Number.isInteger(keep) && keep >= 1) && `--keep "${values.keep}" must be an integer >= 1`,
    values['max-age'] !== undefined && maxAgeSeconds === undefined && `--max-age "${values['max-age']}" is not a duration like 336h`,
    keep === undefined && values['max-age'] === undefined && 'give --keep, --max-age or both',
  ].filter((p): p is string => !!p);
  if (problems.length > 0) {
    log.log('error', 'usage', { message: problems.join('; '), usage: USAGE });
    return 2;
  }

  const namespace = values.namespace!;
  let client: KubeClient;
  try {
    client = deps.client ?? new KubeClient(kubeConfigFromEnv(env));
  } catch (error) {
    log.log('error', 'config', { message: (error as Error).message });
    return 1;
  }
  let backups;
  try {
    backups = await client.list(CNPG_BACKUPS, namespace, 'cnpg.io/scheduled-backup');
  } catch (error) {
    log.log('error', 'list-failed', { namespace, message: (error as Error).message });
    return 1;
  }
  const decisions = planPrune(backups, { clusters: values.cluster!, keep, maxAgeSeconds, now: (deps.now ?? Date.now)() });
  let failed = 0;
  let deleted = 0;
  for (const d of decisions) {
    if (d.action === 'keep') {
      log.log('info', 'keep', { namespace, cluster: d.cluster, backup: d.name, reason: d.reason });
      continue;
    }
    if (values['dry-run']) {
      log.log('info', 'would-delete', { namespace, cluster: d.cluster, backup: d.name, reason: d.reason });
      continue;
    }
    try {
      const existed = await client.delete(CNPG_BACKUPS, namespace, d.name);
      deleted += existed ? 1 : 0;
      log.log('info', existed ? 'deleted' : 'already-gone', { namespace, cluster: d.cluster, backup: d.name, reason: d.reason });
    } catch (error) {
      failed++;
      log.log('error', 'delete-failed', { namespace, cluster: d.cluster, backup: d.name, message: (error as Error).message });
    }
  }
  log.log(failed ? 'error' : 'info', 'done', {
    namespace,
    deleted,
    failed,
    kept: decisions.filter((d) => d.action === 'keep').length,
    dryRun: !!values['dry-run'],
  });
  return failed ? 1 : 0;
}
