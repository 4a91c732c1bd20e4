import { Construct } from 'constructs';
import type { SecretStoreRef } from '../config/model';
import { developerRoleName } from '../config/names';
import { RoleCredentials } from '../secrets/role-credentials';
import { developerRemoteKey, developerSecretName } from './developer-roles';

export interface DeveloperCredentialsProps {
  /** Developer names from `developers:`. */
  readonly developers: readonly string[];
  /** The environment: part of the remote key `<keyPrefix>/<environment>/developers/<name>`. */
  readonly environment: string;
  /** Where the environment's clusters live: CloudNativePG reads `passwordSecret` from the Cluster's namespace. */
  readonly namespace: string;
  readonly store: SecretStoreRef;
  /** Labels of the ExternalSecrets and the Secrets they produce. */
  readonly labels: Record<string, string>;
}

/**
 * One `kubernetes.io/basic-auth` Secret per developer in an environment's cluster namespace, read
 * by the developer's managed role (developer-roles.ts) in every cluster of that namespace. The
 * password lives only in the secret store, per environment, so a developer's test password
 * never opens production. Render it only when the environment's `developerAccess` is not `none`.
 */
export class DeveloperCredentials extends Construct {
  /** Secret name per developer name. */
  readonly secretNames: ReadonlyMap<string, string>;

  constructor(scope: Construct, id: string, props: DeveloperCredentialsProps) {
    super(scope, id);
    const names = new Map<string, string>();
    for (const developer of props.developers) {
      const credentials = new RoleCredentials(this, developer, {
        name: developerSecretName(developer),
        namespace: props.namespace,
        username: developerRoleName(developer),
        store: props.store,
        remoteKey: developerRemoteKey(props.store.keyPrefix, props.environment, developer),
        labels: props.labels,
      });
      names.set(developer, credentials.secretName);
    }
    this.secretNames = names;
  }
}
