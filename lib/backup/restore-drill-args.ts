import type { RestoreDrill } from '../config/model';
import { RESTORE_DRILL_CLUSTER } from './backup-names';

/** What every backend's restore-drill CronJob tells the `restore-drill` ops command. */
export interface RestoreDrillCommandProps {
  readonly namespace: string;
  readonly environment: string;
  /** `--source`: how this backend makes its scratch copy (lib/ops/restore-drill/main.ts). */
  readonly source: string;
  readonly drill: RestoreDrill;
  /** Database → Secret of the login the drill checks it as (its owner, never a superuser). */
  readonly owners: Readonly<Record<string, string>>;
  /** Each source cluster and its databases, in the order the drill visits them. */
  readonly clusters: readonly { readonly name: string; readonly databases: readonly string[] }[];
  /**
   * The backend's own flags, placed right after `--source`.
   * @default - none
   */
  readonly backendFlags?: readonly string[];
}

/**
 * The command line of the restore drill, one for all backends (the command side is one state
 * machine too, lib/ops/restore-drill/drill.ts): the common flags in one order, so a drill's
 * schedule, limits and owners read the same in every backend's CronJob.
 */
export function restoreDrillArgs(props: RestoreDrillCommandProps): string[] {
  const d = props.drill;
  const databases = Object.keys(props.owners).sort();
  return [
    'restore-drill',
    '--namespace',
    props.namespace,
    '--environment',
    props.environment,
    '--source',
    props.source,
    ...(props.backendFlags ?? []),
    '--scratch-cluster',
    RESTORE_DRILL_CLUSTER,
    '--timeout',
    `${d.timeoutSeconds}s`,
    ...(d.clustersPerRun !== undefined
      ? ['--clusters-per-run', String(d.clustersPerRun), '--run-interval', `${d.minIntervalSeconds}s`]
      : []),
    ...(d.pushgateway ? ['--pushgateway', d.pushgateway] : []),
    ...databases.flatMap((db) => ['--owner-secret', `${db}=${props.owners[db]}`]),
    ...props.clusters.flatMap((c) => ['--cluster', `${c.name}:${c.databases.join(',')}`]),
  ];
}

/** The owner Secrets the drill's Role may read, by name: each once, sorted. */
export function ownerSecretNames(owners: Readonly<Record<string, string>>): string[] {
  return [...new Set(Object.values(owners))].sort();
}
