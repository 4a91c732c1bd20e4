// What changed inside one object, field by field: old → new for scalars, items added and removed
// for lists (matched by their name where they have one), so a reviewer needs no `git diff`.
import { isDeepStrictEqual } from 'node:util';

export interface FieldChange {
  /** `spec.instances`, `spec.managed.roles[billing].login`, `spec.extensions`. */
  readonly path: string;
  /** Absent: the field is new. */
  readonly before?: unknown;
  /** Absent: the field is gone. */
  readonly after?: unknown;
  /** For lists: items only in the new list. */
  readonly added?: readonly unknown[];
  /** For lists: items only in the old list. */
  readonly removed?: readonly unknown[];
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) => v === null || typeof v !== 'object';
/** Keys that name a list item (Kubernetes list-map keys dbfleet's objects use). */
const ITEM_KEYS = ['name', 'key', 'major', 'alert', 'record'];

export function diffFields(before: unknown, after: unknown, path = ''): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before, after, path, out);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (isDeepStrictEqual(a, b)) return;
  if (isRecord(a) && isRecord(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[k], b[k], join(path, k), out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    listDiff(a, b, path, out);
    return;
  }
  if (typeof a === 'string' && typeof b === 'string' && (a.includes('\n') || b.includes('\n'))) {
    // Scripts and SQL: the lines that differ, not two truncated blobs.
    const before = a.split('\n');
    const after = b.split('\n');
    const removed = before.filter((line) => !after.includes(line));
    const added = after.filter((line) => !before.includes(line));
    out.push(definedOnly({ path, added: added.length ? added : undefined, removed: removed.length ? removed : undefined }));
    return;
  }
  out.push(definedOnly({ path: path || '(root)', before: a, after: b }));
}

function listDiff(a: unknown[], b: unknown[], path: string, out: FieldChange[]): void {
  if (a.every(isScalar) && b.every(isScalar)) {
    const removed = a.filter((x) => !b.some((y) => isDeepStrictEqual(x, y)));
    const added = b.filter((y) => !a.some((x) => isDeepStrictEqual(x, y)));
    if (added.length === 0 && removed.length === 0)
      out.push({ path, before: a, after: b }); // reordered
    else out.push(definedOnly({ path, added: added.length ? added : undefined, removed: removed.length ? removed : undefined }));
    return;
  }
  const key = ITEM_KEYS.find((k) =>
    [a, b].every(
      (list) =>
        list.every((item) => isRecord(item) && isScalar(item[k]) && item[k] !== undefined) &&
        new Set(list.map((item) => (item as Json)[k])).size === list.length,
    ),
  );
  if (key) {
    const before = new Map(a.map((item) => [String((item as Json)[key]), item]));
    const after = new Map(b.map((item) => [String((item as Json)[key]), item]));
    const added = [...after.keys()].filter((k) => !before.has(k));
    const removed = [...before.keys()].filter((k) => !after.has(k));
    if (added.length || removed.length) {
      out.push(definedOnly({ path, added: added.length ? added : undefined, removed: removed.length ? removed : undefined }));
    }
    for (const [k, item] of after) if (before.has(k)) walk(before.get(k), item, `${path}[${k}]`, out);
    return;
  }
  if (a.length === b.length) {
    a.forEach((item, i) => walk(item, b[i], `${path}[${i}]`, out));
    return;
  }
  const removed = a.filter((x) => !b.some((y) => isDeepStrictEqual(x, y)));
  const added = b.filter((y) => !a.some((x) => isDeepStrictEqual(x, y)));
  out.push(definedOnly({ path, added: added.length ? added : undefined, removed: removed.length ? removed : undefined }));
}

function join(path: string, key: string): string {
  const segment = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : `"${key}"`;
  return path ? (segment.startsWith('"') ? `${path}[${segment}]` : `${path}.${segment}`) : segment;
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** One value for a line of text: JSON, cut at `max` characters. */
export function formatValue(value: unknown, max = 80): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** List items shown per changed list. */
const MAX_ITEMS = 6;

/** `spec.instances: 3 → 1`, `spec.extensions: + "citext", − "pg_trgm"`. */
export function formatFieldChange(change: FieldChange): string {
  if (change.added || change.removed) {
    const parts = [...(change.added ?? []).map((v) => `+ ${formatValue(v)}`), ...(change.removed ?? []).map((v) => `− ${formatValue(v)}`)];
    const shown = parts.length > MAX_ITEMS ? [...parts.slice(0, MAX_ITEMS), `… ${parts.length - MAX_ITEMS} more`] : parts;
    return `${change.path}: ${shown.join(', ')}`;
  }
  return `${change.path}: ${formatValue(change.before)} → ${formatValue(change.after)}`;
}
