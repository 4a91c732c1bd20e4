// One store value, one purpose: every (remote key, property) pair the fleet renders belongs to
// exactly one owner (store-keys.ts StoreKeyOwner). Two owners on one pair would hand one value to
// both: a service's app Secret carrying the access role's password (a service named
// `dbfleet-access` under the old flat layout), or an object-store key read as a service password.
// The services/platform layout (key-layout.ts) makes dbfleet's own keys disjoint by construction;
// this check also covers the keys the fleet file names itself (object-store credentials, MongoDB
// URIs), which may point anywhere.
import type { ConfigPath, ConfigProblem } from '../config/load';
import type { Fleet } from '../config/model';
import { SERVICES_FOLDER } from './key-layout';
import { fleetStoreKeys, type StoreKey, type StoreKeyOwner } from './store-keys';

/** Where the fleet file sets what makes each owner's key (for file:line:path). */
export interface KeySettings {
  /** Index of a service in `services:` (as the files list them) by name. */
  readonly serviceIndex: (name: string) => number;
  /** Index of a mongo snapshot in `mongoSnapshots:` by name. */
  readonly mongoSnapshotIndex: (name: string) => number;
}

/** The same for every key of one value: object-store credentials and MongoDB URIs may be shared within their kind. */
function valueIdentity(owner: StoreKeyOwner): string {
  switch (owner.kind) {
    case 'object-store':
    case 'mongo-snapshot':
      return owner.kind;
    default:
      return JSON.stringify(owner);
  }
}

/** Keys the fleet file names (rather than dbfleet deriving them from names). */
const isNamedInFleetFile = (owner: StoreKeyOwner) => owner.kind === 'object-store' || owner.kind === 'mongo-snapshot';

function settingOf(fleet: Fleet, owner: StoreKeyOwner, settings: KeySettings): ConfigPath {
  switch (owner.kind) {
    case 'service':
      return ['services', settings.serviceIndex(owner.service), 'name'];
    case 'developer':
      return ['developers', fleet.developers.indexOf(owner.developer)];
    case 'access-role':
    case 'cluster-master':
    case 'cluster-login':
    case 'object-store-read-only':
      return ['secretStore', 'keyPrefix'];
    case 'object-store':
      return ['environments', owner.environment, 'backups', 'objectStore', 'credentials', 'remoteKey'];
    case 'mongo-snapshot':
      return ['mongoSnapshots', settings.mongoSnapshotIndex(owner.snapshot), 'connectionSecret', 'remoteKey'];
  }
}

function describeOwner(owner: StoreKeyOwner): string {
  switch (owner.kind) {
    case 'service':
      return `the password of service "${owner.service}" (${owner.keyEnvironment}${owner.generation ? `, rotation ${owner.generation}` : ''})`;
    case 'developer':
      return `the password of developer "${owner.developer}" (${owner.keyEnvironment})`;
    case 'access-role':
      return `the developer-access role's password (${owner.keyEnvironment})`;
    case 'cluster-master':
      return `the master password of cluster "${owner.cluster}" (${owner.keyEnvironment})`;
    case 'cluster-login':
      return `the dbfleet_${owner.login} password of cluster "${owner.cluster}" (${owner.keyEnvironment})`;
    case 'object-store':
      return `the object-store credentials of environment "${owner.environment}"`;
    case 'object-store-read-only':
      return `the read-only object-store credentials of environment "${owner.environment}"`;
    case 'mongo-snapshot':
      return `the MongoDB connection string of snapshot "${owner.snapshot}"`;
  }
}

/** Every collision of the fleet's store keys, each reported at the setting of the key that collides. */
export function storeKeyProblems(fleet: Fleet, settings: KeySettings): ConfigProblem[] {
  const keys = fleetStoreKeys(fleet);
  const problems = new Map<string, ConfigProblem>();
  const report = (key: StoreKey, message: string) => {
    const path = settingOf(fleet, key.owner, settings);
    problems.set(`${JSON.stringify(path)} ${message}`, { path, message });
  };
  const byPair = new Map<string, StoreKey>();
  for (const key of keys) {
    const pair = `${key.remoteKey}\u0000${key.property}`;
    const first = byPair.get(pair);
    if (!first) byPair.set(pair, key);
    else if (valueIdentity(first.owner) !== valueIdentity(key.owner)) {
      const [named, other] = isNamedInFleetFile(key.owner) || !isNamedInFleetFile(first.owner) ? [key, first] : [first, key];
      report(
        named,
        `store key "${key.remoteKey}" property "${key.property}" would be both ${describeOwner(named.owner)} and ${describeOwner(other.owner)}: one value cannot serve two purposes; choose another remote key`,
      );
    }
  }
  // A key the fleet file names must also stay out of dbfleet's own trees: store policies grant a
  // team `<keyPrefix>/<env>/services/<service>/*`, and a value placed under it would be theirs.
  const derived = keys.filter((k) => !isNamedInFleetFile(k.owner));
  const environments = fleet.environments.map((e) => e.name);
  for (const key of keys.filter((k) => isNamedInFleetFile(k.owner))) {
    const inside = derived.find((d) => key.remoteKey === d.remoteKey || key.remoteKey.startsWith(`${d.remoteKey}/`));
    const servicesTree = environments
      .map((e) => `${fleet.secretStore.keyPrefix}/${e}/${SERVICES_FOLDER}/`)
      .find((tree) => key.remoteKey.startsWith(tree) || `${key.remoteKey}/` === tree);
    if (inside)
      report(
        key,
        `store key "${key.remoteKey}" lies in the store path of ${describeOwner(inside.owner)} ("${inside.remoteKey}"): whoever may read that path would read this value; choose a key outside it (e.g. ${fleet.secretStore.keyPrefix}/<environment>/platform/…)`,
      );
    else if (servicesTree)
      report(
        key,
        `store key "${key.remoteKey}" is under "${servicesTree}", which is reserved for service passwords (lib/secrets/key-layout.ts); choose a key outside it (e.g. ${fleet.secretStore.keyPrefix}/<environment>/platform/…)`,
      );
  }
  return [...problems.values()];
}
