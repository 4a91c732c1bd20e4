import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { CRONJOB_NAME_MAX } from '../access/developer-access';
import { quoteIdent, quoteLiteral } from '../access/privileges-sql';
import { HOOK_ANNOTATION } from '../gitops/sync-policy';
import {
  boundedServiceObjectName,
  JOB_NAME_MAX,
  ROTATION_GENERATION_ANNOTATION,
  ROTATION_SITE_ANNOTATION,
  rotationPsqlPod,
} from './rotation-login-job';

export interface RotationRetireJobProps {
  readonly service: string;
  /** Secret (username, password) of the login being retired: its last generation's password. */
  readonly slotSecretName: string;
  /** The generation whose `done` step this is (the retired login held generation - 1). */
  readonly generation: number;
  /** The environment the Job is rendered for. */
  readonly site: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** An image with psql and sh. */
  readonly image: string;
  readonly labels: Record<string, string>;
  /**
   * A login that is neither the retired login nor one the app can become, with the power to take
   * LOGIN away from it (Zalando: dbfleet_rotation, CREATEROLE on PostgreSQL <= 15). With it, that
   * login retires the role (NOLOGIN, PASSWORD NULL) at the hook and again on `schedule` (a CronJob),
   * and the retired login's password is never used. @default the retired login clears its own password
   */
  readonly keeper?: RotationRetireKeeper;
}

/** The login that retires the role and keeps it retired, RotationRetireJobProps.keeper. */
export interface RotationRetireKeeper {
  /** Secret (username, password) of the keeper's login. */
  readonly secretName: string;
  /** The role being retired. */
  readonly retiredRole: string;
  /** Cron schedule (5 fields) of the CronJob that re-asserts it: the environment's access schedule. */
  readonly schedule: string;
}

/**
 * The statement the retired login runs on itself where no keeper login exists (PostgreSQL >= 16 on
 * Zalando). `SET ROLE NONE` first: a second login role's sessions start as the owner (its `role`
 * default), and an ordinary role may only change the password of the current user ("an
 * unprivileged user can change their own password", PostgreSQL src/backend/commands/user.c
 * AlterRole). PASSWORD NULL: "password authentication will always fail for that user" (CREATE ROLE
 * docs), for every host and through PgBouncer's auth_query alike.
 */
export const ROTATION_RETIRE_SQL = 'SET LOCAL search_path = pg_catalog, pg_temp; SET ROLE NONE; ALTER ROLE SESSION_USER PASSWORD NULL';

/**
 * The script where no keeper login exists: log in with the retired password and clear it, then
 * prove that it no longer logs in. A refused login is NOT proof of retirement: whoever holds the
 * retired password may have changed it first, and nothing this login can read tells the two apart
 * (pg_authid is the superuser's). It is reported as such and the Job succeeds, since the hook
 * re-runs at every sync and would otherwise fail forever after its own success: the known limit of
 * rotation on Zalando with PostgreSQL >= 16, docs/zalando.md "Rotation".
 */
export const ROTATION_RETIRE_SCRIPT = [
  'set -u',
  // libpq's message for a refused password ("password authentication failed for user …")
  'refused() { case "$1" in *"authentication failed for user"*) return 0;; *) return 1;; esac; }',
  'if out=$(psql -v ON_ERROR_STOP=1 -X -q -c "$RETIRE_SQL" 2>&1); then',
  '  echo "retired: $PGUSER logged in one last time and cleared its own login"',
  'elif refused "$out"; then',
  '  echo "refused, NOT verified: $PGUSER no longer logs in with the password from the store; retired at an earlier run, or its holder changed the password (no login here can tell: docs/zalando.md)"; exit 0',
  'else',
  '  echo "$out" >&2; exit 1',
  'fi',
  'if out=$(psql -X -q -c "SELECT 1" 2>&1); then echo "$PGUSER still logs in" >&2; exit 1; fi',
  'refused "$out" || { echo "$out" >&2; exit 1; }',
  'echo "checked: $PGUSER no longer logs in"',
].join('\n');

/**
 * What the keeper login runs: the retired role may not log in (NOLOGIN) and has no password.
 * NOLOGIN is what holds: a role may change its own password (also from a member that did SET ROLE
 * to it: the app's `_alt` session acting as the owner), never its own LOGIN attribute, which
 * needs CREATEROLE (src/backend/commands/user.c AlterRole). And unlike a password it can be read
 * back by any login (pg_roles.rolcanlogin), so the run proves its own result.
 */
export function rotationKeeperSql(role: string): string {
  return `SET LOCAL search_path = pg_catalog, pg_temp; ALTER ROLE ${quoteIdent(role)} NOLOGIN PASSWORD NULL`;
}

/** Reads the retired role's LOGIN attribute back: `f` once retired. */
export function rotationKeeperCheckSql(role: string): string {
  return `SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(role)}`;
}

/** The keeper's script: retire, then read the attribute back (any other answer fails the Job). */
export const ROTATION_KEEPER_SCRIPT = [
  'set -eu',
  'psql -v ON_ERROR_STOP=1 -X -q -c "$RETIRE_SQL"',
  'can=$(psql -v ON_ERROR_STOP=1 -X -q -A -t -c "$CHECK_SQL")',
  '[ "$can" = "f" ] || { echo "$RETIRED_ROLE may still log in (rolcanlogin: ${can:-no such role})" >&2; exit 1; }',
  'echo "retired: $RETIRED_ROLE may not log in and has no password"',
].join('\n');

/**
 * The keeper CronJob's name: `<service>-rotation-retire` where it fits the 52 characters Kubernetes
 * allows a CronJob, else the service name cut and a hash of it (`<service…>-<8 hex>-rr`), unique
 * per service. A service name may have 63 characters and a per-service cluster 45, and the API
 * server refuses a longer CronJob: the sync of the `done` step failed and the rotation could not
 * finish (attack on 9ba0360).
 */
export function rotationRetireCronJobName(service: string): string {
  return boundedServiceObjectName(service, 'rotation-retire', 'rr', CRONJOB_NAME_MAX);
}

/**
 * The `done` step where the operator cannot take a login away (Zalando: zalando-rotation.ts). A
 * `Sync` hook in the Jobs' wave, like the rotation-login Job (see there why not PostSync), rendered
 * only at the `done` step and only where the cluster accepts writes.
 *
 * With a keeper (RotationRetireJobProps.keeper) the keeper login takes LOGIN away and clears the
 * password, never using the retired password; a CronJob on the access schedule does it again, so
 * whatever undid it (a login with CREATEROLE, a hand-made ALTER) lasts at most until the next run.
 * Without one the retired login clears its own password (no privileged role; see
 * ROTATION_RETIRE_SCRIPT for what that cannot guarantee).
 */
export class RotationRetireJob extends Construct {
  readonly jobName: string;
  /** The keeper's CronJob, when there is a keeper. */
  readonly cronJobName?: string;

  constructor(scope: Construct, id: string, props: RotationRetireJobProps) {
    super(scope, id);
    this.jobName = boundedServiceObjectName(props.service, 'rotation-retire', 'rr', JOB_NAME_MAX);
    const env = (name: string, value: string): k8s.EnvVar => ({ name, value });
    const keeper = props.keeper;
    const login = keeper?.secretName ?? props.slotSecretName;
    const podTemplate = rotationPsqlPod({
      labels: props.labels,
      cluster: props.cluster,
      image: props.image,
      command: ['sh', '-c', keeper ? ROTATION_KEEPER_SCRIPT : ROTATION_RETIRE_SCRIPT],
      host: props.host,
      port: props.port,
      // ALTER ROLE is cluster-wide; the keeper has no CONNECT on a service's database (the
      // access SQL revokes it from PUBLIC), PUBLIC keeps it on `postgres`.
      database: keeper ? 'postgres' : props.database,
      appName: 'dbfleet-rotation-retire',
      loginSecretName: login,
      extraEnv: keeper
        ? [
            env('RETIRE_SQL', rotationKeeperSql(keeper.retiredRole)),
            env('CHECK_SQL', rotationKeeperCheckSql(keeper.retiredRole)),
            env('RETIRED_ROLE', keeper.retiredRole),
          ]
        : [env('RETIRE_SQL', ROTATION_RETIRE_SQL)],
    });
    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: this.jobName,
        namespace: props.namespace,
        labels: props.labels,
        annotations: {
          [HOOK_ANNOTATION]: 'Sync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
          [ROTATION_GENERATION_ANNOTATION]: String(props.generation),
          [ROTATION_SITE_ANNOTATION]: props.site,
        },
      },
      spec: { backoffLimit: 6, activeDeadlineSeconds: 20 * 60, template: podTemplate },
    });
    if (!keeper) return;
    this.cronJobName = rotationRetireCronJobName(props.service);
    new k8s.KubeCronJob(this, 'Schedule', {
      metadata: { name: this.cronJobName, namespace: props.namespace, labels: props.labels },
      spec: {
        schedule: keeper.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 10 * 60,
        suspend: false,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: { spec: { backoffLimit: 2, activeDeadlineSeconds: 10 * 60, template: podTemplate } },
      },
    });
  }
}
