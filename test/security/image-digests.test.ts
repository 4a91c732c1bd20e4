// Issue 24 item 8, supply chain: images given with a digest reach every rendered object with it,
// and `dbfleet plan` warns about each image without a digest that a change starts to run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '../../lib/output/render';
import { formatPlan } from '../../lib/plan/format';
import { hasDigest, imagesOf } from '../../lib/plan/image-digests';
import { renderManifests, type Manifests } from '../../lib/plan/manifests';
import { makePlan } from '../../lib/plan/plan';

const ROOT = path.resolve(__dirname, '..', '..');
const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('images pinned by digest', () => {
  it("the fleet's digests reach every image of every environment (postgres, ops, snapshot tools, exporter)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-digests-'));
    try {
      const text = fs
        .readFileSync(path.join(ROOT, 'fleet.yaml'), 'utf8')
        .replace(/(ghcr\.io\/cloudnative-pg\/postgresql:16\.[^@\s"]+)(@sha256:[0-9a-f]{64})?/g, `$1@${digest('a')}`)
        .replace(/(registry\.example\.com\/dbfleet\/ops:1\.0\.0)/g, `$1@${digest('b')}`)
        .replace(/(registry\.example\.com\/ops\/vm-snapshot-tools:1\.0\.0)/g, `$1@${digest('c')}`)
        .replace(
          'zalando: { teamId: acme, ',
          `zalando: { exporterImage: "quay.io/prometheuscommunity/postgres-exporter:v0.20.1@${digest('e')}", teamId: acme, `,
        );
      fs.writeFileSync(path.join(dir, 'fleet.yaml'), text);
      const images = new Map<string, string[]>();
      for (const [file, object] of renderManifests(path.join(dir, 'fleet.yaml')))
        for (const image of imagesOf(object.spec)) images.set(image, [...(images.get(image) ?? []), file]);
      expect(images.size).toBeGreaterThan(0);
      expect([...images].filter(([image]) => !hasDigest(image))).toEqual([]);
      for (const d of ['a', 'b', 'c', 'e']) expect([...images.keys()].some((i) => i.endsWith(digest(d)))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('plan: WARNING for an image without a digest', () => {
  const cluster = (image: string, instances = 3): KubernetesObject => ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'orders', namespace: 'databases' },
    spec: { instances, imageName: image },
  });
  const cronJob = (image: string): KubernetesObject => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'prune-backups', namespace: 'databases' },
    spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'x', image }] } } } } },
  });
  const m = (...objects: Array<[string, KubernetesObject]>): Manifests => new Map(objects);
  const tagged = 'ghcr.io/cloudnative-pg/postgresql:16.15-system-trixie';
  const pinned = `registry.example.com/dbfleet/ops:1.0.0@${digest('d')}`;

  it('warns about each added or changed image without a digest, once per image with its objects; never about a digest', () => {
    const plan = makePlan(
      m(),
      m(['production/cluster-orders.yaml', cluster(tagged)], ['production/cronjob-prune-backups.yaml', cronJob(pinned)]),
    );
    expect(plan.warnings).toEqual([
      {
        image: tagged,
        objects: ['production: Cluster databases/orders'],
        message: `${tagged} has no digest: a tag can be moved to other bytes; pin it as <tag>@sha256:<digest> (crane digest ${tagged})`,
      },
    ]);
    const text = formatPlan(plan, 'plan');
    expect(text).toContain('WARNING: 1 image without a digest (pin tag@sha256:…)');
    expect(text).toContain('      production: Cluster databases/orders');
    expect(formatPlan(plan, 'plan', 'markdown')).toContain('> [!WARNING]');
    expect(plan.dangers).toEqual([]);
  });

  it('does not warn again about an image an object already ran', () => {
    const plan = makePlan(
      m(['production/cluster-orders.yaml', cluster(tagged)]),
      m(['production/cluster-orders.yaml', cluster(tagged, 5)]),
    );
    expect(plan.environments[0].changed).toHaveLength(1);
    expect(plan.warnings).toEqual([]);
    expect(formatPlan(plan, 'plan')).not.toContain('WARNING');
  });
});
