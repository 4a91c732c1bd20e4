// Cross-field rules and resolution: schema-valid input → Fleet, or the list of problems.
// This is where topologies place services onto clusters and where defaults are decided.
import { LOCK_ATTEMPTS, runBudget, STARTUP_SECONDS } from '../mongo-snapshot/budget';
import { checkCron, maxIntervalSeconds, minIntervalSeconds } from './cron';
import { canonicalExtensions } from './extensions';
import { durationToSeconds } from './duration';
import type { ConfigProblem } from './load';
import { ALL_BACKEND_TRAITS, backendTraits } from '../backends/traits';
import { objectStoreName, RESERVED_CLUSTER_NAMES } from '../backup/backup-names';
import type {
  DeveloperSessions,
  Egress,
  InClusterEndpoint,
  Alerts,
  ComputeResources,
  Environment,
  EnvironmentPostgres,
  Fleet,
  MongoSnapshot,
  ObjectStoreBackup,
  PostgresBackup,
  PoolerSettings,
  PoolerType,
  PoolMode,
  PostgresCluster,
  RestoreDrill,
  Service,
  ZalandoSettings,
} from './model';
import {
  ACCESS_ROLE,
  BARMAN_CLOUD_PLUGIN,
  CLUSTER_NAME_MAX,
  DEVELOPER_NAME_MAX,
  MONGO_SNAPSHOT_NAME_MAX,
  POSTGRES_IDENTIFIER_MAX_BYTES,
  DEVELOPER_GROUP_ROLE,
  developerRoleName,
  poolerName,
  reservedIdentifierReason,
  toPostgresIdentifier,
} from './names';
import { resolveDrSites } from './dr-sites';
import { DEFAULT_IMAGES, imageProblem } from './postgres-image';
import { checkClusterAdmission } from './admission-checks';
import { parameterProblem } from './postgres-parameters';
import { ALLOWED_PGBOUNCER_PARAMETERS } from './pgbouncer-parameters';
import { quantityToNumber } from './quantity';
import { altRoleName } from '../secrets/credential-rotation';
import { storeKeyProblems } from '../secrets/key-uniqueness';
import type { EnvironmentInput, FleetInput, OverrideInput } from './schema';
import { DEFAULT_POSTGRES_EXPORTER_IMAGE, DEVELOPER_SESSION_DEFAULTS } from './schema';

/**
 * Roles Zalando's operator or Spilo create in every cluster (operator defaults `super_username`,
 * `replication_username`, `team_admin_role`, `protected_role_names`, `connection_pooler_user`;
 * zalando/postgres-operator@v2.0.1:pkg/util/config/config.go): a service must not claim them.
 */
export const ZALANDO_RESERVED_ROLES: ReadonlySet<string> = new Set([
  'standby',
  'admin',
  'cron_admin',
  'pooler',
  'robot_zmon',
  'zalandos',
  'dbfleet_exporter',
]);
/** User names the operator accepts (zalando/postgres-operator@v2.0.1:pkg/cluster/cluster.go userRegexp). */
const ZALANDO_USER = /^[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$/;
/** PostgreSQL majors the v2.0.1 postgresql CRD accepts (`spec.postgresql.version` enum). */
export const ZALANDO_POSTGRES_VERSIONS: readonly number[] = [14, 15, 16, 17, 18];

/** Alert thresholds when an environment does not set them. */
export const DEFAULT_ALERTS: Alerts = {
  severity: 'critical',
  replicationLagSeconds: 30,
  connectionsWarningPercent: 80,
  connectionsCriticalPercent: 95,
  diskWarningPercent: 70,
  diskCriticalPercent: 90,
  longTransactionSeconds: 300,
};
/** The dist/ folder of the Argo CD AppProject and ApplicationSet. */
export const ARGOCD_FOLDER = 'argocd';
export const DEFAULT_ACCESS_SCHEDULE = '17 * * * *';
/** Time a snapshot run needs besides the locks, the snapshot and the unlock: start, discovery, selection. */
export const MONGO_SNAPSHOT_STARTUP_SECONDS = STARTUP_SECONDS;
/** Per cluster of a drill, besides the restore timeout: the check, and deleting the scratch cluster. */
export const RESTORE_DRILL_CLUSTER_OVERHEAD_SECONDS = 900;

export function buildFleet(input: FleetInput, sourceFile: string): { fleet: Fleet } | { problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const report = (path: ConfigProblem['path'], message: string, atKey = false) => problems.push({ path, message, atKey });
  const envNames = Object.keys(input.environments).sort();

  if (envNames.length === 0) report(['environments'], 'needs at least one environment');
  for (const name of envNames) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      report(
        ['environments', name],
        `"${name}" is not a valid environment name (a DNS-1123 label: it names a dist/ folder and an Argo CD Application)`,
        true,
      );
    } else if (name === ARGOCD_FOLDER) {
      report(['environments', name], `"${name}" is reserved: dist/${ARGOCD_FOLDER}/ holds the Argo CD objects`, true);
    } else if (name.endsWith('-services') && envNames.includes(name.slice(0, -'-services'.length))) {
      // lib/fleet/argocd-chart.ts: environment <x>'s services AppProject and Application end in -services.
      report(
        ['environments', name],
        `"${name}" collides with the services Application and AppProject of environment "${name.slice(0, -'-services'.length)}" (named <…>-${name.slice(0, -'-services'.length)}-services); choose another name`,
        true,
      );
    }
  }

  const services = input.services.map((s, i): Service => {
    const database = s.database ?? toPostgresIdentifier(s.name);
    const role = s.role ?? toPostgresIdentifier(s.name);
    for (const [field, value] of [
      ['database', database],
      ['role', role],
    ] as const) {
      const reason = reservedIdentifierReason(value);
      if (reason) report(['services', i, s[field] ? field : 'name'], `${field} name ${reason}`);
    }
    return {
      name: s.name,
      namespace: s.namespace ?? s.name,
      group: s.group,
      database,
      role,
      // Canonical: the order in the fleet file changes nothing rendered (extensions.ts).
      extensions: canonicalExtensions(s.extensions),
      rotation: s.rotation,
    };
  });

  // Names must be unique: service names feed Kubernetes names, database and role names must not
  // collide in a shared cluster, and developer roles share the role namespace with services.
  const seen = new Map<string, number>();
  const claimed = new Map<string, string>();
  const claim = (kind: string, value: string, path: ConfigProblem['path'], owner: string) => {
    const key = `${kind}:${value}`;
    const previous = claimed.get(key);
    if (previous) report(path, `${kind} name "${value}" collides with ${previous}`);
    else claimed.set(key, owner);
  };
  claim('role', DEVELOPER_GROUP_ROLE, ['developers'], 'the developer group role');
  claim('role', ACCESS_ROLE, ['services'], 'the developer-access role');
  input.developers.forEach((d, i) => {
    if (d.length > DEVELOPER_NAME_MAX)
      report(
        ['developers', i],
        `"${d}" is longer than ${DEVELOPER_NAME_MAX} characters: its role "${developerRoleName(d)}" would exceed PostgreSQL's ${POSTGRES_IDENTIFIER_MAX_BYTES}-byte identifier limit`,
      );
    claim('role', developerRoleName(d), ['developers', i], `developers[${i}] ("${d}")`);
  });
  services.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined) report(['services', i, 'name'], `"${s.name}" is already used by services[${first}]`);
    else seen.set(s.name, i);
    claim('database', s.database, ['services', i, input.services[i].database ? 'database' : 'name'], `services[${i}] ("${s.name}")`);
    claim('role', s.role, ['services', i, input.services[i].role ? 'role' : 'name'], `services[${i}] ("${s.name}")`);
  });
  // The second login role of a rotated service (credential-rotation.ts) claims its name too.
  services.forEach((s, i) => {
    const rotated = Object.keys(s.rotation ?? {});
    if (rotated.length === 0) return;
    const alt = altRoleName(s.role);
    const path: ConfigProblem['path'] = ['services', i, 'rotation'];
    if (Buffer.byteLength(alt) > 63)
      report(
        path,
        `role name "${alt}" (the second login role a rotation needs) is longer than 63 bytes, the PostgreSQL limit: choose a shorter role`,
        true,
      );
    claim('role', alt, path, `the rotation role of services[${i}] ("${s.name}")`);
    for (const env of rotated) {
      if (!input.environments[env])
        report([...path, env], `environment "${env}" does not exist (environments: ${envNames.join(', ')})`, true);
      else {
        const traits = backendTraits(input.environments[env].operator);
        if (traits.ownerRotation !== true)
          report([...path, env], `environment "${env}" runs on ${traits.title}: ${traits.ownerRotation}`, true);
      }
    }
  });

  const groupNames = Object.keys(input.groups).sort();
  for (const name of groupNames) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      report(['groups', name], `"${name}" is not a valid group name (a DNS-1123 label: it names the group's cluster)`, true);
    }
    for (const env of Object.keys(input.groups[name].overrides)) {
      if (!input.environments[env])
        report(['groups', name, 'overrides', env], `environment "${env}" does not exist (environments: ${envNames.join(', ')})`, true);
    }
  }
  input.services.forEach((s, i) => {
    for (const env of Object.keys(s.overrides)) {
      if (!input.environments[env])
        report(['services', i, 'overrides', env], `environment "${env}" does not exist (environments: ${envNames.join(', ')})`, true);
    }
    // A typo in a group name would otherwise create a new, empty cluster.
    if (s.group !== undefined && !input.groups[s.group]) {
      report(
        ['services', i, 'group'],
        `group "${s.group}" is not declared under groups: (${groupNames.length ? `declared: ${groupNames.join(', ')}` : 'none is declared'}); add "${s.group}: {}" there if it is a new group`,
      );
    }
  });

  // Parameters CloudNativePG refuses, reported once where they are written.
  const checkParameters = (values: Record<string, string> | undefined, path: ConfigProblem['path']) => {
    for (const name of Object.keys(values ?? {})) {
      const problem = parameterProblem(name);
      if (problem) report([...path, name], problem, true);
    }
  };
  checkParameters(input.postgres.parameters, ['postgres', 'parameters']);
  for (const env of envNames)
    checkParameters(input.environments[env].postgres?.parameters, ['environments', env, 'postgres', 'parameters']);
  for (const name of groupNames) {
    for (const [env, o] of Object.entries(input.groups[name].overrides))
      checkParameters(o.postgres?.parameters, ['groups', name, 'overrides', env, 'postgres', 'parameters']);
  }
  input.services.forEach((s, i) => {
    for (const [env, o] of Object.entries(s.overrides))
      checkParameters(o.postgres?.parameters, ['services', i, 'overrides', env, 'postgres', 'parameters']);
  });

  const snapshots = input.mongoSnapshots.map((m, i) => buildMongoSnapshot(m, i, envNames, report));
  const snapshotNames = new Map<string, number>();
  input.mongoSnapshots.forEach((m, i) => {
    const first = snapshotNames.get(m.name);
    if (first !== undefined) report(['mongoSnapshots', i, 'name'], `"${m.name}" is already used by mongoSnapshots[${first}]`);
    else snapshotNames.set(m.name, i);
    if (m.name.length > MONGO_SNAPSHOT_NAME_MAX)
      report(
        ['mongoSnapshots', i, 'name'],
        `"${m.name}" is longer than ${MONGO_SNAPSHOT_NAME_MAX} characters: its CronJob "mongo-snapshot-${m.name}" would exceed the 52 characters Kubernetes allows a CronJob`,
      );
  });

  // One ApplicationSet renders every environment's destination from the same template field.
  if (input.gitops) {
    const byName = envNames.filter((e) => input.environments[e].cluster?.name !== undefined);
    if (byName.length > 0 && byName.length < envNames.length) {
      for (const e of envNames.filter((n) => !byName.includes(n))) {
        report(
          e in input.environments && input.environments[e].cluster ? ['environments', e, 'cluster'] : ['environments', e],
          `names its Argo CD destination (cluster:) by server, but ${byName.map((n) => `environments.${n}`).join(', ')} by name: the ApplicationSet needs every environment to use the same form (all server or all name)`,
          true,
        );
      }
    }
  }

  const environments = resolveDrSites(
    input,
    envNames.map((envName) =>
      buildEnvironment(
        input,
        envName,
        services,
        report,
        snapshots.filter((s) => s?.environments.includes(envName)).map((s) => s!.snapshot),
      ),
    ),
    report,
  );

  // What CloudNativePG's Cluster webhook would refuse, at the setting that causes it.
  for (const env of environments) checkClusterAdmission(input, env.name, env.clusters, report);

  envNames.forEach((envName) => {
    const b = input.environments[envName].backups;
    if (!input.opsImage && (b?.postgres?.retention || b?.restoreDrill)) {
      report(
        ['environments', envName, 'backups', b?.postgres?.retention ? 'postgres' : 'restoreDrill'],
        `${b?.postgres?.retention ? 'retention' : 'restoreDrill'} runs dbfleet's ops image: set the top-level opsImage (built from this repository, see docs/backups.md)`,
      );
    }
  });
  serviceNamespaceProblems(input, report);
  if (problems.length > 0) return { problems };
  // The output must not depend on the order services are listed in, nor on how they are split
  // into services/*.yaml: from here on everything is in a stable order by name (issue 25).
  // Problems above name services by their position in the files, so this comes after them.
  const byName = <T extends { readonly name: string }>(items: readonly T[]): T[] =>
    [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sortedServices = byName(services);
  const sortedEnvironments = environments.map((e): Environment => ({
    ...e,
    services: byName(e.services),
    clusters: byName(e.clusters.map((c) => ({ ...c, services: byName(c.services) }))),
    mongoSnapshots: byName(e.mongoSnapshots),
  }));
  const fleet: Fleet = {
    name: input.name,
    sourceFile,
    groups: groupNames,
    // The operator's namespace only fences service namespaces (systemNamespaces): not part of the store.
    secretStore: withoutOperatorNamespace(input.secretStore),
    // Sorted: the order of the list must not change the output (order-independence).
    developers: [...input.developers].sort(),
    operatorNamespace: input.operator.namespace,
    monitoring: {
      namespace: input.monitoring.namespace,
      ruleLabels: input.monitoring.ruleLabels,
      podMonitorLabels: input.monitoring.podMonitorLabels,
      runbookBaseURL: (
        input.monitoring.runbookBaseURL ??
        (input.gitops ? `${gitWebURL(input.gitops.repoURL)}/blob/${input.gitops.targetRevision}/docs/runbooks` : 'docs/runbooks')
      ).replace(/\/$/, ''),
    },
    gitops: input.gitops,
    environments: sortedEnvironments,
    services: sortedServices,
    opsImage: input.opsImage,
  };
  // Only on an otherwise valid fleet: the keys are derived from every resolved environment.
  const keyProblems = storeKeyProblems(fleet, {
    serviceIndex: (name) => input.services.findIndex((s) => s.name === name),
    mongoSnapshotIndex: (name) => input.mongoSnapshots.findIndex((m) => m.name === name),
  });
  return keyProblems.length > 0 ? { problems: keyProblems } : { fleet };
}

/**
 * Service name prefixes that name dbfleet's own objects in the database namespace
 * (formerly `dbfleet-access-credentials`, the `dbfleet-password` generator, `developer-<name>-credentials`,
 * the `developer-<name>-password` PushSecret): a service named so could claim one of them.
 */
export const RESERVED_SERVICE_PREFIXES: readonly string[] = ['dbfleet-', 'developer-'];

/**
 * The External Secrets operator's namespace when the fleet does not name one: the namespace of its
 * documented install (external-secrets@v2.9.0 docs/introduction/getting-started.md,
 * `helm install external-secrets … -n external-secrets`).
 */
export const DEFAULT_EXTERNAL_SECRETS_NAMESPACE = 'external-secrets';
/** Argo CD's namespace when the fleet has no `gitops:` (its documented install namespace). */
export const DEFAULT_ARGOCD_NAMESPACE = 'argocd';

/**
 * Namespaces no service may name: an app Secret and an ingress grant to 5432 would land in the
 * cluster's own machinery, and the services AppProject would have to admit it
 * (lib/fleet/argocd-chart.ts: a service namespace is a destination of the services project, so a
 * system namespace there would let a service file fence ExternalSecrets into it). `default`,
 * `kube-*`, the operators' (CloudNativePG, Zalando, External Secrets), Argo CD's, monitoring's,
 * Velero's, and dbfleet's own (database and backup namespaces).
 */
export function systemNamespaces(input: FleetInput): Map<string, string> {
  const out = new Map<string, string>();
  const add = (ns: string | undefined, what: string) => {
    if (ns && !out.has(ns)) out.set(ns, what);
  };
  // Every pod and Secret without a namespace lands there; nothing in it is a team's own.
  add('default', 'the Kubernetes default namespace');
  add(input.operator.namespace, 'the CloudNativePG operator namespace (operator.namespace)');
  add(
    input.secretStore.operatorNamespace ?? DEFAULT_EXTERNAL_SECRETS_NAMESPACE,
    `the External Secrets operator namespace (secretStore.operatorNamespace${input.secretStore.operatorNamespace ? '' : `, default ${DEFAULT_EXTERNAL_SECRETS_NAMESPACE}`})`,
  );
  add(input.monitoring.namespace, 'the monitoring namespace (monitoring.namespace)');
  add(
    input.gitops?.argocdNamespace ?? DEFAULT_ARGOCD_NAMESPACE,
    input.gitops ? "Argo CD's namespace (gitops.argocdNamespace)" : `Argo CD's namespace (its default, ${DEFAULT_ARGOCD_NAMESPACE})`,
  );
  for (const [name, env] of Object.entries(input.environments)) {
    add(env.namespace, `the database namespace of environment "${name}"`);
    add(env.zalando?.operatorNamespace, `the Zalando operator namespace of environment "${name}"`);
    add(env.backups?.velero?.namespace, `Velero's namespace in environment "${name}"`);
    // The database and backup pods may send DNS there (egress.dns): a service namespace of that
    // name would also be admitted to 5432 and hold an app Secret beside the cluster's resolver.
    add(env.egress?.dns?.namespace, `the DNS namespace of environment "${name}" (egress.dns.namespace)`);
  }
  for (const m of input.mongoSnapshots) add(m.namespace, `the backup namespace of mongo snapshot "${m.name}"`);
  return out;
}

function serviceNamespaceProblems(input: FleetInput, report: (path: ConfigProblem['path'], message: string) => void): void {
  const system = systemNamespaces(input);
  input.services.forEach((s, i) => {
    const prefix = RESERVED_SERVICE_PREFIXES.find((p) => s.name.startsWith(p));
    if (prefix)
      report(
        ['services', i, 'name'],
        `service name "${s.name}" is reserved: names starting "${prefix}" are dbfleet's own objects in the database namespace; choose another name`,
      );
    const namespace = s.namespace ?? s.name;
    const path: ConfigProblem['path'] = ['services', i, s.namespace ? 'namespace' : 'name'];
    const what = namespace.startsWith('kube-') ? 'a Kubernetes system namespace (kube-*)' : system.get(namespace);
    if (what)
      report(
        path,
        `namespace "${namespace}" is ${what}: a service's app Secret and database access cannot go there; give the service its own namespace${s.namespace ? '' : ' (namespace:)'}`,
      );
  });
}

function withoutOperatorNamespace(store: FleetInput['secretStore']): Omit<FleetInput['secretStore'], 'operatorNamespace'> {
  const { operatorNamespace: _unused, ...rest } = store;
  return rest;
}

/** https://github.com/acme/dbfleet.git → https://github.com/acme/dbfleet (for runbook links). */
function gitWebURL(repoURL: string): string {
  return repoURL.replace(/^git@([^:]+):/, 'https://$1/').replace(/\.git$/, '');
}

function buildEnvironment(
  input: FleetInput,
  envName: string,
  services: readonly Service[],
  report: (path: ConfigProblem['path'], message: string, atKey?: boolean) => void,
  mongoSnapshots: MongoSnapshot[],
): Environment {
  const env = input.environments[envName];
  const at = (...path: Array<string | number>) => ['environments', envName, ...path];
  const pg = environmentPostgres(input, envName, report);

  const placement = new Map<string, number[]>();
  const place = (cluster: string, index: number) => placement.set(cluster, [...(placement.get(cluster) ?? []), index]);
  services.forEach((service, i) => {
    switch (env.topology) {
      case 'shared':
        place(env.sharedClusterName ?? input.name, i);
        break;
      case 'per-service':
        place(service.name, i);
        break;
      case 'grouped':
        if (service.group) place(service.group, i);
        else report(['services', i, 'group'], `is required because environments.${envName}.topology is grouped`);
        break;
    }
  });

  const zalando = resolveZalando(input, envName, pg.version, report);
  const clusters: PostgresCluster[] = [];
  const parameterProblem = backendTraits(env.operator).poolerParameterProblem ?? cnpgPoolerParameterProblem;
  checkPoolerParameters(env.pooler, at('pooler'), parameterProblem, report);
  input.services.forEach((s, i) =>
    checkPoolerParameters(s.overrides[envName]?.pooler, ['services', i, 'overrides', envName, 'pooler'], parameterProblem, report),
  );
  for (const g of Object.keys(input.groups).sort())
    checkPoolerParameters(
      (input.groups[g].overrides as Record<string, OverrideInput>)[envName]?.pooler,
      ['groups', g, 'overrides', envName, 'pooler'],
      parameterProblem,
      report,
    );
  for (const [placed, indexes] of placement) {
    // enable_team_id_clustername_prefix: the operator only syncs clusters named <teamId>-<name>.
    const name = zalando?.prefix ? `${zalando.settings.teamId}-${placed}` : placed;
    // Where the cluster's name comes from.
    const source =
      env.topology === 'shared'
        ? env.sharedClusterName
          ? at('sharedClusterName')
          : ['name']
        : ['services', indexes[0], env.topology === 'grouped' ? 'group' : 'name'];
    if (name.length > CLUSTER_NAME_MAX) {
      report(
        source,
        `"${name}" would name a ${envName} cluster, and cluster names are limited to ${CLUSTER_NAME_MAX} characters (CloudNativePG allows 50; the cluster's \`<name>-access\` CronJob needs 7 more within Kubernetes' 52)`,
      );
    }
    // postgres-operator@v2.0.1 pkg/cluster/k8sres.go serviceName: the cluster's Services are
    // `<name>`, `<name>-repl` and `<name>-config`, and a Service name is a DNS-1035 label
    // (a letter first): the API server would refuse them (CloudNativePG's webhook says so for its
    // clusters, admission-checks.ts).
    if (zalando && !/^[a-z]/.test(name)) {
      report(
        source,
        `"${name}" would name a ${envName} cluster on operator: zalando, whose Services (${name}, ${name}-repl, ${name}-config) must start with a letter (a DNS-1035 label)`,
      );
    }
    clusters.push(sizeCluster(name, envName, env, indexes, input, services, pg, report));
  }
  if (zalando) checkZalando(input, envName, env, services, report);
  const traits = backendTraits(env.operator);
  if (traits.poolers !== true) {
    const noPooler = traits.poolers;
    if (env.pooler) report(at('pooler'), noPooler, true);
    input.services.forEach((s, i) => {
      if (s.overrides[envName]?.pooler) report(['services', i, 'overrides', envName, 'pooler'], noPooler, true);
    });
  }
  const aws = traits.settingsKey === 'aws' ? env.aws : undefined;
  if (traits.settingsKey === 'aws' && !aws)
    report(
      at('operator'),
      `operator: ${env.operator} needs an aws: section (region, subnetIDs, securityGroupIDs, endpointId, serverless or instanceClass)`,
    );
  if (traits.walStorage !== undefined && traits.walStorage !== true) {
    if (env.walStorage) report(at('walStorage'), traits.walStorage, true);
    input.services.forEach((s, i) => {
      if (s.overrides[envName]?.walStorage) report(['services', i, 'overrides', envName, 'walStorage'], traits.walStorage as string, true);
    });
  }
  if (env.backups?.postgres && traits.scheduledBackups !== undefined && traits.scheduledBackups !== true)
    report(at('backups', 'postgres'), traits.scheduledBackups, true);
  // Parameters the backend refuses, on the merged parameters of each cluster, where they are written.
  if (traits.parameterProblem) {
    const reported = new Set<string>();
    for (const c of clusters) {
      for (const name of Object.keys(c.parameters ?? {})) {
        const problem = traits.parameterProblem(name);
        if (!problem || reported.has(name)) continue;
        reported.add(name);
        const where =
          env.postgres?.parameters?.[name] !== undefined
            ? at('postgres', 'parameters', name)
            : input.postgres.parameters?.[name] !== undefined
              ? ['postgres', 'parameters', name]
              : at('postgres');
        report(where, `${problem} (environment ${envName})`, true);
      }
    }
  }
  for (const other of ALL_BACKEND_TRAITS) {
    const key = other.settingsKey as keyof EnvironmentInput | undefined;
    if (key && other !== traits && env[key] !== undefined)
      report(at(key), `only applies to operator: ${other.operator} (this environment runs ${env.operator})`, true);
  }

  // A pooler's name (and Service) must not be a cluster's name or one of a cluster's Services.
  const taken = new Map(clusters.flatMap((c) => [c.name, `${c.name}-rw`, `${c.name}-ro`, `${c.name}-r`].map((n) => [n, c.name] as const)));
  for (const c of clusters) {
    for (const p of c.poolers ?? []) {
      const name = (traits.poolerName ?? poolerName)(c.name, p.type);
      const owner = taken.get(name);
      if (owner)
        report(
          at('pooler'),
          `the ${p.type} pooler of cluster "${c.name}" would be named "${name}", which cluster "${owner}" already uses${owner === name ? '' : ' for a Service'}: rename one of the clusters`,
        );
    }
  }

  // One configuration for both poolers of a cluster (Zalando's connectionPooler section).
  if (traits.poolersShareSettings) {
    for (const c of clusters) {
      const rw = c.poolers?.find((p) => p.type === 'rw');
      const ro = c.poolers?.find((p) => p.type === 'ro');
      if (!rw || !ro) continue;
      // Parameters the backend refuses are reported at their key already: not a difference too.
      const settable = (p: PoolerSettings) => ({
        instances: p.instances,
        poolMode: p.poolMode,
        parameters: Object.fromEntries(Object.entries(p.parameters).filter(([k]) => !traits.poolerParameterProblem?.(k))),
      });
      const differs = (['instances', 'poolMode', 'parameters'] as const).filter(
        (k) => JSON.stringify(settable(rw)[k]) !== JSON.stringify(settable(ro)[k]),
      );
      if (differs.length === 0) continue;
      const overridden = c.services
        .map((s) => input.services.findIndex((x) => x.name === s.name))
        .find((i) => i >= 0 && input.services[i].overrides[envName]?.pooler?.ro !== undefined);
      report(
        env.pooler?.ro
          ? at('pooler', 'ro', differs[0])
          : overridden !== undefined
            ? ['services', overridden, 'overrides', envName, 'pooler', 'ro']
            : at('pooler'),
        `the rw and ro poolers of cluster "${c.name}" differ in ${differs.join(', ')}: ${traits.poolersShareSettings}`,
      );
    }
  }

  const alerts: Alerts = { ...DEFAULT_ALERTS, ...definedOnly(env.alerts ?? {}) };
  if (alerts.connectionsWarningPercent >= alerts.connectionsCriticalPercent)
    report(at('alerts', 'connectionsWarningPercent'), 'must be below connectionsCriticalPercent');
  if (alerts.diskWarningPercent >= alerts.diskCriticalPercent)
    report(at('alerts', 'diskWarningPercent'), 'must be below diskCriticalPercent');

  const velero = env.backups?.velero;
  const veleroCron = velero ? checkCron(velero.schedule, 'kubernetes') : undefined;
  if (veleroCron) report(at('backups', 'velero', 'schedule'), `"${velero!.schedule}" ${veleroCron}`);
  const objectStore = buildObjectStore(input, envName, report);
  const postgres = buildPostgresBackup(env, envName, objectStore, report);
  const restoreDrill = buildRestoreDrill(env, envName, clusters.length, objectStore, postgres, report);
  // Backup features the backend does not have, each with what it offers instead (traits.ts).
  if (env.backups?.objectStore && traits.objectStore !== true) report(at('backups', 'objectStore'), traits.objectStore, true);
  if (env.backups?.objectStore && traits.objectStore === true && traits.objectStoreProblems)
    for (const p of traits.objectStoreProblems(env.backups.objectStore)) report(at('backups', 'objectStore', p.key), p.message);
  if (env.backups?.restoreDrill && traits.restoreDrill !== true) report(at('backups', 'restoreDrill'), traits.restoreDrill, true);
  if (env.backups?.postgres?.retention && traits.snapshotRetention !== true)
    report(at('backups', 'postgres', 'retention'), traits.snapshotRetention, true);
  if (restoreDrill || postgres?.retention) {
    for (const c of clusters) {
      if ((RESERVED_CLUSTER_NAMES as readonly string[]).includes(c.name)) {
        report(
          at('backups', restoreDrill ? 'restoreDrill' : 'postgres'),
          `cluster name "${c.name}" is reserved for the backup jobs (${RESERVED_CLUSTER_NAMES.join(', ')}): rename the cluster`,
        );
      }
    }
  }
  const accessSchedule = env.accessSchedule ?? DEFAULT_ACCESS_SCHEDULE;
  const accessCron = checkCron(accessSchedule, 'kubernetes');
  if (accessCron) report(at('accessSchedule'), `"${accessSchedule}" ${accessCron}`);
  if (env.cluster?.server && env.cluster?.name) report(at('cluster'), 'set server or name, not both');
  const developerSessions = resolveDeveloperSessions(env, at, report);
  const egress = resolveEgress(env, at, report, restoreDrill, mongoSnapshots);

  return {
    name: envName,
    namespace: env.namespace,
    topology: env.topology,
    developerAccess: env.developerAccess,
    operator: env.operator,
    zalando: zalando?.settings,
    aws: aws
      ? {
          region: aws.region,
          subnetIDs: aws.subnetIDs,
          securityGroupIDs: aws.securityGroupIDs,
          serverless: aws.serverless,
          instanceClass: aws.instanceClass,
          endpointId: aws.endpointId,
          iamAuthentication: aws.iamAuthentication,
          backupRetentionDays: aws.backupRetentionDays,
          deletionProtection: aws.deletionProtection,
          kmsKeyID: aws.kmsKeyID,
          accountID: aws.accountID,
          globalClusterFrom: aws.globalClusterFrom,
        }
      : undefined,
    postgres: pg,
    destination: env.cluster?.name ? { name: env.cluster.name } : { server: env.cluster?.server ?? 'https://kubernetes.default.svc' },
    clusters,
    services,
    alerts,
    backups: {
      velero: velero && !veleroCron ? { ...velero, maxIntervalSeconds: maxIntervalSeconds(velero.schedule, 'kubernetes') } : undefined,
      postgres,
      objectStore,
      restoreDrill,
    },
    mongoSnapshots,
    accessSchedule,
    developerSessions,
    ...(egress ? { egress } : {}),
  };
}

/**
 * `egress`, checked against what the environment runs: every destination some pod needs must be
 * listed (a pod whose need is not allowed would fail at run time, not at render time), and every
 * Pushgateway must be an in-cluster Service URL, which a NetworkPolicy can name by namespace.
 */
function resolveEgress(
  env: EnvironmentInput,
  at: (...path: Array<string | number>) => ConfigProblem['path'],
  report: Report,
  restoreDrill: RestoreDrill | undefined,
  mongoSnapshots: readonly MongoSnapshot[],
): Egress | undefined {
  const given = env.egress;
  if (!given) return undefined;
  const needs = (key: 'objectStore' | 'database' | 'mongo' | 'snapshotAPI', why: string) => {
    if (!given[key]) report(at('egress'), `egress.${key} is required: ${why}`);
  };
  if (env.backups?.objectStore) needs('objectStore', 'backups.objectStore archives to it');
  const traits = backendTraits(env.operator);
  if (env.backups?.postgres?.method === 'logical' && traits.logicalBackup === true)
    needs('objectStore', "the operator's logical backup Job uploads to its bucket");
  if (traits.externalDatabase)
    needs('database', `every dbfleet Job and exporter connects to the ${traits.title} endpoints (the VPC's CIDRs)`);
  const own = mongoSnapshots;
  if (own.length > 0) {
    needs('mongo', `mongo snapshot "${own[0].name}" connects to the MongoDB members`);
    needs('snapshotAPI', `mongo snapshot "${own[0].name}" calls the cloud API that takes VM snapshots`);
  }
  if (restoreDrill?.pushgateway && !inClusterEndpoint(restoreDrill.pushgateway))
    report(at('backups', 'restoreDrill', 'pushgateway'), pushgatewayMessage(restoreDrill.pushgateway));
  for (const m of own) {
    if (m.pushgateway && !inClusterEndpoint(m.pushgateway))
      report(at('egress'), `mongo snapshot "${m.name}": ${pushgatewayMessage(m.pushgateway)}`);
  }
  return {
    apiServer: given.apiServer,
    objectStore: given.objectStore,
    database: given.database,
    mongo: given.mongo,
    snapshotAPI: given.snapshotAPI,
    dns: given.dns ?? { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } },
  };
}

function pushgatewayMessage(url: string): string {
  return `"${url}": with egress on, the Pushgateway must be an in-cluster Service URL (http://<service>.<namespace>.svc[.cluster.local][:port]) so a NetworkPolicy can allow it by namespace`;
}

/**
 * The namespace and port of an in-cluster Service URL (`http://<svc>.<ns>.svc[.cluster.local][:port]`);
 * undefined for any other URL. The port defaults by scheme, as the HTTP client does.
 */
export function inClusterEndpoint(url: string): InClusterEndpoint | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const match = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\.?$/.exec(parsed.hostname);
  if (!match) return undefined;
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  return { namespace: match[2], port };
}

/**
 * `developerSessions` with its defaults; the timeouts as PostgreSQL values. A connection limit
 * set for an operator that cannot render it is refused rather than ignored: Zalando's `users`
 * take flags only (zalando/postgres-operator@v2.0.1 pkg/cluster/util.go normalizeUserFlags) and
 * no dbfleet Job holds the power to ALTER a role there.
 */
function resolveDeveloperSessions(
  env: EnvironmentInput,
  at: (...path: Array<string | number>) => ConfigProblem['path'],
  report: Report,
): DeveloperSessions {
  const given = env.developerSessions ?? {};
  const traits = backendTraits(env.operator);
  if (given.connectionLimit !== undefined && traits.developerConnectionLimit !== true)
    report(at('developerSessions', 'connectionLimit'), traits.developerConnectionLimit);
  if ((given.statementTimeout !== undefined || given.idleInTransactionTimeout !== undefined) && traits.developerSessionTimeouts !== true)
    report(at('developerSessions'), traits.developerSessionTimeouts);
  return {
    connectionLimit: given.connectionLimit ?? DEVELOPER_SESSION_DEFAULTS.connectionLimit,
    statementTimeout: postgresTimeout(given.statementTimeout ?? DEVELOPER_SESSION_DEFAULTS.statementTimeout),
    idleInTransactionTimeout: postgresTimeout(given.idleInTransactionTimeout ?? DEVELOPER_SESSION_DEFAULTS.idleInTransactionTimeout),
  };
}

/** A duration as a PostgreSQL time value: whole seconds as `<n>s`, else `<n>ms`; zero as `0`. */
export function postgresTimeout(value: string): string {
  const ms = Math.round(durationToSeconds(value) * 1000);
  if (ms === 0) return '0';
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

type Report = (path: ConfigProblem['path'], message: string, atKey?: boolean) => void;

function buildObjectStore(input: FleetInput, envName: string, report: Report): ObjectStoreBackup | undefined {
  const o = input.environments[envName].backups?.objectStore;
  if (!o) return undefined;
  const cron = checkCron(o.schedule, 'cnpg');
  if (cron) {
    report(['environments', envName, 'backups', 'objectStore', 'schedule'], `"${o.schedule}" ${cron}`);
    return undefined;
  }
  return {
    name: objectStoreName(input.name),
    destinationPath: o.destinationPath,
    endpointURL: o.endpointURL,
    remoteKey: o.credentials.remoteKey,
    accessKeyIdProperty: o.credentials.accessKeyIdProperty,
    secretAccessKeyProperty: o.credentials.secretAccessKeyProperty,
    retention: o.retention,
    schedule: o.schedule,
    maxIntervalSeconds: maxIntervalSeconds(o.schedule, 'cnpg'),
  };
}

function buildPostgresBackup(
  env: EnvironmentInput,
  envName: string,
  objectStore: ObjectStoreBackup | undefined,
  report: Report,
): PostgresBackup | undefined {
  const postgres = env.backups?.postgres;
  if (!postgres) return undefined;
  const at = (...path: Array<string | number>) => ['environments', envName, 'backups', 'postgres', ...path];
  let ok = true;
  const problem = (path: ConfigProblem['path'], message: string) => {
    report(path, message);
    ok = false;
  };
  const cron = checkCron(postgres.schedule, 'cnpg');
  if (cron) problem(at('schedule'), `"${postgres.schedule}" ${cron}`);
  if (postgres.method === 'plugin') {
    // A plugin backup of a cluster without spec.plugins always fails ("cannot proceed with the
    // backup as the cluster has no plugin configured", cloudnative-pg@v1.30.0
    // internal/controller/backup_controller.go): dbfleet only renders the plugin it configures.
    if (postgres.pluginName && postgres.pluginName !== BARMAN_CLOUD_PLUGIN) {
      problem(
        at('pluginName'),
        `"${postgres.pluginName}" is not configured by dbfleet: only ${BARMAN_CLOUD_PLUGIN} (with backups.objectStore) gets a complete plugin configuration`,
      );
    } else if (!objectStore) {
      problem(
        at('method'),
        `plugin backups go to the Barman Cloud plugin's object store: configure environments.${envName}.backups.objectStore`,
      );
    }
  }
  const logical = backendTraits(env.operator).logicalBackup;
  if (postgres.method === 'logical' && logical !== true) problem(at('method'), logical);
  if (postgres.method !== 'volumeSnapshot' && postgres.volumeSnapshotClass)
    problem(at('volumeSnapshotClass'), 'only applies to method volumeSnapshot');
  const r = postgres.retention;
  let retention: PostgresBackup['retention'];
  if (r) {
    if (postgres.method !== 'volumeSnapshot')
      problem(at('retention'), `applies to method volumeSnapshot; object-store backups are kept by backups.objectStore.retention`);
    if (r.keep === undefined && r.maxAge === undefined) problem(at('retention'), 'needs keep, maxAge or both');
    const pruneCron = checkCron(r.schedule, 'kubernetes');
    if (pruneCron) problem(at('retention', 'schedule'), `"${r.schedule}" ${pruneCron}`);
    if (ok) {
      retention = {
        keep: r.keep,
        maxAgeSeconds: r.maxAge !== undefined ? durationToSeconds(r.maxAge) : undefined,
        schedule: r.schedule,
        maxIntervalSeconds: maxIntervalSeconds(r.schedule, 'kubernetes'),
      };
    }
  }
  if (!ok) return undefined;
  return {
    schedule: postgres.schedule,
    method: postgres.method,
    volumeSnapshotClass: postgres.volumeSnapshotClass,
    pluginName: postgres.method === 'plugin' ? BARMAN_CLOUD_PLUGIN : undefined,
    maxIntervalSeconds: maxIntervalSeconds(postgres.schedule, 'cnpg'),
    retention,
  };
}

function buildRestoreDrill(
  env: EnvironmentInput,
  envName: string,
  clusterCount: number,
  objectStore: ObjectStoreBackup | undefined,
  postgres: PostgresBackup | undefined,
  report: Report,
): RestoreDrill | undefined {
  const d = env.backups?.restoreDrill;
  if (!d) return undefined;
  const at = (...path: Array<string | number>) => ['environments', envName, 'backups', 'restoreDrill', ...path];
  const cron = checkCron(d.schedule, 'kubernetes');
  if (cron) {
    report(at('schedule'), `"${d.schedule}" ${cron}`);
    return undefined;
  }
  const hasSnapshots = postgres?.method === 'volumeSnapshot';
  // Aurora: the drill clones the cluster (copy-on-write); there is no backup to choose from.
  const fixedSource = backendTraits(env.operator).fixedRestoreDrillSource;
  if (fixedSource && d.source !== undefined) {
    report(at('source'), `has no meaning on operator: ${env.operator} (the drill clones the cluster copy-on-write): remove it`);
    return undefined;
  }
  const source = fixedSource ?? d.source ?? (objectStore ? 'objectStore' : 'volumeSnapshot');
  if (source === 'objectStore' && !objectStore && env.backups?.objectStore === undefined) {
    report(at('source'), `objectStore needs environments.${envName}.backups.objectStore`);
    return undefined;
  }
  if (source === 'volumeSnapshot' && !hasSnapshots) {
    report(
      at(d.source ? 'source' : 'schedule'),
      `restoring from volume snapshots needs environments.${envName}.backups.postgres with method volumeSnapshot${d.source ? '' : ' (or set backups.objectStore)'}`,
    );
    return undefined;
  }
  const timeoutSeconds = durationToSeconds(d.timeout);
  const perRun = Math.min(d.clustersPerRun ?? clusterCount, clusterCount);
  const activeDeadlineSeconds = Math.max(1, perRun) * (timeoutSeconds + RESTORE_DRILL_CLUSTER_OVERHEAD_SECONDS);
  const minInterval = minIntervalSeconds(d.schedule, 'kubernetes');
  if (activeDeadlineSeconds > minInterval) {
    report(
      at('timeout'),
      `${perRun} cluster(s) × (${d.timeout} + ${RESTORE_DRILL_CLUSTER_OVERHEAD_SECONDS}s for the check and cleanup) is ${activeDeadlineSeconds}s, longer than the ${minInterval}s between two runs of "${d.schedule}": lower the timeout, set clustersPerRun, or run less often`,
    );
    return undefined;
  }
  return {
    schedule: d.schedule,
    source,
    timeoutSeconds,
    clustersPerRun: d.clustersPerRun,
    pushgateway: d.pushgateway,
    maxIntervalSeconds: maxIntervalSeconds(d.schedule, 'kubernetes'),
    minIntervalSeconds: minInterval,
    activeDeadlineSeconds,
  };
}

/**
 * The environment's PostgreSQL: `environments.<env>.postgres` over the fleet's `postgres`, key by
 * key. The image must be pinned and hold the version (postgres-image.ts).
 */
function environmentPostgres(
  input: FleetInput,
  envName: string,
  report: (path: ConfigProblem['path'], message: string, atKey?: boolean) => void,
): EnvironmentPostgres {
  const own = input.environments[envName].postgres ?? {};
  const fleet = input.postgres;
  const version = own.version ?? fleet.version;
  const versionPath = own.version !== undefined ? ['environments', envName, 'postgres', 'version'] : ['postgres', 'version'];
  if (version === undefined) {
    report(
      ['environments', envName],
      `needs a PostgreSQL version: set postgres.version for the fleet or environments.${envName}.postgres.version`,
      true,
    );
    return { version: 0, imageName: '' };
  }
  const imagePath = own.imageName !== undefined ? ['environments', envName, 'postgres', 'imageName'] : ['postgres', 'imageName'];
  let imageName = own.imageName ?? fleet.imageName;
  // Backends that bring their own image (Zalando's Spilo): the CloudNativePG image is not used there.
  if (!backendTraits(input.environments[envName].operator).postgresImage)
    return { version, imageName: imageName ?? DEFAULT_IMAGES[version] ?? '' };
  if (imageName === undefined) {
    imageName = DEFAULT_IMAGES[version];
    if (!imageName)
      report(
        versionPath,
        `PostgreSQL ${version} has no default image in dbfleet (defaults: ${Object.keys(DEFAULT_IMAGES).join(', ')}): set imageName to a pinned image`,
      );
  } else {
    const problem = imageProblem(imageName, version);
    if (problem) {
      // An environment that raises the version while the image comes from the fleet is the usual slip.
      const hint =
        own.version !== undefined && own.imageName === undefined
          ? ` (environments.${envName}.postgres.version is ${version}; set environments.${envName}.postgres.imageName too)`
          : '';
      report(imagePath, problem + hint);
    }
  }
  const catalog = own.imageCatalog ?? fleet.imageCatalog ?? false;
  return { version, imageName: imageName ?? '', imageCatalog: catalog ? `${input.name}-postgresql` : undefined };
}

type Sizing = Required<Pick<OverrideInput, 'instances' | 'storage'>> &
  Pick<OverrideInput, 'walStorage' | 'storageClass'> & { cpu?: string; memory?: string };
/** Settings that size a cluster, and how to compare two values of each. */
const SIZES: ReadonlyArray<{
  key: 'instances' | 'storage' | 'walStorage' | 'cpu' | 'memory';
  path: string[];
  read: (o: OverrideInput) => string | number | undefined;
}> = [
  { key: 'instances', path: ['instances'], read: (o) => o.instances },
  { key: 'storage', path: ['storage'], read: (o) => o.storage },
  { key: 'walStorage', path: ['walStorage'], read: (o) => o.walStorage },
  { key: 'cpu', path: ['resources', 'cpu'], read: (o) => o.resources?.cpu },
  { key: 'memory', path: ['resources', 'memory'], read: (o) => o.resources?.memory },
];
const size = (value: string | number) => (typeof value === 'number' ? value : quantityToNumber(value));

/**
 * A cluster's size and parameters: the environment's, then its group's `overrides.<env>` (the
 * cluster holds only that group's services, so these may raise or lower), then its
 * services' `overrides.<env>`. A service alone in its cluster may raise or lower anything; in a
 * shared cluster the most demanding tenant wins, and lowering below what the cluster gets
 * without the override is an error naming the other tenants (it would shrink their cluster).
 * Parameters are merged key by key; two tenants setting one parameter differently is an error.
 */
function sizeCluster(
  name: string,
  envName: string,
  env: EnvironmentInput,
  indexes: number[],
  input: FleetInput,
  services: readonly Service[],
  postgres: EnvironmentPostgres,
  report: (path: ConfigProblem['path'], message: string) => void,
): PostgresCluster {
  const sizing: Sizing = {
    instances: env.instances,
    storage: env.storage,
    walStorage: env.walStorage,
    storageClass: env.storageClass,
    cpu: env.resources?.cpu,
    memory: env.resources?.memory,
  };
  const parameters: Record<string, string> = { ...input.postgres.parameters, ...env.postgres?.parameters };
  // Group settings apply to a cluster that holds only that group's services (grouped, or
  // per-service), never to a shared cluster that holds every group.
  const group =
    env.topology !== 'shared' && indexes.every((i) => services[i].group === services[indexes[0]].group)
      ? services[indexes[0]].group
      : undefined;
  const groupOverride =
    group !== undefined ? (input.groups[group]?.overrides as Record<string, OverrideInput> | undefined)?.[envName] : undefined;
  if (groupOverride) {
    for (const s of SIZES) {
      const value = s.read(groupOverride);
      if (value !== undefined) (sizing as Record<string, unknown>)[s.key] = value;
    }
    if (groupOverride.storageClass !== undefined) sizing.storageClass = groupOverride.storageClass;
    Object.assign(parameters, groupOverride.postgres?.parameters);
  }
  const floor = { ...sizing };
  const alone = indexes.length === 1;
  const others = (i: number) =>
    indexes
      .filter((j) => j !== i)
      .map((j) => `services[${j}] ("${services[j].name}")`)
      .join(', ');
  const parameterFrom = new Map<string, number>();
  let storageClassFrom: number | undefined;
  for (const i of indexes) {
    const o = input.services[i].overrides[envName];
    if (!o) continue;
    const at = (...path: Array<string | number>) => ['services', i, 'overrides', envName, ...path];
    for (const s of SIZES) {
      const value = s.read(o);
      if (value === undefined) continue;
      const current = sizing[s.key];
      if (alone) {
        (sizing as Record<string, unknown>)[s.key] = value;
        continue;
      }
      const base = floor[s.key];
      if (base !== undefined && size(value) < size(base)) {
        report(
          at(...s.path),
          `${value} is below the ${base} that cluster "${name}" gets in ${envName}, but the cluster also holds ${others(i)}: a cluster setting can only be lowered for a service alone in its cluster (set it in groups: or the environment instead)`,
        );
        continue;
      }
      if (current === undefined || size(value) > size(current)) {
        (sizing as Record<string, unknown>)[s.key] = value;
      }
    }
    if (o.storageClass !== undefined) {
      if (storageClassFrom !== undefined && o.storageClass !== sizing.storageClass) {
        report(
          at('storageClass'),
          `"${o.storageClass}" conflicts with "${sizing.storageClass}" from services[${storageClassFrom}], which shares cluster "${name}"`,
        );
      }
      sizing.storageClass = o.storageClass;
      storageClassFrom = i;
    }
    for (const [key, value] of Object.entries(o.postgres?.parameters ?? {})) {
      const previous = parameterFrom.get(key);
      if (previous !== undefined && parameters[key] !== value) {
        report(
          at('postgres', 'parameters', key),
          `"${value}" conflicts with "${parameters[key]}" from services[${previous}] ("${services[previous].name}"), which shares cluster "${name}": parameters apply to the whole cluster`,
        );
        continue;
      }
      parameters[key] = value;
      parameterFrom.set(key, i);
    }
  }
  if (env.qos === 'guaranteed' && (sizing.cpu === undefined) !== (sizing.memory === undefined)) {
    report(
      ['environments', envName, 'resources'],
      `cluster "${name}" would get only ${sizing.cpu === undefined ? 'memory' : 'cpu'}: Guaranteed QoS (qos: guaranteed, the default) needs both cpu and memory; set both, or qos: burstable`,
    );
  }
  return {
    name,
    environment: envName,
    namespace: env.namespace,
    instances: sizing.instances,
    storage: sizing.storage,
    walStorage: sizing.walStorage,
    storageClass: sizing.storageClass,
    imageName: postgres.imageName,
    postgresVersion: postgres.version,
    imageCatalog: postgres.imageCatalog,
    resources: computeResources(sizing.cpu, sizing.memory, env.qos),
    parameters: Object.fromEntries(Object.entries(parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    services: indexes.map((i) => services[i]),
    developerAccess: env.developerAccess,
    operator: env.operator,
    poolers:
      backendTraits(env.operator).poolers === true
        ? resolvePoolers(name, envName, env, indexes, input, sizing.instances, groupOverride?.pooler, report)
        : [],
  };
}

function resolveZalando(
  input: FleetInput,
  envName: string,
  version: number,
  report: (path: ConfigProblem['path'], message: string, atKey?: boolean) => void,
): { settings: ZalandoSettings; prefix: boolean } | undefined {
  const env = input.environments[envName];
  if (backendTraits(env.operator).settingsKey !== 'zalando') return undefined;
  const z = env.zalando;
  if (version && !ZALANDO_POSTGRES_VERSIONS.includes(version)) {
    const path = env.postgres?.version !== undefined ? ['environments', envName, 'postgres', 'version'] : ['postgres', 'version'];
    report(
      path,
      `${version} is not offered by Zalando's postgres-operator 2.0.1 (environment ${envName}; it accepts ${ZALANDO_POSTGRES_VERSIONS.join(', ')})`,
    );
  }
  return {
    settings: {
      teamId: z?.teamId ?? input.name,
      operatorNamespace: z?.operatorNamespace ?? 'postgres-operator',
      dockerImage: z?.dockerImage,
      exporterImage: z?.exporterImage ?? DEFAULT_POSTGRES_EXPORTER_IMAGE,
    },
    prefix: z?.teamIdPrefix ?? false,
  };
}

/** Keys that have no meaning on Zalando's operator are errors, not silently dropped settings. */
function checkZalando(
  input: FleetInput,
  envName: string,
  env: EnvironmentInput,
  services: readonly Service[],
  report: (path: ConfigProblem['path'], message: string, atKey?: boolean) => void,
): void {
  const at = (...path: Array<string | number>) => ['environments', envName, ...path];
  const noWal = 'has no meaning on operator: zalando (Spilo keeps the WAL on the data volume; size storage for both)';
  if (env.walStorage) report(at('walStorage'), noWal, true);
  input.services.forEach((s, i) => {
    if (s.overrides[envName]?.walStorage) report(['services', i, 'overrides', envName, 'walStorage'], noWal, true);
  });
  const backup = env.backups?.postgres;
  if (backup && backup.method !== 'logical') {
    report(
      at('backups', 'postgres', 'method'),
      `${backup.method} has no meaning on operator: zalando (it takes neither CloudNativePG volume snapshots nor CNPG-I plugin backups); use method: logical for the operator's logical backups, and WAL-G archiving through the operator configuration (docs/zalando.md)`,
    );
  }
  if (backup?.method === 'logical' && backup.schedule.trim().split(/\s+/)[0] !== '0') {
    report(
      at('backups', 'postgres', 'schedule'),
      `"${backup.schedule}": the logical backup CronJob runs on whole minutes, so the seconds field must be 0`,
    );
  }
  services.forEach((s, i) => {
    const path = ['services', i, input.services[i].role ? 'role' : 'name'];
    if (ZALANDO_RESERVED_ROLES.has(s.role)) {
      report(
        path,
        `role name "${s.role}" is reserved by Zalando's postgres-operator, Spilo or dbfleet's exporter (environment ${envName})`,
      );
    } else if (!ZALANDO_USER.test(s.role)) {
      report(path, `role name "${s.role}" must start and end with a letter or digit on operator: zalando (environment ${envName})`);
    }
  });
}

/**
 * guaranteed: limits = requests, so the kubelet evicts these pods last (CloudNativePG's
 * recommendation for production: cloudnative-pg@v1.30.0 docs/src/resource_management.md).
 * burstable: the requests, a memory limit (a runaway backend is killed, not the node), no CPU
 * limit (CPU throttling stalls replication and checkpoints rather than protecting anything).
 */
function computeResources(
  cpu: string | undefined,
  memory: string | undefined,
  qos: 'guaranteed' | 'burstable',
): ComputeResources | undefined {
  if (cpu === undefined && memory === undefined) return undefined;
  const requests = definedOnly({ cpu, memory }) as Record<string, string>;
  return { requests, limits: qos === 'guaranteed' ? requests : (definedOnly({ memory }) as Record<string, string>) };
}

/** CloudNativePG's Pooler default when pooling is enabled by an override only. */
const POOLER_DEFAULTS = { instances: 2, poolMode: 'session' as PoolMode };

/**
 * A cluster's poolers: the environment's `pooler`, then its group's `overrides.<env>.pooler` (as
 * for sizing: only a cluster holding just that group's services), changed by the overrides of the
 * services it holds. A pooler serves every database of its cluster (it cannot span clusters, and dbfleet renders
 * one per type), so on a shared cluster the tenants must agree: an override enables the pooler type
 * for its cluster, instances are raised to the largest ask, the pool mode must be the same for
 * every service of the cluster (each service's own mode is its override's, else the environment's),
 * and parameters merge, two different values for one parameter being an error. A read-only
 * pooler needs replicas: on a single-instance cluster none is rendered.
 */
function resolvePoolers(
  cluster: string,
  envName: string,
  env: EnvironmentInput,
  indexes: number[],
  input: FleetInput,
  instances: number,
  groupPooler: OverrideInput['pooler'],
  report: (path: ConfigProblem['path'], message: string) => void,
): PoolerSettings[] {
  const result: PoolerSettings[] = [];
  for (const type of ['rw', 'ro'] as const satisfies readonly PoolerType[]) {
    // The group's override (its clusters hold only its services) is the base the services start from.
    const envBase = env.pooler?.[type];
    const groupAsk = groupPooler?.[type];
    const base =
      envBase || groupAsk
        ? {
            instances: groupAsk?.instances ?? envBase?.instances ?? POOLER_DEFAULTS.instances,
            poolMode: groupAsk?.poolMode ?? envBase?.poolMode ?? POOLER_DEFAULTS.poolMode,
            parameters: { ...envBase?.parameters, ...groupAsk?.parameters },
          }
        : undefined;
    const baseFrom =
      groupAsk?.poolMode !== undefined
        ? `groups.<group>.overrides.${envName}.pooler.${type}.poolMode`
        : `environments.${envName}.pooler.${type}.poolMode`;
    const asks = indexes.map((i) => ({ i, o: input.services[i].overrides[envName]?.pooler?.[type] })).filter((a) => a.o !== undefined);
    if (!base && asks.length === 0) continue;
    if (type === 'ro' && instances < 2) continue;
    let poolerInstances = base?.instances ?? POOLER_DEFAULTS.instances;
    for (const { o } of asks) if (o!.instances !== undefined) poolerInstances = Math.max(poolerInstances, o!.instances);

    const modes = indexes.map((i) => {
      const own = input.services[i].overrides[envName]?.pooler?.[type]?.poolMode;
      return own !== undefined
        ? {
            i,
            mode: own,
            from: `services[${i}] ("${input.services[i].name}")`,
            path: ['services', i, 'overrides', envName, 'pooler', type, 'poolMode'],
          }
        : {
            i,
            mode: base?.poolMode ?? POOLER_DEFAULTS.poolMode,
            from: `services[${i}] ("${input.services[i].name}"), from ${base ? baseFrom : 'the default'}`,
            path: undefined,
          };
    });
    const first = modes[0];
    for (const m of modes.slice(1)) {
      if (m.mode !== first.mode) {
        const culprit = m.path ? m : first.path ? first : m;
        const other = culprit === m ? first : m;
        report(
          culprit.path ?? ['services', culprit.i, 'overrides', envName, 'pooler', type],
          `pool mode "${culprit.mode}" conflicts with "${other.mode}" (${other.from}) for cluster "${cluster}": its ${type} pooler serves every service of the cluster and has one pool mode`,
        );
        break;
      }
    }

    const parameters = new Map<string, { value: string; from: string }>();
    for (const [k, v] of Object.entries(base?.parameters ?? {}))
      parameters.set(k, { value: String(v), from: `environments.${envName}.pooler.${type}` });
    for (const { i, o } of asks) {
      for (const [k, v] of Object.entries(o!.parameters ?? {})) {
        const previous = parameters.get(k);
        const value = String(v);
        if (previous && previous.value !== value && previous.from.startsWith('services')) {
          report(
            ['services', i, 'overrides', envName, 'pooler', type, 'parameters', k],
            `"${value}" conflicts with "${previous.value}" from ${previous.from}, which shares cluster "${cluster}"`,
          );
        }
        parameters.set(k, { value, from: `services[${i}] ("${input.services[i].name}")` });
      }
    }
    result.push({
      type,
      instances: poolerInstances,
      poolMode: first.mode,
      parameters: Object.fromEntries(
        [...parameters.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, v.value]),
      ),
    });
  }
  return result;
}

/** The pooler parameters CloudNativePG's webhook would reject (the default of traits.poolerParameterProblem). */
function cnpgPoolerParameterProblem(key: string): string | undefined {
  return ALLOWED_PGBOUNCER_PARAMETERS.has(key)
    ? undefined
    : `"${key}" is not a PgBouncer parameter CloudNativePG lets a Pooler set (it manages the others itself); allowed: ${[...ALLOWED_PGBOUNCER_PARAMETERS].sort().join(', ')}`;
}

/** Parameters the backend's pooler would refuse, reported where they are written. */
function checkPoolerParameters(
  poolers: { rw?: { parameters?: Record<string, unknown> }; ro?: { parameters?: Record<string, unknown> } } | undefined,
  path: ConfigProblem['path'],
  problemOf: (name: string) => string | undefined,
  report: (path: ConfigProblem['path'], message: string, atKey?: boolean) => void,
): void {
  for (const type of ['rw', 'ro'] as const) {
    for (const key of Object.keys(poolers?.[type]?.parameters ?? {})) {
      const problem = problemOf(key);
      if (problem) report([...path, type, 'parameters', key], problem, true);
    }
  }
}

function buildMongoSnapshot(
  m: FleetInput['mongoSnapshots'][number],
  i: number,
  envNames: string[],
  report: (path: ConfigProblem['path'], message: string) => void,
): { snapshot: MongoSnapshot; environments: string[] } | undefined {
  let ok = true;
  m.environments.forEach((env, j) => {
    if (!envNames.includes(env)) {
      report(['mongoSnapshots', i, 'environments', j], `environment "${env}" does not exist (environments: ${envNames.join(', ')})`);
      ok = false;
    }
  });
  const cronError = checkCron(m.schedule, 'kubernetes');
  if (cronError) {
    report(['mongoSnapshots', i, 'schedule'], `"${m.schedule}" ${cronError}`);
    return undefined;
  }
  const snapshotTimeoutSeconds = durationToSeconds(m.snapshotTimeout);
  const unlockDeadlineSeconds = durationToSeconds(m.unlockDeadline);
  const minInterval = minIntervalSeconds(m.schedule, 'kubernetes');
  const lockTimeoutSeconds = durationToSeconds(m.lockTimeout);
  // one budget for the run and the Job (lib/mongo-snapshot/budget.ts): start-up, LOCK_ATTEMPTS lock attempts (each
  // lockTimeout + 2 × unlockDeadline at worst), the snapshot, the unlock
  const { activeDeadlineSeconds } = runBudget({ lockTimeoutSeconds, snapshotTimeoutSeconds, unlockDeadlineSeconds });
  if (activeDeadlineSeconds > minInterval) {
    report(
      ['mongoSnapshots', i, 'snapshotTimeout'],
      `${m.snapshotTimeout} plus ${LOCK_ATTEMPTS} lock attempts (lock timeout ${m.lockTimeout} + twice the unlock deadline ${m.unlockDeadline} each), the unlock deadline and ${MONGO_SNAPSHOT_STARTUP_SECONDS}s of start-up is a ${activeDeadlineSeconds}s job deadline, longer than the ${minInterval}s between two runs of "${m.schedule}": the job deadline could not end a run before the next one is due`,
    );
    ok = false;
  }
  if (!ok) return undefined;
  return {
    environments: m.environments,
    snapshot: {
      name: m.name,
      namespace: m.namespace,
      schedule: m.schedule,
      maxIntervalSeconds: maxIntervalSeconds(m.schedule, 'kubernetes'),
      minIntervalSeconds: minInterval,
      remoteKey: m.connectionSecret.remoteKey,
      remoteProperty: m.connectionSecret.property,
      image: m.image,
      maxLagSeconds: m.maxLagSeconds,
      snapshotTimeoutSeconds,
      unlockDeadlineSeconds,
      lockTimeoutSeconds,
      activeDeadlineSeconds,
      pushgateway: m.pushgateway,
      snapshotCommand: m.snapshotCommand,
      snapshotTools: m.snapshotTools,
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
