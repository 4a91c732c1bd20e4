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
    // The full values too (JSON output): the text shows a line diff of them.
    out.push(
      definedOnly({ path, before: a, after: b, added: added.length ? added : undefined, removed: removed.length ? removed : undefined }),
    );
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

/** One value for a line of text: JSON, whole (#27: values cut at 80 characters hid the change). */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(none)';
  return JSON.stringify(value);
}

/** List items shown per changed list. */
const MAX_ITEMS = 6;
/** A single-line value longer than this is shown on lines of its own, with a word diff. */
const LONG = 80;

/** `spec.instances: 3 → 1`, `spec.extensions: + "citext", − "pg_trgm"` (the first line of formatFieldChangeLines). */
export function formatFieldChange(change: FieldChange): string {
  return formatFieldChangeLines(change).join('\n');
}

/**
 * A changed field as lines of text: one line for short values; for multi-line strings (scripts,
 * SQL, alert expressions) a line diff; for long single-line strings (connection URIs, selectors)
 * both values whole and a word diff (`[-old-]{+new+}`, as `git diff --word-diff`).
 */
export function formatFieldChangeLines(change: FieldChange): string[] {
  const { before, after } = change;
  if (typeof before === 'string' && typeof after === 'string') {
    if (before.includes('\n') || after.includes('\n'))
      return [`${change.path}: (lines)`, ...lineDiff(before.split('\n'), after.split('\n'))];
    if (JSON.stringify(before).length > LONG || JSON.stringify(after).length > LONG)
      return [`${change.path}:`, `- ${JSON.stringify(before)}`, `+ ${JSON.stringify(after)}`, `~ ${wordDiff(before, after)}`];
  }
  if (change.added || change.removed) {
    const parts = [...(change.added ?? []).map((v) => `+ ${formatValue(v)}`), ...(change.removed ?? []).map((v) => `− ${formatValue(v)}`)];
    const shown = parts.length > MAX_ITEMS ? [...parts.slice(0, MAX_ITEMS), `… ${parts.length - MAX_ITEMS} more`] : parts;
    return [`${change.path}: ${shown.join(', ')}`];
  }
  return [`${change.path}: ${formatValue(before)} → ${formatValue(after)}`];
}

/** The longest common subsequence of two token lists, as pairs of indexes (small inputs: O(n·m)). */
function commonPairs(a: readonly string[], b: readonly string[]): Array<[number, number]> {
  // Common prefix and suffix first: most changes are local.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < start; i++) pairs.push([i, i]);
  const n = endA - start;
  const m = endB - start;
  if (n > 0 && m > 0 && n * m <= 4_000_000) {
    const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        table[i][j] = a[start + i] === b[start + j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[start + i] === b[start + j]) {
        pairs.push([start + i, start + j]);
        i++;
        j++;
      } else if (table[i + 1][j] >= table[i][j + 1]) i++;
      else j++;
    }
  }
  for (let k = 0; k < a.length - endA; k++) pairs.push([endA + k, endB + k]);
  return pairs;
}

/** Edit script: each token of a and b, kept (` `), removed (`-`) or added (`+`), in order. */
function edits(a: readonly string[], b: readonly string[]): Array<[' ' | '-' | '+', string]> {
  const out: Array<[' ' | '-' | '+', string]> = [];
  let i = 0;
  let j = 0;
  for (const [pi, pj] of [...commonPairs(a, b), [a.length, b.length] as [number, number]]) {
    while (i < pi) out.push(['-', a[i++]]);
    while (j < pj) out.push(['+', b[j++]]);
    if (pi < a.length) out.push([' ', a[pi]]);
    i = pi + 1;
    j = pj + 1;
  }
  return out;
}

/** Changed lines with one line of context, `…` between distant changes. */
function lineDiff(a: readonly string[], b: readonly string[]): string[] {
  const script = edits(a, b);
  const near = (k: number) => script.slice(Math.max(0, k - 1), k + 2).some(([op]) => op !== ' ');
  const out: string[] = [];
  let skipped = false;
  script.forEach(([op, line], k) => {
    if (op === ' ' && !near(k)) {
      skipped = true;
      return;
    }
    if (skipped && out.length > 0) out.push('  …');
    skipped = false;
    out.push(`${op === ' ' ? ' ' : op} ${line}`);
  });
  return out;
}

/** The new string with the removed words as `[-…-]` and the added ones as `{+…+}`. */
function wordDiff(a: string, b: string): string {
  const words = (s: string) => s.split(/(\s+|[,;&?=/:@.()[\]{}"'])/).filter((t) => t !== '');
  let out = '';
  let op: ' ' | '-' | '+' = ' ';
  for (const [next, token] of edits(words(a), words(b))) {
    if (next !== op) out += (op === '-' ? '-]' : op === '+' ? '+}' : '') + (next === '-' ? '[-' : next === '+' ? '{+' : '');
    op = next;
    out += token;
  }
  return out + (op === '-' ? '-]' : op === '+' ? '+}' : '');
}
