// A DR pair fixture: `main` and its standby `main-dr` (test/dr, test/sync).

/** A fleet whose `main` environment (topology given) has the standby `main-dr`. */
export function drFleet(topology: 'shared' | 'per-service' | 'grouped', dr: string = '', main: string = ''): string {
  return `name: acme
postgres: { version: 16, parameters: { max_connections: "150" } }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice]
groups: { commerce: {}, storefront: {} }
environments:
  main:
    namespace: databases
    topology: ${topology}
    instances: 3
    storage: 50Gi
    developerAccess: read-write
    cluster: { server: https://gcp.example }
    backups:
      objectStore:
        destinationPath: gs://main-archive/pg
        credentials: { remoteKey: databases/main/object-store }
        schedule: "0 0 1 * * *"
${main}
  main-dr:
    standbyOf: main
    namespace: databases
    storageClass: gp3
    cluster: { server: https://aws.example }
    backups:
      objectStore:
        destinationPath: s3://dr-archive/pg
        credentials: { remoteKey: databases/main-dr/object-store }
        schedule: "0 0 3 * * *"
${dr}
services:
  - name: orders
    group: commerce
    overrides:
      main: { storage: 200Gi, postgres: { parameters: { work_mem: 64MB } } }
  - name: catalog
    group: storefront
`;
}
