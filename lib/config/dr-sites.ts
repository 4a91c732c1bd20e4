// Disaster-recovery pairs: an environment with `standbyOf` is the standby site of another one.
// Checked here, and resolved into a DrSite on both environments (docs/disaster-recovery.md).
import type { ConfigProblem } from './load';
import type { DrSite, Environment, ObjectStoreBackup, PoolerSettings, PostgresCluster } from './model';
import type { FleetInput } from './schema';
import { backendTraits } from '../backends/traits';
import { checkGlobalClusterPair } from './global-cluster-pair';
import { platformRemoteKey } from '../secrets/key-layout';
import { promotionTokenProblem } from '../validate/admission/promotion-token';
import { backupHeartbeatSeconds, MAX_HEARTBEAT_SECONDS } from '../dr/wal-heartbeat';

/**
 * Keys a standby must share with its source: its clusters are physical copies of the source's
 * (same names, databases, PostgreSQL major and parameters). Left out, they are inherited.
 */
export const STANDBY_SHARED_KEYS = ['topology', 'sharedClusterName', 'developerAccess', 'operator', 'zalando', 'postgres'] as const;

type Report = (path: ConfigProblem['path'], message: string, atKey?: boolean) => void;

/** The ObjectStore, at one site, that points at the other site's bucket. */
export function peerObjectStoreName(objectStoreName: string, peer: string): string {
  return `${objectStoreName}-${peer}`;
}

/**
 * `<keyPrefix>/<environment>/platform/object-store-read-only`: read-only credentials of an
 * environment's bucket, which only the OTHER site of its DR pair reads. The platform team creates
 * it (`dbfleet secrets`); a site never holds its peer's read-write key.
 */
export function objectStoreReadOnlyRemoteKey(keyPrefix: string, environment: string): string {
  return platformRemoteKey(keyPrefix, environment, 'object-store-read-only');
}

/**
 * Checks every `standbyOf` and returns the environments with their `dr` resolved (standby
 * clusters take the source's parameters, which a replica needs to be at least the primary's).
 */
export function resolveDrSites(input: FleetInput, environments: readonly Environment[], report: Report): Environment[] {
  const byName = new Map(environments.map((e) => [e.name, e]));
  const sites = new Map<string, DrSite>();
  const standbyParameters = new Map<string, readonly PostgresCluster[]>();
  const standbysOf = new Map<string, string>();
  for (const env of environments) {
    const raw = input.environments[env.name];
    const at = (...path: string[]) => ['environments', env.name, ...path];
    if (!raw.standbyOf) {
      for (const key of ['primarySite', 'switchoverTo', 'promotionTokens', 'readEndpoint'] as const) {
        if (raw[key] !== undefined) report(at(key), 'only applies to a standby environment (one with standbyOf): set it there', true);
      }
      continue;
    }
    const source = byName.get(raw.standbyOf);
    const names = environments.map((e) => e.name).join(', ');
    if (!source) {
      report(at('standbyOf'), `environment "${raw.standbyOf}" does not exist (environments: ${names})`);
      continue;
    }
    if (source.name === env.name) {
      report(at('standbyOf'), 'an environment cannot be its own standby');
      continue;
    }
    const sourceRaw = input.environments[source.name];
    if (sourceRaw.standbyOf) {
      report(
        at('standbyOf'),
        `"${source.name}" is itself a standby (of "${sourceRaw.standbyOf}"): name the primary environment; cascading standbys are not offered`,
      );
      continue;
    }
    const other = standbysOf.get(source.name);
    if (other) {
      report(at('standbyOf'), `"${source.name}" already has a standby ("${other}"): dbfleet renders one standby site per environment`);
      continue;
    }
    standbysOf.set(source.name, env.name);
    let ok = true;
    for (const key of STANDBY_SHARED_KEYS) {
      if (JSON.stringify(raw[key]) !== JSON.stringify(sourceRaw[key])) {
        report(
          at(key),
          `must equal ${source.name}'s (a standby's clusters are physical copies of its source's): leave it out to inherit it`,
          true,
        );
        ok = false;
      }
    }
    // Pooling of a DR pair is set at the source; the standby renders the source's poolers
    // (standbyPoolers below). It cannot pool on its own: PgBouncer's auth_user and its lookup
    // function are created on the source's primary, only while a Pooler there uses the Cluster
    // (cloudnative-pg@v1.30.0 internal/management/controller/instance_controller.go
    // reconcilePgbouncerAuthUser: primary only, and only with status.poolerIntegrations), and reach
    // the standby with the WAL; Zalando skips them on a standby cluster, read-only
    // (postgres-operator@v2.0.1 pkg/cluster/connection_pooler.go "skip installation in standby
    // clusters"). A standby's own `pooler` used to be dropped without a word.
    if (backendTraits(source.operator).poolers === true && JSON.stringify(raw.pooler) !== JSON.stringify(sourceRaw.pooler)) {
      report(
        at('pooler'),
        `${sourceRaw.pooler ? `differs from ${source.name}'s` : `is set, but ${source.name} does not pool`}: a DR pair's poolers are set at the source (environments.${source.name}.pooler) and the standby renders the same ones (docs/disaster-recovery.md); a standby cannot pool alone, as PgBouncer's login user and lookup function are created by the source's primary only while it pools and reach the standby with the WAL. Leave pooler out at ${env.name} to inherit it`,
        true,
      );
      ok = false;
    }
    // Per-service and per-group sizing at the standby: its clusters are the source's (below), so
    // overrides.<standby> would be silently ignored.
    const overridden: Array<ConfigProblem['path']> = [
      ...input.services.flatMap((s, i) => (s.overrides[env.name] !== undefined ? [['services', i, 'overrides', env.name]] : [])),
      ...Object.entries(input.groups)
        .filter(([, g]) => (g.overrides as Record<string, unknown>)[env.name] !== undefined)
        .map(([g]) => ['groups', g, 'overrides', env.name]),
    ];
    for (const path of overridden) {
      report(
        path,
        `${env.name} is a standby of ${source.name}: its clusters are physical copies of ${source.name}'s (sizes, parameters, poolers), so set this in overrides.${source.name}; per site only environments.${env.name}.instances and storageClass differ`,
        true,
      );
      ok = false;
    }
    const standby = backendTraits(source.operator).standbySites;
    if (standby !== true) {
      report(at('standbyOf'), `"${source.name}" runs operator: ${source.operator}: ${standby}`);
      continue;
    }
    // Without demotion (Zalando) the source stays the primary site until the standby is promoted
    // by removing its standbyOf: the keys that move the primary site in place are refused.
    const switchable = backendTraits(source.operator).siteSwitchover ?? true;
    if (switchable !== true) {
      for (const key of ['primarySite', 'switchoverTo', 'promotionTokens'] as const) {
        if (raw[key] === undefined || (key === 'primarySite' && raw[key] === source.name)) continue;
        report(at(key), `has no meaning on operator: ${source.operator}: ${switchable}`, true);
        ok = false;
      }
    }
    // Aurora: the standby is a GlobalCluster's secondary region; no WAL archive, no switchover keys.
    const viaGlobalCluster = backendTraits(source.operator).standbyReplication === 'globalCluster';
    if (viaGlobalCluster && !checkGlobalClusterPair(input, source, env, report)) ok = false;
    const need = (e: Environment) => `environments.${e.name}.backups.objectStore`;
    // An objectStore that is written but invalid (e.g. its schedule) is reported where it is
    // written; "set it" would be a second, wrong, error.
    const written = (name: string) => input.environments[name].backups?.objectStore !== undefined;
    if (viaGlobalCluster) {
      // No archive: Aurora's storage replicates to the secondary region.
    } else if (!source.backups.objectStore) {
      if (!written(source.name))
        report(at('standbyOf'), `the standby replicates from ${source.name}'s WAL archive: set ${need(source)} (docs/backups.md)`);
      ok = false;
    }
    if (viaGlobalCluster) {
      // As above.
    } else if (!env.backups.objectStore && written(env.name)) ok = false;
    else if (!env.backups.objectStore) {
      report(
        at('backups'),
        `a standby needs its own WAL archive (it is the source after a switchover): set ${need(env)} to a bucket path other than ${source.name}'s`,
        true,
      );
      ok = false;
    }
    if (
      source.backups.objectStore &&
      env.backups.objectStore &&
      source.backups.objectStore.destinationPath.replace(/\/$/, '') === env.backups.objectStore.destinationPath.replace(/\/$/, '')
    ) {
      report(
        at('backups', 'objectStore', 'destinationPath'),
        `is ${source.name}'s too (written, or inherited when the standby sets no backups): a standby needs its own WAL archive: both sites archive clusters of the same names, so each needs its own bucket path`,
      );
      ok = false;
    } else if (
      source.backups.objectStore &&
      env.backups.objectStore &&
      objectStoreBucket(source.backups.objectStore.destinationPath) === objectStoreBucket(env.backups.objectStore.destinationPath)
    ) {
      // Another path in the same bucket: the standby's read-write key would have to write the
      // source's bucket, which holds the source's base backups and WAL.
      report(
        at('backups', 'objectStore', 'destinationPath'),
        `is in ${source.name}'s bucket (${objectStoreBucket(source.backups.objectStore.destinationPath)}): each site writes only its own bucket, so a standby's read-write key cannot reach ${source.name}'s backups and WAL (docs/disaster-recovery.md)`,
      );
      ok = false;
    }
    if (JSON.stringify(source.destination) === JSON.stringify(env.destination) && source.namespace === env.namespace) {
      report(
        at('cluster'),
        `${env.name} and ${source.name} would render the same objects into the same namespace of the same Kubernetes cluster: give the standby its own cluster (the DR site) or namespace`,
        true,
      );
      ok = false;
    }
    // Each site writes only its own bucket: with one read-write key for both, a site would hold
    // the key that deletes the other's backups and WAL, whatever the peer store reads with.
    if (
      source.backups.objectStore &&
      env.backups.objectStore &&
      source.backups.objectStore.remoteKey === env.backups.objectStore.remoteKey
    ) {
      report(
        at('backups', 'objectStore', 'credentials', 'remoteKey'),
        `is ${source.name}'s too: each site needs its own read-write key, limited to its own bucket (the other site reads it with ${objectStoreReadOnlyRemoteKey(input.secretStore.keyPrefix, source.name)}, docs/disaster-recovery.md)`,
      );
      ok = false;
    }
    const primary = raw.primarySite ?? source.name;
    if (primary !== source.name && primary !== env.name) {
      report(at('primarySite'), `"${primary}" is not a site of this pair: use "${source.name}" or "${env.name}"`);
      ok = false;
    }
    const to = raw.switchoverTo;
    if (to !== undefined && (to === primary || (to !== source.name && to !== env.name))) {
      report(
        at('switchoverTo'),
        `"${to}" must be the site that is not primary now ("${primary === source.name ? env.name : source.name}"): it names where a switchover goes`,
      );
      ok = false;
    }
    const tokens = raw.promotionTokens ?? {};
    for (const [cluster, token] of Object.entries(tokens)) {
      // The check CloudNativePG's webhook runs on the token (base64, then JSON with six non-empty
      // fields): a token pasted wrong would be refused at the sync of switchover step 2, after
      // step 1 demoted the old primary, leaving no primary site until the fleet is fixed.
      const problem = promotionTokenProblem(token);
      if (problem) {
        report(
          at('promotionTokens', cluster),
          `is not a demotion token: ${problem}, as CloudNativePG's admission webhook reads it (cloudnative-pg@v1.30.0 internal/webhook/v1/cluster_webhook.go validatePromotionToken, pkg/utils/parser.go IsValid): copy it whole from \`kubectl get cluster ${cluster} -o jsonpath={.status.demotionToken}\` at the demoted site`,
        );
        ok = false;
      }
    }
    if (Object.keys(tokens).length > 0) {
      const names = source.clusters.map((c) => c.name);
      for (const key of Object.keys(tokens))
        if (!names.includes(key)) {
          report(at('promotionTokens', key), `"${key}" is not a cluster of ${source.name} (clusters: ${names.join(', ')})`, true);
          ok = false;
        }
      const missing = names.filter((n) => !(n in tokens));
      // A cluster promoted without its token is a failover: never mix the two by omission.
      if (missing.length > 0) {
        report(
          at('promotionTokens'),
          `has no token for ${missing.join(', ')}: a switchover promotes every cluster with its own demotion token (or remove promotionTokens for a failover)`,
          true,
        );
        ok = false;
      }
    }
    // The read Secrets name the replicas' endpoints only, never the designated primary: that is
    // the instance a promotion makes writable, and they use the app's own role (docs/disaster-recovery.md).
    if (raw.readEndpoint && env.clusters.some((c) => c.instances < 2)) {
      report(
        at('readEndpoint'),
        `needs instances >= 2 at ${env.name} (clusters ${env.clusters
          .filter((c) => c.instances < 2)
          .map((c) => c.name)
          .join(', ')} have 1): read traffic goes to the replicas, never to the designated primary that a promotion makes writable`,
        true,
      );
      ok = false;
    }
    // The replica site's alert waits 1.5 × the longest gap between the WAL-switching backups of the
    // site it replays (lib/dr/wal-heartbeat.ts): a schedule too sparse for that is refused at the
    // site whose backups it is. The standby's own count too where a switchover makes it the source.
    if (!viaGlobalCluster) {
      const sites = switchable === true ? [source, env] : [source];
      for (const site of sites) {
        if (!site.backups.objectStore) continue;
        const gap = backupHeartbeatSeconds(site.backups);
        if (gap <= MAX_HEARTBEAT_SECONDS) continue;
        const also = site.backups.postgres && site.backups.postgres.method !== 'logical' ? ' (nor backups.postgres.schedule)' : '';
        report(
          ['environments', site.name, 'backups', 'objectStore', 'schedule'],
          `"${site.backups.objectStore.schedule}"${also} leaves up to ${days(gap)} between backups on ${site.name}'s primary: in a DR pair each such backup is the heartbeat that tells the ${site.name === source.name ? 'standby' : 'other'} site a quiet source from a broken link, and its alert (…ReplicaSiteWALStale, docs/disaster-recovery.md) would wait 1.5 × that; schedule one at least every ${days(MAX_HEARTBEAT_SECONDS)} (e.g. "0 0 2 * * *", daily)`,
        );
        ok = false;
      }
    }
    const replicas = backendTraits(source.operator).standbyReplicas ?? true;
    if (replicas !== true) {
      // What the standby's clusters will run: its own instances, else the source's per cluster.
      const instances = (c: PostgresCluster) =>
        raw.instances !== sourceRaw.instances ? c.instances : (source.clusters.find((s) => s.name === c.name)?.instances ?? c.instances);
      const many = env.clusters.filter((c) => instances(c) > 1);
      if (many.length > 0) {
        report(at('instances'), `is ${instances(many[0])} for ${many.map((c) => c.name).join(', ')}: ${replicas}`, true);
        ok = false;
      }
    }
    if (!ok) continue;
    // Step 1 of a switchover (switchoverTo) changes only the primary site, which demotes
    // itself; the other one keeps following it until step 2 gives it the demotion token
    // (setting primary and token together is what promotes without a rebuild).
    const site = (self: string, peer: string, standby: boolean, peerObjectStore: ObjectStoreBackup | undefined): DrSite => {
      const rendered = to !== undefined && self === primary ? to : primary;
      return {
        self,
        peer,
        standby,
        primary: rendered,
        source: source.name,
        peerObjectStore,
        promotionTokens: rendered === self && raw.promotionTokens ? raw.promotionTokens : undefined,
      };
    };
    const keyPrefix = input.secretStore.keyPrefix;
    sites.set(source.name, site(source.name, env.name, false, viaGlobalCluster ? undefined : peerStore(env, keyPrefix)));
    sites.set(env.name, {
      ...site(env.name, source.name, true, viaGlobalCluster ? undefined : peerStore(source, keyPrefix)),
      ...(raw.readEndpoint ? { readEndpoint: true } : {}),
    });
    standbyParameters.set(env.name, source.clusters);
  }
  return environments.map((e) => {
    const dr = sites.get(e.name);
    if (!dr) return e;
    const sourceClusters = standbyParameters.get(e.name);
    if (!sourceClusters) return { ...e, dr };
    const own = input.environments[e.name];
    const sourceEnv = input.environments[dr.source];
    return {
      ...e,
      dr,
      // A physical copy: the source's sizes and parameters per cluster (a replica needs at least
      // the primary's max_connections and friends, and the source's storage, and carries the
      // production load after a switchover). Only instances and storageClass may differ per site
      // (another cloud's storage classes; fewer instances to save cost while standing by).
      clusters: e.clusters.map((c) => {
        const s = sourceClusters.find((x) => x.name === c.name)!;
        const instances = own.instances !== sourceEnv.instances ? own.instances : s.instances;
        return {
          ...s,
          environment: c.environment,
          namespace: c.namespace,
          developerAccess: c.developerAccess,
          instances,
          storageClass: own.storageClass !== sourceEnv.storageClass ? own.storageClass : s.storageClass,
          poolers: standbyPoolers(s.poolers, instances, dr.readEndpoint === true),
        };
      }),
    };
  });
}

/**
 * `peer`'s object store, as the ObjectStore rendered at the other site: with the peer bucket's
 * read-only key, never its read-write one. The Barman Cloud plugin lets every instance pod read the
 * credentials Secret of every ObjectStore its Cluster refers to, the replica source's and the
 * recovery source's included (plugin-barman-cloud@v0.14.0 internal/cnpgi/operator/specs/role.go
 * BuildRoleRules, over config.go GetReferredBarmanObjectsKey); and it only reads that store:
 * WAL is archived and retention enforced on the Cluster's own `barmanObjectName` only
 * (internal/cnpgi/instance/retention.go CatalogMaintenanceRunnable.cycle).
 */
function peerStore(peer: Environment, keyPrefix: string): ObjectStoreBackup {
  const store = peer.backups.objectStore!;
  return {
    ...store,
    name: peerObjectStoreName(store.name, peer.name),
    remoteKey: objectStoreReadOnlyRemoteKey(keyPrefix, peer.name),
  };
}

/**
 * A standby cluster's poolers: the source cluster's, except that a read-only pooler needs replicas
 * here too, and a standby serving reads (`readEndpoint`) where pooling is on gets a read-only
 * pooler with the read-write one's settings if its source has none. PgBouncer's auth_user
 * cnpg_pooler_pgbouncer and its lookup function in the `postgres` database cannot be created on a
 * replica: they reach it physically from the source, which pools too (cloudnative-pg@v1.30.0
 * docs/src/connection_pooling.md "built-in integration": created by the instance manager with SQL).
 */
function standbyPoolers(
  poolers: readonly PoolerSettings[] | undefined,
  instances: number,
  readEndpoint: boolean,
): readonly PoolerSettings[] | undefined {
  if (!poolers || poolers.length === 0) return poolers;
  const kept = poolers.filter((p) => p.type === 'rw' || instances >= 2);
  const rw = kept.find((p) => p.type === 'rw');
  if (readEndpoint && rw && !kept.some((p) => p.type === 'ro')) kept.push({ ...rw, type: 'ro' });
  return kept;
}

/** A gap in days, for messages ("7 days", "2921.9 days"). */
function days(seconds: number): string {
  const d = Math.round((seconds / 86_400) * 10) / 10;
  return `${d} day${d === 1 ? '' : 's'}`;
}

/**
 * The bucket of an object store URL, the unit a cloud key is scoped to: `s3://bucket`, `gs://bucket`,
 * and for Azure `https://account.host/container`. Scheme and host compared case-insensitively.
 */
export function objectStoreBucket(destinationPath: string): string {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)\/*([^/]*)/i.exec(destinationPath.trim());
  if (!match) return destinationPath;
  const [, scheme, host, first] = match;
  const base = `${scheme.toLowerCase()}://${host.toLowerCase()}`;
  return scheme.toLowerCase() === 'https' || scheme.toLowerCase() === 'http' ? `${base}/${first}` : base;
}
