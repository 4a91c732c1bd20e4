// Minimal edits of a YAML file's text: the commands that write fleet files (`dbfleet rotate`,
// `dbfleet switchover`) change only the lines they must. Re-serialising the document with the
// `yaml` package (doc.toString()) re-spaces flow sequences, collapses aligned comments and
// re-indents; in a file a team owns through CODEOWNERS that is noise in every review. Here the
// document is parsed only to find source ranges, and the text is spliced there: every other byte
// stays as it was.
import { isCollection, isMap, isPair, isScalar, isSeq, parseDocument, stringify, type Node, type YAMLMap } from 'yaml';

export type EditPath = ReadonlyArray<string | number>;

/** How a new mapping or list value is written. */
export type EditStyle = 'flow' | 'block';

export class YamlEditError extends Error {}

/** Sets `path` to `value`, creating missing parent mappings; everything else keeps its bytes. */
export function setInText(text: string, path: EditPath, value: unknown, style: EditStyle = 'flow'): string {
  if (path.length === 0) throw new YamlEditError('cannot replace the whole document');
  const doc = parseDocument(text);
  // The deepest existing mapping along the path.
  let parent: Node | null = doc.contents as Node | null;
  let depth = 0;
  while (depth < path.length - 1) {
    const child = childOf(parent, path[depth]);
    if (!child || !(isMap(child) || isSeq(child))) break;
    parent = child;
    depth++;
  }
  if (depth === path.length - 1) {
    const existing = childOf(parent, path[depth]);
    if (existing && isMap(parent)) return replaceValue(text, parent, path[depth], existing, value, style);
  }
  if (!isMap(parent)) throw new YamlEditError(`${path.slice(0, depth).join('.') || 'the document'} is not a mapping`);
  // Insert the missing key (with the rest of the path as nested block mappings) into `parent`.
  const rest = path.slice(depth);
  return insertKey(text, parent, rest, value, style);
}

/** Removes `path`'s key and value (the whole lines of a block mapping entry); a missing path is no change. */
export function deleteInText(text: string, path: EditPath): string {
  const doc = parseDocument(text);
  const parent = doc.getIn(path.slice(0, -1), true) as Node | undefined;
  if (!isMap(parent)) return text;
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path[path.length - 1]);
  if (!pair) return text;
  const key = pair.key as Node;
  const value = pair.value as Node | null;
  const end = value?.range ? value.range[2] : key.range![2];
  if (parent.flow) {
    // `{ a: 1, b: 2 }`: the entry and one comma next to it.
    let from = key.range![0];
    let to = end;
    const after = /^\s*,\s*/.exec(text.slice(to));
    if (after) to += after[0].length;
    else {
      const before = /,\s*$/.exec(text.slice(0, from));
      if (before) from -= before[0].length;
    }
    return splice(text, from, to, '');
  }
  const from = key.range![0] - columnOf(text, key.range![0]);
  return splice(text, from, endOfLine(text, end), '');
}

function replaceValue(text: string, map: YAMLMap, key: string | number, existing: Node, value: unknown, style: EditStyle): string {
  const [start, end] = existing.range!;
  const keyAt = keyStart(map, key);
  const indent = columnOf(text, keyAt);
  const asBlock = style === 'block' && typeof value === 'object' && value !== null;
  const blockExisting = isCollection(existing) && !existing.flow;
  const rendered = render(value, style, indent + 2);
  if (!blockExisting && !asBlock) return splice(text, start, end, rendered.inline);
  // Where the value begins: right after the key's colon.
  const colon = text.indexOf(':', (map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key)!.key as Node).range![1]);
  const tail = blockExisting ? end : endOfLine(text, end);
  const replacement = asBlock ? `\n${rendered.block}` : ` ${rendered.inline}\n`;
  return splice(text, colon + 1, tail, text[tail - 1] === '\n' || tail === text.length ? replacement : replacement.replace(/\n$/, ''));
}

function childOf(node: Node | null | undefined, key: string | number): Node | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    return (pair?.value as Node | null) ?? undefined;
  }
  if (isSeq(node) && typeof key === 'number') return (node.items[key] as Node | undefined) ?? undefined;
  return undefined;
}

function keyStart(map: YAMLMap, key: string | number): number {
  const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key)!;
  return (pair.key as Node).range![0];
}

function insertKey(text: string, map: YAMLMap, rest: EditPath, value: unknown, style: EditStyle): string {
  const [key, ...deeper] = rest;
  const nested = deeper.reduceRight<unknown>((v, k) => ({ [k]: v }), value);
  if (map.flow) {
    // `{ a: 1 }` → `{ a: 1, key: value }`: before the closing brace, after the last entry.
    const close = text.lastIndexOf('}', map.range![1] - 1);
    const entry = `${String(key)}: ${render(nested, 'flow', 0).inline}`;
    if (map.items.length === 0) return splice(text, close, close, ` ${entry} `).replace(/\{\s+\s/, '{ ');
    const last = map.items[map.items.length - 1];
    const lastEnd = ((last.value as Node | null)?.range ?? (last.key as Node).range!)[1];
    return splice(text, lastEnd, lastEnd, `, ${entry}`);
  }
  if (map.items.length === 0) throw new YamlEditError('cannot add a key to an empty block mapping');
  const indent = columnOf(text, (map.items[0].key as Node).range![0]);
  const last = map.items[map.items.length - 1];
  const lastNode = (last.value as Node | null) ?? (last.key as Node);
  const at = endOfLine(text, lastNode.range![1]);
  const prefix = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
  return splice(text, at, at, `${prefix}${' '.repeat(indent)}${blockEntry(String(key), deeper, value, style, indent)}`);
}

/** `key: value\n`, the deeper keys as nested block mappings, the leaf in `style`. */
function blockEntry(key: string, deeper: EditPath, value: unknown, style: EditStyle, indent: number): string {
  if (deeper.length === 0) {
    const r = render(value, style, indent + 2);
    return style === 'block' && typeof value === 'object' && value !== null ? `${key}:\n${r.block}` : `${key}: ${r.inline}\n`;
  }
  const [next, ...more] = deeper;
  return `${key}:\n${' '.repeat(indent + 2)}${blockEntry(String(next), more, value, style, indent + 2)}`;
}

/** A value as YAML: `inline` (flow or scalar, one line) and `block` (indented lines, newline-terminated). */
function render(value: unknown, style: EditStyle, indent: number): { inline: string; block: string } {
  const inline = stringify(value, { collectionStyle: 'flow', flowCollectionPadding: true, lineWidth: 0 }).trimEnd();
  const block = stringify(value, { collectionStyle: style === 'block' ? 'block' : 'flow', lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((line) => `${' '.repeat(indent)}${line}`)
    .join('\n');
  return { inline, block: `${block}\n` };
}

/** 0-based column of a position. */
function columnOf(text: string, pos: number): number {
  return pos - (text.lastIndexOf('\n', pos - 1) + 1);
}

/** The position after the newline that ends the line holding `end - 1` (a range's exclusive end). */
function endOfLine(text: string, end: number): number {
  const last = Math.max(end - 1, 0);
  if (text[last] === '\n') return last + 1;
  const newline = text.indexOf('\n', last);
  return newline === -1 ? text.length : newline + 1;
}

function splice(text: string, from: number, to: number, insert: string): string {
  return `${text.slice(0, from)}${insert}${text.slice(to)}`;
}
