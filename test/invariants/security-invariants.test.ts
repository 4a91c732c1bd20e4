// The issue-24 invariants notice what they claim to forbid (attack on issue 24, platform side):
// each case plants one violation in the repository's rendered fleet and expects its rule to fire.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects } from '../../lib/output/render';
import { noSuperuserJobs, pinnedImagesKeepDigest } from '../support/invariants';

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
