import { Construct } from 'constructs';
import type { SecretStoreRef } from '../config/model';
import { StoreSecret } from './store-secret';

export interface RoleCredentialsProps {
  /** Secret name in the cluster's namespace. */
  readonly name: string;
  readonly namespace: string;
  /** The Postgres role; CloudNativePG requires the Secret's username to equal it. */
  readonly username: string;
  readonly store: SecretStoreRef;
  /** Full remote key, e.g. `databases/production/orders`; its `password` property is used. */
  readonly remoteKey: string;
  readonly labels: Record<string, string>;
  /** @default none */
  readonly annotations?: Record<string, string>;
}

/**
 * The `kubernetes.io/basic-auth` Secret a CloudNativePG managed role reads its password from.
 * The username is fixed here (it must match the role); only the password comes from the store.
 * `cnpg.io/reload` makes the operator pick up a rotated password without a restart.
 */
export class RoleCredentials extends Construct {
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: RoleCredentialsProps) {
    super(scope, id);
    this.secretName = props.name;
    new StoreSecret(this, 'Resource', {
      name: props.name,
      namespace: props.namespace,
      labels: props.labels,
      annotations: props.annotations,
      store: props.store,
      remoteKey: props.remoteKey,
      properties: [{ secretKey: 'password', property: 'password' }],
      type: 'kubernetes.io/basic-auth',
      templateData: { username: props.username },
      secretLabels: { ...props.labels, 'cnpg.io/reload': 'true' },
    });
  }
}
