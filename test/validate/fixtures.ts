// Small, valid objects of every kind the fleet renders (and every CRD kind in ../shared/crds).
// Negative tests copy one of these and break exactly one thing, so a rejection can only come from
// that one change.
export type Obj = Record<string, any>;

const meta = (name: string, namespace = 'orders') => ({ name, namespace, labels: { 'app.kubernetes.io/part-of': 'dbfleet' } });

export const valid: Record<string, Obj> = {
  // --- Kubernetes 1.28 built-ins ---
  Namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orders' } },
  Service: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('orders-db'),
    spec: { selector: { app: 'orders' }, ports: [{ name: 'pg', port: 5432, targetPort: 'postgres', protocol: 'TCP' }] },
  },
  ServiceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('orders') },
  Secret: {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('orders-app'),
    type: 'kubernetes.io/basic-auth',
    data: { username: 'b3JkZXJz' },
    stringData: { password: 'x' },
  },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('orders-conf'), data: { 'app.properties': 'a=b' } },
  Deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('orders'),
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'orders' } },
      template: {
        metadata: { labels: { app: 'orders' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'ghcr.io/acme/orders:1.0',
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
              ports: [{ containerPort: 8080 }],
            },
          ],
        },
      },
    },
  },
  CronJob: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta('mongo-snapshot'),
    spec: {
      schedule: '0 3 * * *',
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'snap', image: 'node:20' }] } } },
      },
    },
  },
  Job: {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta('migrate'),
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'x' }] } } },
  },
  NetworkPolicy: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('orders-db-ingress'),
    spec: {
      podSelector: { matchLabels: { 'cnpg.io/cluster': 'orders' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } } }],
          ports: [{ port: 5432, protocol: 'TCP' }],
        },
      ],
    },
  },
  Role: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta('reader'),
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
  },
  RoleBinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta('reader'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'orders', namespace: 'orders' }],
  },
  PodDisruptionBudget: {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta('orders'),
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'orders' } } },
  },

  // --- CloudNativePG 1.30 ---
  Cluster: {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: meta('orders'),
    spec: {
      instances: 3,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:16.4',
      storage: { size: '10Gi' },
      bootstrap: { initdb: { database: 'orders', owner: 'orders', localeProvider: 'icu', icuLocale: 'en-US' } },
      postgresql: { parameters: { max_connections: '200' }, synchronous: { method: 'any', number: 1 } },
      monitoring: { enablePodMonitor: true },
    },
  },
  Database: {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Database',
    metadata: meta('orders-app'),
    spec: { name: 'app', owner: 'orders', cluster: { name: 'orders' }, ensure: 'present', databaseReclaimPolicy: 'retain' },
  },
  Pooler: {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Pooler',
    metadata: meta('orders-rw'),
    spec: {
      cluster: { name: 'orders' },
      instances: 2,
      type: 'rw',
      pgbouncer: { poolMode: 'transaction', parameters: { max_client_conn: '1000' } },
    },
  },
  ScheduledBackup: {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'ScheduledBackup',
    metadata: meta('orders-daily'),
    spec: { schedule: '0 0 2 * * *', cluster: { name: 'orders' }, method: 'volumeSnapshot', backupOwnerReference: 'self' },
  },
  CnpgBackup: {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Backup',
    metadata: meta('orders-once'),
    spec: { cluster: { name: 'orders' }, method: 'volumeSnapshot' },
  },

  // --- Zalando postgres-operator 2.0 ---
  Zalando: {
    apiVersion: 'acid.zalan.do/v1',
    kind: 'postgresql',
    metadata: meta('acid-orders'),
    spec: {
      teamId: 'acid',
      numberOfInstances: 2,
      postgresql: { version: '16' },
      volume: { size: '1Gi' },
      users: { orders: ['superuser', 'createdb'] },
    },
  },

  // --- prometheus-operator 0.93 ---
  ServiceMonitor: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: meta('orders'),
    spec: { selector: { matchLabels: { app: 'orders' } }, endpoints: [{ port: 'metrics', interval: '30s' }] },
  },
  PodMonitor: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: meta('orders'),
    spec: { selector: { matchLabels: { 'cnpg.io/cluster': 'orders' } }, podMetricsEndpoints: [{ port: 'metrics' }] },
  },
  PrometheusRule: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: meta('orders'),
    spec: {
      groups: [{ name: 'orders.rules', rules: [{ alert: 'OrdersDown', expr: 'up == 0', for: '5m', labels: { severity: 'page' } }] }],
    },
  },

  // --- Velero 1.18 ---
  VeleroSchedule: {
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: meta('orders-daily', 'velero'),
    spec: { schedule: '0 1 * * *', template: { includedNamespaces: ['orders'], ttl: '720h0m0s', snapshotVolumes: true } },
  },
  VeleroBackup: {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: meta('orders-now', 'velero'),
    spec: { includedNamespaces: ['orders'] },
  },

  // --- Argo CD 3.5 ---
  Application: {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: meta('orders-db', 'argocd'),
    spec: {
      project: 'dbfleet',
      source: {
        repoURL: 'https://github.com/acme/dbfleet',
        path: 'dist/production',
        targetRevision: 'main',
        helm: { valuesObject: { anything: { goes: [1, 2] } } },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'orders' },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['ServerSideApply=true'] },
    },
  },
  ApplicationSet: {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: meta('dbfleet', 'argocd'),
    spec: {
      generators: [{ list: { elements: [{ env: 'production', anyKey: { nested: true } }] } }],
      template: {
        metadata: { name: 'dbfleet-{{env}}' },
        spec: {
          project: 'dbfleet',
          source: { repoURL: 'https://github.com/acme/dbfleet', path: 'dist/{{env}}' },
          destination: { server: 'https://kubernetes.default.svc' },
        },
      },
      syncPolicy: { applicationsSync: 'create-update' },
    },
  },

  // --- External Secrets 2.9 ---
  ExternalSecret: {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: meta('orders-app'),
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
      target: { name: 'orders-app', creationPolicy: 'Owner' },
      data: [{ secretKey: 'password', remoteRef: { key: 'dbfleet/orders', property: 'password' } }],
    },
  },
};

/** A deep copy of a valid fixture, changed by `edit`. */
export function broken(name: keyof typeof valid | string, edit: (o: Obj) => void): Obj {
  const copy = structuredClone(valid[name]);
  edit(copy);
  return copy;
}
