// Aurora DR through a GlobalCluster (issue 28): `standbyOf` on an aws-aurora environment renders,
// at the source, a GlobalCluster per cluster made from its DBCluster (by ARN: aws.accountID), and at
// the standby a secondary DBCluster in its own region joined to it, without master password, SQL
// Jobs or owner credentials; read-only app Secrets on the reader endpoint (readEndpoint); every
// object validates against the ACK rds-controller v1.11.1 CRDs; what cannot work is a config error
// at file:line:path; promotion is a DANGER with a runbook.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { auroraGlobalCluster } from '../../lib/backends/aws-aurora/aurora-dangers';
import { DANGER_RULES } from '../../lib/plan/dangers';
import { makePlan } from '../../lib/plan/plan';
import { loadValidator } from '../../lib/validate';
import { configErrors, lineOf } from '../support/fleet';

const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'aurora-dr.yaml'), 'utf8');
const rendered = renderObjects(buildApp(parseFleet(FIXTURE, 'fleet.yaml')));
type Obj = KubernetesObject & { spec: any; data?: any };
const inEnv = (env: string) => rendered.filter((o) => o.path.startsWith(`${env}/`)).map((o) => o.object as Obj);
const find = (env: string, kind: string, name: string, namespace?: string): Obj => {
  const object = inEnv(env).find((o) => o.kind === kind && o.metadata.name === name && (!namespace || o.metadata.namespace === namespace));
  if (!object) throw new Error(`${env}: no ${kind} ${name}`);
  return object;
};
const names = (env: string, kind: string) =>
  inEnv(env)
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();
const noContext = { transitions: [], headObjects: () => [] };

describe('Aurora GlobalCluster: the source region', () => {
  it('one GlobalCluster per cluster, made from the primary DBCluster by ARN; nothing the CRD forbids alongside it', () => {
    expect(names('production', 'GlobalCluster')).toEqual(['commerce', 'identity']);
    const global = find('production', 'GlobalCluster', 'commerce');
    expect(global.apiVersion).toBe('rds.services.k8s.aws/v1alpha1');
    expect(global.spec).toEqual({
      globalClusterIdentifier: 'shop-production-commerce-global',
      sourceDBClusterIdentifier: 'arn:aws:rds:eu-central-1:123456789012:cluster:shop-production-commerce',
      deletionProtection: true,
    });
    // The primary stays a normal cluster (it is not created into the global cluster).
    const primary = find('production', 'DBCluster', 'commerce').spec;
    expect(primary.globalClusterIdentifier).toBeUndefined();
    expect(primary.masterUsername).toBe('dbfleet_master');
    expect(names('production', 'CronJob')).toContain('restore-drill');
  });
});

describe('Aurora GlobalCluster: the secondary region', () => {
  it('a secondary DBCluster per cluster in its own region, joined to the GlobalCluster, with no master user or password', () => {
    expect(names('production-dr', 'DBCluster')).toEqual(['commerce', 'identity']);
    const spec = find('production-dr', 'DBCluster', 'commerce').spec;
    expect(spec).toMatchObject({
      dbClusterIdentifier: 'shop-production-dr-commerce',
      globalClusterIdentifier: 'shop-production-commerce-global',
      engine: 'aurora-postgresql',
      engineVersion: '16',
      storageEncrypted: true,
      publiclyAccessible: false,
      deletionProtection: true,
      vpcSecurityGroupIDs: ['sg-0fedcba9'],
    });
    expect(spec.masterUsername).toBeUndefined();
    expect(spec.masterUserPassword).toBeUndefined();
    expect(spec.sourceRegion).toBeUndefined();
    expect(find('production-dr', 'DBSubnetGroup', 'commerce').spec.subnetIDs).toEqual(['subnet-9a8b7c6d', 'subnet-8b7c6d5e']);
    expect(names('production-dr', 'DBInstance')).toEqual(['commerce-1', 'commerce-2', 'identity-1', 'identity-2']);
    expect(names('production-dr', 'GlobalCluster')).toEqual([]);
  });

  it('no master credentials, no SQL Job, no owner credentials, no drill: a secondary is read-only and takes its roles from the primary', () => {
    const objects = inEnv('production-dr');
    const jobs = objects.filter((o) => o.kind === 'Job' || o.kind === 'CronJob').map((o) => o.metadata.name);
    expect(jobs).toEqual([]);
    const secrets = names('production-dr', 'ExternalSecret');
    expect(secrets.filter((n) => /master|admin|-db-credentials/.test(n))).toEqual([]);
    expect(objects.filter((o) => o.kind === 'PushSecret' || o.kind === 'Password')).toEqual([]);
    // The exporter watches the reader endpoint with the source's exporter login.
    const exporter = find('production-dr', 'ExternalSecret', 'commerce-exporter-credentials');
    expect(exporter.spec.data[0].remoteRef.key).toBe('databases/production/platform/clusters/commerce/exporter');
    const deployment = find('production-dr', 'Deployment', 'commerce-exporter');
    const env = deployment.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    expect(env.find((e) => e.name === 'DATA_SOURCE_URI')!.value).toBe(
      'shop-production-dr-commerce.cluster-ro-d4bkdjr43sdm.eu-west-1.rds.amazonaws.com:5432/postgres?sslmode=require',
    );
  });

  it("read-only app Secrets (readEndpoint) name the secondary's reader endpoint, with the source's keys", () => {
    const ro = find('production-dr', 'ExternalSecret', 'orders-db-readonly', 'orders');
    const data = ro.spec.target.template.data as Record<string, string>;
    // Only read-only keys, as at a CloudNativePG standby with readEndpoint: no `uri`, no `host`.
    expect(data.host).toBeUndefined();
    expect(data.uri).toBeUndefined();
    expect(data['ro-host']).toBe('shop-production-dr-commerce.cluster-ro-d4bkdjr43sdm.eu-west-1.rds.amazonaws.com');
    expect(data['ro-uri']).toContain('@shop-production-dr-commerce.cluster-ro-d4bkdjr43sdm.eu-west-1.rds.amazonaws.com:5432/orders');
    expect(JSON.stringify(data)).not.toContain('.cluster-d4bkdjr43sdm');
    expect(ro.spec.data.map((d: { remoteRef: { key: string } }) => d.remoteRef.key)).toEqual(['databases/production/services/orders']);
  });

  it('every rendered object of both sites validates against the ACK rds-controller v1.11.1 CRDs and the other schemas', () => {
    const validator = loadValidator({ unvalidatedKinds: [] });
    expect(rendered.filter((o) => o.object.kind === 'GlobalCluster')).toHaveLength(2);
    const issues = rendered
      .flatMap((o) => validator.validateObject(o.object, { file: o.path }))
      .map((i) => `${i.file}: ${i.path}: ${i.message}`);
    expect(issues).toEqual([]);
  });
});

describe('Aurora: every ACK object names its region (services.k8s.aws/region)', () => {
  // aws-controllers-k8s/runtime pkg/runtime/reconciler.go getRegion: without the annotation an object
  // lands in the namespace's default-region or the controller's --aws-region, whichever region that is.
  it("each site's ACK objects carry its own aws.region, so the DR site's land in eu-west-1 whatever the controller's default", () => {
    for (const [env, region] of [
      ['production', 'eu-central-1'],
      ['production-dr', 'eu-west-1'],
    ] as const) {
      const ack = inEnv(env).filter((o) => o.apiVersion.startsWith('rds.services.k8s.aws/'));
      expect(new Set(ack.map((o) => o.kind))).toEqual(
        new Set([
          'DBSubnetGroup',
          'DBClusterParameterGroup',
          'DBCluster',
          'DBInstance',
          ...(env === 'production' ? ['GlobalCluster'] : []),
        ]),
      );
      for (const o of ack) expect(o.metadata.annotations?.['services.k8s.aws/region'], `${env} ${o.kind} ${o.metadata.name}`).toBe(region);
    }
    // The DBCluster keeps its other annotations (the protected kinds' sync options).
    expect(Object.keys(find('production', 'DBCluster', 'commerce').metadata.annotations ?? {}).length).toBeGreaterThan(1);
  });
});

describe('Aurora GlobalCluster: config errors, all at once, at file:line:path', () => {
  it('aws.accountID is required at the source (the ARN), and the standby needs its own region and regional settings', () => {
    const text = FIXTURE.replace('      accountID: "123456789012"\n', '')
      .replace('      region: eu-west-1\n', '      region: eu-central-1\n')
      .replace('      endpointId: d4bkdjr43sdm\n', '');
    const errors = configErrors(text);
    expect(errors).toContain(
      `fleet.yaml:${lineOf(text, 'region: eu-central-1')}: environments.production.aws.accountID: is required: production-dr (standbyOf: production) is a secondary region of a GlobalCluster, which names production's clusters by ARN (arn:aws:rds:eu-central-1:<accountID>:cluster:…); set aws.accountID to the 12-digit AWS account ID`,
    );
    expect(errors).toContain(
      `fleet.yaml:${lineOf(text, 'region: eu-central-1', 2)}: environments.production-dr.aws.region: is production's region too (eu-central-1): a GlobalCluster's secondary runs in another region; set the standby's own aws.region`,
    );
    const other = FIXTURE.replace('      endpointId: d4bkdjr43sdm\n', '').replace(
      '  production-dr:\n',
      '  production-dr:\n    primarySite: production-dr\n',
    );
    const more = configErrors(other).join('\n');
    expect(more).toMatch(
      /environments\.production-dr\.aws\.endpointId: is production's \(eu-west-1 is another region: RDS endpoints carry an identifier per account and region/,
    );
    expect(more).toMatch(
      /environments\.production-dr\.primarySite: is not rendered for Aurora: promoting the secondary region is done in AWS/,
    );
    expect(configErrors(FIXTURE.replace('accountID: "123456789012"', 'accountID: "1234"')).join('\n')).toMatch(
      /environments\.production\.aws\.accountID: "1234" must be the 12-digit AWS account ID/,
    );
  });
});

describe('Aurora GlobalCluster: promotion is a reviewed change', () => {
  it('registers its DANGER rule with the plan, and the runbook exists', () => {
    expect(DANGER_RULES).toContain(auroraGlobalCluster);
    expect(existsSync(join(__dirname, '..', '..', 'docs', 'runbooks', 'AuroraGlobalClusterPromotion.md'))).toBe(true);
  });

  it('the runbook moves every store key to the promoted environment before the swap, as the Zalando one does', () => {
    const runbook = readFileSync(join(__dirname, '..', '..', 'docs', 'runbooks', 'AuroraGlobalClusterPromotion.md'), 'utf8');
    expect(runbook).toMatch(/Move every store key to the promoted environment/);
    expect(runbook).toContain('npx dbfleet secrets --environment <promoted env>');
    // Each kind of key the promoted environment starts reading: owners, platform logins, master.
    for (const key of ["services' owner passwords", '`dbfleet_admin`', '`dbfleet_exporter`', 'master password'])
      expect(runbook, key).toContain(key);
    expect(runbook).toMatch(/before merging/);
    expect(runbook).toContain('aws.globalClusterFrom: <former source env>');
  });

  it('says plainly that dbfleet renders no cross-region replication alert on Aurora, and how to alarm in CloudWatch', () => {
    const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'aurora.md'), 'utf8');
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const text of [docs, readme]) {
      expect(text).toContain('AuroraGlobalDBReplicationLag');
      expect(text).toContain('AuroraGlobalDBRPOLag');
    }
    expect(docs).toContain('dbfleet renders no alert on cross-region replication');
    expect(docs).toContain('aws cloudwatch put-metric-alarm');
    expect(readme).toContain('Aurora standbys have no dbfleet alert on replication');
  });

  it('a secondary leaving its GlobalCluster, a cluster joining one, the GlobalCluster going or changing primary: DANGER naming the runbook', () => {
    const secondary = find('production-dr', 'DBCluster', 'commerce');
    const promoted = { ...secondary, spec: { ...secondary.spec, globalClusterIdentifier: undefined } };
    const leave = auroraGlobalCluster.check(
      { type: 'changed', environment: 'production-dr', before: secondary, after: promoted },
      noContext,
    );
    expect(leave).toHaveLength(1);
    expect(leave[0]).toMatch(/PROMOTION.*docs\/runbooks\/AuroraGlobalClusterPromotion\.md/);
    const join_ = auroraGlobalCluster.check(
      { type: 'changed', environment: 'production-dr', before: promoted, after: secondary },
      noContext,
    );
    expect(join_[0]).toMatch(/joins GlobalCluster shop-production-commerce-global/);
    const global = find('production', 'GlobalCluster', 'commerce');
    expect(auroraGlobalCluster.check({ type: 'removed', environment: 'production', before: global }, noContext)[0]).toMatch(
      /the GlobalCluster goes/,
    );
    const moved = {
      ...global,
      spec: { ...global.spec, sourceDBClusterIdentifier: 'arn:aws:rds:eu-west-1:123456789012:cluster:shop-production-dr-commerce' },
    };
    expect(auroraGlobalCluster.check({ type: 'changed', environment: 'production', before: global, after: moved }, noContext)).toHaveLength(
      1,
    );
    // Other changes of a secondary are not this rule's.
    const resized = { ...secondary, spec: { ...secondary.spec, backupRetentionPeriod: 21 } };
    expect(
      auroraGlobalCluster.check({ type: 'changed', environment: 'production-dr', before: secondary, after: resized }, noContext),
    ).toEqual([]);
  });
});

// After a promotion in AWS the runbook swaps the roles in the fleet: production-dr becomes the
// source, production its standby (standbyOf: production-dr). In AWS the GlobalCluster is still the
// one made from production's cluster, with both clusters members (review of issue 28, medium-high).
const SWAPPED_ENVIRONMENTS = `environments:
  production-dr:
    operator: aws-aurora
    namespace: databases
    topology: grouped
    instances: 2
    storage: 20Gi
    developerAccess: read-only
    cluster: { name: dr-eks }
    aws:
      region: eu-west-1
      accountID: "123456789012"
      subnetIDs: [subnet-9a8b7c6d, subnet-8b7c6d5e]
      securityGroupIDs: [sg-0fedcba9]
      serverless: { minCapacity: 0.5, maxCapacity: 16 }
      endpointId: d4bkdjr43sdm
      backupRetentionDays: 14
GLOBAL_CLUSTER_FROM
  production:
    standbyOf: production-dr
    cluster: { server: https://kubernetes.default.svc }
    instances: 3
    readEndpoint: true
    aws:
      region: eu-central-1
      subnetIDs: [subnet-0a1b2c3d, subnet-1b2c3d4e, subnet-2c3d4e5f]
      securityGroupIDs: [sg-0123abcd]
      endpointId: c9akciq32rcl
services:`;
const swapped = (from: string) =>
  FIXTURE.slice(0, FIXTURE.indexOf('environments:')) +
  SWAPPED_ENVIRONMENTS.replace('GLOBAL_CLUSTER_FROM\n', from) +
  FIXTURE.slice(FIXTURE.indexOf('services:') + 'services:'.length);
const manifests = (text: string) =>
  new Map(renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))).map((o) => [o.path, o.object] as [string, KubernetesObject]));

describe('Aurora GlobalCluster: the role swap after a promotion (two fleet versions, diffed)', () => {
  const before = manifests(FIXTURE);
  const objectsOf = (m: Map<string, KubernetesObject>, env: string, kind: string) =>
    [...m].filter(([path, o]) => path.startsWith(`${env}/`) && o.kind === kind).map(([, o]) => o as Obj);

  it('with aws.globalClusterFrom: the same GlobalCluster objects, the promoted cluster still a member, no GlobalCluster DANGER', () => {
    const after = manifests(swapped('      globalClusterFrom: production\n'));
    // The GlobalClusters stay where they were made, byte for byte.
    for (const env of ['production', 'production-dr'])
      expect(objectsOf(after, env, 'GlobalCluster'), env).toEqual(objectsOf(before, env, 'GlobalCluster'));
    expect(objectsOf(after, 'production', 'GlobalCluster').map((o) => o.spec.globalClusterIdentifier)).toEqual([
      'shop-production-commerce-global',
      'shop-production-identity-global',
    ]);
    // The new primary: the cluster created into the GlobalCluster stays its member, and is now a primary.
    const promoted = objectsOf(after, 'production-dr', 'DBCluster').find((o) => o.metadata.name === 'commerce')!;
    expect(promoted.spec.globalClusterIdentifier).toBe('shop-production-commerce-global');
    expect(promoted.spec.masterUsername).toBe('dbfleet_master');
    expect(promoted.spec.masterUserPassword).toEqual({ name: 'commerce-master-credentials', namespace: 'databases', key: 'password' });
    // The former source: still the cluster the GlobalCluster was made from, a secondary now.
    const former = objectsOf(after, 'production', 'DBCluster').find((o) => o.metadata.name === 'commerce')!;
    expect(former.spec.globalClusterIdentifier).toBeUndefined();
    expect(former.spec.masterUserPassword).toBeUndefined();
    const plan = makePlan(before, after);
    expect(plan.dangers.filter((d) => d.rule === 'aurora-global-cluster')).toEqual([]);
    // Not added, removed, moved or changed anywhere.
    const touched = plan.environments.flatMap((e) => [
      ...e.added.map((o) => `added ${o.environment} ${o.kind} ${o.name}`),
      ...e.removed.map((o) => `removed ${o.environment} ${o.kind} ${o.name}`),
      ...e.moved.map((m) => `moved ${m.from.environment} ${m.from.kind} ${m.from.name}`),
      ...e.changed.map((c) => `changed ${c.object.environment} ${c.object.kind} ${c.object.name}`),
    ]);
    expect(touched.filter((t) => / GlobalCluster /.test(t))).toEqual([]);
    // Each DBCluster changes only in its master credentials, never in its membership.
    const dbClusters = plan.environments.flatMap((e) => e.changed.filter((c) => c.object.kind === 'DBCluster'));
    expect(dbClusters.flatMap((c) => c.fields.map((f) => f.path)).filter((p) => p.includes('globalClusterIdentifier'))).toEqual([]);
  });

  it("the swap's real danger is shown: every store key moves to the promoted environment (copy first, or passwords change under running apps)", () => {
    const plan = makePlan(before, manifests(swapped('      globalClusterFrom: production\n')));
    const moved = plan.dangers.filter((d) => d.rule === 'store-key-moved');
    // Both sites' app Secrets and exporter logins now read the promoted environment's keys.
    expect(moved.map((d) => `${d.environment} ${d.object}`).sort()).toEqual(
      ['production', 'production-dr'].flatMap((env) =>
        [
          'ExternalSecret customers/customer-profiles-db',
          'ExternalSecret databases/commerce-exporter-credentials',
          'ExternalSecret databases/identity-exporter-credentials',
          'ExternalSecret orders/orders-db',
          'ExternalSecret payments/payments-db',
        ].map((o) => `${env} ${o}`),
      ),
    );
    expect(moved.find((d) => d.object === 'ExternalSecret orders/orders-db')!.message).toMatch(
      /reads store key databases\/production-dr\/services\/orders instead of databases\/production\/services\/orders \(another environment's key: a DR role swap.*AuroraGlobalClusterPromotion\.md/,
    );
  });

  it('without it, the plan says the GlobalCluster goes and a second one would be made from a member: DANGER naming the fix', () => {
    const after = manifests(swapped(''));
    const dangers = makePlan(before, after).dangers.filter((d) => d.rule === 'aurora-global-cluster');
    // The GlobalClusters go from production and come at production-dr; the DBClusters' memberships
    // flip (production's "joins", production-dr's "leaves"), none of which a sync can do.
    expect(dangers.map((d) => `${d.environment} ${d.object}`).sort()).toEqual([
      'production DBCluster databases/commerce',
      'production DBCluster databases/identity',
      'production GlobalCluster databases/commerce',
      'production GlobalCluster databases/identity',
      'production-dr DBCluster databases/commerce',
      'production-dr DBCluster databases/identity',
      'production-dr GlobalCluster databases/commerce',
      'production-dr GlobalCluster databases/identity',
    ]);
    const created = dangers.find((d) => d.environment === 'production-dr' && d.object === 'GlobalCluster databases/commerce')!;
    expect(created.message).toMatch(
      /already a member of GlobalCluster shop-production-commerce-global: AWS refuses.*aws\.globalClusterFrom/,
    );
  });

  it("a KMS key ARN of another region is a config error (the standby's own region's key, review of issue 28)", () => {
    const text = FIXTURE.replace(
      '      endpointId: d4bkdjr43sdm\n',
      '      endpointId: d4bkdjr43sdm\n      kmsKeyID: arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\n',
    );
    expect(configErrors(text)).toContain(
      `fleet.yaml:${lineOf(text, 'kmsKeyID: arn:aws:kms:eu-central-1')}: environments.production-dr.aws.kmsKeyID: "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" is a KMS key of another region than aws.region: a cluster's key must be in its own region (a DR standby needs its own region's key)`,
    );
    const own = text.replace('arn:aws:kms:eu-central-1:', 'arn:aws:kms:eu-west-1:');
    expect(() => parseFleet(own, 'fleet.yaml')).not.toThrow();
  });

  it('aws.globalClusterFrom names one of the pair, once for both', () => {
    const text = swapped('      globalClusterFrom: staging\n');
    expect(configErrors(text).join('\n')).toMatch(
      /environments\.production-dr\.aws\.globalClusterFrom: is "staging": it must name production-dr or production/,
    );
    const standbyOnly = FIXTURE.replace(
      '      endpointId: d4bkdjr43sdm\n',
      '      endpointId: d4bkdjr43sdm\n      globalClusterFrom: production\n',
    );
    expect(configErrors(standbyOnly).join('\n')).toMatch(
      /environments\.production-dr\.aws\.globalClusterFrom: must equal production's \(unset: the source\)/,
    );
  });
});

describe('Aurora: a major version change is DANGER (attack on issue 28)', () => {
  it('postgres.version 16 → 17: ACK upgrades in place at the next sync; the GlobalCluster member is told to upgrade through the global cluster', () => {
    const before = manifests(FIXTURE);
    const after = manifests(FIXTURE.replace('postgres: { version: 16,', 'postgres: { version: 17,'));
    const dangers = makePlan(before, after).dangers.filter((d) => d.rule === 'aurora-major-version');
    expect(dangers.map((d) => `${d.environment} ${d.object}`).sort()).toEqual([
      'production DBCluster databases/commerce',
      'production DBCluster databases/identity',
      'production-dr DBCluster databases/commerce',
      'production-dr DBCluster databases/identity',
    ]);
    const primary = dangers.find((d) => d.environment === 'production')!.message;
    expect(primary).toMatch(/16 → 17.*ApplyImmediately and AllowMajorVersionUpgrade.*aurora-postgresql16/);
    expect(primary).not.toMatch(/modify-global-cluster/);
    expect(dangers.find((d) => d.environment === 'production-dr')!.message).toMatch(
      /member of GlobalCluster shop-production-commerce-global: upgrade it through the global cluster/,
    );
  });
});

describe('Aurora: dissolving the pair moves the store keys too (attack on issue 28)', () => {
  it('the former standby without standbyOf reads its own keys: store-key-moved, and the runbook says to copy them first', () => {
    const standby = FIXTURE.slice(FIXTURE.indexOf('  production-dr:'), FIXTURE.indexOf('services:'));
    const standalone = `  production-dr:
    operator: aws-aurora
    namespace: databases
    topology: grouped
    instances: 2
    storage: 20Gi
    developerAccess: read-only
    cluster: { name: dr-eks }
    aws:
      region: eu-west-1
      accountID: "123456789012"
      subnetIDs: [subnet-9a8b7c6d, subnet-8b7c6d5e]
      securityGroupIDs: [sg-0fedcba9]
      serverless: { minCapacity: 0.5, maxCapacity: 16 }
      endpointId: d4bkdjr43sdm
      backupRetentionDays: 14
`;
    const dangers = makePlan(manifests(FIXTURE), manifests(FIXTURE.replace(standby, standalone))).dangers;
    expect(dangers.filter((d) => d.rule === 'store-key-moved' && d.object === 'ExternalSecret orders/orders-db')).toHaveLength(1);
    const runbook = readFileSync(join(__dirname, '..', '..', 'docs', 'runbooks', 'AuroraGlobalClusterPromotion.md'), 'utf8');
    expect(runbook).toMatch(
      /3\. Dissolved pair: remove `standbyOf` \(the former standby then reads its own store keys: copy every\s+key first/,
    );
  });
});
