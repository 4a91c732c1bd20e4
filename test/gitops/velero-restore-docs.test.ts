// Defect 6: the README's Velero restore must select the Cluster object itself, not only what the
// operator labels cnpg.io/cluster (pods, PVCs, Secrets). The command is read from the README and
// its label selector evaluated against a rendered Cluster and its PVC labels.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp, renderObjects } from '../../lib/output/render';
import { BASE_FLEET, fleetOf } from '../support/fleet';

const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');

/** Velero's `--selector a=b,c=d` (all) or `--or-selector "a=b or c=d"` (any), equality terms only. */
function veleroSelects(command: string, labels: Record<string, string>): boolean {
  const or = /--or-selector\s+"([^"]+)"/.exec(command)?.[1];
  const and = /--selector\s+(\S+)/.exec(command)?.[1];
  const term = (t: string) => {
    const [k, v] = t.trim().split('=');
    return labels[k] === v;
  };
  if (or) return or.split(/\s+or\s+/).some(term);
  if (and) return and.split(',').every(term);
  return true;
}

describe('README: Velero restore of one cluster', () => {
  const command = /`(velero restore create [^`]+)`/.exec(readme.replace(/\n\s*/g, ' '))?.[1];
  const objects = renderObjects(buildApp(fleetOf(BASE_FLEET))).map((o) => o.object);
  const cluster = objects.find((o) => o.kind === 'Cluster' && o.metadata.name === 'acme')!;

  it('selects the Cluster object and what the operator made for it', () => {
    expect(command).toBeDefined();
    const forCluster = command!.replace(/<cluster>/g, 'acme');
    expect(
      veleroSelects(forCluster, cluster.metadata.labels ?? {}),
      `${forCluster} does not select the Cluster (labels ${JSON.stringify(cluster.metadata.labels)})`,
    ).toBe(true);
    // PVCs and Secrets the operator creates carry cnpg.io/cluster (and the inherited labels).
    expect(veleroSelects(forCluster, { 'cnpg.io/cluster': 'acme', 'app.kubernetes.io/part-of': 'acme' })).toBe(true);
    // Another cluster's objects are left out.
    expect(veleroSelects(forCluster, { 'cnpg.io/cluster': 'orders' })).toBe(false);
  });
});
