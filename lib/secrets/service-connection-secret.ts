import { Construct } from 'constructs';
import type { SecretStoreRef } from '../config/model';
import { SYNC_OPTIONS_ANNOTATION } from '../gitops/sync-policy';
import { StoreSecret } from './store-secret';

export interface ServiceConnectionSecretProps {
  /** Secret name in the service's namespace. */
  readonly name: string;
  /** The service's namespace. */
  readonly namespace: string;
  readonly username: string;
  readonly database: string;
  /** DNS name apps write through: the read-write pooler when pooling is on, else the primary's Service. */
  readonly host: string;
  /**
   * DNS name apps read through (`ro-*` keys): the read-only pooler, else the replicas' Service.
   * @default host (a cluster without replicas has no read-only endpoint)
   */
  readonly readOnlyHost?: string;
  /**
   * The primary's own Service, bypassing any pooler (`direct-*` keys: migrations, session features).
   * @default host
   */
  readonly directHost?: string;
  /**
   * The replicas' own Service, bypassing any pooler (`direct-ro-*` keys).
   * @default readOnlyHost
   */
  readonly directReadOnlyHost?: string;
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
  /**
   * Only the read endpoints (`ro-*`, `direct-ro-*`, and `pgpass` for their hosts): a Secret for
   * read traffic, with no key naming a writable endpoint (a DR site's `<service>-db-readonly`).
   * @default false
   */
  readonly readOnly?: boolean;
}

/**
 * Everything an application needs to connect, in its own namespace and in one Secret: the keys
 * CloudNativePG's own `<cluster>-app` Secret has (username, user, password, host, port, dbname,
 * uri, jdbc-uri, fqdn-uri, fqdn-jdbc-uri, pgpass; cloudnative-pg@v1.30.0:pkg/specs/secrets.go),
 * so apps written for CloudNativePG read it unchanged, plus the read endpoint (`ro-host`,
 * `ro-uri`, `ro-jdbc-uri`) and the endpoints that bypass a pooler (`direct-*`, `direct-ro-*`).
 * Every key is always present, pooler or not, so an app reads the same keys in every environment;
 * `pgpass` has a line per distinct host. As in CloudNativePG, the password is percent-encoded
 * in the user-info of a URI (a space is %20: Go's url.UserPassword) and form-encoded in the query
 * of a JDBC URL (a space is +: url.Values.Encode).
 */
export class ServiceConnectionSecret extends Construct {
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: ServiceConnectionSecretProps) {
    super(scope, id);
    this.secretName = props.name;
    const { username, database, host, port } = props;
    const readOnlyHost = props.readOnlyHost ?? host;
    const directHost = props.directHost ?? host;
    const directReadOnlyHost = props.directReadOnlyHost ?? readOnlyHost;
    // Go templates (ESO engine v2, text/template + sprig). urlquery (url.QueryEscape) escapes
    // every byte but A-Za-z0-9-_.~ and writes a space as '+', which in the user-info of a URI is a
    // literal plus: every '+' it outputs stands for a space (a real '+' became %2B), so turning
    // them into %20 gives a correct user-info encoding.
    const inUserInfo = '{{ .password | urlquery | replace "+" "%20" }}';
    const inQuery = '{{ .password | urlquery }}';
    // CloudNativePG's fqdn keys: <service>.<namespace>.svc.<cluster domain>.
    const fqdnHost = host.endsWith('.svc') ? `${host}.${props.clusterDomain ?? 'cluster.local'}` : host;
    const endpoint = (prefix: string, h: string) => ({
      [`${prefix}host`]: h,
      [`${prefix}uri`]: `postgresql://${username}:${inUserInfo}@${h}:${port}/${database}`,
      [`${prefix}jdbc-uri`]: `jdbc:postgresql://${h}:${port}/${database}?password=${inQuery}&user=${username}`,
    });
    const pgpass = [...new Set(props.readOnly ? [readOnlyHost, directReadOnlyHost] : [host, readOnlyHost, directHost, directReadOnlyHost])]
      .map((h) => `${h}:${port}:${database}:${username}:{{ .password }}\n`)
      .join('');
    new StoreSecret(this, 'Resource', {
      name: props.name,
      namespace: props.namespace,
      labels: props.labels,
      // Removing a service from git must not delete the credentials its pods still use: pruning
      // this ExternalSecret would garbage-collect the Secret (creationPolicy: Owner). With
      // Prune=false Argo CD skips it ("ignored (no prune)", argo-cd@v3.5.1
      // gitops-engine/pkg/sync/sync_context.go) and the Application stays OutOfSync with the
      // resource marked requiresPruning (controller/state.go) until someone deletes it by hand —
      // then the Secret goes with it. Not Delete=false: deleting the whole Application is explicit.
      annotations: { [SYNC_OPTIONS_ANNOTATION]: 'Prune=false' },
      store: props.store,
      remoteKey: props.remoteKey,
      properties: [{ secretKey: 'password', property: 'password' }],
      secretLabels: props.labels,
      templateData: {
        username,
        user: username,
        port: String(port),
        dbname: database,
        ...(props.readOnly
          ? {}
          : {
              ...endpoint('', host),
              'fqdn-uri': `postgresql://${username}:${inUserInfo}@${fqdnHost}:${port}/${database}`,
              'fqdn-jdbc-uri': `jdbc:postgresql://${fqdnHost}:${port}/${database}?password=${inQuery}&user=${username}`,
            }),
        ...endpoint('ro-', readOnlyHost),
        ...(props.readOnly ? {} : endpoint('direct-', directHost)),
        ...endpoint('direct-ro-', directReadOnlyHost),
        pgpass,
      },
    });
  }
}
