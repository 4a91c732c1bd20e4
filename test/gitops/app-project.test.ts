// The AppProject: validated against its CRD like every other kind, and quiet about the objects the
// operator creates in the database namespace on purpose (cnpg-default-monitoring has no owner
// reference, cloudnative-pg@v1.30.0:internal/controller/cluster_create.go), while any other unowned
// object still warns (argo-cd@v3.5.1:controller/appcontroller.go isKnownOrphanedResourceExclusion).
import { describe, expect, it } from 'vitest';
import { loadValidator } from '../../lib/validate';
import { buildApp, renderObjects } from '../../lib/output/render';
import { BASE_FLEET, fleetOf } from '../support/fleet';

const GITOPS = `gitops: { repoURL: https://git.example/acme/db.git, project: db }\n`;

/** Argo CD's orphan exclusion: kind, group and name glob-match, empty kind or name match all. */
function ignored(
  ignore: Array<{ group?: string; kind?: string; name?: string }>,
  key: { group: string; kind: string; name: string },
): boolean {
  const glob = (pattern: string, value: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    ).test(value);
  return ignore.some((i) => (!i.kind || glob(i.kind, key.kind)) && glob(i.group ?? '', key.group) && (!i.name || glob(i.name, key.name)));
}

describe('AppProject', () => {
  const objects = renderObjects(buildApp(fleetOf(BASE_FLEET + GITOPS)));
  const projects = objects.filter((o) => o.object.kind === 'AppProject').map((o) => o.object as any);
  // The database project of an environment (its services project is `db-production-services`).
  const project = projects.find((p) => p.metadata.name === 'db-production');

  it('is schema-valid without any unvalidated-kind exception, the database and the services projects', () => {
    expect(projects.map((p) => p.metadata.name).sort()).toEqual(['db-production', 'db-production-services', 'db-test', 'db-test-services']);
    const report = loadValidator().validateObjects(projects.map((p) => ({ object: p, location: { file: `${p.metadata.name}.yaml` } })));
    expect(report.issues).toEqual([]);
    expect(report.notValidated).toEqual([]);
  });

  it("the services project does not watch the teams' namespaces for orphans (they hold the teams' workloads)", () => {
    expect(projects.find((p) => p.metadata.name === 'db-production-services').spec.orphanedResources).toBeUndefined();
  });

  it('warns on orphans, but not on the ownerless cnpg-default-monitoring copy the operator makes', () => {
    const { warn, ignore } = project.spec.orphanedResources;
    expect(warn).toBe(true);
    expect(ignored(ignore, { group: '', kind: 'ConfigMap', name: 'cnpg-default-monitoring' })).toBe(true);
    // Anything else left behind still shows up.
    expect(ignored(ignore, { group: '', kind: 'ConfigMap', name: 'orders-access-sql' })).toBe(false);
    expect(ignored(ignore, { group: 'postgresql.cnpg.io', kind: 'Cluster', name: 'cnpg-default-monitoring' })).toBe(false);
    expect(ignored(ignore, { group: '', kind: 'Secret', name: 'orders-db-credentials' })).toBe(false);
  });
});
