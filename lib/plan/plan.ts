// A review summary of what a change to the fleet does to the objects of each environment:
// added, changed (field by field), removed and moved, and the dangerous ones among them.
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '../output/render';
import { DANGER_RULES, findDangers, type Danger, type DangerRule, type Transition } from './dangers';
import { diffFields, type FieldChange } from './field-diff';
import type { Manifests } from './manifests';
import { identity, indexObjects, type PlannedObject } from './objects';
import { pairMoves } from './pairing';

export interface ChangedObject {
  readonly object: PlannedObject;
  readonly fields: readonly FieldChange[];
}

/** A removed and an added object that the content shows to be the same one, renamed or moved. */
export interface MovedObject {
  readonly from: PlannedObject;
  readonly to: PlannedObject;
}

export interface EnvironmentPlan {
  readonly environment: string;
  readonly added: readonly PlannedObject[];
  readonly changed: readonly ChangedObject[];
  readonly removed: readonly PlannedObject[];
  readonly moved: readonly MovedObject[];
}

export interface Plan {
  readonly environments: readonly EnvironmentPlan[];
  readonly dangers: readonly Danger[];
}

export interface PlanOptions {
  /** Runs the CRD transition rules of an update (Validator.validateTransition). @default not checked */
  readonly rejectedUpdate?: (
    before: KubernetesObject,
    after: KubernetesObject,
  ) => ReadonlyArray<{ readonly path: string; readonly message: string }>;
  /** @default DANGER_RULES */
  readonly rules?: readonly DangerRule[];
}

export function makePlan(base: Manifests, head: Manifests, options: PlanOptions = {}): Plan {
  const before = indexObjects(base);
  const after = indexObjects(head);
  const removedAll = [...before].filter(([k]) => !after.has(k)).map(([, o]) => o);
  const addedAll = [...after].filter(([k]) => !before.has(k)).map(([, o]) => o);
  const pairs = pairMoves(removedAll, addedAll);
  const paired = new Set(
    pairs.flatMap((p) => [identity(p.from.ref.environment, p.from.object), identity(p.to.ref.environment, p.to.object)]),
  );
  const removed = removedAll.filter((o) => !paired.has(identity(o.ref.environment, o.object)));
  const added = addedAll.filter((o) => !paired.has(identity(o.ref.environment, o.object)));
  const changed = [...after]
    .filter(([k, o]) => before.has(k) && !isDeepStrictEqual(before.get(k)!.object, o.object))
    .map(([k, o]) => ({ ref: o.ref, before: before.get(k)!.object, after: o.object }));

  const folders = [...new Set([...before.values(), ...after.values()].map((o) => o.ref.environment))].sort();
  const environments = folders.map((environment): EnvironmentPlan => ({
    environment,
    added: added.filter((o) => o.ref.environment === environment).map((o) => o.ref),
    changed: changed
      .filter((c) => c.ref.environment === environment)
      .map((c) => ({ object: c.ref, fields: diffFields(c.before, c.after) })),
    removed: removed.filter((o) => o.ref.environment === environment).map((o) => o.ref),
    moved: pairs.filter((p) => p.from.ref.environment === environment).map((p) => ({ from: p.from.ref, to: p.to.ref })),
  }));

  const transitions: Transition[] = [
    ...removed.map((o): Transition => ({ type: 'removed', environment: o.ref.environment, before: o.object })),
    ...pairs.map((p): Transition => ({ type: 'moved', environment: p.from.ref.environment, before: p.from.object, after: p.to.object })),
    ...changed.map((c): Transition => ({ type: 'changed', environment: c.ref.environment, before: c.before, after: c.after })),
    ...added.map((o): Transition => ({ type: 'added', environment: o.ref.environment, after: o.object })),
  ];
  const headByEnvironment = new Map<string, KubernetesObject[]>();
  for (const o of after.values()) headByEnvironment.set(o.ref.environment, [...(headByEnvironment.get(o.ref.environment) ?? []), o.object]);
  const dangers = findDangers(
    {
      transitions,
      headObjects: (env) => headByEnvironment.get(env) ?? [],
      rejectedUpdate: options.rejectedUpdate,
    },
    options.rules ?? DANGER_RULES,
  );
  return { environments, dangers };
}

export function countChanges(plan: Plan): number {
  return plan.environments.reduce((n, e) => n + e.added.length + e.changed.length + e.removed.length + e.moved.length, 0);
}
