// A review summary of what a change to the fleet does to the objects of each environment:
// added, changed (field by field), removed and moved, and the dangerous ones among them.
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '../output/render';
import { DANGER_RULES, findDangers, type Danger, type DangerRule, type Transition } from './dangers';
import { diffFields, type FieldChange } from './field-diff';
import { imageDigestWarnings, type ImageWarning } from './image-digests';
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
  /** Images without a digest that the change starts to run (a WARNING; the exit code ignores it). */
  readonly warnings: readonly ImageWarning[];
}

export interface PlanOptions {
  /** Runs the CRD transition rules of an update (Validator.validateTransition). @default not checked */
  readonly rejectedUpdate?: (
    before: KubernetesObject,
    after: KubernetesObject,
  ) => ReadonlyArray<{ readonly path: string; readonly message: string }>;
  /** @default DANGER_RULES */
  readonly rules?: readonly DangerRule[];
  /**
   * Every object rendered now, when `head` holds only the objects that differ from the base
   * (manifests.ts difference()): the rules' view of what remains, and the environments listed.
   * @default head
   */
  readonly allHead?: Manifests;
}

/**
 * The plan of a change from `base` to `head`. Objects that are the same on both sides may be left
 * out of both (pass every rendered object as `allHead`): they are no transition.
 */
export function makePlan(base: Manifests, head: Manifests, options: PlanOptions = {}): Plan {
  const before = indexObjects(base);
  const after = indexObjects(head);
  const all = options.allHead ? indexObjects(options.allHead) : after;
  const removedAll = [...before].filter(([k]) => !after.has(k) && !all.has(k)).map(([, o]) => o);
  const addedAll = [...after].filter(([k]) => !before.has(k)).map(([, o]) => o);
  const pairs = pairMoves(removedAll, addedAll);
  const paired = new Set(
    pairs.flatMap((p) => [identity(p.from.ref.environment, p.from.object), identity(p.to.ref.environment, p.to.object)]),
  );
  const removed = removedAll.filter((o) => !paired.has(identity(o.ref.environment, o.object)));
  const added = addedAll.filter((o) => !paired.has(identity(o.ref.environment, o.object)));
  const changed = [...after]
    .filter(([k, o]) => before.has(k) && !isDeepStrictEqual(before.get(k)!.object, o.object))
    .map(([k, o]) => ({ ref: o.ref, beforeRef: before.get(k)!.ref, before: before.get(k)!.object, after: o.object }));

  const folders = [...new Set([...before.values(), ...all.values()].map((o) => o.ref.environment))].sort();
  const byFolder = <T>(items: readonly T[], folder: (item: T) => string) => {
    const map = new Map<string, T[]>();
    for (const item of items) {
      const key = folder(item);
      if (!map.has(key)) map.set(key, []);
      map.get(key)!.push(item);
    }
    return (environment: string): T[] => map.get(environment) ?? [];
  };
  const addedIn = byFolder(added, (o) => o.ref.environment);
  const changedIn = byFolder(changed, (c) => c.ref.environment);
  const removedIn = byFolder(removed, (o) => o.ref.environment);
  const movedIn = byFolder(pairs, (p) => p.from.ref.environment);
  const environments = folders.map((environment): EnvironmentPlan => ({
    environment,
    added: addedIn(environment).map((o) => o.ref),
    changed: changedIn(environment).map((c) => ({ object: c.ref, fields: diffFields(c.before, c.after) })),
    removed: removedIn(environment).map((o) => o.ref),
    moved: movedIn(environment).map((p) => ({ from: p.from.ref, to: p.to.ref })),
  }));

  const transitions: Transition[] = [
    ...removed.map((o): Transition => ({ type: 'removed', environment: o.ref.environment, before: o.object })),
    ...pairs.map((p): Transition => ({
      type: 'moved',
      environment: p.from.ref.environment,
      before: p.from.object,
      after: p.to.object,
      beforePath: p.from.ref.path,
      afterPath: p.to.ref.path,
    })),
    ...changed.map((c): Transition => ({
      type: 'changed',
      environment: c.ref.environment,
      before: c.before,
      after: c.after,
      beforePath: c.beforeRef.path,
      afterPath: c.ref.path,
    })),
    ...added.map((o): Transition => ({ type: 'added', environment: o.ref.environment, after: o.object })),
  ];
  const headIn = byFolder([...all.values()], (o) => o.ref.environment);
  const headObjects = new Map<string, KubernetesObject[]>();
  const dangers = findDangers(
    {
      transitions,
      headObjects: (env) => {
        if (!headObjects.has(env))
          headObjects.set(
            env,
            headIn(env).map((o) => o.object),
          );
        return headObjects.get(env)!;
      },
      rejectedUpdate: options.rejectedUpdate,
    },
    options.rules ?? DANGER_RULES,
  );
  return { environments, dangers, warnings: imageDigestWarnings(transitions) };
}

export function countChanges(plan: Plan): number {
  return plan.environments.reduce((n, e) => n + e.added.length + e.changed.length + e.removed.length + e.moved.length, 0);
}
