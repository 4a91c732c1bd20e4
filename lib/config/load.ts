// fleet.yaml (+ services/*.yaml) → validated Fleet. Every problem is reported as `file:line: path: message`, all of
// them at once, sorted by line, so a user fixes a file in one pass.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { core } from 'zod';
import { buildFleet } from './build-model';
import { FleetFileError, readFleetFiles, type FleetFiles } from './fleet-files';
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

/**
 * Reads, parses and validates a fleet: a fleet file (or a folder holding `fleet.yaml`) and the
 * `services/*.yaml` next to it (lib/config/fleet-files.ts). Throws FleetConfigError listing every
 * problem, each naming the file it is in.
 */
export function loadFleet(fileOrDir: string): Fleet {
  let files: FleetFiles;
  try {
    files = readFleetFiles(fileOrDir);
  } catch (error) {
    if (error instanceof FleetFileError) throw new FleetConfigError([error.message]);
    throw error;
  }
  return parseFleetFiles(files);
}

/** One fleet file's text, as if it were `file` (no service files). */
export function parseFleet(text: string, file: string): Fleet {
  return parseFleetFiles({ main: { file, text }, services: [] });
}

interface ParsedFile {
  readonly file: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
}

/** Where a path of the combined fleet lives: its file, and the path inside that file. */
interface Located {
  readonly source: ParsedFile;
  readonly path: ConfigPath;
}

/**
 * The fleet file and its service files are validated as one fleet: each service file is appended
 * to `services:` (after the services listed in the fleet file, in file-name order), and every
 * problem is mapped back to the file and line it comes from.
 */
export function parseFleetFiles(files: FleetFiles): Fleet {
  const sources: ParsedFile[] = [files.main, ...files.services].map(({ file, text }) => {
    const lineCounter = new LineCounter();
    return { file, lineCounter, doc: parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }) };
  });
  const syntax = sources.flatMap((s) => s.doc.errors.map((e) => `${s.file}:${s.lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`));
  if (syntax.length > 0) throw new FleetConfigError(syntax);

  const [main, ...serviceSources] = sources;
  const input = main.doc.toJS() as unknown;
  const listed = isPlainObject(input) && Array.isArray(input.services) ? input.services.length : 0;
  // Service files join a `services:` list (or stand in for a missing one); a `services:` of the
  // wrong type is reported on the fleet file as it is.
  const merged = serviceSources.length > 0 && isPlainObject(input) && (input.services == null || Array.isArray(input.services));
  const combined = merged
    ? { ...input, services: [...(Array.isArray(input.services) ? input.services : []), ...serviceSources.map((s) => s.doc.toJS() as unknown)] }
    : input;
  const locate = (path: ConfigPath): Located => {
    const index = path[1];
    if (merged && path[0] === 'services' && typeof index === 'number' && index >= listed && index - listed < serviceSources.length) {
      return { source: serviceSources[index - listed], path: path.slice(2) };
    }
    return { source: main, path };
  };
  const lookup = {
    hasIn: (path: Iterable<unknown>) => { const l = locate([...path] as ConfigPath); return l.source.doc.hasIn(l.path); },
    getIn: (path: Iterable<unknown>, keepScalar?: boolean) => { const l = locate([...path] as ConfigPath); return l.source.doc.getIn(l.path, keepScalar); },
  };
  const order = new Map(sources.map((s, i) => [s, i]));
  const located = (problems: readonly ConfigProblem[]) => new FleetConfigError(
    problems
      .map((p) => {
        const at = locate(p.path);
        const line = lineOf(at.source.doc, at.source.lineCounter, { ...p, path: at.path });
        return { file: order.get(at.source)!, line, text: `${at.source.file}:${line}: ${formatPath(at.path) || '(root)'}: ${p.message}` };
      })
      .sort((a, b) => a.file - b.file || a.line - b.line)
      .map((p) => p.text)
      // A fleet-level setting that fails in every environment is one problem.
      .filter((line, i, all) => all.indexOf(line) === i),
  );

  const parsed = fleetSchema.safeParse(combined);
  if (!parsed.success) throw located(parsed.error.issues.flatMap((issue) => fromZodIssue(issue, lookup)));
  const result = buildFleet(parsed.data, main.file);
  if ('problems' in result) throw located(result.problems);
  return result.fleet;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fromZodIssue(issue: core.$ZodIssue, doc: Pick<Document, 'hasIn' | 'getIn'>): ConfigProblem[] {
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
  // doc.getIn returns the node for a collection.
  if (Array.isArray(value) || isSeq(value)) return 'a list';
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
