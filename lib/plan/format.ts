// A plan as text (terminal), markdown (a pull-request comment) or JSON (tools).
import type { Danger } from './dangers';
import { formatFieldChange, type FieldChange } from './field-diff';
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

function fieldLines(fields: readonly FieldChange[]): string[] {
  const lines = fields.slice(0, MAX_FIELDS).map(formatFieldChange);
  if (fields.length > MAX_FIELDS) lines.push(`… and ${fields.length - MAX_FIELDS} more fields`);
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
      for (const line of fieldLines(c.fields)) lines.push(`      ${line}`);
    }
    for (const m of env.moved) {
      lines.push(`  - ${describeRef(m.from)}  (${m.from.path})`);
      lines.push(`  + ${describeRef(m.to)}  (${m.to.path})  ${moveNote(m.from, m.to)}: the same content under a new identity`);
    }
    for (const o of env.removed) lines.push(`  - ${describeRef(o)}  (${o.path})`);
    lines.push('');
  }
  if (plan.dangers.length > 0) {
    lines.push(`DANGER: ${plan.dangers.length} destructive or risky change${plan.dangers.length === 1 ? '' : 's'}`);
    for (const d of plan.dangers) lines.push(`  ! ${dangerLine(d)}`);
  } else {
    lines.push('no dangerous changes');
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
    for (const d of plan.dangers) lines.push(`| ${d.environment} | ${code(d.object)} | ${cell(d.message)} |`);
    lines.push('');
  } else {
    lines.push('No dangerous changes.', '');
  }
  for (const env of plan.environments) {
    const count = env.added.length + env.changed.length + env.removed.length + env.moved.length;
    lines.push(`#### ${env.environment}: ${summary(env)}`, '');
    if (count === 0) continue;
    for (const o of env.added) lines.push(`- ➕ ${code(describeRef(o))}`);
    for (const c of env.changed) {
      lines.push(`- ✏️ ${code(describeRef(c.object))}`);
      for (const line of fieldLines(c.fields)) lines.push(`  - ${code(line)}`);
    }
    for (const m of env.moved)
      lines.push(`- ↪️ ${code(describeRef(m.from))} → ${code(describeRef(m.to))} (${moveNote(m.from, m.to)}: removed and added)`);
    for (const o of env.removed) lines.push(`- ➖ ${code(describeRef(o))}`);
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}
