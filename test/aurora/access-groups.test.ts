// Aurora with more service databases than one access Job holds (lib/access/developer-access.ts
// ACCESS_CHUNK_BYTES): the cluster's databases are split over `<cluster>-access-sync[-N]` Jobs,
// and on Aurora nothing but their provisioning container creates the owner roles and databases.
// Attack on 89ecc0a (issue 24): only the first Job provisioned, from its own databases.tsv, so the
// databases of every later group were never created (their preflight failed forever) and their
// owners' passwords never repaired from the store. Here, as rendered, on a real PostgreSQL with
// Aurora's roles emulated (as in access.test.ts), a later group's Job runs first (Argo CD starts
// the Sync hooks of one wave together), then the first, then the later one again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES_KEY } from '../../lib/access/privileges-sql';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { runJobContainer, type JobRun } from '../support/job-runner';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

// 63-character service names: ~220 of them fill one access Job on Aurora.
const SERVICES = 240;
const name = (i: number) => `s${String(i).padStart(4, '0')}-${'x'.repeat(57)}`;
const fleetText = `
name: shop
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice]
environments:
  production:
    operator: aws-aurora
    namespace: databases
    topology: shared
    instances: 2
    storage: 5Gi
    developerAccess: read-only
    aws:
      region: eu-central-1
      subnetIDs: [subnet-0a1b2c3d, subnet-1b2c3d4e]
      securityGroupIDs: [sg-0123abcd]
      serverless: { minCapacity: 0.5, maxCapacity: 4 }
      endpointId: c9akciq32rcl
      iamAuthentication: true
services:
${Array.from({ length: SERVICES }, (_, i) => `  - name: ${name(i)}\n`).join('')}`;
const CLUSTER = 'shop';
const MASTER = 'dbfleet_master';

type Obj = { kind: string; metadata: { name: string }; spec: any; data?: any };

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`SKIPPED: Aurora access groups on a real PostgreSQL: ${unavailable}`);

describe('Aurora: every access group provisions its own databases', () => {
  const objects = renderObjects(buildApp(parseFleet(fleetText, 'fleet.yaml'))).map((o) => o.object as unknown as Obj);
  const group = (job: Obj) => Number(/-(\d+)$/.exec(job.metadata.name)?.[1] ?? 1);
  const jobs = objects
    .filter((o) => o.kind === 'Job' && /^shop-access-sync(-\d+)?$/.test(o.metadata.name))
    .sort((a, b) => group(a) - group(b));
  const configMapOf = (job: Obj) =>
    objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === job.spec.template.spec.volumes.find((v: any) => v.name === 'sql').configMap.name,
    )!;
  const lines = (cm: Obj): string[] => cm.data[DATABASES_KEY].split('\n').filter(Boolean);

  it('renders several groups, each with a provisioning container for its own databases; only the first manages developers', () => {
    expect(jobs.length).toBeGreaterThan(1);
    for (const job of jobs) {
      const init = job.spec.template.spec.initContainers ?? [];
      expect(
        init.map((c: any) => c.name),
        job.metadata.name,
      ).toEqual(['provision']);
      const roles = configMapOf(job).data['roles.sql'] as string;
      expect(roles.includes('$developers$'), job.metadata.name).toBe(job === jobs[0]);
    }
  });

  describe.skipIf(unavailable !== undefined)('on a real PostgreSQL', () => {
    let server: PostgresServer;
    const store = new Map<string, { username: string; password: string }>();

    beforeAll(async () => {
      server = await startPostgres();
      server.psql(
        'postgres',
        `CREATE ROLE rds_superuser NOLOGIN CREATEROLE CREATEDB;
         CREATE ROLE rds_iam NOLOGIN;
         GRANT pg_monitor TO rds_superuser WITH ADMIN OPTION;
         GRANT rds_iam TO rds_superuser WITH ADMIN OPTION;
         CREATE ROLE ${MASTER} LOGIN CREATEROLE CREATEDB IN ROLE rds_superuser PASSWORD 'master-password';
         ALTER DATABASE postgres OWNER TO ${MASTER};
         ALTER DATABASE template1 OWNER TO ${MASTER};`,
      );
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    const secretValue = (name: string, key: string): string => {
      if (!store.has(name)) {
        const es = objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === name);
        if (!es) throw new Error(`no ExternalSecret ${name}`);
        const username = es.spec.target.template.data.username as string;
        store.set(name, { username, password: username === MASTER ? 'master-password' : `store-${Math.random().toString(36).slice(2)}` });
      }
      const value = store.get(name)!;
      return key === 'username' ? value.username : value.password;
    };

    /** The rendered ConfigMap with its list cut to its first `keep` databases (creating 240 databases takes minutes). */
    const trimmed = (job: Obj, keep: number) => {
      const cm = configMapOf(job);
      return new Map([
        [
          cm.metadata.name,
          {
            ...cm.data,
            [DATABASES_KEY]: lines(cm)
              .slice(0, keep)
              .map((l) => `${l}\n`)
              .join(''),
          },
        ],
      ]);
    };

    async function runAccess(job: Obj): Promise<{ provision?: JobRun; access?: JobRun }> {
      const spec = job.spec.template.spec;
      const configMaps = trimmed(job, 2);
      const read = (n: string, key: string) => {
        if (n.endsWith('-master-credentials')) throw new Error(`${job.metadata.name} reads ${n}`);
        return secretValue(n, key);
      };
      let provision: JobRun | undefined;
      if (spec.initContainers) {
        provision = await runJobContainer(server, { ...spec, containers: spec.initContainers }, configMaps, read);
        if (provision.code !== 0) return { provision };
      }
      return { provision, access: await runJobContainer(server, spec, configMaps, read) };
    }

    const one = (sql: string) => server.psql('postgres', sql).trim();
    const sample = (job: Obj) =>
      lines(configMapOf(job))
        .slice(0, 2)
        .map((l) => l.split('\t')[0]);

    it('a later group run first creates its databases and waits for the developers; after the first group, both are applied', async () => {
      const bootstrapCm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${CLUSTER}-bootstrap-sql`)!;
      const bootstrap = objects.find((o) => o.kind === 'Job' && o.metadata.name === `${CLUSTER}-bootstrap`)!;
      const boot = await runJobContainer(
        server,
        bootstrap.spec.template.spec,
        new Map([[bootstrapCm.metadata.name, bootstrapCm.data]]),
        secretValue,
      );
      expect(boot.code, boot.stderr).toBe(0);

      const [first, later] = [jobs[0], jobs[jobs.length - 1]];
      // Argo CD starts the hooks of a wave together: the later group may well run first.
      const early = await runAccess(later);
      expect(early.provision?.code, early.provision?.stderr).toBe(0);
      expect(early.access?.code, `${early.access?.stdout}\n${early.access?.stderr}`).not.toBe(0);
      expect(early.access?.stderr).toContain('not created yet: role developers');
      // Its own databases exist, owned by their owners; the developers are not its business.
      for (const db of sample(later)) expect(one(`SELECT datdba::regrole FROM pg_database WHERE datname = '${db}';`)).toBe(db);
      expect(one("SELECT count(*) FROM pg_roles WHERE rolname = 'dev_alice';")).toBe('0');

      const firstRun = await runAccess(first);
      expect(firstRun.access?.code, `${firstRun.provision?.stderr}\n${firstRun.access?.stderr}`).toBe(0);
      const again = await runAccess(later);
      expect(again.access?.code, `${again.provision?.stderr}\n${again.access?.stderr}`).toBe(0);

      for (const db of [...sample(first), ...sample(later)]) {
        const acl = one(`SELECT datacl::text FROM pg_database WHERE datname = '${db}';`);
        expect(acl, db).toMatch(/developers=c/);
        expect(acl, db).not.toMatch(/[{,]=[^,}]*c/);
      }
      // An owner's password changed in the store (a rotation) is set again by its own group's Job.
      const rotated = `${sample(later)[0].replace(/_/g, '-')}-db-credentials`;
      store.set(rotated, { username: store.get(rotated)!.username, password: 'rotated-in-the-store' });
      const repaired = await runAccess(later);
      expect(repaired.access?.code, `${repaired.provision?.stderr}\n${repaired.access?.stderr}`).toBe(0);
      expect(repaired.provision?.stdout).toContain(`role ${sample(later)[0]}: setting its login from the store`);
    }, 240_000);
  });
});
