import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiObject } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { extendFleet } from '../../charts';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects, toYaml, type KubernetesObject } from '../../lib/output/render';
import { countChanges, makePlan } from '../../lib/plan/plan';
import { argocdFence, argoProjectPermits, formatViolations } from '../support/invariants';

const dist = join(__dirname, '..', '..', 'dist');

/** Every object in the committed dist/, read from the files (not from the renderer). */
function committedObjects(): Array<{ file: string; object: KubernetesObject & { spec: any } }> {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
    );
  return walk(dist).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((d) => ({ file: file.slice(dist.length + 1), object: d.toJS() })),
  );
}
/** The example fleet (fixture copy of fleet.yaml) as main.ts renders it: the literal expectations below are its. */
function exampleObjects(): Array<{ file: string; object: KubernetesObject & { spec: any } }> {
  const fleet = loadFleet(join(__dirname, '..', 'fixtures', 'fleets', 'example.yaml'));
  return renderObjects(buildApp(fleet, { extend: extendFleet })).map((o) => ({
    file: o.path,
    object: parseAllDocuments(toYaml(o.object))[0].toJS(),
  }));
}
// Fleet-independent checks read whatever dist/ holds; the delivery expectations use the example.
const objects = committedObjects();
const example = exampleObjects();
const one = (kind: string) => {
  const found = example.filter((o) => o.object.kind === kind);
  expect(found).toHaveLength(1);
  return found[0].object;
};

describe('safe sync of stateful objects, over all of dist/', () => {
  // Kinds whose loss is recoverable by re-syncing: they hold no data of their own. Any other
  // kind found in dist/ must carry Prune=false,Delete=false; a new kind fails here until
  // someone decides which it is.
  const RECREATABLE = new Set([
    'ExternalSecret',
    'ConfigMap',
    'CronJob',
    'Job',
    'PrometheusRule',
    'Schedule',
    'ApplicationSet',
    'AppProject',
    'ImageCatalog',
    'Pooler',
    'PodDisruptionBudget',
    // The object store's configuration (the data is in the bucket) and the backup jobs' RBAC.
    'ObjectStore',
    'ServiceAccount',
    'Role',
    'RoleBinding',
    // deletionPolicy None keeps the pushed value; a re-created PushSecret finds it and pushes nothing.
    'PushSecret',
    'Password',
    // The role stays in PostgreSQL when its object goes (service owners and the group: reclaim
    // retain) or is meant to go with it (developers: reclaim delete).
    'DatabaseRole',
    // The restore drill's fence: configuration only, rendered and removed with the drill's CronJob.
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ]);

  it('every object is either protected from prune and delete, or known to be recreatable', () => {
    const unprotected = objects.filter(
      ({ object }) =>
        !RECREATABLE.has(object.kind) && object.metadata.annotations?.['argocd.argoproj.io/sync-options'] !== 'Prune=false,Delete=false',
    );
    expect(unprotected.map((o) => o.file)).toEqual([]);
    // And the data-bearing kinds are really there, so the check above is not vacuous.
    const kinds = new Set(objects.map((o) => o.object.kind));
    for (const kind of ['Cluster', 'Database', 'Namespace', 'ScheduledBackup']) expect(kinds).toContain(kind);
  });

  it('orders the sync: namespaces, then secrets and policies, then clusters, then what depends on them', () => {
    const wave = (o: KubernetesObject) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']);
    const byKind = (kind: string) =>
      objects.filter((o) => o.object.kind === kind && !o.file.startsWith('argocd/')).map((o) => wave(o.object));
    const max = (kind: string) => Math.max(...byKind(kind));
    const min = (kind: string) => Math.min(...byKind(kind));
    expect(max('Namespace')).toBeLessThan(min('ExternalSecret'));
    expect(max('ExternalSecret')).toBeLessThan(min('Cluster'));
    expect(max('NetworkPolicy')).toBeLessThan(min('Cluster'));
    expect(max('Cluster')).toBeLessThan(min('Database'));
    expect(max('Cluster')).toBeLessThan(min('ScheduledBackup'));
    expect(max('Cluster')).toBeLessThan(min('CronJob'));
  });
});

describe('Argo CD delivery', () => {
  const appSet = () => one('ApplicationSet') as KubernetesObject & { spec: any };
  const SERVICE_NAMESPACES = ['catalog', 'customers', 'inventory', 'orders', 'payments'];
  const element = (environment: string, part: 'database' | 'services') => ({
    application: `acme-databases-${environment}${part === 'services' ? '-services' : ''}`,
    environment,
    part,
    project: `databases-${environment}${part === 'services' ? '-services' : ''}`,
    path: `dist/${environment}${part === 'services' ? '/services' : ''}`,
    server: `https://${environment}.k8s.acme.example`,
    // The services Application's own destination is one of its project's namespaces.
    namespace: part === 'services' ? 'catalog' : 'databases',
  });

  it('an ApplicationSet makes two Applications per environment: database from dist/<env>/, services from dist/<env>/services/', () => {
    const set = appSet();
    expect(set.metadata).toMatchObject({ name: 'acme-databases', namespace: 'argocd' });
    expect(set.spec.goTemplate).toBe(true);
    expect(set.spec.goTemplateOptions).toEqual(['missingkey=error']);
    expect(set.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: true });
    expect(set.spec.generators).toEqual([
      {
        list: {
          // The DR site (production-dr): its own Applications, synced to the other Kubernetes cluster (issue #19).
          elements: ['production', 'production-dr', 'staging', 'test'].flatMap((e) => [element(e, 'database'), element(e, 'services')]),
        },
      },
    ]);
    // The database Applications keep their names (acme-databases-<env>): no Application is replaced.
    expect(set.spec.template.metadata.name).toBe('{{ .application }}');
    expect(set.spec.template.metadata.labels).toMatchObject({
      'dbfleet.io/environment': '{{ .environment }}',
      'dbfleet.io/delivery': '{{ .part }}',
    });
    expect(set.spec.template.spec).toEqual({
      project: '{{ .project }}',
      // No `directory`: not recursive, so dist/<env>/services/ is not also synced by the database Application.
      source: { repoURL: 'https://github.com/acme/dbfleet.git', targetRevision: 'main', path: '{{ .path }}' },
      destination: { server: '{{ .server }}', namespace: '{{ .namespace }}' },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['PrunePropagationPolicy=foreground', 'RespectIgnoreDifferences=true'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
      },
    });
  });

  // The whitelists are derived from what is rendered into each Application's folder, and checked
  // here against the files: a kind added to a service namespace shows up in the services project
  // (and fails below if it runs code or grants rights), never silently in the database one.
  it('each environment has a database and a services AppProject: this repo only, each exactly the namespaces and kinds of its folder', () => {
    const projects = example.filter((o) => o.object.kind === 'AppProject').map((o) => o.object as KubernetesObject & { spec: any });
    const environments = [...new Set(example.filter((o) => !o.file.startsWith('argocd/')).map((o) => o.file.split('/')[0]))].sort();
    expect(projects.map((p) => p.metadata.name).sort()).toEqual(
      environments.flatMap((e) => [`databases-${e}`, `databases-${e}-services`]).sort(),
    );
    const gk = (o: KubernetesObject) => `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`;
    for (const env of environments) {
      for (const part of ['database', 'services'] as const) {
        const e = element(env, part);
        const project = projects.find((p) => p.metadata.name === e.project)!;
        expect(project.metadata.namespace).toBe('argocd');
        expect(project.spec.sourceRepos).toEqual(['https://github.com/acme/dbfleet.git']);
        // Only Applications in Argo CD's own namespace may use it.
        expect(project.spec.sourceNamespaces).toBeUndefined();
        const folder = e.path.slice('dist/'.length);
        const inFolder = example.filter((o) => o.file.slice(0, o.file.lastIndexOf('/')) === folder);
        expect(inFolder.length).toBeGreaterThan(0);
        const usedNamespaces = [
          ...new Set(inFolder.filter((o) => o.object.metadata.namespace).map((o) => o.object.metadata.namespace)),
        ].sort();
        expect(project.spec.destinations.map((d: any) => d.namespace)).toEqual(usedNamespaces);
        expect(new Set(project.spec.destinations.map((d: any) => d.server))).toEqual(new Set([e.server]));
        const kinds = (namespaced: boolean) =>
          [...new Set(inFolder.filter((o) => Boolean(o.object.metadata.namespace) === namespaced).map((o) => gk(o.object)))].sort();
        expect(project.spec.namespaceResourceWhitelist.map((r: any) => `${r.group}/${r.kind}`)).toEqual(kinds(true));
        // Item 9: cluster-scoped objects are admitted by name, exactly those rendered (Argo CD v3.5.1
        // matches an entry without a name to every object of its kind: any Namespace, any policy).
        const clusterScoped = inFolder
          .filter((o) => !o.object.metadata.namespace)
          .map((o) => `${gk(o.object)}/${o.object.metadata.name}`)
          .sort();
        expect((project.spec.clusterResourceWhitelist ?? []).map((r: any) => `${r.group}/${r.kind}/${r.name}`).sort()).toEqual(
          clusterScoped,
        );
        if (part === 'services') {
          expect(usedNamespaces).toEqual(SERVICE_NAMESPACES);
          expect(clusterScoped).toEqual([]);
          // What a service namespace needs in this fleet: its connection Secret, as an ExternalSecret.
          expect(kinds(true)).toEqual(['external-secrets.io/ExternalSecret']);
          expect(project.spec.namespaceResourceBlacklist.map((r: any) => `${r.group}/${r.kind}`)).toEqual(
            expect.arrayContaining([
              '/ServiceAccount',
              'batch/Job',
              'batch/CronJob',
              'rbac.authorization.k8s.io/Role',
              'rbac.authorization.k8s.io/RoleBinding',
            ]),
          );
        } else {
          for (const ns of SERVICE_NAMESPACES) expect(usedNamespaces).not.toContain(ns);
        }
      }
    }
  });

  it("the fence holds as Argo CD v3.5.1 decides it: each object admitted by its own Application's project only (invariant argocd-fence)", () => {
    const fleet = loadFleet(join(__dirname, '..', 'fixtures', 'fleets', 'example.yaml'));
    const rendered = renderObjects(buildApp(fleet, { extend: extendFleet }));
    expect(formatViolations(argocdFence.check({ fleet, objects: rendered }))).toBe('');
    // A Job in a service namespace: Argo CD's logic refuses it in the services project, and the
    // database project does not reach that namespace.
    const projects = new Map(rendered.filter((o) => o.object.kind === 'AppProject').map((o) => [o.object.metadata.name, o.object as any]));
    const cluster = { server: 'https://production.k8s.acme.example' };
    const job = { group: 'batch', kind: 'Job', name: 'x', namespace: 'orders' };
    expect(argoProjectPermits(projects.get('databases-production-services'), job, cluster)).toBe(false);
    expect(argoProjectPermits(projects.get('databases-production'), job, cluster)).toBe(false);
    expect(argoProjectPermits(projects.get('databases-production'), { ...job, namespace: 'databases' }, cluster)).toBe(true);
    const secret = { group: 'external-secrets.io', kind: 'ExternalSecret', name: 'x', namespace: 'orders' };
    expect(argoProjectPermits(projects.get('databases-production-services'), secret, cluster)).toBe(true);
    // Nothing cluster-scoped in the services project: not even a Namespace named like a service's.
    expect(
      argoProjectPermits(projects.get('databases-production-services'), { group: '', kind: 'Namespace', name: 'orders' }, cluster),
    ).toBe(false);
  });

  // The one-time move: the connection ExternalSecrets leave dist/<env>/ for dist/<env>/services/.
  it('moving to the services Application is no change in plan, and the database Application never prunes what moves (Prune=false)', () => {
    const moved = example.filter((o) => o.file.split('/')[1] === 'services');
    expect(moved.length).toBeGreaterThan(0);
    const before = new Map(example.map((o) => [o.file.replace('/services/', '/'), o.object as KubernetesObject]));
    const after = new Map(example.map((o) => [o.file, o.object as KubernetesObject]));
    expect(countChanges(makePlan(before, after))).toBe(0);
    // Until the services Application's sync re-labels it as its own (annotation tracking), the database
    // Application sees it as extraneous: Prune=false makes that a skipped prune, never a deletion.
    for (const { file, object } of moved)
      expect(object.metadata.annotations?.['argocd.argoproj.io/sync-options'], file).toMatch(/Prune=false/);
  });

  it('an extension that puts a Job into a service namespace is refused when the Argo CD chart is built', () => {
    const fleet = loadFleet(join(__dirname, '..', 'fixtures', 'fleets', 'example.yaml'));
    expect(() =>
      buildApp(fleet, {
        extend: (app) => {
          extendFleet(app);
          new ApiObject(app.environment('production'), 'TeamJob', {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: { name: 'migrate', namespace: 'orders' },
          });
        },
      }),
    ).toThrow(
      /environment production: Job orders\/migrate would be delivered into a service namespace, where the services AppProject admits no/,
    );
  });
});
