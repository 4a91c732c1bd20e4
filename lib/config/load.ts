// fleet.yaml → validated Fleet. Every problem is reported as `file:line: path: message`, all of
// them at once, sorted by line, so a user fixes a file in one pass.
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { core } from 'zod';
import { buildFleet } from './build-model';
import type { Fleet } from './model';
import { fleetSchema } from './schema';

export type ConfigPath = ReadonlyArray<string | number>;

export interface ConfigProblem {
  readonly path: ConfigPath;
  readonly message: string;
  /** Point at the key rather than its value (unknown keys). */
  readonly atKey?: boolean;
  /** The key is absent: point at the key of the mapping that lacks it. */
  readonly missing?: boolean;
}

export class FleetConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'FleetConfigError';
  }
}

/** `services[3].name`, `environments.test.instances`. */
export function formatPath(path: ConfigPath): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

/** Reads, parses and validates a fleet file. Throws FleetConfigError listing every problem. */
export function loadFleet(file: string): Fleet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FleetConfigError([`${file}: cannot read the fleet file: ${(error as Error).message}`]);
  }
  return parseFleet(text, file);
}

export function parseFleet(text: string, file: string): Fleet {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new FleetConfigError(doc.errors.map((e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`));
  }
  const located = (problems: readonly ConfigProblem[]) => new FleetConfigError(
    problems
      .map((p) => ({ line: lineOf(doc, lineCounter, p), text: `${formatPath(p.path) || '(root)'}: ${p.message}` }))
      .sort((a, b) => a.line - b.line)
      .map((p) => `${file}:${p.line}: ${p.text}`),
  );

  const parsed = fleetSchema.safeParse(doc.toJS());
  if (!parsed.success) throw located(parsed.error.issues.flatMap((issue) => fromZodIssue(issue, doc)));
  const result = buildFleet(parsed.data, file);
  if ('problems' in result) throw located(result.problems);
  return result.fleet;
}

function fromZodIssue(issue: core.$ZodIssue, doc: Document): ConfigProblem[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && !doc.hasIn(path)) {
    const expected = issue.code === 'invalid_type' ? issue.expected : issue.values.map((v) => JSON.stringify(v)).join(' | ');
    return [{ path, message: `is required (${expected})`, missing: true }];
  }
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: 'is not a known key', atKey: true }));
    case 'invalid_type':
      return [{ path, message: `must be ${article(issue.expected)}, not ${describe(doc.getIn(path))}` }];
    case 'invalid_value':
      return [{ path, message: `${JSON.stringify(doc.getIn(path))} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'too_small':
      if (issue.origin === 'array') return [{ path, message: `needs at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}` }];
      if (issue.origin === 'string') return [{ path, message: 'must not be empty' }];
      return [{ path, message: issue.message.startsWith('must') ? issue.message : `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}` }];
    case 'too_big':
      if (issue.origin === 'string') return [{ path, message: `${JSON.stringify(doc.getIn(path))} ${issue.message}` }];
      return [{ path, message: issue.message.startsWith('must') || issue.message.startsWith('is') ? issue.message : `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}` }];
    case 'invalid_format':
      if (issue.format === 'url') return [{ path, message: `${JSON.stringify(doc.getIn(path))} is not a valid URL` }];
      return [{ path, message: `${JSON.stringify(doc.getIn(path))} ${issue.message}` }];
    default:
      return [{ path, message: issue.message.startsWith('is') || issue.message.startsWith('must') ? `${JSON.stringify(doc.getIn(path))} ${issue.message}` : issue.message }];
  }
}

function article(type: string): string {
  const name = type === 'int' ? 'integer' : type === 'record' ? 'mapping' : type === 'object' ? 'mapping' : type === 'array' ? 'list' : type;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && !Number.isInteger(value)) return `${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The 1-based line of a path: its value (or key), else its nearest existing parent. */
function lineOf(doc: Document, lineCounter: LineCounter, problem: ConfigProblem): number {
  const path = [...problem.path];
  if (problem.missing) return lineOf(doc, lineCounter, { path: path.slice(0, -1), message: '', atKey: true });
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    const node = nodeAt(doc, prefix, problem.atKey === true && depth === path.length);
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

function nodeAt(doc: Document, path: Array<string | number>, key: boolean): Node | undefined {
  if (path.length === 0) return doc.contents ?? undefined;
  if (key) {
    const parent = doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path[path.length - 1]);
      if (pair && isScalar(pair.key)) return pair.key;
    }
    return undefined;
  }
  const node = doc.getIn(path, true);
  return node && typeof node === 'object' && 'range' in (node as object) ? (node as Node) : undefined;
}
