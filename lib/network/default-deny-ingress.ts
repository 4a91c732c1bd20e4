import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';

export interface DefaultDenyIngressProps {
  readonly namespace: string;
  /** @default default-deny-ingress */
  readonly name?: string;
  readonly labels: Record<string, string>;
}

/** Denies all ingress to every pod of a namespace; each cluster's policy then opens what it needs. */
export class DefaultDenyIngress extends Construct {
  constructor(scope: Construct, id: string, props: DefaultDenyIngressProps) {
    super(scope, id);
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: props.name ?? 'default-deny-ingress', namespace: props.namespace, labels: props.labels },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
  }
}
