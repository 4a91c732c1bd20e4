import { Construct } from 'constructs';
import type { DangerRule } from '../plan/dangers';
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
  /**
   * PostgreSQL >= 16: the roles the keeper needs ADMIN OPTION on (the owner and `<role>_alt`),
   * which it checks before it retires. CREATEROLE alters only roles it holds ADMIN OPTION on from
   * 16 (postgres/postgres cf5eb37c5), and a superuser made these: without the one-off grants
   * (rotationKeeperGrantSql) the keeper cannot retire; see ROTATION_KEEPER_ADMIN_SCRIPT.
   * @default no check (PostgreSQL <= 15: CREATEROLE alone suffices)
   */
  readonly adminOf?: { readonly keeperRole: string; readonly roles: readonly string[] };
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
 * Whether the keeper holds ADMIN OPTION on the retired role (PostgreSQL >= 16), `f` when it does
 * not or the role is missing. pg_has_role's `MEMBER WITH ADMIN OPTION` is what ALTER ROLE checks
 * (is_admin_of_role); schema-qualified, with search_path pinned, so no object of another role
 * can stand in.
 */
export function rotationKeeperAdminSql(role: string): string {
  return `SET LOCAL search_path = pg_catalog, pg_temp; SELECT coalesce((SELECT pg_catalog.pg_has_role(oid, 'MEMBER WITH ADMIN OPTION') FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(role)}), false)`;
}

/**
 * The one-off statements a superuser runs so that the keeper may retire `roles` on PostgreSQL >= 16:
 * ADMIN OPTION to administer them (LOGIN, password), neither INHERIT nor SET, so the keeper's
 * sessions never gain their privileges without a further GRANT it could make itself (docs/zalando.md
 * "Rotation": what the keeper can do with them).
 */
export function rotationKeeperGrantSql(keeper: string, roles: readonly string[]): string {
  return roles.map((r) => `GRANT ${quoteIdent(r)} TO ${quoteIdent(keeper)} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`).join(' ');
}

/**
 * The keeper's script on PostgreSQL >= 16: ROTATION_KEEPER_SCRIPT after a check that the keeper
 * holds ADMIN OPTION on the retired role. Without it (the one-off superuser grants not made yet):
 * - a retired role that is already NOLOGIN (a superuser did it) stays so: nothing to do;
 * - otherwise, as a secondary measure only, the retired login clears its own password with the
 *   password from the store (ROTATION_RETIRE_SQL; a holder who changed it first defeats this, and
 *   the app's `_alt` can set it again), then the script names the grants to run and fails in the
 *   CronJob (KEEPER_RUN=schedule), which alerts (ZalandoRotationNotRetired), while the Sync hook
 *   (KEEPER_RUN=hook) succeeds: a hook failing at every sync would fail every sync of the
 *   environment, not only this service's.
 */
export const ROTATION_KEEPER_ADMIN_SCRIPT = [
  'set -eu',
  'admin=$(psql -v ON_ERROR_STOP=1 -X -q -A -t -c "$ADMIN_SQL")',
  'if [ "$admin" != "t" ]; then',
  '  can=$(psql -v ON_ERROR_STOP=1 -X -q -A -t -c "$CHECK_SQL")',
  '  if [ "$can" = "f" ]; then echo "retired: $RETIRED_ROLE may not log in (NOLOGIN set by another role; $PGUSER lacks ADMIN OPTION on it and cannot clear its password: $GRANT_SQL)"; exit 0; fi',
  '  if out=$(PGUSER="$RETIRED_ROLE" PGPASSWORD="$RETIRED_PASSWORD" PGDATABASE="$RETIRED_DATABASE" psql -v ON_ERROR_STOP=1 -X -q -c "$SELF_CLEAR_SQL" 2>&1); then',
  '    echo "secondary measure: $RETIRED_ROLE logged in with the password from the store and cleared it (its holder or the app can set another)"',
  '  else',
  '    echo "secondary measure: $RETIRED_ROLE did not log in with the password from the store ($out)"',
  '  fi',
  '  msg="NOT RETIRED: $RETIRED_ROLE may still log in: $PGUSER lacks ADMIN OPTION on it (PostgreSQL >= 16: CREATEROLE alters only roles it holds ADMIN OPTION on, and the operator created this one as the superuser). Run once as the superuser (postgres) of this cluster: $GRANT_SQL (docs/zalando.md, Rotation)"',
  '  echo "$msg" >&2',
  '  [ "$KEEPER_RUN" = "hook" ] && { echo "the sync goes on; CronJob $CRONJOB fails at each run until the grants are made"; exit 0; }',
  '  exit 1',
  'fi',
  ...ROTATION_KEEPER_SCRIPT.split('\n').slice(1),
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
    const adminOf = keeper?.adminOf;
    const cronJobName = keeper ? rotationRetireCronJobName(props.service) : undefined;
    const fromSecret = (name: string, key: string): k8s.EnvVar => ({
      name,
      valueFrom: { secretKeyRef: { name: props.slotSecretName, key } },
    });
    // PostgreSQL >= 16: the ADMIN OPTION check, its remedy, and the retired login's own password
    // for the secondary measure; the hook and the CronJob differ in KEEPER_RUN only.
    const adminEnv = (run: 'hook' | 'schedule'): k8s.EnvVar[] =>
      keeper && adminOf
        ? [
            env('ADMIN_SQL', rotationKeeperAdminSql(keeper.retiredRole)),
            env('GRANT_SQL', rotationKeeperGrantSql(adminOf.keeperRole, adminOf.roles)),
            env('SELF_CLEAR_SQL', ROTATION_RETIRE_SQL),
            env('RETIRED_DATABASE', props.database),
            env('KEEPER_RUN', run),
            env('CRONJOB', cronJobName!),
            fromSecret('RETIRED_PASSWORD', 'password'),
          ]
        : [];
    const pod = (run: 'hook' | 'schedule') =>
      rotationPsqlPod({
        labels: props.labels,
        cluster: props.cluster,
        image: props.image,
        command: ['sh', '-c', keeper ? (adminOf ? ROTATION_KEEPER_ADMIN_SCRIPT : ROTATION_KEEPER_SCRIPT) : ROTATION_RETIRE_SCRIPT],
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
              ...adminEnv(run),
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
      spec: { backoffLimit: 6, activeDeadlineSeconds: 20 * 60, template: pod('hook') },
    });
    if (!keeper) return;
    this.cronJobName = cronJobName;
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
        jobTemplate: { spec: { backoffLimit: 2, activeDeadlineSeconds: 10 * 60, template: pod('schedule') } },
      },
    });
  }
}

/**
 * `dbfleet plan`: a `done` step whose keeper checks ADMIN OPTION (Zalando, PostgreSQL >= 16) says
 * what must already be true for it to retire anything: the one-off superuser grants. Without them
 * the sync stays green and only the CronJob fails afterwards; the reviewer of the step should know
 * before it is merged.
 */
export const rotationKeeperGrants: DangerRule = {
  name: 'rotation-keeper-grants',
  check: ({ type, before, after }) => {
    if ((type !== 'added' && type !== 'changed') || after?.kind !== 'Job') return [];
    const envOf = (job: typeof after | undefined) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      ((job?.spec as any)?.template?.spec?.containers?.[0]?.env ?? []) as k8s.EnvVar[];
    const value = (name: string) => envOf(after).find((e) => e.name === name)?.value;
    const was = (name: string) => envOf(before).find((e) => e.name === name)?.value;
    const grants = value('GRANT_SQL');
    const role = value('RETIRED_ROLE');
    if (!value('ADMIN_SQL') || !grants || !role) return [];
    // A changed hook needs the grants as much as a new one, unless they were named before, or its
    // keeper (PostgreSQL <= 15, no check) already made the login NOLOGIN, which the check accepts.
    // The hook that only cleared its own password (dbfleet before the keeper on >= 16) retired
    // nothing: a done step rendered then is `changed` now, with the login still able to log in.
    if (type === 'changed' && (was('GRANT_SQL') === grants || (!was('GRANT_SQL') && was('CHECK_SQL')))) return [];
    return [
      `retires ${role} through dbfleet_rotation, which on PostgreSQL >= 16 needs ADMIN OPTION on it: unless the cluster's superuser has run once ${grants} ` +
        `${role} keeps logging in after this step (the hook logs NOT RETIRED and the sync goes on; CronJob ${value('CRONJOB')} fails until then): docs/zalando.md "Rotation"`,
    ];
  },
};
