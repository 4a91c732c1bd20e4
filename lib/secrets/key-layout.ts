// Where dbfleet's values live in the secret store. Two trees per environment that can never
// overlap, whatever a service is called:
//   <keyPrefix>/<environment>/services/<service>[/rotation-<g>]   a service's owner password
//   <keyPrefix>/<environment>/platform/<…>                        everything else dbfleet owns
//                                                                 (developers, the access role)
// A service name is a DNS label (no "/"), so `services/<service>` is one level below a fixed
// word and a service can only ever reach its own keys: a service named `dbfleet-access` or
// `object-store` lands in `services/dbfleet-access`, not on the platform's values. Store
// policies can then grant a team `…/services/<its service>` and nobody but the platform
// `…/platform/*`. Keys the fleet file names itself (object-store credentials, MongoDB URIs) are
// checked for collisions with these and each other (lib/secrets/key-uniqueness.ts).

/** The folder of service passwords under an environment. */
export const SERVICES_FOLDER = 'services';
/** The folder of everything else dbfleet reads or generates under an environment. */
export const PLATFORM_FOLDER = 'platform';

/** `<keyPrefix>/<environment>/services/<service>`: a service's password before any rotation. */
export function serviceKeyBase(keyPrefix: string, environment: string, service: string): string {
  return `${keyPrefix}/${environment}/${SERVICES_FOLDER}/${service}`;
}

/** `<keyPrefix>/<environment>/platform/<parts…>`. */
export function platformRemoteKey(keyPrefix: string, environment: string, ...parts: string[]): string {
  return [keyPrefix, environment, PLATFORM_FOLDER, ...parts].join('/');
}
