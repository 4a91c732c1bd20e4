// A DANGER rule of `npm run plan`: an environment whose clusters move from one Postgres operator to
// the other. Both operators' cluster objects are protected (Prune=false,Delete=false), so the sync
// creates new, empty clusters under the new operator and leaves the old ones running, unmanaged,
// with their data: a migration is a separate, manual job (docs/zalando.md, "Migrating").
import { ALL_BACKEND_TRAITS } from '../backends/traits';
import type { KubernetesObject } from '../output/render';
import type { DangerRule, Transition } from './dangers';
import { perPlan } from './per-plan';

/** `<apiGroup>/<kind>` of every backend's cluster objects → the product that runs them. */
const OPERATORS: Record<string, string> = Object.fromEntries(
  ALL_BACKEND_TRAITS.flatMap((backend) => backend.clusterKinds.map((kind) => [kind, backend.product])),
);

function operatorOf(object: KubernetesObject | undefined): string | undefined {
  if (!object) return undefined;
  const slash = object.apiVersion.lastIndexOf('/');
  return OPERATORS[`${slash === -1 ? '' : object.apiVersion.slice(0, slash)}/${object.kind}`];
}

/** On each cluster object added under an operator the environment's removed clusters did not use. */
export const operatorSwitch: DangerRule = {
  name: 'operator-switch',
  check: ({ type, environment, after }, context) => {
    const to = operatorOf(after);
    if (type !== 'added' || !to) return [];
    // The removed cluster objects of each environment, indexed once per plan.
    const removedClusters = perPlan(context, 'removed-clusters', () => {
      const index = new Map<string, Transition[]>();
      for (const t of context.transitions) {
        if (t.type !== 'removed' || !operatorOf(t.before)) continue;
        if (!index.has(t.environment)) index.set(t.environment, []);
        index.get(t.environment)!.push(t);
      }
      return index;
    });
    const left = (removedClusters.get(environment) ?? []).filter((t) => operatorOf(t.before) !== to);
    if (left.length === 0) return [];
    const from = [...new Set(left.map((t) => operatorOf(t.before)))].join(' and ');
    return [
      `is a new, empty cluster: the environment moves from ${from} to ${to}, and its ${left.length} ${from} cluster(s) ` +
        'keep running with their data but are no longer managed. Switching operators is not a migration: copy the data first (docs/zalando.md, "Migrating an environment")',
    ];
  },
};
