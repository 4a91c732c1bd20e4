import { Construct } from 'constructs';
import { Password } from '../../imports/generators.external-secrets.io';

/**
 * The password shape: 32 characters of letters and digits, no symbols. 190 bits of entropy, and
 * nothing that needs escaping anywhere the app's Secret puts it (URI user-info, JDBC query,
 * libpq key=value, the `:`-separated pgpass line).
 */
export const GENERATED_PASSWORD = { length: 32, digits: 8, symbols: 0, noUpper: false, allowRepeat: true } as const;

export interface PasswordGeneratorProps {
  readonly name: string;
  /** Generators are namespaced: the PushSecrets that use it live here. */
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

/**
 * An External Secrets `Password` generator (generators.external-secrets.io/v1alpha1). It holds
 * no value: each PushSecret that references it draws a fresh password from it
 * (external-secrets@v2.9.0:generators/v1/password/password.go). `symbols: 0` is honoured
 * because the field is a pointer there; unset it would be 25 % of the length.
 */
export class PasswordGenerator extends Construct {
  readonly generatorName: string;

  constructor(scope: Construct, id: string, props: PasswordGeneratorProps) {
    super(scope, id);
    this.generatorName = props.name;
    new Password(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: { ...GENERATED_PASSWORD },
    });
  }
}
