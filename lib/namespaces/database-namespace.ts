import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';

export interface DatabaseNamespaceProps {
  readonly name: string;
  readonly labels: Record<string, string>;
  /**
   * Pod Security level enforced. Zalando's operator builds Spilo containers without
   * `capabilities.drop`, `seccompProfile` or `runAsNonRoot` (zalando/postgres-operator@v2.0.1:
   * pkg/cluster/k8sres.go generateContainer), which `restricted` rejects: its namespaces enforce
   * `baseline` and only warn and audit against `restricted`.
   * @default restricted
   */
  readonly podSecurity?: 'restricted' | 'baseline';
}

/**
 * The namespace the clusters live in, labelled for Pod Security Admission: `restricted` is
 * enforced for everything dbfleet runs there (CloudNativePG's instances comply).
 */
export class DatabaseNamespace extends Construct {
  readonly namespaceName: string;

  constructor(scope: Construct, id: string, props: DatabaseNamespaceProps) {
    super(scope, id);
    this.namespaceName = props.name;
    new k8s.KubeNamespace(this, 'Resource', {
      metadata: {
        name: props.name,
        labels: {
          ...props.labels,
          'pod-security.kubernetes.io/enforce': props.podSecurity ?? 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'v1.28',
          ...(props.podSecurity === 'baseline'
            ? {
                'pod-security.kubernetes.io/warn': 'restricted',
                'pod-security.kubernetes.io/warn-version': 'v1.28',
                'pod-security.kubernetes.io/audit': 'restricted',
                'pod-security.kubernetes.io/audit-version': 'v1.28',
              }
            : {}),
        },
      },
    });
  }
}
