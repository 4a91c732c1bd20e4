// The Aurora restore drill (issue 28 item 5): a copy-on-write clone of each cluster, created and
// deleted by the restore-drill ops command. The rendered objects validate; the scratch DBCluster
// and DBInstance the CronJob would create (built from the CronJob's own arguments) validate
// against the ACK v1.11.1 CRDs and pass the admission policy's CEL; the drill runs its states
// against a fake API server and always deletes the clone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { loadValidator } from '../../lib/validate';
import { configErrors } from '../support/fleet';
import { main } from '../../lib/ops/restore-drill/main';
import {
  ACK_DB_CLUSTERS,
  ACK_DB_INSTANCES,
  auroraScratchManifests,
  type AuroraCloneSettings,
} from '../../lib/ops/restore-drill/aurora-drill';
import { KubeApiError, type KubeClient, type KubeObject, type Resource } from '../../lib/ops/kube/client';
import type { CheckTarget } from '../../lib/ops/restore-drill/check';
import { evaluateAdmissionPolicy } from '../../lib/validate/admission-policy-cel';
import { loadSchemaSet, type CrdKindSchema } from '../../lib/validate/schema-source';

const DRILL_USER = 'system:serviceaccount:databases:restore-drill';
const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'aurora.yaml'), 'utf8');
const DRILL =
  '    backups:\n      restoreDrill: { schedule: "0 4 * * 0", timeout: 1h, pushgateway: http://pushgateway.monitoring.svc:9091 }\n';
const withDrill = (extra = DRILL) =>
  FIXTURE.replace('      backupRetentionDays: 14\n', `      backupRetentionDays: 14\n${extra}`) +
  '\nopsImage: registry.example.com/dbfleet/ops:1.0.0\n';
const fleet = parseFleet(withDrill(), 'fleet.yaml');
const rendered = renderObjects(buildApp(fleet));
type Obj = KubernetesObject & { spec: any };
const prod = rendered.filter((o) => o.path.startsWith('production/')).map((o) => o.object as Obj);
const find = (kind: string, name: string) => {
  const o = prod.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const all = rendered.map((o) => o.object as Obj);
const cronJob = find('CronJob', 'restore-drill');
const container = cronJob.spec.jobTemplate.spec.template.spec.containers[0];
const args: string[] = container.args;
/** The ops command's arguments after the command name (the image's entrypoint takes the command first). */
const commandArgs = args.slice(args.indexOf('restore-drill') + 1);
const flag = (name: string) => commandArgs.flatMap((a, i) => (a === name ? [commandArgs[i + 1]] : []));

/** The settings the ops command derives from the rendered arguments. */
function settingsFromArgs(): AuroraCloneSettings {
  const [min, max] = flag('--serverless')[0].split(':').map(Number);
  return {
    namespace: flag('--namespace')[0],
    scratchCluster: flag('--scratch-cluster')[0],
    identifierPrefix: flag('--identifier-prefix')[0],
    region: flag('--region')[0],
    securityGroupIDs: flag('--security-group'),
    instanceClass: flag('--instance-class')[0],
    serverless: { minCapacity: min, maxCapacity: max },
    ownerSecrets: Object.fromEntries(flag('--owner-secret').map((o) => o.split('='))),
    timeoutSeconds: 3600,
  };
}

describe('aurora restore drill rendering', () => {
  it('a CronJob runs restore-drill --source auroraClone for every cluster with every database and its owner Secret', () => {
    expect(cronJob.spec.schedule).toBe('0 4 * * 0');
    expect(cronJob.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(flag('--source')).toEqual(['auroraClone']);
    expect(flag('--identifier-prefix')).toEqual(['shop-production-']);
    // The clone is made in the source's region whatever the ACK controller's default (issue 28 review).
    expect(flag('--region')).toEqual(['eu-central-1']);
    expect(flag('--instance-class')).toEqual(['db.serverless']);
    expect(flag('--serverless')).toEqual(['0.5:16']);
    expect(flag('--security-group')).toEqual(['sg-0123abcd']);
    expect(flag('--cluster')).toEqual(['commerce:orders,payments', 'identity:customer_profiles']);
    expect(flag('--owner-secret').sort()).toEqual([
      'customer_profiles=customer-profiles-db-credentials',
      'orders=orders-db-credentials',
      'payments=payments-db-credentials',
    ]);
    expect(flag('--pushgateway')).toEqual(['http://pushgateway.monitoring.svc:9091']);
    for (const secret of flag('--owner-secret').map((o) => o.split('=')[1])) expect(find('ExternalSecret', secret)).toBeDefined();
  });

  it('the Role creates DBClusters/DBInstances, reads and deletes only the scratch names, reads only the owner Secrets', () => {
    expect(find('Role', 'restore-drill').rules).toEqual([
      { apiGroups: ['rds.services.k8s.aws'], resources: ['dbclusters', 'dbinstances'], verbs: ['create'] },
      {
        apiGroups: ['rds.services.k8s.aws'],
        resources: ['dbclusters'],
        verbs: ['get', 'delete'],
        resourceNames: ['restore-drill-scratch'],
      },
      {
        apiGroups: ['rds.services.k8s.aws'],
        resources: ['dbinstances'],
        verbs: ['get', 'delete'],
        resourceNames: ['restore-drill-scratch-1'],
      },
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get'],
        resourceNames: ['customer-profiles-db-credentials', 'orders-db-credentials', 'payments-db-credentials'],
      },
    ]);
    // No master, admin or exporter login: the drill checks as the owners.
    expect(JSON.stringify(find('Role', 'restore-drill'))).not.toMatch(/master|admin|exporter/);
  });

  it('an admission policy admits exactly the scratch objects the drill creates, for its ServiceAccount only', () => {
    const policy = all.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === 'dbfleet-restore-drill.databases')!;
    const binding = all.find(
      (o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.metadata.name === 'dbfleet-restore-drill.databases',
    )!;
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(policy.spec.matchConstraints.resourceRules[0].resources).toEqual(['dbclusters', 'dbinstances']);
    expect(binding.spec.validationActions).toEqual(['Deny']);
    const schemas = loadSchemaSet().kinds;
    const schemaOf = (o: KubeObject) => (schemas.get(`rds.services.k8s.aws/v1alpha1/${o.kind}`) as CrdKindSchema).schema;
    const admit = (o: KubeObject, username = DRILL_USER) =>
      evaluateAdmissionPolicy(policy.spec, { username, object: o, schema: schemaOf(o) });
    for (const cluster of ['commerce', 'identity']) {
      const { dbCluster, dbInstance } = auroraScratchManifests(settingsFromArgs(), cluster);
      expect(admit(dbCluster)).toEqual({ matched: true, allowed: true, refusals: [] });
      expect(admit(dbInstance)).toEqual({ matched: true, allowed: true, refusals: [] });
    }
    const { dbCluster, dbInstance } = auroraScratchManifests(settingsFromArgs(), 'commerce');
    const crafted = (base: KubeObject, change: (o: any) => void) => {
      const copy = structuredClone(base);
      change(copy);
      return copy;
    };
    const refused: Array<[string, KubeObject]> = [
      ['another name', crafted(dbCluster, (o) => (o.metadata.name = 'commerce-copy'))],
      ['no skip-final-snapshot', crafted(dbCluster, (o) => delete o.metadata.annotations['rds.services.k8s.aws/skip-final-snapshot'])],
      ['a cluster of another environment', crafted(dbCluster, (o) => (o.spec.sourceDBClusterIdentifier = 'shop-test-commerce'))],
      ['master credentials', crafted(dbCluster, (o) => (o.spec.masterUsername = 'x'))],
      ['a new cluster, not a clone', crafted(dbCluster, (o) => delete o.spec.sourceDBClusterIdentifier)],
      ['a full copy', crafted(dbCluster, (o) => (o.spec.restoreType = 'full-copy'))],
      ['public', crafted(dbCluster, (o) => (o.spec.publiclyAccessible = true))],
      ['deletion protection', crafted(dbCluster, (o) => (o.spec.deletionProtection = true))],
      ['another security group', crafted(dbCluster, (o) => (o.spec.vpcSecurityGroupIDs = ['sg-open']))],
      ['another subnet group', crafted(dbCluster, (o) => (o.spec.dbSubnetGroupName = 'public-subnets'))],
      ['another identifier', crafted(dbCluster, (o) => (o.spec.dbClusterIdentifier = 'shop-production-commerce'))],
      ['a public instance', crafted(dbInstance, (o) => (o.spec.publiclyAccessible = true))],
      ['an instance in the source', crafted(dbInstance, (o) => (o.spec.dbClusterIdentifier = 'shop-production-commerce'))],
      ['a bigger instance', crafted(dbInstance, (o) => (o.spec.dbInstanceClass = 'db.r7g.16xlarge'))],
      // Attack on issue 24 (platform side): ACK adopts an existing RDS resource named by an annotation
      // (aws-controllers-k8s/runtime ResourceAdoption, on by default); the drill may delete the scratch name.
      [
        "production's instance adopted under the scratch name",
        crafted(dbInstance, (o) =>
          Object.assign(o.metadata.annotations, {
            'services.k8s.aws/adoption-policy': 'adopt',
            'services.k8s.aws/adoption-fields': '{"dbInstanceIdentifier":"shop-production-commerce-1"}',
          }),
        ),
      ],
      [
        "production's cluster adopted under the scratch name",
        crafted(dbCluster, (o) =>
          Object.assign(o.metadata.annotations, {
            'services.k8s.aws/adoption-policy': 'adopt',
            'services.k8s.aws/adoption-fields': '{"dbClusterIdentifier":"shop-production-commerce"}',
          }),
        ),
      ],
      ["another team's tag on the clone", crafted(dbCluster, (o) => o.spec.tags.push({ key: 'team', value: 'analytics' }))],
      ['a drill tag naming another source', crafted(dbInstance, (o) => (o.spec.tags[0].value = 'shop-test-commerce'))],
      ['another region', crafted(dbCluster, (o) => (o.metadata.annotations['services.k8s.aws/region'] = 'us-west-2'))],
      ["the controller's default region", crafted(dbInstance, (o) => delete o.metadata.annotations['services.k8s.aws/region'])],
      ['a clone left behind', crafted(dbCluster, (o) => (o.metadata.annotations['services.k8s.aws/deletion-policy'] = 'retain'))],
      [
        'automated backups kept',
        crafted(dbCluster, (o) => (o.metadata.annotations['rds.services.k8s.aws/delete-automated-backups'] = 'false')),
      ],
    ];
    for (const [what, o] of refused) expect(admit(o), what).toMatchObject({ matched: true, allowed: false });
    // Nobody else's requests are matched (Argo CD applies the real clusters).
    expect(admit(refused[2][1], 'system:serviceaccount:argocd:argocd-application-controller')).toEqual({ matched: false });
  });

  it('the scratch DBCluster is a copy-on-write clone with no master credentials, no final snapshot, no deletion protection', () => {
    const { dbCluster, dbInstance } = auroraScratchManifests(settingsFromArgs(), 'commerce');
    expect(dbCluster.metadata.annotations).toEqual({
      'rds.services.k8s.aws/skip-final-snapshot': 'true',
      'rds.services.k8s.aws/delete-automated-backups': 'true',
      'services.k8s.aws/region': 'eu-central-1',
    });
    expect(dbInstance.metadata.annotations).toEqual(dbCluster.metadata.annotations);
    expect(dbCluster.spec).toMatchObject({
      dbClusterIdentifier: 'shop-production-restore-drill-scratch',
      sourceDBClusterIdentifier: 'shop-production-commerce',
      restoreType: 'copy-on-write',
      useLatestRestorableTime: true,
      dbSubnetGroupName: 'shop-production-commerce',
      publiclyAccessible: false,
      deletionProtection: false,
      serverlessV2ScalingConfiguration: { minCapacity: 0.5, maxCapacity: 16 },
    });
    expect(dbCluster.spec.masterUsername).toBeUndefined();
    expect(dbCluster.spec.masterUserPassword).toBeUndefined();
    expect(dbCluster.spec.restoreToTime).toBeUndefined();
    expect(dbInstance.spec).toMatchObject({
      dbInstanceIdentifier: 'shop-production-restore-drill-scratch-1',
      dbClusterIdentifier: 'shop-production-restore-drill-scratch',
      dbInstanceClass: 'db.serverless',
      publiclyAccessible: false,
    });
    // The source's subnet group exists under that RDS name.
    expect(find('DBSubnetGroup', 'commerce').spec.name).toBe('shop-production-commerce');
    expect(find('DBClusterParameterGroup', 'commerce').spec.name).toBe('shop-production-commerce');
  });

  it('every rendered object and the scratch objects the CronJob would create validate (ACK v1.11.1 CRDs)', () => {
    const validator = loadValidator({ unvalidatedKinds: [] });
    const issues = rendered.flatMap((o) => validator.validateObject(o.object, { file: o.path }));
    for (const cluster of ['commerce', 'identity']) {
      const { dbCluster, dbInstance } = auroraScratchManifests(settingsFromArgs(), cluster);
      issues.push(...validator.validateObject(dbCluster as any, { file: `scratch-${cluster}-dbcluster` }));
      issues.push(...validator.validateObject(dbInstance as any, { file: `scratch-${cluster}-dbinstance` }));
    }
    expect(issues.map((i) => `${i.file}: ${i.path}: ${i.message}`)).toEqual([]);
  });

  it('the same alerts as the CloudNativePG drill: RestoreDrillFailed, RestoreDrillNotRecent', () => {
    const names = prod
      .filter((o) => o.kind === 'PrometheusRule')
      .flatMap((o) => o.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert)));
    expect(names).toContain('RestoreDrillFailed');
    expect(names).toContain('RestoreDrillNotRecent');
  });
});

describe('aurora restore drill config', () => {
  it('source has no meaning on Aurora; opsImage is required', () => {
    const source = withDrill('    backups:\n      restoreDrill: { schedule: "0 4 * * 0", source: objectStore }\n');
    expect(configErrors(source).join('\n')).toMatch(/restoreDrill\.source.*has no meaning on operator: aws-aurora/);
    const noImage = withDrill().replace('\nopsImage: registry.example.com/dbfleet/ops:1.0.0\n', '\n');
    expect(configErrors(noImage).join('\n')).toMatch(/opsImage/);
  });
});

/** An in-memory API server for DBClusters, DBInstances and Secrets; ACK's work is `advance`. */
class FakeApi {
  objects = new Map<string, KubeObject>();
  created: KubeObject[] = [];
  deleted: string[] = [];
  key = (r: Resource, name: string) => `${r.plural}/${name}`;
  client = {
    get: async (r: Resource, _ns: string, name: string) => {
      const o = this.objects.get(this.key(r, name));
      if (!o) throw new KubeApiError('GET', name, 404, 'NotFound', '');
      return o;
    },
    find: async (r: Resource, _ns: string, name: string) => this.objects.get(this.key(r, name)),
    create: async (r: Resource, _ns: string, o: KubeObject) => {
      if (this.objects.has(this.key(r, o.metadata.name))) throw new KubeApiError('POST', o.metadata.name, 409, 'AlreadyExists', '');
      this.created.push(o);
      this.objects.set(this.key(r, o.metadata.name), structuredClone(o));
      return o;
    },
    delete: async (r: Resource, _ns: string, name: string) => {
      this.deleted.push(this.key(r, name));
      return this.objects.delete(this.key(r, name));
    },
  } as unknown as KubeClient;
  secret(name: string, user: string) {
    this.objects.set(`secrets/${name}`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      data: { username: Buffer.from(user).toString('base64'), password: Buffer.from(`${user}-pw`).toString('base64') },
    });
  }
  advance(clusterStatus: string, instanceStatus: string) {
    const c = this.objects.get(this.key(ACK_DB_CLUSTERS, 'restore-drill-scratch'));
    const i = this.objects.get(this.key(ACK_DB_INSTANCES, 'restore-drill-scratch-1'));
    if (c) c.status = { status: clusterStatus, endpoint: 'clone.cluster-x.eu-central-1.rds.amazonaws.com' };
    if (i) i.status = { dbInstanceStatus: instanceStatus };
  }
}

describe('restore-drill --source auroraClone', () => {
  const run = async (api: FakeApi, statuses: Array<[string, string]>, ok = true) => {
    const checked: CheckTarget[] = [];
    let polls = 0;
    const lines: string[] = [];
    const code = await main(
      commandArgs.filter((a, i) => commandArgs[i - 1] !== '--pushgateway' && a !== '--pushgateway'),
      {},
      {
        client: api.client,
        log: { log: (level: string, event: string, fields?: object) => lines.push(JSON.stringify({ level, event, ...fields })) } as any,
        check: async (t) => {
          checked.push(t);
          return t.databases.map((database) => ({ database, ok, tables: 1, estimatedRows: 1, ...(ok ? {} : { error: 'boom' }) }));
        },
        now: () => 1_800_000_000_000 + polls * 10_000,
        sleep: async () => {
          const [c, i] = statuses[Math.min(polls, statuses.length - 1)];
          api.advance(c, i);
          polls++;
        },
        signal: new AbortController().signal,
      },
    );
    return { code, checked, lines };
  };
  const setup = () => {
    const api = new FakeApi();
    api.secret('orders-db-credentials', 'orders');
    api.secret('payments-db-credentials', 'payments');
    api.secret('customer-profiles-db-credentials', 'customer_profiles');
    return api;
  };

  it('clones each cluster, checks every database as its owner on the clone, and deletes instance and clone', async () => {
    const api = setup();
    const { code, checked } = await run(api, [
      ['creating', 'creating'],
      ['available', 'available'],
    ]);
    expect(code).toBe(0);
    expect(checked.map((c) => [c.user, c.databases.join(), c.host])).toEqual([
      ['orders', 'orders', 'clone.cluster-x.eu-central-1.rds.amazonaws.com'],
      ['payments', 'payments', 'clone.cluster-x.eu-central-1.rds.amazonaws.com'],
      ['customer_profiles', 'customer_profiles', 'clone.cluster-x.eu-central-1.rds.amazonaws.com'],
    ]);
    expect(checked[0].password).toBe('orders-pw');
    expect(api.created.map((o) => `${o.kind}/${o.metadata.name}/${o.spec.sourceDBClusterIdentifier ?? ''}`)).toEqual([
      'DBCluster/restore-drill-scratch/shop-production-commerce',
      'DBInstance/restore-drill-scratch-1/',
      'DBCluster/restore-drill-scratch/shop-production-identity',
      'DBInstance/restore-drill-scratch-1/',
    ]);
    expect(api.deleted).toEqual([
      'dbinstances/restore-drill-scratch-1',
      'dbclusters/restore-drill-scratch',
      'dbinstances/restore-drill-scratch-1',
      'dbclusters/restore-drill-scratch',
    ]);
    expect([...api.objects.keys()].filter((k) => !k.startsWith('secrets/'))).toEqual([]);
  });

  it('a failed restore or a failing check fails the drill (exit 1) and still deletes the clone', async () => {
    const api = setup();
    const failed = await run(api, [['restore-failed', 'creating']]);
    expect(failed.code).toBe(1);
    expect(failed.lines.join('\n')).toMatch(/DBCluster status \\"restore-failed\\"/);
    expect([...api.objects.keys()].filter((k) => !k.startsWith('secrets/'))).toEqual([]);
    const bad = await run(setup(), [['available', 'available']], false);
    expect(bad.code).toBe(1);
    expect(bad.lines.join('\n')).toMatch(/database orders: boom/);
  });

  it('a leftover clone from a killed run is deleted first', async () => {
    const api = setup();
    const { dbCluster } = auroraScratchManifests(settingsFromArgs(), 'commerce');
    api.objects.set('dbclusters/restore-drill-scratch', dbCluster);
    const { code } = await run(api, [['available', 'available']]);
    expect(code).toBe(0);
    expect(api.deleted[0]).toBe('dbinstances/restore-drill-scratch-1');
  });

  it('usage errors: auroraClone needs the prefix, security groups and instance class', async () => {
    const lines: string[] = [];
    const code = await main(
      ['--namespace', 'd', '--environment', 'e', '--source', 'auroraClone', '--cluster', 'a:b'],
      {},
      {
        log: { log: (_l: string, _e: string, f?: object) => lines.push(JSON.stringify(f)) } as any,
      },
    );
    expect(code).toBe(2);
    expect(lines.join()).toMatch(/--identifier-prefix is required.*--security-group is required.*--instance-class is required/);
  });
});
