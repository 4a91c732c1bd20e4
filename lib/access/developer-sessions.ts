// Session defaults of the developer roles (issue 24 item 4): statement_timeout and
// idle_in_transaction_session_timeout, set on each developer's own role.
//
// Why a Job that logs in as each developer: neither operator can declare a role's session
// defaults (CloudNativePG v1.30.0 RoleConfiguration has no such field, api/v1/cluster_types.go;
// Zalando v2.0.1 `users` take flags only, pkg/cluster/util.go normalizeUserFlags), and
// `ALTER ROLE <other> SET` needs a superuser or CREATEROLE with ADMIN OPTION on the role, a power
// no dbfleet Job holds. PostgreSQL lets every role set its own defaults ("Ordinary roles can
// only set defaults for themselves", ALTER ROLE), so each developer's login sets its own, with
// nothing beyond what the developer can do anyway. Separate from the developer-access Job so that
// Job never holds a developer's password, and its object (which grows with the services) stays small.
//
// What this does NOT do: stop a developer who wants a longer statement (a session may `SET
// statement_timeout` or reset the role default). The timeouts guard against accidents (a forgotten
// BEGIN holding locks and the xmin horizon, a runaway query); the CONNECTION LIMIT (on the role,
// CloudNativePG) is the hard limit. docs/security.md.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { DeveloperSessions, PostgresCluster } from '../config/model';
import { HOOK_ANNOTATION } from '../gitops/sync-policy';
import { groupBySize, partName } from '../output/object-size';
import { ACCESS_CLIENT_LABEL } from '../network/cluster-ingress-policy';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../workloads/restricted';
import { CNPG_POSTGRES_UID } from './developer-access';
import { JOB_PGOPTIONS, quoteLiteral, shQuote } from './privileges-sql';

/** Kubernetes' limit for a label value, which a Job's name becomes (`job-name` on its pods). */
const JOB_NAME_MAX = 63;

/**
 * Budget, in bytes of JSON, of the developers one Job carries: each developer's projected Secret
 * source and its name in the script (~310 bytes for a 42-character name). Past it the developers
 * go on to `<cluster>-developer-sessions-2`, … (in `developers:` order, grouped as the access
 * Jobs group databases: groupBySize), so each Job stays far below the 256 KiB an object may have
 * (one Job of 1000 such developers was 313 KB and failed at sync). Each Job sets the defaults of
 * its own developers only; the pod of each sees only its developers' Secrets.
 */
export const DEVELOPER_SESSIONS_CHUNK_BYTES = 96 * 1024;

/** Where the developers' credentials are mounted: `<developer>/username` and `<developer>/password`. */
export const DEVELOPER_CREDENTIALS_MOUNT_PATH = '/etc/dbfleet/developers';
/** The environment variable the script reads that directory from. */
export const DEVELOPER_CREDENTIALS_ENV = 'DBFLEET_DEVELOPER_CREDENTIALS';

export interface DeveloperSessionsJobProps {
  readonly cluster: PostgresCluster;
  /** Developer names from `developers:`. */
  readonly developers: readonly string[];
  readonly sessions: DeveloperSessions;
  /** The Secret (`username`, `password`) of each developer's login in the cluster's namespace. */
  readonly secretName: (developer: string) => string;
  /** Host psql connects to: the primary (ALTER ROLE writes the catalog). */
  readonly host: string;
  /** Image with psql and sh. @default cluster.imageName */
  readonly image?: string;
  readonly labels: Record<string, string>;
}

/**
 * The statement each developer's login runs: its own session defaults (no other role is named).
 * One query string: one implicit transaction (psql's -1 applies to -c only from PostgreSQL 15).
 */
export function developerSessionsSql(sessions: DeveloperSessions): string {
  return [
    'SET LOCAL search_path = pg_catalog, pg_temp;',
    // A developer role has no `role` default, but an ordinary role may alter only itself,
    // checked against the current user: never anyone else.
    'SET ROLE NONE;',
    `ALTER ROLE SESSION_USER SET statement_timeout = ${quoteLiteral(sessions.statementTimeout)};`,
    `ALTER ROLE SESSION_USER SET idle_in_transaction_session_timeout = ${quoteLiteral(sessions.idleInTransactionTimeout)};`,
  ].join(' ');
}

/**
 * The sh script: each developer in turn, logged in as that developer, to the cluster's first
 * service database (developers are refused in `postgres`/`template1`, and reach a service database
 * once the developer-access Job granted CONNECT: until then the Job fails and retries). A developer
 * who already holds as many connections as the role's limit cannot be logged in: a warning, not a
 * failure (the defaults were set by an earlier run, and a failed Sync hook would fail the sync).
 * Nor is a developer whose password no longer matches the store's (they changed it themselves with
 * `ALTER ROLE CURRENT_USER PASSWORD`, which PostgreSQL allows every role): that developer's
 * defaults cannot be set until the store's password is theirs again, which is not a reason to
 * fail every sync of the environment (issue 24 attack, medium). It is reported: a WARNING line,
 * and the list in the container's termination message (the pod's
 * `status.containerStatuses[].state.terminated.message`, shown by `kubectl describe`).
 */
export function developerSessionsScript(developers: readonly string[], database: string, sql: string): string {
  return [
    'set -u',
    `dir=\${${DEVELOPER_CREDENTIALS_ENV}:?names the directory of the developer credentials}`,
    'failed=0',
    'stale=""',
    `for developer in ${developers.map(shQuote).join(' ')}; do`,
    '  PGUSER=$(cat "$dir/$developer/username")',
    '  PGPASSWORD=$(cat "$dir/$developer/password")',
    '  export PGUSER PGPASSWORD',
    `  if out=$(psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname ${shQuote(database)} --command ${shQuote(sql)} 2>&1); then`,
    '    echo "dbfleet-developer-sessions: $PGUSER: session defaults set"',
    '  else',
    '    case "$out" in',
    '      *"too many connections for role"*) echo "dbfleet-developer-sessions: WARNING: $PGUSER holds its connection limit; its defaults stay as an earlier run set them" ;;',
    // libpq's "password authentication failed for user …", matched on its tail: the whole phrase reads as a
    // literal assigned to a password to the secret scan of rendered output (test/support/secret-scan.ts).
    '      *"authentication failed for user"*)',
    '        echo "dbfleet-developer-sessions: WARNING: $PGUSER: the password in the store does not log in (changed by the developer?); its session defaults are not set until the store holds the one that does"',
    '        stale="$stale $PGUSER" ;;',
    '      *) echo "dbfleet-developer-sessions: $PGUSER: $out" >&2; failed=1 ;;',
    '    esac',
    '  fi',
    'done',
    // The report outlives the pod's logs: Kubernetes keeps the termination message in the pod's status.
    'if [ -n "$stale" ]; then',
    '  echo "developer logins whose password the store does not hold:$stale" 2>/dev/null >"${DBFLEET_TERMINATION_LOG:-/dev/termination-log}" || true',
    'fi',
    'exit "$failed"',
    '',
  ].join('\n');
}

/**
 * A Sync hook Job per cluster (wave of the Jobs, sync-policy.ts) that sets every developer
 * role's session defaults, logged in as that developer. Rendered only where the cluster accepts
 * writes and the environment has developers.
 */
export class DeveloperSessionsJob extends Construct {
  /** The first (for most environments the only) Job. */
  readonly jobName: string;
  /** Every Job's name and developers, in order. */
  readonly chunks: readonly { jobName: string; developers: readonly string[] }[];

  constructor(scope: Construct, id: string, props: DeveloperSessionsJobProps) {
    super(scope, id);
    const { cluster } = props;
    if (props.developers.length === 0) throw new Error(`cluster ${cluster.name}: a developer-sessions Job without developers`);
    const source = (developer: string): k8s.VolumeProjection => ({
      secret: {
        name: props.secretName(developer),
        items: [
          { key: 'username', path: `${developer}/username` },
          { key: 'password', path: `${developer}/password` },
        ],
      },
    });
    const groups = groupBySize(
      props.developers,
      (developer) => JSON.stringify(source(developer)).length + JSON.stringify(shQuote(developer)).length + 1,
      DEVELOPER_SESSIONS_CHUNK_BYTES,
    );
    // Kubernetes copies a Job's name into its pods' `job-name` label, whose values stop at 63
    // characters: a cluster name of the longest length allowed (45) makes
    // `<cluster>-developer-sessions` 64. Such a cluster's Jobs are `<cluster>-dev-sessions[-N]`,
    // decided by the cluster name alone (room for `-99`), so a Job keeps its name when the
    // developers grow into a second one.
    const base =
      `${cluster.name}-developer-sessions-99`.length > JOB_NAME_MAX ? `${cluster.name}-dev-sessions` : `${cluster.name}-developer-sessions`;
    this.chunks = groups.map((developers, i) => ({ jobName: partName(base, i), developers }));
    this.jobName = this.chunks[0].jobName;
    this.chunks.forEach((chunk, i) => this.renderJob(i === 0 ? 'Resource' : `Resource-${i + 1}`, chunk, props, source));
  }

  private renderJob(
    id: string,
    chunk: DeveloperSessionsJob['chunks'][number],
    props: DeveloperSessionsJobProps,
    source: (developer: string) => k8s.VolumeProjection,
  ): void {
    const { cluster } = props;
    const env = (name: string, value: string): k8s.EnvVar => ({ name, value });
    const sources: k8s.VolumeProjection[] = chunk.developers.map(source);
    const script = developerSessionsScript(chunk.developers, cluster.services[0].database, developerSessionsSql(props.sessions));
    new k8s.KubeJob(this, id, {
      metadata: {
        name: chunk.jobName,
        namespace: cluster.namespace,
        labels: props.labels,
        annotations: { [HOOK_ANNOTATION]: 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' },
      },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 20 * 60,
        template: {
          metadata: { labels: { ...props.labels, [ACCESS_CLIENT_LABEL]: cluster.name } },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'psql',
                image: props.image ?? cluster.imageName,
                imagePullPolicy: 'IfNotPresent',
                // `$0` of the script names it in sh's messages.
                command: ['sh', '-c', script, 'dbfleet-developer-sessions'],
                env: [
                  env('PGHOST', props.host),
                  env('PGPORT', '5432'),
                  env('PGSSLMODE', 'require'),
                  env('PGCHANNELBINDING', 'require'),
                  env('PGCONNECT_TIMEOUT', '10'),
                  env('PGAPPNAME', 'dbfleet-developer-sessions'),
                  env('PGOPTIONS', JOB_PGOPTIONS),
                  env(DEVELOPER_CREDENTIALS_ENV, DEVELOPER_CREDENTIALS_MOUNT_PATH),
                  env('HOME', '/tmp'),
                ],
                securityContext: restrictedContainerSecurity(CNPG_POSTGRES_UID),
                resources: {
                  limits: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('64Mi') },
                  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
                },
                volumeMounts: [
                  { mountPath: DEVELOPER_CREDENTIALS_MOUNT_PATH, name: 'developers', readOnly: true },
                  { mountPath: '/tmp', name: 'tmp' },
                ],
              },
            ],
            dnsPolicy: 'ClusterFirst',
            hostNetwork: false,
            restartPolicy: 'Never',
            securityContext: restrictedPodSecurity(CNPG_POSTGRES_UID),
            setHostnameAsFqdn: false,
            terminationGracePeriodSeconds: 30,
            volumes: [
              { name: 'developers', projected: { sources, defaultMode: 0o440 } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Mi') } },
            ],
          },
        },
      },
    });
  }
}
