import { Construct } from 'constructs';
import {
  PushSecret,
  PushSecretSpecDeletionPolicy,
  PushSecretSpecSecretStoreRefsKind,
  PushSecretSpecSelectorGeneratorRefKind,
  PushSecretSpecUpdatePolicy,
} from '../../imports/external-secrets.io';
import type { SecretStoreRef } from '../config/model';

export interface GeneratedPasswordProps {
  /** Name of the PushSecret. */
  readonly name: string;
  /** Namespace of the PushSecret, the generator and (for kind SecretStore) the store. */
  readonly namespace: string;
  readonly store: SecretStoreRef;
  /** The Password generator in the same namespace. */
  readonly generator: string;
  /** Full remote key the password is created at; property `password`. */
  readonly remoteKey: string;
  readonly labels: Record<string, string>;
}

/**
 * Creates a password in the secret store once, and never again: a `PushSecret` that draws from
 * the Password generator and pushes with `updatePolicy: IfNotExists`.
 *
 * Why this can never replace a live password (external-secrets@v2.9.0):
 * - every refresh generates a new value, but `pushSecretEntry` asks the provider
 *   `SecretExists(remoteRef)` first and skips the push when it exists
 *   (pkg/controllers/pushsecret/pushsecret_controller.go);
 * - `deletionPolicy: None`: deleting or pruning the PushSecret removes no finalizer-driven
 *   cleanup, the remote value stays; re-creating it finds the value and pushes nothing.
 * Everything else (the role's Secret, the app's Secret) reads the value back from the store.
 * Argo CD's PushSecret health is Ready=True → Healthy (argo-cd@v3.5.1:
 * resource_customizations/external-secrets.io/PushSecret/health.lua), so a wave that holds it
 * completes only once the value exists: the readers sync after it.
 */
export class GeneratedPassword extends Construct {
  constructor(scope: Construct, id: string, props: GeneratedPasswordProps) {
    super(scope, id);
    new PushSecret(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        refreshInterval: props.store.refreshInterval,
        updatePolicy: PushSecretSpecUpdatePolicy.IF_NOT_EXISTS,
        deletionPolicy: PushSecretSpecDeletionPolicy.NONE,
        secretStoreRefs: [{ kind: props.store.kind as PushSecretSpecSecretStoreRefsKind, name: props.store.name }],
        selector: {
          generatorRef: {
            apiVersion: 'generators.external-secrets.io/v1alpha1',
            kind: PushSecretSpecSelectorGeneratorRefKind.PASSWORD,
            name: props.generator,
          },
        },
        data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: props.remoteKey, property: 'password' } } }],
      },
    });
  }
}
