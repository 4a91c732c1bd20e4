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
  /**
   * The Kubernetes cluster's DNS domain, for the `fqdn-*` keys (CloudNativePG's
   * KUBERNETES_CLUSTER_DOMAIN). @default 'cluster.local'
   */
  readonly clusterDomain?: string;
}

/**
 * Everything an application needs to connect, in its own namespace and in one Secret: the keys
 * CloudNativePG's own `<cluster>-app` Secret has (username, user, password, host, port, dbname,
 * uri, jdbc-uri, fqdn-uri, fqdn-jdbc-uri, pgpass; cloudnative-pg@v1.30.0:pkg/specs/secrets.go),
 * so apps written for CloudNativePG read it unchanged. As there, the password is percent-encoded
 * in the user-info of `uri` (a space is %20: Go's url.UserPassword) and form-encoded in the query
 * of `jdbc-uri` (a space is +: url.Values.Encode).
 */
export class ServiceConnectionSecret extends Construct {
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: ServiceConnectionSecretProps) {
    super(scope, id);
    this.secretName = props.name;
    const { username, database, host, port } = props;
    // Go templates (ESO engine v2, text/template + sprig). urlquery (url.QueryEscape) escapes
    // every byte but A-Za-z0-9-_.~ and writes a space as '+', which in the user-info of a URI is a
    // literal plus: every '+' it outputs stands for a space (a real '+' became %2B), so turning
    // them into %20 gives a correct user-info encoding.
    const inUserInfo = '{{ .password | urlquery | replace "+" "%20" }}';
    const inQuery = '{{ .password | urlquery }}';
    // CloudNativePG's fqdn keys: <service>.<namespace>.svc.<cluster domain>.
    const fqdnHost = host.endsWith('.svc') ? `${host}.${props.clusterDomain ?? 'cluster.local'}` : host;
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
        user: username,
        host,
        port: String(port),
        dbname: database,
        uri: `postgresql://${username}:${inUserInfo}@${host}:${port}/${database}`,
        'jdbc-uri': `jdbc:postgresql://${host}:${port}/${database}?password=${inQuery}&user=${username}`,
        'fqdn-uri': `postgresql://${username}:${inUserInfo}@${fqdnHost}:${port}/${database}`,
        'fqdn-jdbc-uri': `jdbc:postgresql://${fqdnHost}:${port}/${database}?password=${inQuery}&user=${username}`,
        pgpass: `${host}:${port}:${database}:${username}:{{ .password }}\n`,
      },
    });
  }
}
