import { Construct } from 'constructs';
import type { SecretStoreRef } from '../../config/model';
import { zalandoCredentialSecretName } from './zalando-cluster';
import { StoreSecret } from '../../secrets/store-secret';

export interface ZalandoRoleCredentialsProps {
  /** The Postgres role (a key of the postgresql's `users`). */
  readonly role: string;
  /** The postgresql object's name. */
  readonly cluster: string;
  /** The cluster's namespace. */
  readonly namespace: string;
  readonly store: SecretStoreRef;
  /** Full remote key; its `password` property is used. */
  readonly remoteKey: string;
  readonly labels: Record<string, string>;
  /**
   * The Secret's `username` when it is not the role: the owner's rotation user (zalando-rotation.ts),
   * which the operator then creates as a member of `role`. @default role
   */
  readonly username?: string;
  /**
   * The Secret's `nextRotation`, for a user in `usersWithSecretRotation` (zalando-rotation.ts).
   * @default none
   */
  readonly nextRotation?: string;
}

/**
 * The credentials Secret Zalando's operator expects for a role,
 * `<role>.<cluster>.credentials.postgresql.acid.zalan.do` with `username` and `password`,
 * written by External Secrets from the store before the operator would generate one: the
 * operator reuses the password of an existing Secret and sets the role's password to it on
 * every sync (zalando/postgres-operator@v2.0.1:pkg/cluster/sync.go updateSecret, "for
 * non-infrastructure role - update the role with username and password from secret"), so the
 * store stays the only source of passwords, as on CloudNativePG.
 *
 * `creationPolicy: Orphan`: the operator resets the owner references of the Secrets it syncs to
 * its own (none unless `enable_owner_references`); an owning ExternalSecret would put its
 * reference back on every refresh, a tug of war. Orphan updates the Secret without owning it.
 * Type Opaque, as the operator creates them.
 */
export class ZalandoRoleCredentials extends Construct {
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: ZalandoRoleCredentialsProps) {
    super(scope, id);
    this.secretName = zalandoCredentialSecretName(props.role, props.cluster);
    new StoreSecret(this, 'Resource', {
      name: this.secretName,
      namespace: props.namespace,
      labels: props.labels,
      store: props.store,
      remoteKey: props.remoteKey,
      properties: [{ secretKey: 'password', property: 'password' }],
      templateData: { username: props.username ?? props.role, ...(props.nextRotation ? { nextRotation: props.nextRotation } : {}) },
      secretLabels: props.labels,
      creationPolicy: 'Orphan',
    });
  }
}
