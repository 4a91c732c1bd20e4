import { Chart, Testing } from 'cdk8s';
import type { KubernetesObject } from '../../lib/output/render';

/** A chart to put one construct in, and its rendered objects. */
export function testChart(): Chart {
  return new Chart(Testing.app(), 'test', { disableResourceNameHashes: true });
}

export function objectsOf(chart: Chart): KubernetesObject[] {
  return chart.toJson() as KubernetesObject[];
}

export function only(objects: KubernetesObject[], kind: string, name?: string): KubernetesObject & { spec: any } {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as KubernetesObject & { spec: any };
}
