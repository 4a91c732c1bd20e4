import { describe, expect, it } from 'vitest';
import type { SecretStoreRef } from '../../lib/config/model';
import { DatabaseNamespace } from '../../lib/namespaces/database-namespace';
import { ClusterIngressPolicy } from '../../lib/network/cluster-ingress-policy';
import { DefaultDenyIngress } from '../../lib/network/default-deny-ingress';
import { CnpgCluster } from '../../lib/backends/cloudnative-pg/cnpg-cluster';
import { RoleCredentials } from '../../lib/secrets/role-credentials';
import { ServiceConnectionSecret } from '../../lib/secrets/service-connection-secret';
import { objectsOf, only, testChart } from '../support/synth';

const store: SecretStoreRef = { kind: 'ClusterSecretStore', name: 'vault', keyPrefix: 'databases', refreshInterval: '1h' };

describe('RoleCredentials', () => {
  it('an ExternalSecret for a basic-auth Secret: fixed username, password from the store', () => {
    const chart = testChart();
    new RoleCredentials(chart, 'Creds', {
      name: 'orders-db-credentials',
      namespace: 'databases',
      username: 'orders',
      store,
      remoteKey: 'databases/test/orders',
      labels: { l: 'v' },
    });
    const es = only(objectsOf(chart), 'ExternalSecret');
    expect(es.apiVersion).toBe('external-secrets.io/v1');
    expect(es.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
      target: {
        name: 'orders-db-credentials',
        creationPolicy: 'Owner',
        deletionPolicy: 'Retain',
        template: {
          type: 'kubernetes.io/basic-auth',
          engineVersion: 'v2',
          mergePolicy: 'Replace',
          metadata: { labels: { l: 'v', 'cnpg.io/reload': 'true' } },
          data: { password: '{{ .password }}', username: 'orders' },
        },
      },
      data: [{ secretKey: 'password', remoteRef: { key: 'databases/test/orders', property: 'password' } }],
    });
  });
});

describe('ServiceConnectionSecret', () => {
  it('puts host, port, dbname and URIs next to the app, with the password only as a template', () => {
    const chart = testChart();
    new ServiceConnectionSecret(chart, 'Conn', {
      name: 'orders-db',
      namespace: 'orders',
      username: 'orders',
      database: 'orders',
      host: 'acme-rw.databases.svc',
      port: 5432,
      store,
      remoteKey: 'databases/test/orders',
      labels: {},
    });
    const es = only(objectsOf(chart), 'ExternalSecret');
    expect(es.metadata.namespace).toBe('orders');
    expect(es.spec.target.template.data).toEqual({
      dbname: 'orders',
      host: 'acme-rw.databases.svc',
      'jdbc-uri': 'jdbc:postgresql://acme-rw.databases.svc:5432/orders?password={{ .password | urlquery }}&user=orders',
      'fqdn-jdbc-uri': 'jdbc:postgresql://acme-rw.databases.svc.cluster.local:5432/orders?password={{ .password | urlquery }}&user=orders',
      password: '{{ .password }}',
      pgpass: 'acme-rw.databases.svc:5432:orders:orders:{{ .password }}\n',
      port: '5432',
      uri: 'postgresql://orders:{{ .password | urlquery | replace "+" "%20" }}@acme-rw.databases.svc:5432/orders',
      'fqdn-uri': 'postgresql://orders:{{ .password | urlquery | replace "+" "%20" }}@acme-rw.databases.svc.cluster.local:5432/orders',
      username: 'orders',
      user: 'orders',
      // Without read-only or direct hosts given, every endpoint is `host` (test/pooling covers the rest).
      'ro-host': 'acme-rw.databases.svc',
      'ro-jdbc-uri': 'jdbc:postgresql://acme-rw.databases.svc:5432/orders?password={{ .password | urlquery }}&user=orders',
      'ro-uri': 'postgresql://orders:{{ .password | urlquery | replace "+" "%20" }}@acme-rw.databases.svc:5432/orders',
      'direct-host': 'acme-rw.databases.svc',
      'direct-jdbc-uri': 'jdbc:postgresql://acme-rw.databases.svc:5432/orders?password={{ .password | urlquery }}&user=orders',
      'direct-uri': 'postgresql://orders:{{ .password | urlquery | replace "+" "%20" }}@acme-rw.databases.svc:5432/orders',
      'direct-ro-host': 'acme-rw.databases.svc',
      'direct-ro-jdbc-uri': 'jdbc:postgresql://acme-rw.databases.svc:5432/orders?password={{ .password | urlquery }}&user=orders',
      'direct-ro-uri': 'postgresql://orders:{{ .password | urlquery | replace "+" "%20" }}@acme-rw.databases.svc:5432/orders',
    });
    expect(es.spec.data).toEqual([{ secretKey: 'password', remoteRef: { key: 'databases/test/orders', property: 'password' } }]);
  });
});

/**
 * The two template pipelines, evaluated as ESO's Go text/template would: `urlquery` is Go's
 * url.QueryEscape (every byte but A-Za-z0-9-_.~ as %XX, a space as '+'), sprig's `replace old new`.
 */
function goTemplate(template: string, password: string): string {
  const queryEscape = (value: string) =>
    [...Buffer.from(value, 'utf8')]
      .map((b) => {
        const c = String.fromCharCode(b);
        if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
        return c === ' ' ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
      })
      .join('');
  return template
    .replace(/\{\{ \.password \| urlquery \| replace "\+" "%20" \}\}/g, () => queryEscape(password).replace(/\+/g, '%20'))
    .replace(/\{\{ \.password \| urlquery \}\}/g, () => queryEscape(password))
    .replace(/\{\{ \.password \}\}/g, () => password);
}

describe('connection URIs carry any password intact (defect 6)', () => {
  const chart = testChart();
  new ServiceConnectionSecret(chart, 'Conn', {
    name: 'orders-db',
    namespace: 'orders',
    username: 'orders',
    database: 'orders',
    host: 'acme-rw.databases.svc',
    port: 5432,
    store,
    remoteKey: 'databases/test/orders',
    labels: {},
  });
  const data = only(objectsOf(chart), 'ExternalSecret').spec.target.template.data as Record<string, string>;
  const passwords = ['plain', 'with space', 'a+b', 'p@ss:w/rd?#%', 'quote\'"&=;,$!*()', 'ünïcødé €', '%20+%2B'];

  it.each(passwords)('uri and fqdn-uri: the user-info decodes to %j (a space is %20, never +)', (password) => {
    for (const key of ['uri', 'fqdn-uri']) {
      const url = new URL(goTemplate(data[key], password));
      expect(decodeURIComponent(url.password)).toBe(password);
      expect(url.username).toBe('orders');
      expect(url.pathname).toBe('/orders');
    }
    expect(new URL(goTemplate(data['fqdn-uri'], password)).hostname).toBe('acme-rw.databases.svc.cluster.local');
  });

  it.each(passwords)('jdbc-uri and fqdn-jdbc-uri: the query decodes to %j (form encoding, as CloudNativePG writes it)', (password) => {
    for (const key of ['jdbc-uri', 'fqdn-jdbc-uri']) {
      const query = new URL(goTemplate(data[key], password).replace(/^jdbc:/, '')).searchParams;
      expect(query.get('password')).toBe(password);
      expect(query.get('user')).toBe('orders');
    }
  });
});

describe('network policies', () => {
  it('DefaultDenyIngress selects every pod and allows nothing', () => {
    const chart = testChart();
    new DefaultDenyIngress(chart, 'Deny', { namespace: 'databases', labels: {} });
    expect(only(objectsOf(chart), 'NetworkPolicy').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
  });

  it('ClusterIngressPolicy opens 5432 to service namespaces, 8000 to the operator and own pods, 9187 to monitoring', () => {
    const chart = testChart();
    const cluster = new CnpgCluster(chart, 'Cluster', {
      name: 'shared',
      namespace: 'databases',
      instances: 1,
      storage: '1Gi',
      imageName: 'img',
      databases: [],
      labels: {},
    });
    new ClusterIngressPolicy(chart, 'Ingress', {
      cluster,
      clientNamespaces: ['payments', 'orders', 'orders'],
      operatorNamespace: 'cnpg-system',
      monitoringNamespace: 'monitoring',
      labels: {},
    });
    const policy = only(objectsOf(chart), 'NetworkPolicy');
    const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
    expect(policy.metadata.name).toBe('shared-ingress');
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'cnpg.io/cluster': 'shared', 'cnpg.io/podRole': 'instance' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['orders', 'payments'] }],
              },
            },
          ],
          ports: tcp(5432),
        },
        { from: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'shared' } } }], ports: tcp(5432, 8000) },
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' } } }], ports: tcp(5432, 8000) },
        { from: [{ podSelector: { matchLabels: { 'dbfleet.io/access-client': 'shared' } } }], ports: tcp(5432) },
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: tcp(9187) },
      ],
    });
  });
});

describe('DatabaseNamespace', () => {
  it('enforces the restricted Pod Security Standard', () => {
    const chart = testChart();
    new DatabaseNamespace(chart, 'Ns', { name: 'databases', labels: { a: 'b' } });
    expect(only(objectsOf(chart), 'Namespace').metadata).toEqual({
      name: 'databases',
      labels: { a: 'b', 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.28' },
    });
  });
});
