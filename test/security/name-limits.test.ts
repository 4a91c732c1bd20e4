// A cluster name of the longest length dbfleet allows (CLUSTER_NAME_MAX) must give Jobs and
// CronJobs Kubernetes accepts: a Job's name becomes its pods' `job-name` label (values stop at 63
// characters), a CronJob's name gets an 11-character suffix for its Jobs (so at most 52). The
// developer-sessions Job of a 45-character cluster was `<cluster>-developer-sessions`, 64
// characters, and the API server would refuse it at sync.
//
// The names invariant (test/support/name-invariant.ts) over random fleets with the longest names
// the config allows found more (below): label values of 64+ characters, a 60–63-character
// developer's role beyond PostgreSQL's 63 bytes, a mongo-snapshot CronJob beyond 52, an Aurora
// instance identifier beyond 63, a Zalando cluster whose Services cannot start with a digit.
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { CLUSTER_NAME_MAX, DEVELOPER_NAME_MAX, MONGO_SNAPSHOT_NAME_MAX } from '../../lib/config/names';
import { boundedLabelValue } from '../../lib/labels';
import { buildApp, renderObjects } from '../../lib/output/render';
import { checkInvariants, formatViolations } from '../support/invariants';
import { namesWithinLimits, nameProblems } from '../support/name-invariant';
import { renderEnvironment } from './harness';

const cluster = 'c'.repeat(CLUSTER_NAME_MAX);
const fleet = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice, bob]
environments:
  test:
    namespace: databases
    topology: shared
    sharedClusterName: ${cluster}
    instances: 1
    storage: 5Gi
    developerAccess: read-write
services:
  - name: orders
`;

describe(`a ${CLUSTER_NAME_MAX}-character cluster name`, () => {
  const objects = renderEnvironment(fleet, 'test');

  it('gives every Job a name of at most 63 characters and every CronJob one of at most 52', () => {
    const jobs = objects.filter((o) => o.kind === 'Job');
    const cronJobs = objects.filter((o) => o.kind === 'CronJob');
    expect(jobs.map((o) => o.metadata.name)).toContain(`${cluster}-dev-sessions`);
    expect(jobs.filter((o) => o.metadata.name.length > 63).map((o) => o.metadata.name)).toEqual([]);
    expect(cronJobs.filter((o) => o.metadata.name.length > 52).map((o) => o.metadata.name)).toEqual([]);
  });
});

const long = (name: string, length: number) => `${name}-${'x'.repeat(length - name.length - 1)}`;

/** A fleet whose every name but the cluster's is as long as the config allows. */
function longFleet(opts: { developer?: string; mongo?: string; extra?: string } = {}): string {
  return `name: ${long('acme', 63)}
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [${opts.developer ?? long('alice', DEVELOPER_NAME_MAX)}]
opsImage: registry.example.com/dbfleet-ops:1.0.0
environments:
  test:
    namespace: databases
    topology: shared
    sharedClusterName: main
    instances: 1
    storage: 5Gi
    developerAccess: read-write
    backups:
      objectStore: { destinationPath: s3://backups/pg, credentials: { remoteKey: backups/object-store }, schedule: 0 0 1 * * * }
    egress:
      apiServer: { cidrs: [10.0.0.0/28] }
      objectStore: { cidrs: [52.219.168.0/21] }
      mongo: { cidrs: [10.20.0.0/24] }
      snapshotAPI: { cidrs: [10.30.0.0/28] }
${opts.extra ?? ''}services:
  - name: ${long('orders', 63)}
mongoSnapshots:
  - name: ${opts.mongo ?? long('catalog', MONGO_SNAPSHOT_NAME_MAX)}
    namespace: ${long('backups', 63)}
    environments: [test]
    schedule: 15 */6 * * *
    connectionSecret: { remoteKey: mongo/catalog }
    image: registry.example.com/mongo-snapshot:1.0.0
`;
}

describe('the longest names the config allows', () => {
  it('render only names and labels the API server and the operators accept', () => {
    const parsed = parseFleet(longFleet(), 'fleet.yaml');
    const objects = renderObjects(buildApp(parsed));
    // Before boundedLabelValue: `<service>-db` (PushSecret), `developer-<name>` (PushSecret),
    // `<fleet>-object-store` (ObjectStore, ExternalSecret), `<namespace>-default-deny-egress`
    // and `mongo-snapshot-<name>-egress` (NetworkPolicies) as app.kubernetes.io/instance values.
    expect(formatViolations(checkInvariants({ fleet: parsed, objects }, [namesWithinLimits]))).toBe('');
    expect(formatViolations(checkInvariants({ fleet: parsed, objects }))).toBe('');
  });

  it('keeps every label value that fits as it is, and bounds a longer one to 63 characters, distinct', () => {
    expect(boundedLabelValue('orders-db')).toBe('orders-db');
    expect(boundedLabelValue('x'.repeat(63))).toBe('x'.repeat(63));
    const a = boundedLabelValue(`${'a'.repeat(60)}-db`);
    const b = boundedLabelValue(`${'a'.repeat(60)}-db-rotation-1`);
    expect(a).toHaveLength(63);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it(`refuses a developer name longer than ${DEVELOPER_NAME_MAX} (its role dev_<name> would exceed 63 bytes)`, () => {
    expect(() => parseFleet(longFleet({ developer: long('alice', DEVELOPER_NAME_MAX + 1) }), 'fleet.yaml')).toThrow(
      /fleet\.yaml:4: developers\[0\]: .* longer than 59 characters: its role "dev_alice_x+" would exceed PostgreSQL's 63-byte identifier limit/,
    );
  });

  it(`refuses a mongo snapshot name longer than ${MONGO_SNAPSHOT_NAME_MAX} (its CronJob would exceed 52)`, () => {
    expect(() => parseFleet(longFleet({ mongo: long('catalog', MONGO_SNAPSHOT_NAME_MAX + 1) }), 'fleet.yaml')).toThrow(
      /mongoSnapshots\[0\]\.name: .* longer than 37 characters: its CronJob "mongo-snapshot-catalog-x+" would exceed the 52 characters/,
    );
  });

  it('refuses an Aurora cluster whose last instance identifier would exceed 63 characters', () => {
    // `<fleet>-<environment>-<cluster>` is 62 characters: the cluster fits, `…-2` does not.
    const yaml = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
environments:
  eu-central1:
    namespace: databases
    topology: per-service
    instances: 2
    storage: 5Gi
    developerAccess: none
    operator: aws-aurora
    aws: { region: eu-central-1, subnetIDs: [subnet-0a1b2c3d, subnet-1b2c3d4e], securityGroupIDs: [sg-0123abcd], endpointId: c9akciq32rcl, instanceClass: db.r7g.large }
services:
  - name: ${long('orders', 62 - 'acme-eu-central1-'.length)}
`;
    const parsed = parseFleet(yaml, 'fleet.yaml');
    expect(() => buildApp(parsed)).toThrow(/RDS instance identifier "acme-eu-central1-orders-x+-2" is longer than 63 characters/);
  });

  it('refuses a Zalando cluster whose name starts with a digit (its Services must be DNS-1035 labels)', () => {
    const yaml = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
environments:
  test:
    namespace: databases
    topology: per-service
    instances: 1
    storage: 5Gi
    developerAccess: none
    operator: zalando
services:
  - name: 3d-models
`;
    expect(() => parseFleet(yaml, 'fleet.yaml')).toThrow(
      /services\[0\]\.name: "3d-models" would name a test cluster on operator: zalando, whose Services .* must start with a letter/,
    );
  });
});

describe('names-within-limits', () => {
  const meta = (name: string, extra: object = {}) => ({ name, namespace: 'databases', ...extra });
  it.each([
    [
      'a Job of 64 characters',
      { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('j'.repeat(64)) },
      /Job name .*64 characters, more than 63/,
    ],
    ['a CronJob of 53 characters', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('c'.repeat(53)) }, /CronJob name/],
    [
      'a pod template label of 64 characters',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('d'),
        spec: { template: { metadata: { labels: { app: 'v'.repeat(64) } } } },
      },
      /spec\.template\.metadata\.labels\["app"\]/,
    ],
    [
      'a CloudNativePG Cluster of 51 characters',
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: meta('c'.repeat(51)), spec: { instances: 1 } },
      /CloudNativePG Cluster name .* more than 50/,
    ],
    [
      'a volume-snapshot ScheduledBackup whose Backups would be 64 characters',
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'ScheduledBackup', metadata: meta('s'.repeat(49)), spec: { method: 'volumeSnapshot' } },
      /Backup name .* more than 63/,
    ],
    [
      'a Zalando cluster starting with a digit',
      { apiVersion: 'acid.zalan.do/v1', kind: 'postgresql', metadata: meta('3d-models'), spec: {} },
      /Zalando cluster name "3d-models": not a DNS-1035 label/,
    ],
    [
      'a Zalando user ending in _',
      { apiVersion: 'acid.zalan.do/v1', kind: 'postgresql', metadata: meta('acme'), spec: { users: { orders_: [] } } },
      /Zalando user "orders_"/,
    ],
    [
      'an RDS instance identifier of 64 characters',
      {
        apiVersion: 'rds.services.k8s.aws/v1alpha1',
        kind: 'DBInstance',
        metadata: meta('i'),
        spec: { dbInstanceIdentifier: `a${'1'.repeat(63)}` },
      },
      /RDS DB instance identifier/,
    ],
    [
      'a role of 64 bytes',
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'DatabaseRole', metadata: meta('r'), spec: { name: 'r'.repeat(64) } },
      /role .* 64 bytes/,
    ],
  ])('flags %s', (_what, object, message) => {
    expect(nameProblems(object as never).join('\n')).toMatch(message);
  });
});

// Rotation in random fleets (arbitrary-fleet.ts) failed database-roles-beside-cluster: the rule
// looked up a DatabaseRole's password Secret by namespace across every environment, and a Zalando
// environment in the same namespace renders `<service>-db-credentials` too (without cnpg.io/reload).
// Not a clash in any one destination: the rule now looks within the DatabaseRole's environment.
describe('database-roles-beside-cluster with rotation in a CloudNativePG and a Zalando environment of one namespace', () => {
  it('holds', () => {
    const yaml = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
environments:
  production:
    namespace: databases
    topology: per-service
    instances: 1
    storage: 5Gi
    developerAccess: none
  test:
    namespace: databases
    topology: per-service
    instances: 1
    storage: 5Gi
    developerAccess: none
    operator: zalando
services:
  - name: orders
    rotation: { test: { generation: 1, step: add }, production: { generation: 1, step: add } }
`;
    const parsed = parseFleet(yaml, 'fleet.yaml');
    const objects = renderObjects(buildApp(parsed));
    // Each environment renders its own `orders-db-credentials`: no duplicate within one.
    const names = objects.map((o) => `${o.path.split('/')[0]}/${o.object.kind}/${o.object.metadata.namespace}/${o.object.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(formatViolations(checkInvariants({ fleet: parsed, objects }))).toBe('');
  });
});

// Rotation in random fleets also tripped no-secret-values on Zalando (PostgreSQL >= 16, step done):
// the retire Job's message "…logs in with the password from the store…" read as `password from`.
describe('no-secret-values on the rotation-retire Job of a Zalando PostgreSQL 16 cluster', () => {
  it('holds (prose after "password" is no assignment)', () => {
    const yaml = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
environments:
  test:
    namespace: databases
    topology: per-service
    instances: 1
    storage: 5Gi
    developerAccess: none
    operator: zalando
services:
  - name: orders
    rotation: { test: { generation: 1, step: done } }
`;
    const parsed = parseFleet(yaml, 'fleet.yaml');
    const objects = renderObjects(buildApp(parsed));
    expect(objects.map((o) => o.path)).toContain('test/job-orders-rotation-retire.yaml');
    expect(formatViolations(checkInvariants({ fleet: parsed, objects }))).toBe('');
  });
});
