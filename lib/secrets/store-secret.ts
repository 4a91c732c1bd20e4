import { Construct } from 'constructs';
import {
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
  ExternalSecretSpecTargetTemplateEngineVersion,
  ExternalSecretSpecTargetTemplateMergePolicy,
} from '../../imports/external-secrets.io';
import type { SecretStoreRef } from '../config/model';

export interface StoreSecretProps {
  /** Name of the ExternalSecret and of the Secret it materialises. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Annotations for the ExternalSecret (e.g. Argo CD sync waves). @default none */
  readonly annotations?: Record<string, string>;
  readonly store: SecretStoreRef;
  /** Key in the store, below nothing: the full remote key. */
  readonly remoteKey: string;
  /** Secret keys and the store properties they come from. */
  readonly properties: ReadonlyArray<{ readonly secretKey: string; readonly property: string }>;
  /** Secret type. @default Opaque */
  readonly type?: string;
  /**
   * Extra literal or templated keys of the Secret (ESO template engine v2, Go templates over
   * the fetched properties). When set, the fetched keys appear only through the template.
   * @default the fetched properties as they are
   */
  readonly templateData?: Record<string, string>;
  /** Labels of the materialised Secret. @default none */
  readonly secretLabels?: Record<string, string>;
  /**
   * `Orphan` for a Secret another controller also writes to and strips owner references from
   * (Zalando's operator): ESO then updates it without claiming it. @default Owner
   */
  readonly creationPolicy?: 'Owner' | 'Orphan';
}

/**
 * An ExternalSecret that materialises one Kubernetes Secret from the fleet's secret store.
 * The secret value never passes through git: dist/ holds only the reference.
 * Every field the API server would default is written out, so Argo CD shows no drift.
 */
export class StoreSecret extends Construct {
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: StoreSecretProps) {
    super(scope, id);
    this.secretName = props.name;
    const templateData = props.templateData
      ? { ...Object.fromEntries(props.properties.map((p) => [p.secretKey, `{{ .${p.secretKey} }}`])), ...props.templateData }
      : undefined;
    new ExternalSecret(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels, annotations: props.annotations },
      spec: {
        refreshInterval: props.store.refreshInterval,
        secretStoreRef: { kind: props.store.kind as ExternalSecretSpecSecretStoreRefKind, name: props.store.name },
        target: {
          name: props.name,
          creationPolicy:
            props.creationPolicy === 'Orphan'
              ? ExternalSecretSpecTargetCreationPolicy.ORPHAN
              : ExternalSecretSpecTargetCreationPolicy.OWNER,
          deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
          template: {
            type: props.type ?? 'Opaque',
            engineVersion: ExternalSecretSpecTargetTemplateEngineVersion.V2,
            mergePolicy: ExternalSecretSpecTargetTemplateMergePolicy.REPLACE,
            metadata: props.secretLabels ? { labels: props.secretLabels } : undefined,
            data: templateData ? sortKeys(templateData) : undefined,
          },
        },
        data: props.properties.map((p) => ({ secretKey: p.secretKey, remoteRef: { key: props.remoteKey, property: p.property } })),
      },
    });
  }
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
