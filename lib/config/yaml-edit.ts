// Minimal edits of a YAML file's text: the commands that write fleet files (`dbfleet rotate`,
// `dbfleet switchover`) change only the lines they must. Re-serialising the document with the
// `yaml` package (doc.toString()) re-spaces flow sequences, collapses aligned comments and
// re-indents; in a file a team owns through CODEOWNERS that is noise in every review. Here the
// document is parsed only to find source ranges, and the text is spliced there: every other byte
// stays as it was.
import { isDeepStrictEqual } from 'node:util';
import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  stringify,
  visit,
  type Alias,
  type Document,
  type Node,
  type YAMLMap,
} from 'yaml';

export type EditPath = ReadonlyArray<string | number>;

/** How a new mapping or list value is written. */
export type EditStyle = 'flow' | 'block';

export class YamlEditError extends Error {}

/**
 * Sets `path` to `value`, creating missing parent mappings; everything else keeps its bytes.
 *
 * Anchors and aliases (issue 27: `rotation: *default` got a second `rotation:` key and the command
 * exited 0): a value along the path that is an alias (`*default`) or comes from a merge key
 * (`<<: *base`) is written out at this place, as the value it stands for with the change applied,
 * so the anchor and every other alias of it keep their value. A value along the path that carries
 * an anchor other nodes alias (`&default`) is refused: editing it in place would change them too.
 * Every edit is checked: the new text must parse and mean the old document with only `path` set,
 * else YamlEditError and nothing is written.
 */
export function setInText(text: string, path: EditPath, value: unknown, style: EditStyle = 'flow'): string {
  return keepingEncoding(text, (plain) => setInPlainText(plain, path, value, style));
}

/**
 * Edits `text` without its byte-order mark and with LF line ends, then puts both back (attack on
 * #27: a file saved with a UTF-8 BOM, which the loader reads, was refused as "would not give valid
 * YAML"; a CRLF file got LF lines appended, mixed line ends in a file a team owns).
 */
function keepingEncoding(text: string, edit: (plain: string) => string): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = text.slice(bom.length);
  const crlf = body.includes('\r\n') && !/(^|[^\r])\n/.test(body);
  const edited = edit(crlf ? body.replace(/\r\n/g, '\n') : body);
  return bom + (crlf ? edited.replace(/\n/g, '\r\n') : edited);
}

function setInPlainText(text: string, path: EditPath, value: unknown, style: EditStyle): string {
  if (path.length === 0) throw new YamlEditError('cannot replace the whole document');
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0)
    throw new YamlEditError(`the file does not parse, so it is not edited: ${doc.errors[0].message.split('\n')[0]}`);
  const edited = setInDocument(text, doc, path, value, style);
  checkEdit(doc, edited, path, value);
  return edited;
}

function setInDocument(text: string, doc: Document, path: EditPath, value: unknown, style: EditStyle): string {
  // The deepest existing mapping along the path.
  let parent: Node | null = doc.contents as Node | null;
  let depth = 0;
  while (depth < path.length - 1) {
    const key = path[depth];
    const child = childOf(parent, key);
    if (isMap(parent) && (isAlias(child) || (child === undefined && mergedHas(doc, parent, key)))) {
      // `rotation: *default` or a `rotation` merged in from `<<: *base`: this key gets its own
      // copy, the aliased value with the change, written in flow style on the key's line.
      const own = JSON.parse(JSON.stringify(effectiveValue(doc, parent, key) ?? null)) as unknown;
      const copy = setInValue(own, path.slice(depth + 1), value);
      return child === undefined
        ? insertKey(text, parent, [key], copy, 'flow')
        : replaceValue(text, parent, key, child as Node, copy, 'flow');
    }
    if (isMap(parent) && isEmptyValue(child)) {
      // `rotation:` with no value: the nested value goes after the colon.
      return splice(text, child.range![0], child.range![0], ` ${render(setInValue({}, path.slice(depth + 1), value), 'flow', 0).inline}`);
    }
    if (!child || !(isMap(child) || isSeq(child))) break;
    refuseShared(text, doc, child, path.slice(0, depth + 1));
    parent = child;
    depth++;
  }
  if (depth === path.length - 1 && isMap(parent)) {
    const key = path[depth];
    const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    const existing = pair?.value as Node | null | undefined;
    if (existing && !isAlias(existing)) refuseShared(text, doc, existing, path);
    if (isEmptyValue(existing)) {
      return splice(text, existing.range![0], existing.range![0], ` ${render(value, 'flow', 0).inline}`);
    }
    if (existing) return replaceValue(text, parent, key, existing, value, style);
  }
  if (!isMap(parent)) throw new YamlEditError(`${path.slice(0, depth).join('.') || 'the document'} is not a mapping`);
  // Insert the missing key (with the rest of the path as nested block mappings) into `parent`.
  const rest = path.slice(depth);
  return insertKey(text, parent, rest, value, style);
}

/** `key:` with nothing after it (a null the file does not spell out). */
function isEmptyValue(node: unknown): node is Node {
  return isScalar(node) && node.value === null && node.source === '' && node.range !== undefined;
}

/** Whether `key` of `map` comes from a merge key (`<<: *base`) only. */
function mergedHas(doc: Document, map: YAMLMap, key: string | number): boolean {
  const value = map.toJS(doc) as unknown;
  return typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, key);
}

/** The value `key` has in `map`, aliases and merge keys resolved. */
function effectiveValue(doc: Document, map: YAMLMap, key: string | number): unknown {
  return (map.toJS(doc) as Record<string | number, unknown>)[key];
}

/** `value` with `path` set (missing mappings created); `value` is changed. */
function setInValue(value: unknown, path: EditPath, leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const out = (typeof value === 'object' && value !== null ? value : {}) as Record<string | number, unknown>;
  out[path[0]] = setInValue(out[path[0]], path.slice(1), leaf);
  return out;
}

/** Refuses to edit a node that other nodes alias: the change would show up at each alias. */
function refuseShared(text: string, doc: Document, node: Node, path: EditPath): void {
  if (!node.anchor) return;
  const aliases: Alias[] = [];
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) === node) aliases.push(alias);
    },
  });
  if (aliases.length === 0) return;
  const lines = aliases.map((a) => lineAt(text, a.range![0])).join(', ');
  throw new YamlEditError(
    `${path.join('.')} is the anchor &${node.anchor} (line ${lineAt(text, node.range![0])}), which *${node.anchor} reuses on line${aliases.length === 1 ? '' : 's'} ${lines}: changing it here would change it there too. Write the value out (without the anchor) where it should change, then run again`,
  );
}

/** The edited text must parse and mean the original document with `path` set, nothing else. */
function checkEdit(before: Document, edited: string, path: EditPath, value: unknown): void {
  const after = parseDocument(edited, { merge: true });
  if (after.errors.length > 0)
    throw new YamlEditError(
      `editing ${path.join('.')} in place would not give valid YAML (${after.errors[0].message.split('\n')[0]}); nothing was written`,
    );
  // Through JSON, not structuredClone: toJS gives an anchor and its aliases one shared object.
  const expected = setInValue(JSON.parse(JSON.stringify(before.toJS())) as unknown, path, value);
  if (!isDeepStrictEqual(after.toJS() as unknown, expected))
    throw new YamlEditError(
      `editing ${path.join('.')} in place would change other values of the file; nothing was written: set it by hand`,
    );
}

/** 1-based line of a position. */
function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos; i++) if (text[i] === '\n') line++;
  return line;
}

/** Removes `path`'s key and value (the whole lines of a block mapping entry); a missing path is no change. */
export function deleteInText(text: string, path: EditPath): string {
  return keepingEncoding(text, (plain) => deleteInPlainText(plain, path));
}

function deleteInPlainText(text: string, path: EditPath): string {
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
