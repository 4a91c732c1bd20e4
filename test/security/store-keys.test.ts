// Store keys cannot collide across purposes (issue 24 item 5): services and platform values live
// in separate trees, every (remote key, property) has one owner, reserved service names and
// system namespaces are refused with file:line:path.
import { describe, expect, it } from 'vitest';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { makePlan } from '../../lib/plan/plan';
import { fleetStoreKeys } from '../../lib/secrets/store-keys';
import { BASE_FLEET, configErrors, fleetOf, lineOf } from '../support/fleet';

function edit(from: string, to: string, text = BASE_FLEET): string {
  if (!text.includes(from)) throw new Error(`"${from}" not in the fleet text`);
  return text.replace(from, to);
}

/** The app Secret of a service: which remote key and property it reads its password from. */
function appSecretKey(text: string, environment: string, service: string): string {
  const objects = renderObjects(buildApp(fleetOf(text))).map(
    (o) => o.object as KubernetesObject & { spec: { data: Array<{ remoteRef: { key: string; property: string } }> } },
  );
  const secret = objects.find(
    (o) => o.kind === 'ExternalSecret' && o.metadata.name === `${service}-db` && o.spec.data[0].remoteRef.key.includes(`/${environment}/`),
  )!;
  return `${secret.spec.data[0].remoteRef.key}#${secret.spec.data[0].remoteRef.property}`;
}

describe('the key layout cannot collide', () => {
  it('a service named like a platform value (dbfleet-access, object-store) gets its own key in the services tree', () => {
    // The attack of the review: a service whose name is the access role's key, with its own role.
    const text = edit('  - name: payments\n', '  - name: object-store\n    role: objstore\n    namespace: objstore\n  - name: payments\n');
    expect(appSecretKey(text, 'test', 'object-store')).toBe('databases/test/services/object-store#password');
    const keys = fleetStoreKeys(fleetOf(text));
    // No access-role key any more (issue 24: the access Job logs in as each owner); the service's
    // key is its own, whatever its name.
    expect(keys.some((k) => k.owner.kind === 'access-role')).toBe(false);
    const own = keys.filter((k) => k.remoteKey === 'databases/test/services/object-store' && k.property === 'password');
    expect(own).toHaveLength(1);
  });

  it('a service name that starts like dbfleet’s own objects is reserved', () => {
    const text = edit('  - name: payments\n', '  - name: dbfleet-access\n    role: access_two\n    namespace: tools\n');
    // Its database name (dbfleet_access) is refused too, as a platform role/database name (test/security/reserved-roles.test.ts).
    expect(configErrors(text)).toContain(
      `fleet.yaml:${lineOf(text, 'name: dbfleet-access')}: services[1].name: service name "dbfleet-access" is reserved: names starting "dbfleet-" are dbfleet's own objects in the database namespace; choose another name`,
    );
  });

  it('an object-store key equal to a service password key is refused at the setting that names it', () => {
    const text = edit(
      '    developerAccess: read-only\n',
      `    developerAccess: read-only
    backups:
      objectStore:
        destinationPath: s3://bucket/production
        credentials: { remoteKey: databases/production/services/orders, accessKeyIdProperty: password }
        schedule: "0 0 1 * * 0"
`,
    );
    const line = lineOf(text, 'remoteKey: databases/production/services/orders');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${line}: environments.production.backups.objectStore.credentials.remoteKey: store key "databases/production/services/orders" property "password" would be both the object-store credentials of environment "production" and the password of service "orders" (production): one value cannot serve two purposes; choose another remote key`,
      `fleet.yaml:${line}: environments.production.backups.objectStore.credentials.remoteKey: store key "databases/production/services/orders" lies in the store path of the password of service "orders" (production) ("databases/production/services/orders"): whoever may read that path would read this value; choose a key outside it (e.g. databases/<environment>/platform/…)`,
    ]);
  });

  it('a MongoDB URI key on a developer password, or inside the services tree, is refused', () => {
    const snapshot = (key: string, property: string) =>
      `${BASE_FLEET}mongoSnapshots:
  - name: m
    namespace: backups
    environments: [test]
    schedule: "0 * * * *"
    connectionSecret: { remoteKey: ${key}, property: ${property} }
    image: registry.example.com/ops:1
`;
    const onDeveloper = snapshot('databases/test/platform/developers/alice', 'password');
    expect(configErrors(onDeveloper)[0]).toContain(
      `fleet.yaml:${lineOf(onDeveloper, 'remoteKey: databases/test')}: mongoSnapshots[0].connectionSecret.remoteKey: store key "databases/test/platform/developers/alice" property "password" would be both the MongoDB connection string of snapshot "m" and the password of developer "alice" (test)`,
    );
    const inTree = snapshot('databases/test/services/newteam/mongo', 'uri');
    expect(configErrors(inTree)).toEqual([
      `fleet.yaml:${lineOf(inTree, 'remoteKey: databases/test')}: mongoSnapshots[0].connectionSecret.remoteKey: store key "databases/test/services/newteam/mongo" is under "databases/test/services/", which is reserved for service passwords (lib/secrets/key-layout.ts); choose a key outside it (e.g. databases/<environment>/platform/…)`,
    ]);
  });

  it('two object stores may share credentials (one IAM key, two prefixes)', () => {
    const store = (env: string) =>
      `    backups:\n      objectStore:\n        destinationPath: s3://bucket/${env}\n        credentials: { remoteKey: databases/platform/s3 }\n        schedule: "0 0 1 * * 0"\n`;
    const text = edit(
      '    developerAccess: read-write\n',
      `    developerAccess: read-write\n${store('test')}`,
      edit('    developerAccess: read-only\n', `    developerAccess: read-only\n${store('production')}`),
    );
    expect(() => fleetOf(text)).not.toThrow();
  });
});

describe('service namespaces are never system namespaces', () => {
  it.each([
    ['kube-system', 'a Kubernetes system namespace (kube-*)'],
    ['kube-public', 'a Kubernetes system namespace (kube-*)'],
    ['databases', 'the database namespace of environment "test"'],
    ['cnpg-system', 'the CloudNativePG operator namespace (operator.namespace)'],
    ['monitoring', 'the monitoring namespace (monitoring.namespace)'],
    // Issue 24 item 9: a service namespace is a destination of the services AppProject.
    ['default', 'the Kubernetes default namespace'],
    ['external-secrets', 'the External Secrets operator namespace (secretStore.operatorNamespace, default external-secrets)'],
    ['argocd', "Argo CD's namespace (its default, argocd)"],
  ])('%s is refused', (namespace, what) => {
    const text = edit('  - name: payments\n', `  - name: payments\n    namespace: ${namespace}\n`);
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, `namespace: ${namespace}`, namespace === 'databases' ? 3 : 1)}: services[1].namespace: namespace "${namespace}" is ${what}: a service's app Secret and database access cannot go there; give the service its own namespace`,
    ]);
  });

  it("Argo CD's namespace is refused where the fleet deploys with Argo CD, and a service named like it too", () => {
    const text = `${BASE_FLEET}gitops: { repoURL: https://example.com/fleet.git, project: databases }\n`;
    const named = edit('  - name: payments\n', '  - name: argocd\n', text);
    expect(configErrors(named)).toEqual([
      `fleet.yaml:${lineOf(named, 'name: argocd')}: services[1].name: namespace "argocd" is Argo CD's namespace (gitops.argocdNamespace): a service's app Secret and database access cannot go there; give the service its own namespace (namespace:)`,
    ]);
  });
});

describe('service namespaces: the egress DNS namespace', () => {
  // Attack on issue 24 item 9: egress.dns.namespace outside kube-* (e.g. a dedicated CoreDNS
  // namespace) was an ordinary service namespace: its pods admitted to 5432, an app Secret there.
  it('is refused for a service', () => {
    const text = edit(
      '    developerAccess: read-only\n',
      '    developerAccess: read-only\n    egress:\n      apiServer: { cidrs: [10.0.0.0/28] }\n      dns: { namespace: coredns }\n',
    );
    const bad = edit('  - name: payments\n', '  - name: payments\n    namespace: coredns\n', text);
    expect(configErrors(bad)).toEqual([
      `fleet.yaml:${lineOf(bad, 'namespace: coredns', 2)}: services[1].namespace: namespace "coredns" is the DNS namespace of environment "production" (egress.dns.namespace): a service's app Secret and database access cannot go there; give the service its own namespace`,
    ]);
  });
});

describe('service namespaces: the operator namespaces the fleet configures, every problem at once', () => {
  it("the External Secrets operator's configured namespace and Argo CD's configured one are refused, the defaults then free", () => {
    const text = edit(
      'secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }\n',
      'secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases, operatorNamespace: eso }\n',
      `${BASE_FLEET}gitops: { repoURL: https://example.com/fleet.git, project: databases, argocdNamespace: gitops }\n`,
    );
    const bad = edit(
      '  - name: payments\n',
      '  - name: payments\n    namespace: eso\n  - name: billing\n    namespace: gitops\n  - name: ledger\n    namespace: default\n',
      text,
    );
    // Every problem at once, each at its own file:line:path.
    expect(configErrors(bad)).toEqual([
      `fleet.yaml:${lineOf(bad, 'namespace: eso')}: services[1].namespace: namespace "eso" is the External Secrets operator namespace (secretStore.operatorNamespace): a service's app Secret and database access cannot go there; give the service its own namespace`,
      `fleet.yaml:${lineOf(bad, 'namespace: gitops')}: services[2].namespace: namespace "gitops" is Argo CD's namespace (gitops.argocdNamespace): a service's app Secret and database access cannot go there; give the service its own namespace`,
      `fleet.yaml:${lineOf(bad, 'namespace: default')}: services[3].namespace: namespace "default" is the Kubernetes default namespace: a service's app Secret and database access cannot go there; give the service its own namespace`,
    ]);
    // Configured elsewhere, the documented defaults are ordinary names.
    const free = edit(
      '  - name: payments\n',
      '  - name: payments\n    namespace: external-secrets\n  - name: billing\n    namespace: argocd\n',
      text,
    );
    expect(
      fleetOf(free)
        .services.map((s) => s.namespace)
        .sort(),
    ).toEqual(['argocd', 'external-secrets', 'orders']);
  });
});

describe('plan: the move to the services/platform layout is a DANGER with its migration', () => {
  it('flags every ExternalSecret and PushSecret that reads or pushes a moved key, and nothing for a rotation', () => {
    const rendered = renderObjects(buildApp(fleetOf()));
    // The same objects as the previous layout rendered them.
    const legacy = (o: KubernetesObject): KubernetesObject =>
      JSON.parse(JSON.stringify(o).replace(/(databases\/(?:test|production))\/(?:services|platform)\//g, '$1/')) as KubernetesObject;
    const plan = makePlan(
      new Map(rendered.map((o) => [o.path, legacy(o.object as KubernetesObject)])),
      new Map(rendered.map((o) => [o.path, o.object as KubernetesObject])),
    );
    const moved = plan.dangers.filter((d) => d.rule === 'store-key-moved');
    expect(moved.length).toBeGreaterThan(0);
    const orders = moved.find(
      (d) => d.object.includes('ExternalSecret') && d.object.endsWith('databases/orders-db-credentials') && d.environment === 'production',
    );
    expect(orders?.message).toMatch(
      /^reads store key databases\/production\/services\/orders instead of databases\/production\/orders \(the services\/platform key layout/,
    );
    expect(orders?.message).toContain('copy the value once before this syncs');
    expect(
      moved.some((d) =>
        d.message.startsWith(
          'pushes to store key databases/production/platform/developers/alice instead of databases/production/developers/alice',
        ),
      ),
    ).toBe(true);
  });
});
