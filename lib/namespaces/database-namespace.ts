import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';

export interface DatabaseNamespaceProps {
  readonly name: string;
  readonly labels: Record<string, string>;
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
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'v1.28',
        },
      },
    });
  }
}
