// Synthetic fleets for benchmarks: N services over two environments shaped like fleet.yaml
// (test: shared, production: per-service unless `productionTopology` says otherwise; grouped
// puts the services in 10 groups), every feature switched on.
export function syntheticFleet(services: number, productionTopology: 'per-service' | 'grouped' | 'shared' = 'per-service'): string {
  const lines = [
    'name: bench',
    'postgres: { version: 16 }',
    'secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }',
    'developers: [alice, bob, carol]',
    'monitoring: { namespace: monitoring, ruleLabels: { release: kube-prometheus-stack } }',
    'gitops: { repoURL: "https://git.example.com/bench.git", targetRevision: main, project: databases }',
    'environments:',
    '  test:',
    '    { namespace: databases, topology: shared, instances: 1, storage: 5Gi, developerAccess: read-write,',
    '      backups: { velero: { schedule: "0 3 * * *" }, postgres: { schedule: "0 0 2 * * *" } } }',
    '  production:',
    `    { namespace: databases, topology: ${productionTopology}, instances: 3, storage: 50Gi, developerAccess: read-only,`,
    '      backups: { velero: { schedule: "0 3 * * *" }, postgres: { schedule: "0 0 2 * * *" } } }',
    `groups: { ${[...Array(10).keys()].map((g) => `g${g}: {}`).join(', ')} }`,
    'services:',
  ];
  for (let i = 0; i < services; i++)
    lines.push(`  - { name: svc-${String(i).padStart(4, '0')}, group: g${i % 10}, extensions: [pgcrypto] }`);
  lines.push(
    'mongoSnapshots:',
    '  - { name: catalog, namespace: backups, environments: [production], schedule: "15 */6 * * *",',
    '      connectionSecret: { remoteKey: mongo/catalog }, image: "registry.example.com/mongo-snapshot:1.0.0" }',
  );
  return `${lines.join('\n')}\n`;
}
