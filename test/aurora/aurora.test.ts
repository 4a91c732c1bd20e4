// operator: aws-aurora (lib/backends/aws-aurora/): the issue-28 fixture renders, every object
// validates against the ACK rds-controller v1.11.1 CRDs, the AWS side is private, encrypted and
// protected, the apps get the same Secrets as on CloudNativePG, and what Aurora refuses is a
// config error or a DANGER in the plan.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { environmentStoreKeys } from '../../lib/secrets/store-keys';
import { auroraReplacement } from '../../lib/backends/aws-aurora/aurora-dangers';
import { DANGER_RULES } from '../../lib/plan/dangers';
import { loadValidator } from '../../lib/validate';
import { configErrors, lineOf } from '../support/fleet';
import { developerIamPolicies } from '../../lib/backends/aws-aurora/iam-policy';
import type { CliIo } from '../../lib/cli/io';
import { runDbfleet } from '../../lib/cli/main';

const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'aurora.yaml'), 'utf8');
const fleet = parseFleet(FIXTURE, 'fleet.yaml');
const rendered = renderObjects(buildApp(fleet));
type Obj = KubernetesObject & { spec: any; data?: any };
const inEnv = (env: string) => rendered.filter((o) => o.path.startsWith(`${env}/`)).map((o) => o.object as Obj);
const find = (env: string, kind: string, name: string): Obj => {
  const object = inEnv(env).find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`${env}: no ${kind} ${name}`);
  return object;
};
const names = (env: string, kind: string) =>
  inEnv(env)
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();

describe('aurora rendering', () => {
  it('renders per cluster a subnet group, a parameter group, a cluster, one instance per instance and the endpoint exports', () => {
    expect(names('production', 'DBCluster')).toEqual(['commerce', 'identity']);
    expect(names('production', 'DBSubnetGroup')).toEqual(['commerce', 'identity']);
    expect(names('production', 'DBClusterParameterGroup')).toEqual(['commerce', 'identity']);
    expect(names('production', 'DBInstance')).toEqual(['commerce-1', 'commerce-2', 'commerce-3', 'identity-1', 'identity-2', 'identity-3']);
    expect(names('production', 'FieldExport')).toEqual(['commerce-host', 'commerce-ro-host', 'identity-host', 'identity-ro-host']);
    // Nothing of the operators.
    expect(inEnv('production').filter((o) => /cnpg|zalan/.test(o.apiVersion))).toEqual([]);
  });

  it('the cluster is private, encrypted, deletion-protected, retained, logged, pinned and IAM-enabled', () => {
    const spec = find('production', 'DBCluster', 'commerce').spec;
    expect(spec).toMatchObject({
      dbClusterIdentifier: 'shop-production-commerce',
      engine: 'aurora-postgresql',
      engineVersion: '16',
      publiclyAccessible: false,
      storageEncrypted: true,
      deletionProtection: true,
      backupRetentionPeriod: 14,
      enableCloudwatchLogsExports: ['postgresql'],
      enableIAMDatabaseAuthentication: true,
      serverlessV2ScalingConfiguration: { minCapacity: 0.5, maxCapacity: 16 },
      vpcSecurityGroupIDs: ['sg-0123abcd'],
      dbSubnetGroupRef: { from: { name: 'commerce' } },
      dbClusterParameterGroupRef: { from: { name: 'commerce' } },
      masterUsername: 'dbfleet_master',
      masterUserPassword: { name: 'commerce-master-credentials', namespace: 'databases', key: 'password' },
    });
    expect(spec.manageMasterUserPassword).toBeUndefined();
    expect(find('production', 'DBSubnetGroup', 'commerce').spec.subnetIDs).toEqual([
      'subnet-0a1b2c3d',
      'subnet-1b2c3d4e',
      'subnet-2c3d4e5f',
    ]);
    const params = find('production', 'DBClusterParameterGroup', 'commerce').spec;
    expect(params.family).toBe('aurora-postgresql16');
    expect(params.parameterOverrides).toEqual({ log_min_duration_statement: '500', max_connections: '400' });
  });

  it('instances are never public, serverless, with promotion tiers', () => {
    const instances = inEnv('production').filter((o) => o.kind === 'DBInstance' && o.metadata.name.startsWith('commerce-'));
    for (const i of instances) {
      expect(i.spec).toMatchObject({
        publiclyAccessible: false,
        dbInstanceClass: 'db.serverless',
        engine: 'aurora-postgresql',
        dbClusterIdentifier: 'shop-production-commerce',
      });
    }
    expect(instances.map((i) => i.spec.promotionTier)).toEqual([0, 1, 2]);
  });

  it('instanceClass instead of serverless: provisioned instances of that class', () => {
    const text = FIXTURE.replace(
      'serverless: { minCapacity: 0.5, maxCapacity: 16 } # or instanceClass: db.r7g.large',
      'instanceClass: db.r7g.large',
    );
    const objects = renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))).map((o) => o.object as Obj);
    const cluster = objects.find((o) => o.kind === 'DBCluster' && o.metadata.name === 'commerce')!;
    expect(cluster.spec.serverlessV2ScalingConfiguration).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'DBInstance').every((o) => o.spec.dbInstanceClass === 'db.r7g.large')).toBe(true);
  });

  it('exports the writer and reader endpoints into a ConfigMap next to the cluster', () => {
    expect(find('production', 'FieldExport', 'commerce-host').spec).toEqual({
      from: { path: '.status.endpoint', resource: { group: 'rds.services.k8s.aws', kind: 'DBCluster', name: 'commerce' } },
      to: { kind: 'configmap', name: 'commerce-endpoints', namespace: 'databases', key: 'host' },
    });
    expect(find('production', 'FieldExport', 'commerce-ro-host').spec.from.path).toBe('.status.readerEndpoint');
    expect(find('production', 'ConfigMap', 'commerce-endpoints').data).toBeUndefined();
  });

  it('the master password is generated and pushed like every other, and read only in the database namespace', () => {
    const master = environmentStoreKeys(
      fleet,
      fleet.environments.find((e) => e.name === 'production')!,
    ).filter((k) => k.name.endsWith('-master'));
    expect(master.map((k) => [k.remoteKey, k.origin, k.readBy])).toEqual([
      ['databases/production/platform/clusters/commerce/master', 'generated', ['databases']],
      ['databases/production/platform/clusters/identity/master', 'generated', ['databases']],
    ]);
    expect(find('production', 'PushSecret', 'commerce-master-password').metadata.namespace).toBe('databases');
    const secret = find('production', 'ExternalSecret', 'commerce-master-credentials');
    expect(secret.metadata.namespace).toBe('databases');
    // No app Secret mentions the master user or its key.
    for (const o of inEnv('production').filter((x) => x.kind === 'ExternalSecret' && x.metadata.namespace !== 'databases'))
      expect(JSON.stringify(o)).not.toMatch(/master/);
  });

  it('developers log in with IAM on Aurora: no developer password keys', () => {
    const keys = environmentStoreKeys(
      fleet,
      fleet.environments.find((e) => e.name === 'production')!,
    );
    expect(keys.filter((k) => k.name.startsWith('developer-'))).toEqual([]);
  });
});

describe('parity with CloudNativePG', () => {
  const appSecrets = (env: string) =>
    Object.fromEntries(
      inEnv(env)
        .filter((o) => o.kind === 'ExternalSecret' && o.metadata.name.endsWith('-db') && o.metadata.namespace !== 'databases')
        .map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec.target.template]),
    );

  it('the same app Secrets, with the same keys, users and databases', () => {
    const test = appSecrets('test');
    const production = appSecrets('production');
    expect(Object.keys(production).sort()).toEqual(Object.keys(test).sort());
    for (const name of Object.keys(test)) {
      expect(Object.keys(production[name].data).sort(), name).toEqual(Object.keys(test[name].data).sort());
      for (const key of ['username', 'user', 'dbname', 'port'])
        expect(production[name].data[key], `${name} ${key}`).toBe(test[name].data[key]);
    }
  });

  it('uri on the writer endpoint, ro-uri on the reader endpoint', () => {
    const data = appSecrets('production')['orders/orders-db'].data;
    expect(data.host).toBe('shop-production-commerce.cluster-c9akciq32rcl.eu-central-1.rds.amazonaws.com');
    expect(data['ro-host']).toBe('shop-production-commerce.cluster-ro-c9akciq32rcl.eu-central-1.rds.amazonaws.com');
    expect(data.uri).toContain('@shop-production-commerce.cluster-c9akciq32rcl.eu-central-1.rds.amazonaws.com:5432/orders');
    expect(data['ro-uri']).toContain('@shop-production-commerce.cluster-ro-c9akciq32rcl.');
  });
});

describe('aurora config', () => {
  it('parameters Aurora refuses are config errors where they are written', () => {
    const text = FIXTURE.replace('max_connections: "400",', 'max_connections: "400", full_page_writes: "off",');
    expect(configErrors(text)).toContain(
      `fleet.yaml:${lineOf(text, 'full_page_writes')}: postgres.parameters.full_page_writes: "full_page_writes" cannot be set on Aurora PostgreSQL: Aurora storage makes writes durable itself (docs/aurora.md, "Parameters") (environment production)`,
    );
  });

  it('exactly one of serverless and instanceClass; an aws: section is required; it belongs to aws-aurora only', () => {
    const both = FIXTURE.replace('endpointId: c9akciq32rcl', 'endpointId: c9akciq32rcl\n      instanceClass: db.r7g.large');
    expect(configErrors(both).join('\n')).toMatch(/set exactly one of serverless and instanceClass/);
    const none = FIXTURE.replace(/ {4}aws:\n( {6}.*\n)+/, '');
    expect(configErrors(none).join('\n')).toMatch(/environments\.production\.operator: operator: aws-aurora needs an aws: section/);
    const stray = FIXTURE.replace(
      '    developerAccess: read-write\n',
      '    developerAccess: read-write\n    aws: { region: eu-central-1, subnetIDs: [subnet-1, subnet-2], securityGroupIDs: [sg-1], endpointId: x, instanceClass: db.t4g.medium }\n',
    );
    expect(configErrors(stray).join('\n')).toMatch(
      /environments\.test\.aws: only applies to operator: aws-aurora \(this environment runs cloudnative-pg\)/,
    );
  });

  it('what Aurora does itself, or dbfleet does not render there, is an error at the key', () => {
    const text = FIXTURE.replace(
      '      backupRetentionDays: 14\n',
      '      backupRetentionDays: 14\n    walStorage: 1Gi\n    pooler: { rw: { instances: 2, poolMode: session } }\n    backups: { postgres: { schedule: "0 0 1 * * *", method: volumeSnapshot } }\n',
    );
    const errors = configErrors(text).join('\n');
    expect(errors).toMatch(/environments\.production\.walStorage: has no meaning on operator: aws-aurora/);
    expect(errors).toMatch(/environments\.production\.pooler: has no meaning on operator: aws-aurora/);
    expect(errors).toMatch(/environments\.production\.backups\.postgres: has no meaning on operator: aws-aurora/);
  });
});

describe('aurora plan', () => {
  it('registers its DANGER rule with the plan', () => {
    expect(DANGER_RULES).toContain(auroraReplacement);
  });

  it('engine, subnet group and encryption changes replace the cluster: DANGER', () => {
    const before = find('production', 'DBCluster', 'commerce');
    for (const [field, value] of [
      ['engine', 'aurora-mysql'],
      ['dbSubnetGroupRef', { from: { name: 'other' } }],
      ['storageEncrypted', false],
    ] as const) {
      const after = { ...before, spec: { ...before.spec, [field]: value } };
      const found = auroraReplacement.check(
        { type: 'changed', environment: 'production', before, after },
        { transitions: [], headObjects: () => [] },
      );
      expect(found, field).toHaveLength(1);
      expect(found[0]).toContain(`spec.${field}`);
    }
    const retention = { ...before, spec: { ...before.spec, backupRetentionPeriod: 21 } };
    expect(
      auroraReplacement.check(
        { type: 'changed', environment: 'production', before, after: retention },
        { transitions: [], headObjects: () => [] },
      ),
    ).toEqual([]);
  });
});

describe('validation', () => {
  it('every rendered object validates against its schema (the ACK rds-controller v1.11.1 CRDs included)', () => {
    const validator = loadValidator({ unvalidatedKinds: [] });
    expect(rendered.filter((o) => o.object.apiVersion.startsWith('rds.services.k8s.aws/')).length).toBe(12);
    const issues = rendered
      .flatMap((o) => validator.validateObject(o.object, { file: o.path }))
      .map((i) => `${i.file}: ${i.path}: ${i.message}`);
    expect(issues).toEqual([]);
  });
});

describe('dbfleet iam-policy', () => {
  const fixtureFile = join(__dirname, '..', 'fixtures', 'fleets', 'aurora.yaml');
  const run = (...args: string[]) => {
    let out = '';
    let err = '';
    const io = { out: { write: (s: string) => ((out += s), true) }, err: { write: (s: string) => ((err += s), true) } } as unknown as CliIo;
    const code = runDbfleet(['iam-policy', ...args, '--config', fixtureFile], io);
    return { code, out, err };
  };

  it('prints rds-db:connect on each developer’s own database user, per developer', () => {
    const { code, out } = run('production', '--account', '123456789012');
    expect(code).toBe(0);
    const policies = JSON.parse(out);
    expect(Object.keys(policies)).toEqual(['alice', 'bob']);
    expect(policies.alice).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DbfleetConnectproduction',
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: ['arn:aws:rds-db:eu-central-1:123456789012:dbuser:*/dev_alice'],
        },
      ],
    });
    expect(
      developerIamPolicies(
        fleet,
        fleet.environments.find((e) => e.name === 'production')!,
        { clusterResourceIds: ['cluster-ABC'] },
      ).bob.Statement[0].Resource,
    ).toEqual(['arn:aws:rds-db:eu-central-1:*:dbuser:cluster-ABC/dev_bob']);
  });

  it('refuses an environment that is not on Aurora, and a bad account', () => {
    expect(run('test')).toMatchObject({ code: 2, err: expect.stringContaining('does not run on Aurora') });
    expect(run('production', '--account', '42')).toMatchObject({ code: 2, err: expect.stringContaining('12-digit') });
    expect(run('nowhere')).toMatchObject({ code: 2 });
  });
});
