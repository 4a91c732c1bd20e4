import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { extendFleet } from '../../charts';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects, toYaml, type KubernetesObject } from '../../lib/output/render';

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
  it('an ApplicationSet makes one Application per environment from dist/<environment>/', () => {
    const set = one('ApplicationSet') as KubernetesObject & { spec: any };
    expect(set.metadata).toMatchObject({ name: 'acme-databases', namespace: 'argocd' });
    expect(set.spec.goTemplate).toBe(true);
    expect(set.spec.goTemplateOptions).toEqual(['missingkey=error']);
    expect(set.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: true });
    expect(set.spec.generators).toEqual([
      {
        list: {
          elements: [
            {
              environment: 'production',
              project: 'databases-production',
              server: 'https://production.k8s.acme.example',
              namespace: 'databases',
            },
            // The DR site: its own Application, synced to the other Kubernetes cluster (issue #19).
            {
              environment: 'production-dr',
              project: 'databases-production-dr',
              server: 'https://production-dr.k8s.acme.example',
              namespace: 'databases',
            },
            { environment: 'staging', project: 'databases-staging', server: 'https://staging.k8s.acme.example', namespace: 'databases' },
            { environment: 'test', project: 'databases-test', server: 'https://test.k8s.acme.example', namespace: 'databases' },
          ],
        },
      },
    ]);
    expect(set.spec.template.metadata.name).toBe('acme-databases-{{ .environment }}');
    expect(set.spec.template.spec).toEqual({
      project: '{{ .project }}',
      source: { repoURL: 'https://github.com/acme/dbfleet.git', targetRevision: 'main', path: 'dist/{{ .environment }}' },
      destination: { server: '{{ .server }}', namespace: '{{ .namespace }}' },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['PrunePropagationPolicy=foreground', 'RespectIgnoreDifferences=true'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
      },
    });
  });

  it("each environment has its own AppProject: this repo only, that environment's namespaces and the kinds it renders there", () => {
    const projects = example.filter((o) => o.object.kind === 'AppProject').map((o) => o.object as KubernetesObject & { spec: any });
    const environments = [...new Set(example.filter((o) => !o.file.startsWith('argocd/')).map((o) => o.file.split('/')[0]))].sort();
    expect(projects.map((p) => p.metadata.name).sort()).toEqual(environments.map((e) => `databases-${e}`));
    const appSet = one('ApplicationSet') as KubernetesObject & { spec: any };
    expect(appSet.spec.template.spec.project).toBe('{{ .project }}');
    for (const env of environments) {
      const project = projects.find((p) => p.metadata.name === `databases-${env}`)!;
      expect(project.metadata.namespace).toBe('argocd');
      expect(project.spec.sourceRepos).toEqual(['https://github.com/acme/dbfleet.git']);
      const inEnv = example.filter((o) => o.file.startsWith(`${env}/`));
      const usedNamespaces = [...new Set(inEnv.filter((o) => o.object.metadata.namespace).map((o) => o.object.metadata.namespace))].sort();
      expect(project.spec.destinations.map((d: any) => d.namespace)).toEqual(usedNamespaces);
      const element = appSet.spec.generators[0].list.elements.find((e: any) => e.environment === env);
      expect(element.project).toBe(`databases-${env}`);
      expect(new Set(project.spec.destinations.map((d: any) => d.server))).toEqual(new Set([element.server]));
      const kinds = (namespaced: boolean) =>
        [
          ...new Set(
            inEnv
              .filter((o) => Boolean(o.object.metadata.namespace) === namespaced)
              .map((o) => `${o.object.apiVersion.includes('/') ? o.object.apiVersion.split('/')[0] : ''}/${o.object.kind}`),
          ),
        ].sort();
      expect(project.spec.namespaceResourceWhitelist.map((r: any) => `${r.group}/${r.kind}`)).toEqual(kinds(true));
      expect([...new Set(project.spec.clusterResourceWhitelist.map((r: any) => `${r.group}/${r.kind}`))]).toEqual(kinds(false));
      // Item 9: cluster-scoped objects are admitted by name, exactly those rendered (Argo CD v3.5.1
      // matches an entry without a name to every object of its kind: any Namespace, any policy).
      const clusterScoped = inEnv
        .filter((o) => !o.object.metadata.namespace)
        .map(
          (o) => `${o.object.apiVersion.includes('/') ? o.object.apiVersion.split('/')[0] : ''}/${o.object.kind}/${o.object.metadata.name}`,
        )
        .sort();
      expect(project.spec.clusterResourceWhitelist.map((r: any) => `${r.group}/${r.kind}/${r.name}`).sort()).toEqual(clusterScoped);
    }
  });
});
