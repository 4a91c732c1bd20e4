// The Zalando restore drill (issue 30): a scratch `postgresql` cloned from the source's WAL-G archive
// to a recovery target the drill marks, checked as each database's owner, deleted. The rendered
// objects validate; the scratch object the CronJob would create (built from the rendered source
// cluster) validates against the postgres-operator v2.0.1 CRD and passes the admission policy's CEL,
// crafted variants do not; the drill runs its states against an in-memory API and always deletes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { loadValidator } from '../../lib/validate';
import { main } from '../../lib/ops/restore-drill/main';
import { ZALANDO_POSTGRESQLS, zalandoScratchManifest } from '../../lib/ops/restore-drill/zalando-drill';
import { KubeApiError, type KubeClient, type KubeObject, type Resource } from '../../lib/ops/kube/client';
import type { CheckTarget } from '../../lib/ops/restore-drill/check';
import type { SourceLogin } from '../../lib/ops/restore-drill/recovery-target';
import { evaluateAdmissionPolicy } from '../../lib/validate/admission-policy-cel';
import { loadSchemaSet, type CrdKindSchema } from '../../lib/validate/schema-source';
import { configErrors } from '../support/fleet';

const DRILL_USER = 'system:serviceaccount:dbs:restore-drill';
const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'zalando-full.yaml'), 'utf8');
const fleet = parseFleet(FIXTURE, 'zalando-full.yaml');
const rendered = renderObjects(buildApp(fleet));
type Obj = KubernetesObject & { spec: any };
const live = rendered.filter((o) => o.path.startsWith('live/')).map((o) => o.object as Obj);
const find = (kind: string, name: string) => {
  const o = live.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const cronJob = find('CronJob', 'restore-drill');
const args: string[] = cronJob.spec.jobTemplate.spec.template.spec.containers[0].args;
const commandArgs = args.slice(args.indexOf('restore-drill') + 1);
const flag = (name: string) => commandArgs.flatMap((a, i) => (a === name ? [commandArgs[i + 1]] : []));
const sources = live.filter((o) => o.kind === 'postgresql');
const TIMESTAMP = '2026-12-07T15:04:05.123+00:00';
const scratchOf = (source: Obj) => zalandoScratchManifest({ namespace: 'dbs', scratchCluster: 'restore-drill-scratch' }, source, TIMESTAMP);

describe('zalando restore drill rendering', () => {
  it('a CronJob runs restore-drill --source zalandoClone for every cluster, each database with its owner Secret', () => {
    expect(sources.length).toBeGreaterThan(0);
    expect(flag('--source')).toEqual(['zalandoClone']);
    expect(flag('--cluster').map((c) => c.split(':')[0])).toEqual(sources.map((s) => s.metadata.name));
    expect(cronJob.spec.jobTemplate.spec.backoffLimit).toBe(0);
    for (const o of flag('--owner-secret')) {
      const [db, secret] = o.split('=');
      const source = sources.find((s) => Object.keys(s.spec.databases).includes(db))!;
      // The operator's Secret of the database's owner (or the login being rotated to).
      expect(secret).toMatch(new RegExp(`\\.${source.metadata.name}\\.credentials\\.postgresql\\.acid\\.zalan\\.do$|-db-credentials`));
    }
  });

  it('the Role creates postgresqls, reads only the sources and the scratch, deletes only the scratch, reads only the owner Secrets', () => {
    const rules = find('Role', 'restore-drill').rules;
    const names = sources.map((s) => s.metadata.name);
    expect(rules).toEqual([
      { apiGroups: ['acid.zalan.do'], resources: ['postgresqls'], verbs: ['create'] },
      {
        apiGroups: ['acid.zalan.do'],
        resources: ['postgresqls'],
        verbs: ['get'],
        resourceNames: [...names, 'restore-drill-scratch'].sort(),
      },
      { apiGroups: ['acid.zalan.do'], resources: ['postgresqls'], verbs: ['delete'], resourceNames: ['restore-drill-scratch'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get'],
        resourceNames: [...new Set(flag('--owner-secret').map((o) => o.split('=')[1]))].sort(),
      },
    ]);
    // Never a superuser's or the scratch cluster's Secret.
    expect(JSON.stringify(rules)).not.toMatch(/postgres\.|restore-drill-scratch\.credentials|standby\./);
  });

  it('the scratch postgresql clones its source from the archive to the timestamp, archives nothing, has no users, sidecars or S3 keys', () => {
    const source = sources[0];
    const scratch = scratchOf(source);
    expect(scratch.spec.clone).toEqual({
      cluster: source.metadata.name,
      timestamp: TIMESTAMP,
      s3_wal_path: `s3://shop-postgres-backups/live/spilo/${source.metadata.name}/wal/16`,
      s3_endpoint: 'https://s3.eu-central-1.amazonaws.com',
    });
    expect(scratch.spec.numberOfInstances).toBe(1);
    for (const field of ['users', 'databases', 'sidecars', 'initContainers', 'enableConnectionPooler', 'enableLogicalBackup', 'tls'])
      expect(scratch.spec[field], field).toBeUndefined();
    const env = Object.fromEntries(scratch.spec.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.WAL_S3_BUCKET).toBe('');
    expect(env.WALG_S3_PREFIX).toBe('');
    expect(env.CLONE_AWS_ACCESS_KEY_ID).toEqual({ secretKeyRef: { name: 'shop-object-store-credentials', key: 'ACCESS_KEY_ID' } });
    expect(env.CLONE_AWS_REGION).toBe('eu-central-1');
    expect(JSON.stringify(scratch)).not.toMatch(/s3_access_key_id|s3_secret_access_key|"uid"/);
  });

  it('every rendered object and the scratch object of each source validate (postgres-operator v2.0.1 CRD)', () => {
    const validator = loadValidator({ unvalidatedKinds: [] });
    const issues = rendered.flatMap((o) => validator.validateObject(o.object, { file: o.path }));
    for (const source of sources)
      issues.push(...validator.validateObject(scratchOf(source) as any, { file: `scratch-${source.metadata.name}` }));
    expect(issues.map((i) => `${i.file}: ${i.path}: ${i.message}`)).toEqual([]);
    // The CRD's clone.timestamp pattern takes a numeric offset, not Z.
    const zulu = scratchOf(sources[0]);
    zulu.spec.clone.timestamp = '2026-12-07T15:04:05Z';
    expect(validator.validateObject(zulu as any, { file: 'zulu' }).length).toBeGreaterThan(0);
  });

  it('the admission policy admits exactly the scratch the drill creates, for its ServiceAccount only', () => {
    const all = rendered.map((o) => o.object as Obj);
    const policy = all.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === 'dbfleet-restore-drill.dbs')!;
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(policy.spec.matchConstraints.resourceRules[0].resources).toEqual(['postgresqls']);
    const schema = (loadSchemaSet().kinds.get('acid.zalan.do/v1/postgresql') as CrdKindSchema).schema;
    const admit = (o: KubeObject, username = DRILL_USER) => evaluateAdmissionPolicy(policy.spec, { username, object: o, schema });
    for (const source of sources) expect(admit(scratchOf(source))).toEqual({ matched: true, allowed: true, refusals: [] });
    const base = scratchOf(sources[0]);
    const crafted = (change: (o: any) => void) => {
      const copy = structuredClone(base) as any;
      change(copy);
      return copy as KubeObject;
    };
    const refused: Array<[string, KubeObject]> = [
      ['another name', crafted((o) => (o.metadata.name = 'orders-copy'))],
      ['a sidecar (gets the superuser password)', crafted((o) => (o.spec.sidecars = [{ name: 'x', image: 'evil' }]))],
      ['an initContainer', crafted((o) => (o.spec.initContainers = [{ name: 'x', image: 'evil' }]))],
      ['a superuser user', crafted((o) => (o.spec.users = { mallory: ['superuser'] }))],
      ['a load balancer', crafted((o) => (o.spec.enableMasterLoadBalancer = true))],
      ['a pooler', crafted((o) => (o.spec.enableConnectionPooler = true))],
      ['a TLS Secret', crafted((o) => (o.spec.tls = { secretName: 'orders-db-credentials' }))],
      [
        'an extra volume',
        crafted((o) => (o.spec.additionalVolumes = [{ name: 'x', mountPath: '/x', volumeSource: { secret: { secretName: 'y' } } }])),
      ],
      ['two instances', crafted((o) => (o.spec.numberOfInstances = 2))],
      ['trust in pg_hba', crafted((o) => (o.spec.patroni = { pg_hba: ['host all all all trust'] }))],
      ['a Patroni setting', crafted((o) => (o.spec.patroni = { ...(o.spec.patroni ?? {}), synchronous_mode: true }))],
      [
        'an archive_command',
        crafted((o) => (o.spec.postgresql.parameters = { ...(o.spec.postgresql.parameters ?? {}), archive_command: 'curl evil' })),
      ],
      ['another image', crafted((o) => (o.spec.dockerImage = 'evil/spilo:1'))],
      ['a volume selector', crafted((o) => (o.spec.volume.selector = { matchLabels: { app: 'orders' } }))],
      ['a clone of the running cluster (no timestamp)', crafted((o) => delete o.spec.clone.timestamp)],
      ['another archive path', crafted((o) => (o.spec.clone.s3_wal_path = 's3://other-bucket/spilo/orders/wal/16'))],
      ['S3 keys in the manifest', crafted((o) => (o.spec.clone.s3_access_key_id = 'AKIAEXAMPLE'))],
      ['another endpoint', crafted((o) => (o.spec.clone.s3_endpoint = 'https://evil.example.com'))],
      ['a cluster of another environment', crafted((o) => (o.spec.clone.cluster = 'someone-else'))],
      ['archiving left on', crafted((o) => (o.spec.env = o.spec.env.filter((e: any) => e.name !== 'WAL_S3_BUCKET')))],
      ['archiving to another bucket', crafted((o) => (o.spec.env.find((e: any) => e.name === 'WAL_S3_BUCKET').value = 'evil-bucket'))],
      ['another env variable', crafted((o) => o.spec.env.push({ name: 'CLONE_TARGET_TIME', value: '2020-01-01T00:00:00+00:00' }))],
      [
        'a key from another Secret',
        crafted(
          (o) =>
            (o.spec.env.find((e: any) => e.name === 'CLONE_AWS_ACCESS_KEY_ID').valueFrom.secretKeyRef.name = 'postgres.orders.credentials'),
        ),
      ],
      ['an annotation', crafted((o) => (o.metadata.annotations = { 'acid.zalan.do/controller': 'other' }))],
    ];
    for (const [what, o] of refused) expect(admit(o), what).toMatchObject({ matched: true, allowed: false });
    expect(admit(refused[1][1], 'system:serviceaccount:argocd:argocd-application-controller')).toEqual({ matched: false });
  });

  it('the same drill alerts as on CloudNativePG', () => {
    const alerts = live
      .filter((o) => o.kind === 'PrometheusRule')
      .flatMap((o) => o.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert)));
    expect(alerts).toEqual(expect.arrayContaining(['RestoreDrillFailed', 'RestoreDrillNotRecent']));
  });
});

describe('zalando restore drill config', () => {
  it('needs the object store it clones from', () => {
    const noStore = FIXTURE.replace(/ {6}objectStore:\n(?: {8}.*\n)+/, '');
    expect(configErrors(noStore).join('\n')).toMatch(/restoreDrill/);
  });
});

/** An in-memory API server for postgresqls and Secrets; the operator's work is `advance`. */
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
  constructor() {
    for (const s of sources) this.objects.set(this.key(ZALANDO_POSTGRESQLS, s.metadata.name), structuredClone(s) as KubeObject);
    for (const o of flag('--owner-secret')) {
      const [db, name] = o.split('=');
      this.objects.set(`secrets/${name}`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name },
        data: { username: Buffer.from(db).toString('base64'), password: Buffer.from(`${db}-pw`).toString('base64') },
      });
    }
  }
  advance(status: string) {
    const o = this.objects.get(this.key(ZALANDO_POSTGRESQLS, 'restore-drill-scratch'));
    if (o) o.status = { PostgresClusterStatus: status };
  }
}

describe('restore-drill --source zalandoClone', () => {
  const run = async (api: FakeApi, statuses: string[], opts: { ok?: boolean; target?: () => Promise<any> } = {}) => {
    const checked: CheckTarget[] = [];
    const marked: SourceLogin[] = [];
    const lines: string[] = [];
    let polls = 0;
    const code = await main(
      commandArgs.filter((a, i) => commandArgs[i - 1] !== '--pushgateway' && a !== '--pushgateway'),
      {},
      {
        client: api.client,
        log: { log: (level: string, event: string, fields?: object) => lines.push(JSON.stringify({ level, event, ...fields })) } as any,
        check: async (t) => {
          checked.push(t);
          const ok = opts.ok ?? true;
          return t.databases.map((database) => ({ database, ok, tables: 1, estimatedRows: 1, ...(ok ? {} : { error: 'boom' }) }));
        },
        chooseTarget: async (login) => {
          marked.push(login);
          if (opts.target) return opts.target();
          return { timestamp: TIMESTAMP, epochSeconds: Date.parse(TIMESTAMP) / 1000, walFile: '000000010000000000000007' };
        },
        now: () => 1_800_000_000_000 + polls * 10_000,
        sleep: async () => {
          api.advance(statuses[Math.min(polls, statuses.length - 1)]);
          polls++;
        },
        signal: new AbortController().signal,
      },
    );
    return { code, checked, marked, lines };
  };

  it('marks the target on each source as its owner, clones to it, checks every database as its owner, deletes the scratch', async () => {
    const api = new FakeApi();
    const { code, checked, marked, lines } = await run(api, ['Creating', 'Running']);
    expect(code).toBe(0);
    expect(marked.map((m) => [m.host, m.user])).toEqual(
      flag('--cluster').map((c) => {
        const [cluster, dbs] = c.split(':');
        return [`${cluster}.dbs.svc`, dbs.split(',')[0]];
      }),
    );
    expect(api.created.map((o) => `${o.metadata.name}/${o.spec.clone.cluster}/${o.spec.clone.timestamp}`)).toEqual(
      sources.map((s) => `restore-drill-scratch/${s.metadata.name}/${TIMESTAMP}`),
    );
    expect(checked.map((c) => c.host)).toEqual(checked.map(() => 'restore-drill-scratch.dbs.svc'));
    expect(checked.map((c) => c.databases[0]).sort()).toEqual(
      flag('--owner-secret')
        .map((o) => o.split('=')[0])
        .sort(),
    );
    expect(api.deleted).toEqual(sources.map(() => 'postgresqls/restore-drill-scratch'));
    expect(api.objects.has('postgresqls/restore-drill-scratch')).toBe(false);
    // The recovered point in time reported is the target itself.
    expect(lines.filter((l) => l.includes('"event":"result"')).map((l) => JSON.parse(l).recoveredTimestamp)).toEqual(
      sources.map(() => Date.parse(TIMESTAMP) / 1000),
    );
  });

  it('an unreachable target, an Invalid scratch or a failing check fails the drill (exit 1) and nothing is left behind', async () => {
    const noTarget = await run(new FakeApi(), ['Running'], {
      target: async () => {
        throw new Error('WAL file 000000010000000000000007 was not archived within 1920s');
      },
    });
    expect(noTarget.code).toBe(1);
    expect(noTarget.lines.join('\n')).toMatch(/"state":"find-backup".*not archived/);
    const invalid = new FakeApi();
    const bad = await run(invalid, ['Invalid']);
    expect(bad.code).toBe(1);
    expect(bad.lines.join('\n')).toMatch(/Invalid/);
    expect(invalid.objects.has('postgresqls/restore-drill-scratch')).toBe(false);
    const failing = new FakeApi();
    expect((await run(failing, ['Running'], { ok: false })).code).toBe(1);
    expect(failing.objects.has('postgresqls/restore-drill-scratch')).toBe(false);
  });

  it('a leftover scratch cluster is deleted first', async () => {
    const api = new FakeApi();
    api.objects.set('postgresqls/restore-drill-scratch', {
      apiVersion: 'acid.zalan.do/v1',
      kind: 'postgresql',
      metadata: { name: 'restore-drill-scratch' },
    });
    const { code, lines } = await run(api, ['Running']);
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/"event":"leftover"/);
  });
});
