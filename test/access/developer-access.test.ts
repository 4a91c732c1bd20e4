import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { CnpgCluster } from '../../lib/backends/cloudnative-pg/cnpg-cluster';
import { retiredAccessRole } from '../../lib/access/access-role';
import { DeveloperAccessJobs } from '../../lib/access/developer-access';
import { DeveloperCredentials } from '../../lib/access/developer-credentials';
import { developerClusterRoles, developerRemoteKey, developerSecretName } from '../../lib/access/developer-roles';
import { privilegesSql } from '../../lib/access/privileges-sql';
import type { PostgresCluster, SecretStoreRef } from '../../lib/config/model';
import { formatIssue, loadValidator } from '../../lib/validate';

const CLUSTER: PostgresCluster = {
  name: 'commerce',
  environment: 'production',
  namespace: 'databases',
  instances: 3,
  storage: '50Gi',
  imageName: 'ghcr.io/cloudnative-pg/postgresql:16.4',
  postgresVersion: 16,
  developerAccess: 'read-only',
  services: [
    { name: 'orders', namespace: 'orders', database: 'orders', role: 'orders', extensions: [] },
    { name: 'payments', namespace: 'payments', database: 'payments', role: 'payments', extensions: [] },
  ],
};
const LABELS = { 'app.kubernetes.io/name': 'developer-access', 'app.kubernetes.io/instance': 'commerce' };
const STORE: SecretStoreRef = { kind: 'ClusterSecretStore', name: 'vault', keyPrefix: 'databases', refreshInterval: '1h' };

function render(build: (chart: Chart) => void): any[] {
  const chart = new Chart(Testing.app(), 'production', { disableResourceNameHashes: true });
  build(chart);
  return Testing.synth(chart);
}

const EXPECTED_POD_SPEC = {
  automountServiceAccountToken: false,
  containers: [
    {
      name: 'psql',
      image: 'ghcr.io/cloudnative-pg/postgresql:16.4',
      imagePullPolicy: 'IfNotPresent',
      command: ['sh', '/etc/dbfleet/access/apply.sh'],
      env: [
        { name: 'PGHOST', value: 'commerce-rw' },
        { name: 'PGPORT', value: '5432' },
        { name: 'PGSSLMODE', value: 'require' },
        { name: 'PGCHANNELBINDING', value: 'require' },
        { name: 'PGCONNECT_TIMEOUT', value: '10' },
        { name: 'PGAPPNAME', value: 'dbfleet-developer-access' },
        {
          name: 'PGOPTIONS',
          value:
            '-c search_path=pg_catalog,pg_temp -c lock_timeout=10s -c statement_timeout=300s -c default_transaction_read_only=off -c idle_in_transaction_session_timeout=0',
        },
        { name: 'DBFLEET_OWNER_CREDENTIALS', value: '/etc/dbfleet/owners' },
        { name: 'HOME', value: '/tmp' },
        { name: 'TMPDIR', value: '/tmp' },
      ],
      resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 26,
        runAsGroup: 26,
        readOnlyRootFilesystem: true,
        privileged: false,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      volumeMounts: [
        { mountPath: '/etc/dbfleet/access', name: 'sql', readOnly: true },
        { mountPath: '/etc/dbfleet/owners', name: 'owners', readOnly: true },
        { mountPath: '/tmp', name: 'tmp' },
      ],
    },
  ],
  dnsPolicy: 'ClusterFirst',
  hostNetwork: false,
  restartPolicy: 'Never',
  securityContext: { runAsNonRoot: true, runAsUser: 26, runAsGroup: 26, fsGroup: 26, fsGroupChangePolicy: 'Always' },
  setHostnameAsFQDN: false,
  terminationGracePeriodSeconds: 30,
  volumes: [
    { name: 'sql', configMap: { name: 'commerce-access-sql', defaultMode: 0o444 } },
    {
      name: 'owners',
      projected: {
        defaultMode: 0o440,
        sources: ['orders', 'payments'].map((s) => ({
          secret: {
            name: `${s}-db-credentials`,
            items: [
              { key: 'username', path: `${s}/username` },
              { key: 'password', path: `${s}/password` },
            ],
          },
        })),
      },
    },
    { name: 'tmp', emptyDir: { sizeLimit: '16Mi' } },
  ],
};
const EXPECTED_POD_METADATA = { labels: { ...LABELS, 'dbfleet.io/access-client': 'commerce' } };

describe('DeveloperAccessJobs', () => {
  const objects = render(
    (chart) => new DeveloperAccessJobs(chart, 'Access-commerce', { cluster: CLUSTER, schedule: '17 * * * *', labels: LABELS }),
  );
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  it('renders exactly a ConfigMap, a Job and a CronJob, with stable names', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ConfigMap/databases/commerce-access-sql',
      'Job/databases/commerce-access-sync',
      'CronJob/databases/commerce-access',
    ]);
    for (const o of objects) expect(o.metadata.labels).toEqual(LABELS);
  });

  it('the ConfigMap holds the script and the SQL of privilegesSql(), unchanged', () => {
    const [configMap] = byKind('ConfigMap');
    const sql = privilegesSql(CLUSTER, 'read-only');
    expect(configMap.data).toEqual(Object.fromEntries(sql.files.map((f) => [f.key, f.content])));
    expect(Object.keys(configMap.data).sort()).toEqual(['apply.sh', 'database.sql', 'databases.tsv', 'preflight.sql']);
    expect(configMap.data['databases.tsv']).toBe('orders\torders\npayments\tpayments\n');
    expect(configMap.data['database.sql']).toContain('developers read-only');
    // Applied server-side: it grows by one line per service.
    expect(configMap.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'ServerSideApply=true' });
  });

  it('the Job is an Argo CD Sync hook (not PostSync: see sync-policy.ts), recreated before each sync, with bounded retries and time', () => {
    const [job] = byKind('Job');
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(job.spec.backoffLimit).toBe(6);
    expect(job.spec.activeDeadlineSeconds).toBe(1200);
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined(); // Argo CD deletes it (BeforeHookCreation)
    expect(job.spec.selector).toBeUndefined();
    expect(job.spec.template.metadata).toEqual(EXPECTED_POD_METADATA);
    expect(job.spec.template.spec).toEqual(EXPECTED_POD_SPEC);
  });

  it('the CronJob re-applies on the schedule, never concurrently, with the same pod as the Job', () => {
    const [cronJob] = byKind('CronJob');
    expect(cronJob.metadata.annotations).toBeUndefined();
    expect({ ...cronJob.spec, jobTemplate: undefined }).toEqual({
      schedule: '17 * * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      suspend: false,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: undefined,
    });
    expect(cronJob.spec.jobTemplate.spec.backoffLimit).toBe(2);
    expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(600);
    expect(cronJob.spec.jobTemplate.spec.template.metadata).toEqual(EXPECTED_POD_METADATA);
    expect(cronJob.spec.jobTemplate.spec.template.spec).toEqual(EXPECTED_POD_SPEC);
  });

  it('no cdk8s address hash label anywhere', () => {
    expect(JSON.stringify(objects)).not.toContain('cdk8s.io/metadata.addr');
  });

  it('takes the access mode, the credentials Secret, host and image from its props', () => {
    const [configMap, job] = render(
      (chart) =>
        new DeveloperAccessJobs(chart, 'A', {
          cluster: CLUSTER,
          schedule: '0 * * * *',
          labels: {},
          access: 'none',
          ownerSecretNames: { orders: 'orders-db-credentials-alt' },
          host: 'commerce-rw.databases.svc',
          image: 'registry.example.com/psql:16',
        }),
    );
    expect(configMap.data['database.sql']).toContain('developers none');
    const container = job.spec.template.spec.containers[0];
    expect(container.image).toBe('registry.example.com/psql:16');
    expect(container.env.find((e: any) => e.name === 'PGHOST').value).toBe('commerce-rw.databases.svc');
    expect(job.spec.template.spec.volumes[1].projected.sources.map((s: any) => s.secret.name)).toEqual([
      'orders-db-credentials-alt',
      'payments-db-credentials',
    ]);
    expect(container.env.some((e: any) => e.valueFrom)).toBe(false);
  });

  it('shortens the CronJob name where `<cluster>-access` would be too long for its Jobs, and refuses a name too long for that too', () => {
    const name = 'a'.repeat(49);
    expect(() =>
      render((chart) => new DeveloperAccessJobs(chart, 'A', { cluster: { ...CLUSTER, name }, schedule: '0 * * * *', labels: {} })),
    ).toThrow(`CronJob name "${name}-acc" is longer than 52 characters`);
    const jobs = render(
      (chart) => new DeveloperAccessJobs(chart, 'A', { cluster: { ...CLUSTER, name: 'a'.repeat(46) }, schedule: '0 * * * *', labels: {} }),
    );
    expect(jobs.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name)).toEqual([`${'a'.repeat(46)}-acc`]);
    expect(() =>
      render(
        (chart) =>
          new DeveloperAccessJobs(chart, 'A', { cluster: { ...CLUSTER, name: 'a'.repeat(45) }, schedule: '0 * * * *', labels: {} }),
      ),
    ).not.toThrow();
  });
});

describe('developerClusterRoles', () => {
  it('a NOLOGIN group (retained) and one LOGIN member per developer (dropped when it leaves the fleet)', () => {
    expect(developerClusterRoles(['alice', 'bob-smith'], 'read-write')).toEqual([
      {
        name: 'developers',
        comment: 'dbfleet: developers (read-write); privileges are granted by the developer-access Job',
        login: false,
        reclaim: 'retain',
      },
      {
        name: 'dev_alice',
        comment: 'dbfleet: developer alice',
        login: true,
        passwordSecret: 'developer-alice-credentials',
        inRoles: ['developers'],
        reclaim: 'delete',
      },
      {
        name: 'dev_bob_smith',
        comment: 'dbfleet: developer bob-smith',
        login: true,
        passwordSecret: 'developer-bob-smith-credentials',
        inRoles: ['developers'],
        reclaim: 'delete',
      },
    ]);
  });

  it('developerAccess none: no roles at all', () => {
    expect(developerClusterRoles(['alice'], 'none')).toEqual([]);
  });

  it('read-only: the same roles (privileges differ, not roles)', () => {
    const names = (access: 'read-only' | 'read-write') => developerClusterRoles(['alice'], access).map((r) => r.name);
    expect(names('read-only')).toEqual(names('read-write'));
  });

  it('the retired access role: absent, no login, no membership, no password', () => {
    expect(retiredAccessRole()).toEqual({
      name: 'dbfleet_access',
      login: false,
      absent: true,
      comment: 'dbfleet: retired developer-access role (was a member of every service owner); dropped',
    });
  });
});

describe('DeveloperCredentials', () => {
  it('one basic-auth ExternalSecret per developer, username = role, remote key per environment', () => {
    const objects = render(
      (chart) =>
        new DeveloperCredentials(chart, 'DeveloperCredentials', {
          developers: ['alice', 'bob-smith'],
          environment: 'production',
          namespace: 'databases',
          store: STORE,
          labels: LABELS,
        }),
    );
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ExternalSecret/databases/developer-alice-credentials',
      'ExternalSecret/databases/developer-bob-smith-credentials',
    ]);
    const [alice] = objects;
    expect(alice.spec.data).toEqual([
      { secretKey: 'password', remoteRef: { key: 'databases/production/platform/developers/alice', property: 'password' } },
    ]);
    expect(alice.spec.target.template.type).toBe('kubernetes.io/basic-auth');
    expect(alice.spec.target.template.data).toEqual({ password: '{{ .password }}', username: 'dev_alice' });
    expect(alice.spec.target.name).toBe(developerSecretName('alice'));
    expect(developerRemoteKey('databases', 'test', 'alice')).toBe('databases/test/platform/developers/alice');
  });
});

describe('schemas (../shared/crds: Kubernetes 1.28, CloudNativePG 1.30, External Secrets)', () => {
  const validator = loadValidator({ unvalidatedKinds: [] });
  const check = (objects: unknown[]) =>
    objects.flatMap((object, i) => validator.validateObject(object, { file: `access-${i}.yaml` }).map(formatIssue));

  it('the ConfigMap, Job, CronJob and developer ExternalSecrets are valid', () => {
    const objects = render((chart) => {
      new DeveloperAccessJobs(chart, 'Access', { cluster: CLUSTER, schedule: '17 * * * *', labels: LABELS });
      new DeveloperCredentials(chart, 'Credentials', {
        developers: ['alice'],
        environment: 'production',
        namespace: 'databases',
        store: STORE,
        labels: LABELS,
      });
    });
    expect(objects).toHaveLength(4);
    expect(check(objects)).toEqual([]);
  });

  it('the roles are valid DatabaseRoles and the Cluster valid without them (CRD schema and CEL rules)', () => {
    const objects = render(
      (chart) =>
        new CnpgCluster(chart, 'Cluster', {
          name: 'commerce',
          namespace: 'databases',
          instances: 1,
          storage: '1Gi',
          imageName: 'ghcr.io/cloudnative-pg/postgresql:16.4',
          labels: {},
          databases: [{ service: 'orders', database: 'orders', owner: 'orders', ownerSecret: 'orders-db-credentials', extensions: [] }],
          roles: [...developerClusterRoles(['alice', 'bob'], 'read-write'), retiredAccessRole()],
        }),
    );
    expect(objects.filter((o) => o.kind === 'DatabaseRole')).toHaveLength(4);
    expect(objects.find((o) => o.kind === 'Cluster').spec.managed).toEqual({ roles: [{ name: 'dbfleet_access', ensure: 'absent' }] });
    expect(check(objects)).toEqual([]);
    const broken = objects.find((o) => o.kind === 'DatabaseRole' && o.spec.name === 'dev_alice');
    expect(check([{ ...broken, spec: { ...broken.spec, disablePassword: true } }]).join('\n')).toContain(
      'passwordSecret and disablePassword are mutually exclusive',
    );
  });
});
