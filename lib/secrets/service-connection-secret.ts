import { Construct } from 'constructs';
import type { SecretStoreRef } from '../config/model';
import { StoreSecret } from './store-secret';

export interface ServiceConnectionSecretProps {
  /** Secret name in the service's namespace. */
  readonly name: string;
  /** The service's namespace. */
  readonly namespace: string;
  readonly username: string;
  readonly database: string;
  /** DNS name of the cluster's read-write service. */
  readonly host: string;
  readonly port: number;
  readonly store: SecretStoreRef;
  /** Same remote key as the role's own credentials: one password, two places. */
  readonly remoteKey: string;
  readonly labels: Record<string, string>;
}

/**
 * Everything an application needs to connect, in its own namespace and in one Secret: the keys
 * CloudNativePG's own `<cluster>-app` Secret has (username, password, host, port, dbname, uri,
 * jdbc-uri, pgpass), so apps written for CloudNativePG read it unchanged.
 */
export class ServiceConnectionSecret extends Construct {
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: ServiceConnectionSecretProps) {
    super(scope, id);
    this.secretName = props.name;
    const { username, database, host, port } = props;
    // Go template (ESO engine v2); urlquery escapes the password for use inside a URI.
    const escaped = '{{ .password | urlquery }}';
    new StoreSecret(this, 'Resource', {
      name: props.name,
      namespace: props.namespace,
      labels: props.labels,
      store: props.store,
      remoteKey: props.remoteKey,
      properties: [{ secretKey: 'password', property: 'password' }],
      secretLabels: props.labels,
      templateData: {
        username,
        host,
        port: String(port),
        dbname: database,
        uri: `postgresql://${username}:${escaped}@${host}:${port}/${database}`,
        'jdbc-uri': `jdbc:postgresql://${host}:${port}/${database}?user=${username}&password=${escaped}`,
        pgpass: `${host}:${port}:${database}:${username}:{{ .password }}\n`,
      },
    });
  }
}
