// Every value dbfleet reads from the secret store, per environment: the one list behind the
// ExternalSecrets and PushSecrets the charts render and behind `dbfleet secrets`.
import type { Environment, Fleet, Service } from '../config/model';
import { developerRemoteKey } from '../access/developer-roles';
import { credentialLayout, type CredentialLayout } from './credential-rotation';
import { backendTraits } from '../backends/traits';
import { platformRemoteKey } from './key-layout';

export { serviceRemoteKey } from './credential-rotation';

export type StoreKeyOrigin =
  /** dbfleet generates it in the cluster and pushes it once (`secretStore.passwords: generate`). */
  | 'generated'
  /**
   * A DR standby's copy of its source's key: the source's PushSecrets create it (the standby reads
   * the same key, so its passwords are the same after promotion). Nothing to do at the standby.
   */
  | 'generated-by-source'
  /** Someone must put it in the store before the first sync. */
  | 'expected';

export interface StoreKey {
  /** A stable DNS label naming the objects about this key (e.g. its PushSecret `<name>-password`). */
  readonly name: string;
  readonly environment: string;
  readonly remoteKey: string;
  readonly property: string;
  readonly origin: StoreKeyOrigin;
  /** Who creates it, in words: `you`, or `dbfleet (PushSecret in <environment>)`. */
  readonly createdBy: string;
  /** What it is for, in a few words. */
  readonly purpose: string;
  /** Who reads it: the namespaces of the ExternalSecrets that read it. */
  readonly readBy: readonly string[];
  /** Which value it is and which fleet setting makes it (key-uniqueness.ts). */
  readonly owner: StoreKeyOwner;
}

/** `<keyPrefix>/<environment>/platform/clusters/<cluster>/master`: a managed cluster's master password. */
export function clusterMasterRemoteKey(keyPrefix: string, environment: string, cluster: string): string {
  return platformRemoteKey(keyPrefix, environment, 'clusters', cluster, 'master');
}

/** A managed cluster's platform logins besides the master user (Aurora: lib/backends/aws-aurora/aurora-sql.ts). */
export type ClusterPlatformLogin = 'admin' | 'exporter';

/** `<keyPrefix>/<environment>/platform/clusters/<cluster>/<login>`: a platform login of a managed cluster. */
export function clusterLoginRemoteKey(keyPrefix: string, environment: string, cluster: string, login: ClusterPlatformLogin): string {
  return platformRemoteKey(keyPrefix, environment, 'clusters', cluster, login);
}

/**
 * Which value a key holds. Keys of one owner are one value (a standby reads its source's); two
 * owners never share a (remote key, property) pair, except that read-write object-store credentials
 * may be shared between object stores (not between the two sites of a DR pair: dr-sites.ts), and a MongoDB URI between snapshots.
 */
export type StoreKeyOwner =
  | { readonly kind: 'service'; readonly keyEnvironment: string; readonly service: string; readonly generation: number }
  | { readonly kind: 'developer'; readonly keyEnvironment: string; readonly developer: string }
  | { readonly kind: 'access-role'; readonly keyEnvironment: string }
  | { readonly kind: 'cluster-master'; readonly keyEnvironment: string; readonly cluster: string }
  | { readonly kind: 'cluster-login'; readonly keyEnvironment: string; readonly cluster: string; readonly login: ClusterPlatformLogin }
  /** `environment`: the one whose `backups.objectStore` names the key. */
  | { readonly kind: 'object-store'; readonly environment: string }
  /** `environment`: whose bucket the key reads; only the other site of its DR pair reads it. */
  | { readonly kind: 'object-store-read-only'; readonly environment: string }
  | { readonly kind: 'mongo-snapshot'; readonly snapshot: string };

/** Whose store keys an environment reads: a DR standby shares its source's passwords (identical after promotion). */
export function secretsEnvironment(environment: Environment): string {
  return environment.dr?.source ?? environment.name;
}

/**
 * A service's login slots and the one its app uses, in an environment (credential-rotation.ts).
 * A standby follows its source's keys and rotation, so its roles are the same after promotion.
 */
export function serviceCredentials(fleet: Fleet, environment: Environment, service: Service): CredentialLayout {
  const source = secretsEnvironment(environment);
  return credentialLayout(service, fleet.secretStore.keyPrefix, source, service.rotation?.[source]);
}

/** The store keys of one environment, in a stable order: services, developers, the rest. */
export function environmentStoreKeys(fleet: Fleet, environment: Environment): StoreKey[] {
  const { keyPrefix, passwords } = fleet.secretStore;
  // Only a standby's source generates the passwords (docs/disaster-recovery.md): on the standby they are expected.
  const keyEnvironment = secretsEnvironment(environment);
  const passwordOrigin: StoreKeyOrigin =
    passwords !== 'generate' ? 'expected' : environment.dr?.standby ? 'generated-by-source' : 'generated';
  const passwordCreatedBy = passwords !== 'generate' ? 'you' : `dbfleet (PushSecret in ${keyEnvironment})`;
  // A service's password keys: one, or two while a rotation is under way (credential-rotation.ts).
  // Where the retired login clears its own password, it reads its key once more at the done step.
  const retiredReadsItsKey = backendTraits(environment.operator).rotationRetire === 'own-login';
  const keys: StoreKey[] = environment.services.flatMap((service: Service) => {
    const layout = serviceCredentials(fleet, environment, service);
    return layout.slots
      .filter((slot) => slot.login || (retiredReadsItsKey && slot.generation !== undefined))
      .map((slot): StoreKey => ({
        name: slot.generation ? `${service.name}-db-rotation-${slot.generation}` : `${service.name}-db`,
        environment: environment.name,
        remoteKey: slot.remoteKey!,
        property: 'password',
        origin: passwordOrigin,
        createdBy: passwordCreatedBy,
        purpose:
          `password of role ${slot.role} (${slot.role === service.role ? 'owner' : `acting as ${service.role}, owner`} of database ${service.database})` +
          (slot === layout.app ? '' : slot.login ? ' — not yet or no longer used by the app' : ' — retired: read only to clear it'),
        readBy: slot === layout.app ? [...new Set([environment.namespace, service.namespace])] : [environment.namespace],
        owner: { kind: 'service', keyEnvironment, service: service.name, generation: slot.generation! },
      }));
  });
  const traits = backendTraits(environment.operator);
  // Developer roles and their Secrets exist only where developers have access (and log in with a password).
  if (environment.developerAccess !== 'none' && traits.developerPasswords !== false) {
    for (const developer of fleet.developers) {
      keys.push({
        name: `developer-${developer}`,
        environment: environment.name,
        remoteKey: developerRemoteKey(keyPrefix, keyEnvironment, developer),
        property: 'password',
        origin: passwordOrigin,
        createdBy: passwordCreatedBy,
        purpose: `password of developer ${developer} (${environment.developerAccess})`,
        readBy: [environment.namespace],
        owner: { kind: 'developer', keyEnvironment, developer },
      });
    }
  }
  // A managed service's master user, per cluster (never given to apps: docs/aurora.md).
  if (traits.masterPassword) {
    for (const cluster of environment.clusters) {
      keys.push({
        name: `${cluster.name}-master`,
        environment: environment.name,
        remoteKey: clusterMasterRemoteKey(keyPrefix, keyEnvironment, cluster.name),
        property: 'password',
        origin: passwordOrigin,
        createdBy: passwordCreatedBy,
        purpose: `password of the master user of cluster ${cluster.name} (dbfleet's Jobs only)`,
        readBy: [environment.namespace],
        owner: { kind: 'cluster-master', keyEnvironment, cluster: cluster.name },
      });
      for (const [login, purpose] of [
        ['admin', 'creates the roles and databases'],
        ['exporter', 'postgres_exporter, pg_monitor'],
      ] as const) {
        keys.push({
          name: `${cluster.name}-${login}`,
          environment: environment.name,
          remoteKey: clusterLoginRemoteKey(keyPrefix, keyEnvironment, cluster.name, login),
          property: 'password',
          origin: passwordOrigin,
          createdBy: passwordCreatedBy,
          purpose: `password of the platform login dbfleet_${login} of cluster ${cluster.name} (${purpose})`,
          readBy: [environment.namespace],
          owner: { kind: 'cluster-login', keyEnvironment, cluster: cluster.name, login },
        });
      }
    }
  }
  for (const snapshot of environment.mongoSnapshots) {
    keys.push({
      name: `mongo-snapshot-${snapshot.name}`,
      environment: environment.name,
      remoteKey: snapshot.remoteKey,
      property: snapshot.remoteProperty,
      origin: 'expected',
      createdBy: 'you',
      purpose: `MongoDB connection string of mongo-snapshot-${snapshot.name}`,
      readBy: [snapshot.namespace],
      owner: { kind: 'mongo-snapshot', snapshot: snapshot.name },
    });
  }
  const objectStore = environment.backups.objectStore;
  if (objectStore) {
    for (const property of [objectStore.accessKeyIdProperty, objectStore.secretAccessKeyProperty]) {
      keys.push({
        name: objectStore.name,
        environment: environment.name,
        remoteKey: objectStore.remoteKey,
        property,
        origin: 'expected',
        createdBy: 'you',
        purpose: `object store credentials of ${objectStore.destinationPath} (WAL archive and base backups)`,
        readBy: [environment.namespace],
        owner: { kind: 'object-store', environment: environment.name },
      });
    }
  }
  // The source of a pair that cannot switch over (Zalando) never reads its standby's archive.
  const peer = environment.dr?.standby || (traits.siteSwitchover ?? true) === true ? environment.dr?.peerObjectStore : undefined;
  if (peer) {
    for (const property of [peer.accessKeyIdProperty, peer.secretAccessKeyProperty]) {
      keys.push({
        name: peer.name,
        environment: environment.name,
        remoteKey: peer.remoteKey,
        property,
        origin: 'expected',
        createdBy: 'you',
        purpose: `READ-ONLY object store credentials of ${peer.destinationPath} (the ${environment.dr!.peer} site's WAL archive, read for replication and recovery; never ${environment.dr!.peer}'s read-write key)`,
        readBy: [environment.namespace],
        owner: { kind: 'object-store-read-only', environment: environment.dr!.peer },
      });
    }
  }
  return keys;
}

/** Every environment's store keys, environments in fleet order. */
export function fleetStoreKeys(fleet: Fleet): StoreKey[] {
  return fleet.environments.flatMap((environment) => environmentStoreKeys(fleet, environment));
}
