// A plan as text (terminal), markdown (a pull-request comment) or JSON (tools).
import type { Danger } from './dangers';
import { formatFieldChangeLines, type FieldChange } from './field-diff';
import { describeRef, type PlannedObject } from './objects';
import { countChanges, type EnvironmentPlan, type Plan } from './plan';

export const PLAN_FORMATS = ['text', 'markdown', 'json'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

/** Changed fields listed per object before the rest is summarised. */
const MAX_FIELDS = 12;

function summary(env: EnvironmentPlan): string {
  const count = env.added.length + env.changed.length + env.removed.length + env.moved.length;
  if (count === 0) return 'no changes';
  const parts = [`${env.added.length} added`, `${env.changed.length} changed`, `${env.removed.length} removed`];
  if (env.moved.length) parts.push(`${env.moved.length} moved`);
  return parts.join(', ');
}

function moveNote(from: PlannedObject, to: PlannedObject): string {
  return from.namespace !== to.namespace ? 'moved to another namespace' : 'renamed';
}

/** Each changed field as its lines (the first names the field; the others are its diff). */
function fieldLines(fields: readonly FieldChange[]): string[][] {
  const lines = fields.slice(0, MAX_FIELDS).map(formatFieldChangeLines);
  if (fields.length > MAX_FIELDS) lines.push([`… and ${fields.length - MAX_FIELDS} more fields`]);
  return lines;
}

export function formatPlan(plan: Plan, title: string, format: PlanFormat = 'text'): string {
  switch (format) {
    case 'json':
      return JSON.stringify({ title, ...plan }, null, 2);
    case 'markdown':
      return formatMarkdown(plan, title);
    default:
      return formatText(plan, title);
  }
}

function dangerLine(d: Danger): string {
  return `${d.environment}: ${d.object} ${d.message}`;
}

/** Dangers with the same rule and message, in the order they were first found. */
interface DangerGroup {
  readonly message: string;
  readonly dangers: readonly Danger[];
}

/**
 * Repeated DANGERs once each, with their count and objects (#27: a fleet-wide major upgrade
 * printed 55 near-identical 450-character lines).
 */
export function groupDangers(dangers: readonly Danger[]): DangerGroup[] {
  const groups = new Map<string, Danger[]>();
  for (const d of dangers) {
    const key = `${d.rule}\0${d.message}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(d);
  }
  return [...groups.values()].map((ds) => ({ message: ds[0].message, dangers: ds }));
}

/** `production: Cluster databases/a, Cluster databases/b` per environment of a group. */
function objectsByEnvironment(dangers: readonly Danger[]): string[] {
  const byEnvironment = new Map<string, string[]>();
  for (const d of dangers) {
    if (!byEnvironment.has(d.environment)) byEnvironment.set(d.environment, []);
    byEnvironment.get(d.environment)!.push(d.object);
  }
  return [...byEnvironment].map(([environment, objects]) => `${environment}: ${objects.join(', ')}`);
}

function dangerHeader(plan: Plan, groups: readonly DangerGroup[]): string {
  const n = plan.dangers.length;
  const grouped = groups.length < n ? `, ${groups.length} different` : '';
  return `DANGER: ${n} destructive or risky change${n === 1 ? '' : 's'}${grouped}`;
}

function warningHeader(plan: Plan): string {
  const n = plan.warnings.length;
  return `WARNING: ${n} image${n === 1 ? '' : 's'} without a digest (pin tag@sha256:…)`;
}

function formatText(plan: Plan, title: string): string {
  const lines = [title, ''];
  if (countChanges(plan) === 0) {
    lines.push('no changes');
    return lines.join('\n');
  }
  for (const env of plan.environments) {
    lines.push(`## ${env.environment}: ${summary(env)}`);
    for (const o of env.added) lines.push(`  + ${describeRef(o)}  (${o.path})`);
    for (const c of env.changed) {
      lines.push(`  ~ ${describeRef(c.object)}  (${c.object.path})`);
      for (const [first, ...rest] of fieldLines(c.fields)) {
        lines.push(`      ${first}`);
        for (const line of rest) lines.push(`        ${line}`);
      }
    }
    for (const m of env.moved) {
      lines.push(`  - ${describeRef(m.from)}  (${m.from.path})`);
      lines.push(`  + ${describeRef(m.to)}  (${m.to.path})  ${moveNote(m.from, m.to)}: the same content under a new identity`);
    }
    for (const o of env.removed) lines.push(`  - ${describeRef(o)}  (${o.path})`);
    lines.push('');
  }
  if (plan.dangers.length > 0) {
    const groups = groupDangers(plan.dangers);
    lines.push(dangerHeader(plan, groups));
    for (const g of groups) {
      if (g.dangers.length === 1) {
        lines.push(`  ! ${dangerLine(g.dangers[0])}`);
        continue;
      }
      lines.push(`  ! ${g.dangers.length}× ${g.message}`);
      for (const line of objectsByEnvironment(g.dangers)) lines.push(`      ${line}`);
    }
  } else {
    lines.push('no dangerous changes');
  }
  if (plan.warnings.length > 0) {
    lines.push('', warningHeader(plan));
    for (const w of plan.warnings) {
      lines.push(`  ? ${w.message}`);
      for (const o of w.objects) lines.push(`      ${o}`);
    }
  }
  return lines.join('\n');
}

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function formatMarkdown(plan: Plan, title: string): string {
  const lines = [`### ${title}`, ''];
  if (countChanges(plan) === 0) {
    lines.push('No changes.');
    return lines.join('\n');
  }
  if (plan.dangers.length > 0) {
    lines.push(
      `> [!CAUTION]`,
      `> **${plan.dangers.length} dangerous change${plan.dangers.length === 1 ? '' : 's'}**: merge only after reviewing ${plan.dangers.length === 1 ? 'it' : 'them'}.`,
      '',
    );
    lines.push('| environment | object | why |', '|---|---|---|');
    for (const g of groupDangers(plan.dangers)) {
      const environments = [...new Set(g.dangers.map((d) => d.environment))].join(', ');
      const objects = g.dangers.map((d) => code(d.object)).join(', ');
      lines.push(`| ${environments} | ${g.dangers.length > 1 ? `**${g.dangers.length}×** ` : ''}${objects} | ${cell(g.message)} |`);
    }
    lines.push('');
  } else {
    lines.push('No dangerous changes.', '');
  }
  if (plan.warnings.length > 0) {
    lines.push('> [!WARNING]', `> **${warningHeader(plan).replace(/^WARNING: /, '')}**`, '');
    lines.push('| image | objects |', '|---|---|');
    for (const w of plan.warnings) lines.push(`| ${code(w.image)} | ${w.objects.map((o) => code(o)).join(', ')} |`);
    lines.push('');
  }
  for (const env of plan.environments) {
    const count = env.added.length + env.changed.length + env.removed.length + env.moved.length;
    lines.push(`#### ${env.environment}: ${summary(env)}`, '');
    if (count === 0) continue;
    for (const o of env.added) lines.push(`- ➕ ${code(describeRef(o))}`);
    for (const c of env.changed) {
      lines.push(`- ✏️ ${code(describeRef(c.object))}`);
      for (const [first, ...rest] of fieldLines(c.fields)) {
        lines.push(`  - ${code(first)}`);
        // A diff keeps its lines: a fenced block under the field.
        if (rest.length) lines.push('    ```diff', ...rest.map((line) => `    ${line.replace(/```/g, "'''")}`), '    ```');
      }
    }
    for (const m of env.moved)
      lines.push(`- ↪️ ${code(describeRef(m.from))} → ${code(describeRef(m.to))} (${moveNote(m.from, m.to)}: removed and added)`);
    for (const o of env.removed) lines.push(`- ➖ ${code(describeRef(o))}`);
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}
