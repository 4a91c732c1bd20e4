// DR standby sites (environments.<env>.standbyOf): config rules, and the replica clusters of the
// distributed topology rendered at both sites, for every topology. Own fixture fleet.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../lib/config/model';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { switchover } from '../../lib/dr/switchover';
import { drSwitchover } from '../../lib/plan/dr-switchover';
import { formatPlan } from '../../lib/plan/format';
import { makePlan } from '../../lib/plan/plan';
import { fleetStoreKeys } from '../../lib/secrets/store-keys';
import { formatIssue, loadValidator, type Validator } from '../../lib/validate';
import { drFleet } from '../support/dr-fleet';
import { configErrors, fleetOf } from '../support/fleet';
import { demotionToken } from '../support/promotion-token';

type Obj = KubernetesObject & { spec: any };
function render(fleet: Fleet) {
  const rendered = renderObjects(buildApp(fleet));
  const inEnv = (env: string) => rendered.filter((o) => o.path.startsWith(`${env}/`)).map((o) => o.object as Obj);
  const find = (env: string, kind: string, name: string) => {
    const o = inEnv(env).find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`${env}: no ${kind} ${name}`);
    return o;
  };
  return { rendered, inEnv, find };
}

let validator: Validator;
beforeAll(() => {
  validator = loadValidator();
});

const CLUSTERS = { shared: ['acme'], 'per-service': ['catalog', 'orders'], grouped: ['commerce', 'storefront'] } as const;

describe.each(['shared', 'per-service', 'grouped'] as const)('topology %s: the standby site', (topology) => {
  const fleet = fleetOf(drFleet(topology));
  const { rendered, inEnv, find } = render(fleet);
  const clusters = (env: string) =>
    inEnv(env)
      .filter((o) => o.kind === 'Cluster')
      .map((o) => o.metadata.name)
      .sort();

  it('renders every source cluster at the DR site, under the same name', () => {
    expect(clusters('main')).toEqual([...CLUSTERS[topology]]);
    expect(clusters('main-dr')).toEqual([...CLUSTERS[topology]]);
  });

  it('both sites list the same external clusters; the source is primary, the standby replays its archive', () => {
    for (const name of CLUSTERS[topology]) {
      const main = find('main', 'Cluster', name).spec;
      const dr = find('main-dr', 'Cluster', name).spec;
      expect(main.replica).toEqual({ self: 'main', primary: 'main', source: 'main-dr' });
      expect(dr.replica).toEqual({ self: 'main-dr', primary: 'main', source: 'main' });
      expect(main.externalClusters.map((e: any) => e.name)).toEqual(['main', 'main-dr']);
      expect(dr.externalClusters.map((e: any) => e.name)).toEqual(['main', 'main-dr']);
      // Each entry points, at each site, to the ObjectStore of that site's bucket.
      const stores = (spec: any, env: string) =>
        inEnv(env).find((o) => o.kind === 'ObjectStore' && o.metadata.name === spec.plugin.parameters.barmanObjectName)!.spec.configuration
          .destinationPath;
      expect(main.externalClusters.map((e: any) => stores(e, 'main'))).toEqual(['gs://main-archive/pg', 's3://dr-archive/pg']);
      expect(dr.externalClusters.map((e: any) => stores(e, 'main-dr'))).toEqual(['gs://main-archive/pg', 's3://dr-archive/pg']);
      for (const e of [...main.externalClusters, ...dr.externalClusters])
        expect(e.plugin).toMatchObject({ name: 'barman-cloud.cloudnative-pg.io', parameters: { serverName: name } });
      // The standby starts from the source's backups; the source is an ordinary initdb cluster.
      expect(dr.bootstrap).toEqual({ recovery: { source: 'main' } });
      expect(main.bootstrap).toBeUndefined();
      // Each site archives its own WAL to its own store.
      expect(dr.plugins).toEqual([expect.objectContaining({ isWALArchiver: true, parameters: { barmanObjectName: 'acme-object-store' } })]);
      // A physical copy: the source's parameters and storage; the DR site's storage class.
      expect(dr.postgresql).toEqual(main.postgresql);
      expect(dr.storage).toEqual({ size: main.storage.size, storageClass: 'gp3' });
      expect(dr.managed).toEqual(main.managed);
    }
  });

  it("the standby reads the source's passwords and pushes none of its own", () => {
    expect(inEnv('main-dr').filter((o) => o.kind === 'PushSecret')).toEqual([]);
    expect(inEnv('main').filter((o) => o.kind === 'PushSecret').length).toBeGreaterThan(0);
    const key = (env: string, name: string) => find(env, 'ExternalSecret', name).spec.data[0].remoteRef.key;
    for (const name of ['orders-db-credentials', 'orders-db', 'developer-alice-credentials'])
      expect(key('main-dr', name)).toBe(key('main', name));
    expect(key('main-dr', 'orders-db')).toBe('databases/main/services/orders');
    const drKeys = fleetStoreKeys(fleet).filter((k) => k.environment === 'main-dr' && k.property === 'password');
    expect(drKeys.every((k) => k.origin === 'generated-by-source' && k.remoteKey.startsWith('databases/main/'))).toBe(true);
  });

  it("the standby's ExternalSecrets of keys the source pushes are marked for the Argo CD health grace; no other is", () => {
    const marked = (env: string) =>
      inEnv(env)
        .filter((o) => o.kind === 'ExternalSecret' && o.metadata.annotations?.['dbfleet.io/pushed-by'])
        .map((o) => o.metadata.name);
    expect(marked('main')).toEqual([]);
    expect(marked('main-dr')).toEqual(expect.arrayContaining(['orders-db-credentials', 'orders-db', 'developer-alice-credentials']));
    for (const o of inEnv('main-dr').filter((x) => x.kind === 'ExternalSecret' && marked('main-dr').includes(x.metadata.name))) {
      expect(o.metadata.annotations!['dbfleet.io/pushed-by']).toBe('main');
      for (const d of o.spec.data) expect(d.remoteRef.key).toMatch(/^databases\/main\//);
    }
    // The peer's read-only object-store key is the platform's to create: a missing one is Degraded at once.
    expect(marked('main-dr').some((n) => n.includes('object-store'))).toBe(false);
  });

  it("both sites take their scheduled backups on the primary (each one switches WAL: the cross-site alert's heartbeat); other environments prefer a standby", () => {
    const targets = (env: string) =>
      inEnv(env)
        .filter((o) => o.kind === 'ScheduledBackup' || (o.kind === 'Cluster' && o.spec.backup))
        .map((o) => `${o.kind}/${o.metadata.name}: ${o.kind === 'Cluster' ? o.spec.backup.target : o.spec.target}`);
    for (const env of fleet.environments) {
      const expected = env.dr ? 'primary' : 'prefer-standby';
      expect(targets(env.name).length, env.name).toBeGreaterThan(0);
      for (const t of targets(env.name)) expect(t, env.name).toMatch(new RegExp(`: ${expected}$`));
    }
  });

  it('developer access jobs run only at the primary site (a replica is read-only)', () => {
    expect(inEnv('main').some((o) => o.kind === 'CronJob' && o.metadata.name.endsWith('-access'))).toBe(true);
    expect(inEnv('main-dr').some((o) => o.kind === 'CronJob' && o.metadata.name.endsWith('-access'))).toBe(false);
  });

  it('every rendered object validates against the CRDs', () => {
    const objects = rendered.filter((o) => o.path.startsWith('main')).map((o) => ({ object: o.object, location: { file: o.path } }));
    const report = validator.validateObjects(objects);
    expect(report.issues.map(formatIssue)).toEqual([]);
  });
});

describe('switchover and failover, as fleet changes', () => {
  // Valid tokens: the webhook's check (base64, JSON, six non-empty fields) is a config error too.
  const TOKEN = demotionToken('7455138234578914321');
  const TOKEN2 = demotionToken('7455138234578914322');
  const S0 = render(fleetOf(drFleet('per-service')));
  const S1 = render(fleetOf(drFleet('per-service', '    switchoverTo: main-dr')));
  const S2 = render(
    fleetOf(drFleet('per-service', `    primarySite: main-dr\n    promotionTokens: { orders: ${TOKEN}, catalog: ${TOKEN2} }`)),
  );
  const FAILOVER = render(fleetOf(drFleet('per-service', '    primarySite: main-dr')));
  const replica = (r: ReturnType<typeof render>, env: string) => r.find(env, 'Cluster', 'orders').spec.replica;
  const cluster = (r: ReturnType<typeof render>, env: string) => r.find(env, 'Cluster', 'orders');
  const dangers = (before: ReturnType<typeof render>, after: ReturnType<typeof render>, env: string) =>
    drSwitchover.check(
      { type: 'changed', environment: env, before: cluster(before, env), after: cluster(after, env) },
      { transitions: [], headObjects: () => [] },
    );

  it('step 1 (switchoverTo) demotes only the primary site; the standby keeps following it', () => {
    expect(replica(S1, 'main')).toEqual({ self: 'main', primary: 'main-dr', source: 'main-dr' });
    expect(replica(S1, 'main-dr')).toEqual(replica(S0, 'main-dr'));
    expect(dangers(S0, S1, 'main').join()).toMatch(/demotes site main \(switchover step 1 of 2\).*status\.demotionToken/);
    expect(dangers(S0, S1, 'main-dr')).toEqual([]);
  });

  it('the switchover hint of step 1 is the exact step-2 command: --token <cluster>=<token> for every cluster, each read with kubectl, once for the site', () => {
    const manifests = (r: ReturnType<typeof render>) => new Map(r.rendered.map((o) => [o.path, o.object]));
    const plan = makePlan(manifests(S0), manifests(S1));
    const text = formatPlan(plan, 't');
    const read = (c: string) => `--token ${c}="$(kubectl get cluster ${c} -n databases -o jsonpath='{.status.demotionToken}')"`;
    const command = `npx dbfleet switchover main-dr --to main-dr ${read('catalog')} ${read('orders')}`;
    expect(text).toContain(command);
    expect(text).not.toContain('--token <token>');
    // One line for the site, however many clusters it has.
    expect(text.split('\n').filter((l) => l.includes('demotes site main'))).toHaveLength(1);
  });

  it('step 2 sets primary and the demotion token together on the new primary only', () => {
    expect(replica(S2, 'main-dr')).toEqual({ self: 'main-dr', primary: 'main-dr', source: 'main', promotionToken: TOKEN });
    expect(S2.find('main-dr', 'Cluster', 'catalog').spec.replica.promotionToken).toBe(TOKEN2);
    expect(replica(S2, 'main')).toEqual(replica(S1, 'main'));
    expect(dangers(S1, S2, 'main-dr').join()).toMatch(/promotes site main-dr \(switchover step 2 of 2\)/);
    expect(dangers(S1, S2, 'main')).toEqual([]);
    // Once primary, the DR site runs the developer access jobs; the demoted source does not.
    expect(S2.inEnv('main-dr').some((o) => o.kind === 'CronJob' && o.metadata.name === 'orders-access')).toBe(true);
    expect(S2.inEnv('main').some((o) => o.kind === 'CronJob' && o.metadata.name === 'orders-access')).toBe(false);
    // Passwords stay the source's keys whichever site is primary.
    expect(S2.find('main-dr', 'ExternalSecret', 'orders-db').spec.data[0].remoteRef.key).toBe('databases/main/services/orders');
  });

  it('failover: primarySite moves without a token; plan says the old primary must be rebuilt', () => {
    expect(replica(FAILOVER, 'main-dr')).toEqual({ self: 'main-dr', primary: 'main-dr', source: 'main' });
    expect(replica(FAILOVER, 'main')).toEqual({ self: 'main', primary: 'main-dr', source: 'main-dr' });
    expect(dangers(S0, FAILOVER, 'main-dr').join()).toMatch(/WITHOUT a demotion token: a FAILOVER.*rebuild/);
  });

  it('switching back: step 1 demotes the DR site; the source waits for its token', () => {
    const back = render(
      fleetOf(
        drFleet(
          'per-service',
          `    primarySite: main-dr\n    promotionTokens: { orders: ${TOKEN}, catalog: ${TOKEN2} }\n    switchoverTo: main`,
        ),
      ),
    );
    expect(replica(back, 'main-dr')).toEqual({ self: 'main-dr', primary: 'main', source: 'main' });
    expect(replica(back, 'main')).toEqual({ self: 'main', primary: 'main-dr', source: 'main-dr' });
  });
});

describe('standby config errors', () => {
  const errors = (dr: string, main = '') => configErrors(drFleet('per-service', dr, main)).join('\n');
  it('names what is wrong', () => {
    expect(configErrors(drFleet('shared').replace('standbyOf: main', 'standbyOf: prod')).join('\n')).toMatch(
      /environments\.main-dr\.standbyOf.*"prod" does not exist/,
    );
    expect(errors('    primarySite: elsewhere')).toMatch(/primarySite.*"elsewhere" is not a site of this pair: use "main" or "main-dr"/);
    expect(errors('    topology: shared')).toMatch(/main-dr\.topology.*must equal main's/);
    expect(errors('    developerAccess: none')).toMatch(/main-dr\.developerAccess.*must equal main's/);
    expect(errors('    switchoverTo: main')).toMatch(/switchoverTo.*must be the site that is not primary now \("main-dr"\)/);
    expect(errors('', '    primarySite: main')).toMatch(/main\.primarySite.*only applies to a standby environment/);
    expect(configErrors(drFleet('shared').replace('s3://dr-archive/pg', 'gs://main-archive/pg')).join('\n')).toMatch(
      /destinationPath.*each needs its own bucket path/,
    );
    // Another path, or the same path spelled apart, in the source's bucket: the standby's read-write
    // key would write the bucket that holds main's backups and WAL.
    for (const path of ['gs://main-archive/pg/dr', 'gs://main-archive//pg', 'gs://MAIN-ARCHIVE/other'])
      expect(configErrors(drFleet('shared').replace('s3://dr-archive/pg', path)).join('\n'), path).toMatch(
        /main-dr\.backups\.objectStore\.destinationPath: is in main's bucket \(gs:\/\/main-archive\): each site writes only its own bucket/,
      );
    expect(() => fleetOf(drFleet('shared').replace('s3://dr-archive/pg', 'gs://main-archive-dr/pg'))).not.toThrow();
    expect(configErrors(drFleet('shared').replace('https://aws.example', 'https://gcp.example')).join('\n')).toMatch(
      /same namespace of the same Kubernetes cluster/,
    );
    expect(errors('    promotionTokens: { orders: "not a token!" }')).toMatch(/promotionTokens\.orders.*is not a demotion token/);
    const t = demotionToken('1');
    expect(errors(`    primarySite: main-dr\n    promotionTokens: { orders: ${t} }`)).toMatch(/promotionTokens.*has no token for catalog/);
    expect(errors(`    primarySite: main-dr\n    promotionTokens: { orders: ${t}, catalog: ${t}, nope: ${t} }`)).toMatch(
      /"nope" is not a cluster of main/,
    );
  });

  it("refuses a promotion token CloudNativePG's webhook refuses (base64, then JSON with six non-empty fields), at its line", () => {
    const valid = demotionToken('7455138234578914321');
    const partial = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(valid, 'base64').toString()), operatorVersion: '' })).toString(
      'base64',
    );
    const cases: Array<[string, RegExp]> = [
      // The token the DR tests used before: base64 JSON, but not the operator's shape.
      ['eyJzeXN0ZW1faWQiOiIxIn0=', /Invalid promotionToken content: .*LatestCheckpointTimelineID is empty/],
      ['e30=', /LatestCheckpointTimelineID is empty/],
      [partial, /OperatorVersion is empty/],
      ['YQ==', /JSON decoding failed/],
      [valid.slice(0, -1), /Base64 decoding failed/],
      ['"not a token!"', /Base64 decoding failed/],
    ];
    for (const [token, message] of cases) {
      const text = drFleet(
        'per-service',
        `    primarySite: main-dr\n    promotionTokens:\n      orders: ${token}\n      catalog: ${valid}`,
      );
      const line = text.split('\n').findIndex((l) => l.startsWith('      orders: ')) + 1;
      const found = configErrors(text);
      expect(found, token).toHaveLength(1);
      expect(found[0]).toMatch(
        new RegExp(`^fleet\\.yaml:${line}: environments\\.main-dr\\.promotionTokens\\.orders: is not a demotion token: `),
      );
      expect(found[0]).toMatch(message);
      expect(found[0]).toContain('cluster_webhook.go validatePromotionToken');
    }
  });

  it("a problem in an inherited value is reported once, at the source's line; an invalid store is not also 'missing'", () => {
    const base = drFleet('per-service');
    const line = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const instances = base.replace('    instances: 3\n', '    instances: -1\n');
    expect(configErrors(instances)).toEqual([`fleet.yaml:${line(instances, 'instances: -1')}: environments.main.instances: must be >= 1`]);
    const storage = base.replace('    storage: 50Gi\n', '    storage: 50Gx\n');
    expect(configErrors(storage)).toEqual([
      `fleet.yaml:${line(storage, '50Gx')}: environments.main.storage: "50Gx" is not a valid Kubernetes quantity (e.g. 5Gi, 500Mi)`,
    ]);
    const access = base.replace(
      '    developerAccess: read-write\n',
      '    developerAccess: read-write\n    accessSchedule: "*/0 * * * *"\n',
    );
    expect(configErrors(access)).toEqual([
      expect.stringMatching(new RegExp(`^fleet\\.yaml:${line(access, '*/0')}: environments\\.main\\.accessSchedule: `)),
    ]);
    // The source's store is written with a wrong schedule: one error, at the schedule's line.
    const schedule = base.replace('        schedule: "0 0 1 * * *"\n', '        schedule: "0 1 * * *"\n');
    expect(configErrors(schedule)).toEqual([
      `fleet.yaml:${line(schedule, '"0 1 * * *"')}: environments.main.backups.objectStore.schedule: "0 1 * * *" has 5 fields; CloudNativePG schedules take 6 (seconds first, e.g. "0 0 2 * * *")`,
    ]);
    // A standby's own value is still reported at the standby's line.
    const own = base.replace('    storageClass: gp3\n', '    storageClass: gp3\n    instances: 0\n');
    expect(configErrors(own)).toEqual([`fleet.yaml:${line(own, 'instances: 0')}: environments.main-dr.instances: must be >= 1`]);
  });

  it('inherits backups by deep merge: objects merge, lists and scalars replace, cluster is replaced whole, null removes', () => {
    const withVelero = (dr: string) =>
      drFleet('per-service')
        .replace(
          '        schedule: "0 0 1 * * *"\n',
          '        schedule: "0 0 1 * * *"\n        endpointURL: https://minio.example\n        retention: 14d\n      velero: { schedule: "0 3 * * *", ttl: 72h }\n      restoreDrill: { schedule: "0 5 * * 6" }\n',
        )
        .replace(/ {4}backups:\n {6}objectStore:\n {8}destinationPath: s3[^]*?"0 0 3 \* \* \*"\n/, dr)
        .replace('name: acme\n', 'name: acme\nopsImage: registry.example.com/dbfleet/ops:1.0.0\n');
    const fleet = fleetOf(
      withVelero(
        '    backups:\n      objectStore: { destinationPath: "s3://dr-archive/pg", endpointURL: null, credentials: { remoteKey: databases/main-dr/object-store } }\n      velero: { ttl: 24h }\n',
      ),
    );
    const dr = fleet.environments.find((e) => e.name === 'main-dr')!;
    expect(dr.backups.objectStore).toMatchObject({
      destinationPath: 's3://dr-archive/pg',
      remoteKey: 'databases/main-dr/object-store',
      schedule: '0 0 1 * * *',
      retention: '14d',
    });
    expect(dr.backups.objectStore!.endpointURL).toBeUndefined();
    expect(dr.backups.velero).toMatchObject({ schedule: '0 3 * * *', ttl: '24h' });
    expect(dr.backups.restoreDrill).toBeDefined();
    // null removes an inherited key.
    const noDrill = fleetOf(
      withVelero(
        '    backups:\n      objectStore: { destinationPath: "s3://dr-archive/pg", credentials: { remoteKey: databases/main-dr/object-store } }\n      restoreDrill: null\n',
      ),
    );
    expect(noDrill.environments.find((e) => e.name === 'main-dr')!.backups.restoreDrill).toBeUndefined();
    // cluster is one destination: a standby's { name } replaces the source's { server }.
    const named = fleetOf(
      drFleet('per-service').replace('    cluster: { server: https://aws.example }\n', '    cluster: { name: dr-site }\n'),
    );
    expect(named.environments.find((e) => e.name === 'main-dr')!.destination).toEqual({ name: 'dr-site' });
  });

  it("needs the source's object store (the replication path) and its own", () => {
    const noSourceStore = drFleet('shared').replace(
      / {4}backups:\n {6}objectStore:\n {8}destinationPath: gs:[^]*?schedule: "0 0 1 \* \* \*"\n/,
      '',
    );
    expect(configErrors(noSourceStore).join('\n')).toMatch(
      /standby replicates from main's WAL archive: set environments\.main\.backups\.objectStore/,
    );
    const noOwnStore = drFleet('shared').replace(
      / {4}backups:\n {6}objectStore:\n {8}destinationPath: s3:[^]*?schedule: "0 0 3 \* \* \*"\n/,
      '',
    );
    expect(configErrors(noOwnStore).join('\n')).toMatch(/main-dr.*needs its own WAL archive/);
  });

  // Zalando standbys: test/zalando/standby.test.ts.
  it('a standby of a standby is refused', () => {
    const chained = drFleet('shared') + '';
    expect(
      configErrors(chained.replace('services:', `  third:\n    standbyOf: main-dr\n    namespace: other\nservices:`)).join('\n'),
    ).toMatch(/"main-dr" is itself a standby/);
  });
});

describe('dbfleet switchover writes each step into the fleet file', () => {
  const base = drFleet('per-service');
  const [A, B] = [demotionToken('11'), demotionToken('12')];
  it('step 1, step 2, failover: comments kept, each result loads and renders the step', () => {
    const step1 = switchover(`# kept\n${base}`, { environment: 'main', to: 'main-dr' });
    expect(step1.text).toContain('# kept');
    expect(step1.text).toMatch(/standbyOf: main\n(.*\n)*?\s+switchoverTo: main-dr/);
    expect(render(fleetOf(step1.text)).find('main', 'Cluster', 'orders').spec.replica.primary).toBe('main-dr');
    const step2 = switchover(step1.text, { environment: 'main-dr', to: 'main-dr', tokens: { orders: A, catalog: B } });
    expect(step2.text).not.toContain('switchoverTo');
    const after = render(fleetOf(step2.text));
    expect(after.find('main-dr', 'Cluster', 'orders').spec.replica).toMatchObject({ primary: 'main-dr', promotionToken: A });
    expect(after.find('main-dr', 'Cluster', 'catalog').spec.replica).toMatchObject({ primary: 'main-dr', promotionToken: B });
    const failover = switchover(base, { environment: 'main-dr', to: 'main-dr', failover: true });
    expect(render(fleetOf(failover.text)).find('main-dr', 'Cluster', 'orders').spec.replica).toEqual({
      self: 'main-dr',
      primary: 'main-dr',
      source: 'main',
    });
    expect(failover.step).toMatch(/must be rebuilt/);
  });
  it('refuses what makes no sense', () => {
    expect(() => switchover(base, { environment: 'main', to: 'main' })).toThrow(/already the primary site/);
    expect(() => switchover(base, { environment: 'main', to: 'elsewhere' })).toThrow(/--to must be "main" or "main-dr"/);
    expect(() => switchover(base.replace('    standbyOf: main\n', ''), { environment: 'main', to: 'main-dr' })).toThrow(
      /neither a standby environment/,
    );
    // A step 2 missing a cluster's token does not load (the command then restores the file).
    expect(configErrors(switchover(base, { environment: 'main', to: 'main-dr', tokens: { orders: A } }).text).join('\n')).toMatch(
      /has no token for catalog/,
    );
  });
});
