// A review summary of what a change to the fleet does to dist/, per environment.
import { isDeepStrictEqual } from 'node:util';
import { describe, findDangers, type Danger } from './dangers';
import type { Manifests } from './manifests';

export interface ObjectChange {
  readonly path: string;
  readonly object: string;
  /** For changed objects: the top-level-ish fields that differ (e.g. `spec.storage.size`). */
  readonly fields?: readonly string[];
}

export interface EnvironmentPlan {
  readonly environment: string;
  readonly added: readonly ObjectChange[];
  readonly changed: readonly ObjectChange[];
  readonly removed: readonly ObjectChange[];
}

export interface Plan {
  readonly environments: readonly EnvironmentPlan[];
  readonly dangers: readonly Danger[];
}

export function makePlan(base: Manifests, head: Manifests): Plan {
  const folders = [...new Set([...base.keys(), ...head.keys()].map((p) => p.split('/')[0]))].sort();
  const environments = folders.map((environment): EnvironmentPlan => {
    const inFolder = (m: Manifests) => [...m.keys()].filter((p) => p.startsWith(`${environment}/`)).sort();
    const added = inFolder(head).filter((p) => !base.has(p)).map((p) => ({ path: p, object: describe(head.get(p)!) }));
    const removed = inFolder(base).filter((p) => !head.has(p)).map((p) => ({ path: p, object: describe(base.get(p)!) }));
    const changed = inFolder(head).filter((p) => base.has(p) && !isDeepStrictEqual(base.get(p), head.get(p)))
      .map((p) => ({ path: p, object: describe(head.get(p)!), fields: differingFields(base.get(p), head.get(p)) }));
    return { environment, added, changed, removed };
  });
  return { environments, dangers: findDangers(base, head) };
}

/** Paths of the leaves that differ, cut at depth 4 so a changed list reads as one field. */
function differingFields(a: unknown, b: unknown, path = '', depth = 0): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const objects = a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
  if (!objects || depth >= 4) return [path || '(root)'];
  const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
  return keys.flatMap((k) => differingFields((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, depth + 1));
}

export function formatPlan(plan: Plan, title: string): string {
  const lines = [title, ''];
  const total = plan.environments.reduce((n, e) => n + e.added.length + e.changed.length + e.removed.length, 0);
  if (total === 0) {
    lines.push('no changes');
    return lines.join('\n');
  }
  for (const env of plan.environments) {
    const count = env.added.length + env.changed.length + env.removed.length;
    lines.push(`## ${env.environment}: ${count === 0 ? 'no changes' : `${env.added.length} added, ${env.changed.length} changed, ${env.removed.length} removed`}`);
    for (const c of env.added) lines.push(`  + ${c.object}  (${c.path})`);
    for (const c of env.changed) lines.push(`  ~ ${c.object}  (${c.path}): ${c.fields!.join(', ')}`);
    for (const c of env.removed) lines.push(`  - ${c.object}  (${c.path})`);
    lines.push('');
  }
  if (plan.dangers.length > 0) {
    lines.push(`DANGER: ${plan.dangers.length} destructive or risky change${plan.dangers.length === 1 ? '' : 's'}`);
    for (const d of plan.dangers) lines.push(`  ! ${d.environment}: ${d.object} ${d.message}`);
  } else {
    lines.push('no dangerous changes');
  }
  return lines.join('\n');
}
