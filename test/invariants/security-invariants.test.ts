// The issue-24 invariants notice what they claim to forbid (attack on issue 24, platform side):
// each case plants one violation in the repository's rendered fleet and expects its rule to fire.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { argocdFence, noSuperuserJobs, pinnedImagesKeepDigest } from '../support/invariants';

const fleet = loadFleet(join(__dirname, '../../fleet.yaml'));
const render = () => renderObjects(buildApp(fleet));

describe('no-superuser-jobs', () => {
  it("holds for the repository's fleet", () => {
    expect(noSuperuserJobs.check({ fleet, objects: render() })).toEqual([]);
  });

  it('fires when the role a Job logs in as is made a superuser (its Secret is not named like a superuser Secret)', () => {
    const objects = render();
    const role = objects.find((o) => o.object.kind === 'DatabaseRole' && (o.object as any).spec.login === true)!;
    (role.object as any).spec.superuser = true;
    expect(noSuperuserJobs.check({ fleet, objects }).map((v) => v.message)).toEqual([
      `role ${(role.object as any).spec.name} is a superuser`,
    ]);
  });

  it('fires for a managed role and a Zalando user with the superuser flag', () => {
    const objects = render();
    const cluster = objects.find((o) => o.object.kind === 'Cluster')!;
    (cluster.object as any).spec.managed = { roles: [{ name: 'x', login: true, superuser: true }] };
    const zalando = {
      ...cluster,
      object: {
        apiVersion: 'acid.zalan.do/v1',
        kind: 'postgresql',
        metadata: { name: 'acme-z', namespace: 'databases' },
        spec: { users: { orders: ['createdb'], y: ['SUPERUSER'] } },
      } as any,
    };
    expect(noSuperuserJobs.check({ fleet, objects: [...objects, zalando] }).map((v) => v.message)).toEqual([
      'role x is a superuser',
      'role y is a superuser',
    ]);
  });
});

describe('pinned-images-keep-digest', () => {
  it("holds for the repository's fleet, which pins its PostgreSQL image by digest", () => {
    expect(pinnedImagesKeepDigest.check({ fleet, objects: render() })).toEqual([]);
  });

  it('fires where an object runs the pinned repository and tag without the digest (a renderer that drops it)', () => {
    const objects = render();
    const job = objects.find((o) => o.object.kind === 'CronJob' && /-access$/.test(o.object.metadata.name))!;
    const container = (job.object as any).spec.jobTemplate.spec.template.spec.containers[0];
    const pinned = container.image as string;
    expect(pinned).toMatch(/@sha256:[0-9a-f]{64}$/);
    container.image = pinned.replace(/@sha256:.*$/, '');
    expect(pinnedImagesKeepDigest.check({ fleet, objects }).map((v) => `${v.object}: ${v.message}`)).toEqual([
      `${job.path}: runs ${container.image}; the fleet pins ${pinned}`,
    ]);
  });
});

// Issue 24 item 9: the Argo CD fence between an environment's database and services Applications.
describe('argocd-fence', () => {
  it("holds for the repository's fleet", () => {
    expect(argocdFence.check({ fleet, objects: render() })).toEqual([]);
  });

  it('fires for a Role in a service namespace and an object in the wrong folder (Argo CD would refuse it)', () => {
    const objects = render();
    const role = objects.find((o) => o.object.kind === 'Role' && o.path.startsWith('production/'))!;
    const planted = { ...role, object: { ...role.object, metadata: { ...role.object.metadata, namespace: 'orders' } } };
    const secret = objects.find((o) => o.path === 'production/services/externalsecret-orders-db.yaml')!;
    const misplaced = { ...secret, path: 'production/externalsecret-orders-db.yaml' };
    const messages = argocdFence
      .check({ fleet, objects: [...objects.filter((o) => o !== secret && o !== role), planted, misplaced] })
      .map((v) => `${v.object}: ${v.message}`);
    const project = `${fleet.gitops!.project}-production`;
    expect(messages).toEqual([
      `${role.path}: Role in service namespace orders: the services Application carries nothing that runs code or grants rights`,
      `${role.path}: in dist/production/, but its namespace orders is delivered from dist/production/services/`,
      `${role.path}: Argo CD would refuse it: AppProject ${project} of Application ${fleet.name}-databases-production does not admit Role in orders`,
      'production/externalsecret-orders-db.yaml: in dist/production/, but its namespace orders is delivered from dist/production/services/',
      `production/externalsecret-orders-db.yaml: Argo CD would refuse it: AppProject ${project} of Application ${fleet.name}-databases-production does not admit ExternalSecret in orders`,
      `production/externalsecret-orders-db.yaml: AppProject ${project}-services of production's other Application (${fleet.name}-databases-production-services) admits it: exactly one project of an environment may`,
    ]);
  });

  it('fires when the two projects of an environment overlap (the database project given a service namespace)', () => {
    const objects = render();
    const index = objects.findIndex(
      (o) => o.object.kind === 'AppProject' && o.object.metadata.name === `${fleet.gitops!.project}-production`,
    );
    const widened = structuredClone(objects[index].object) as any;
    widened.spec.destinations.push({ server: widened.spec.destinations[0].server, namespace: 'orders' });
    const changed = [...objects];
    changed[index] = { ...objects[index], object: widened };
    expect(argocdFence.check({ fleet, objects: changed }).map((v) => `${v.object}: ${v.message}`)).toEqual([
      `production/services/externalsecret-orders-db.yaml: AppProject ${fleet.gitops!.project}-production of production's other Application (${fleet.name}-databases-production) admits it: exactly one project of an environment may`,
    ]);
  });
});
