// fleet.yaml (+ services/*.yaml) → validated Fleet. Every problem is reported as `file:line: path: message`, all of
// them at once, sorted by line, so a user fixes a file in one pass.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { core } from 'zod';
import { buildFleet } from './build-model';
import { didYouMean, knownKeys, withNameSuggestion } from './did-you-mean';
import { FleetFileError, readFleetFiles, type FleetFiles } from './fleet-files';
import type { Fleet } from './model';
import { fleetSchema, isInheritedProblem } from './schema';

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
    if (error instanceof FleetFileError) throw new FleetConfigError(error.message.split('\n'));
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
    // merge: YAML merge keys (`<<: *base`) are resolved, so environments can share settings.
    return { file, lineCounter, doc: parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true }) };
  });
  const order = new Map(sources.map((s, i) => [s, i]));
  const values = new Map<ParsedFile, unknown>();
  const syntax: Entry[] = sources.flatMap((s) => {
    const problems = syntaxProblems(s);
    if (problems.length === 0) {
      const value = toValue(s);
      if ('problem' in value) problems.push(value.problem);
      else values.set(s, value.value);
    }
    return problems.map((p) => ({ ...p, file: order.get(s)! }));
  });
  const broken = new Set(syntax.map((e) => e.file));
  // A fleet file that does not parse has nothing to check; a service file that does not parse
  // is left out, and the others are still checked.
  if (broken.has(0)) throw problemsError(syntax);

  const [main, ...serviceSources] = sources.filter((s) => !broken.has(order.get(s)!));
  const input = values.get(main);
  const listed = isPlainObject(input) && Array.isArray(input.services) ? input.services.length : 0;
  // Service files join a `services:` list (or stand in for a missing one); a `services:` of the
  // wrong type is reported on the fleet file as it is.
  const merged = serviceSources.length > 0 && isPlainObject(input) && (input.services == null || Array.isArray(input.services));
  const combined = merged
    ? {
        ...input,
        services: [...(Array.isArray(input.services) ? input.services : []), ...serviceSources.map((s) => values.get(s))],
      }
    : input;
  const locate = (path: ConfigPath): Located => {
    const index = path[1];
    if (merged && path[0] === 'services' && typeof index === 'number' && index >= listed && index - listed < serviceSources.length) {
      return { source: serviceSources[index - listed], path: path.slice(2) };
    }
    return { source: main, path };
  };
  const lookup = {
    hasIn: (path: Iterable<unknown>) => {
      const l = locate([...path] as ConfigPath);
      return l.source.doc.hasIn(l.path);
    },
    getIn: (path: Iterable<unknown>, keepScalar?: boolean) => {
      const l = locate([...path] as ConfigPath);
      return l.source.doc.getIn(l.path, keepScalar);
    },
  };
  // A rule that names another service (`"orders" is already used by services[18]`) names its file:
  // `services/orders.yaml`, or `services[3] in fleet.yaml:40` from a service file's error.
  const serviceRef = (text: string, from: ParsedFile) =>
    text.replace(/\bservices\[(\d+)\]/g, (ref, i: string) => {
      const at = locate(['services', Number(i)]);
      if (at.source !== main) return at.source.file;
      if (from === main) return ref;
      return `${ref} in ${main.file}:${lineOf(main.doc, main.lineCounter, { path: ['services', Number(i)], message: '' })}`;
    });
  const entries = (problems: readonly ConfigProblem[]): Entry[] =>
    problems.map((p) => {
      const at = locate(p.path);
      const line = lineOf(at.source.doc, at.source.lineCounter, { ...p, path: at.path });
      const message = withNameSuggestion(serviceRef(p.message, at.source));
      return { file: order.get(at.source)!, line, text: `${at.source.file}:${line}: ${formatPath(at.path) || '(root)'}: ${message}` };
    });

  // A standby's inherited value is checked twice (as the source's and as the standby's): its
  // problem is reported once, at the source's line, where the value is written.
  const once = (problems: readonly ConfigProblem[]): ConfigProblem[] => {
    const reported = new Set(problems.map((p) => JSON.stringify(p.path)));
    return problems.filter((p) => !isInheritedProblem(combined, p.path, reported));
  };
  const parsed = fleetSchema.safeParse(combined);
  if (!parsed.success) {
    const schema = parsed.error.issues.flatMap((issue) => fromZodIssue(issue, lookup));
    // The rules across fields and files still run on what is valid, so one broken key does not
    // hide a duplicate service elsewhere.
    throw problemsError([...syntax, ...entries(once([...schema, ...crossFieldProblems(combined, parsed.error.issues, main.file)]))]);
  }
  const result = buildFleet(parsed.data, main.file);
  if ('problems' in result || syntax.length > 0)
    throw problemsError([...syntax, ...entries('problems' in result ? once(result.problems) : [])]);
  return { ...result.fleet, locate: (path) => entries([{ path, message: '', atKey: true }])[0].text.split(': ')[0] };
}

/** One located problem: the file's position among the fleet's files, its line, the message. */
interface Entry {
  readonly file: number;
  readonly line: number;
  readonly text: string;
}

/** Every problem, sorted by file (fleet file first) and line; a problem reported twice is one. */
function problemsError(entries: readonly Entry[]): FleetConfigError {
  const lines = [...entries].sort((a, b) => a.file - b.file || a.line - b.line).map((e) => e.text);
  return new FleetConfigError(lines.filter((line, i) => lines.indexOf(line) === i));
}

/** What to do about each YAML parser error code (yaml@2 `YAMLError.code`). */
const SYNTAX_HINTS: Record<string, string> = {
  BAD_INDENT:
    'check the indentation against the lines above: keys of one mapping start in the same column, and a nested mapping is indented further',
  BLOCK_AS_IMPLICIT_KEY:
    'check the indentation of this line against the lines above it (a key indented less or more than its siblings), or a missing ":" after a key',
  MULTILINE_IMPLICIT_KEY:
    'a key and its ":" must be on one line: check for a missing ":" after a key, or a line indented differently from its siblings',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs',
  DUPLICATE_KEY: 'a key appears twice in the same mapping: keep one',
  MISSING_CHAR: 'a quote, "]" or "}" is not closed',
  BAD_ALIAS: 'the *alias names no &anchor defined above it',
  UNEXPECTED_TOKEN: 'check this line for a stray character, or a value that needs quotes (e.g. one starting with "@" or "`")',
};

/**
 * YAML syntax errors as one line each with file:line:column and a hint. After a structural
 * error the parser reports every following line of the block; those are consequences, so only
 * the first is shown (duplicate keys are independent and all shown).
 */
function syntaxProblems(source: ParsedFile): Array<{ line: number; text: string }> {
  const errors = source.doc.errors;
  if (errors.length === 0) return [];
  const format = (e: (typeof errors)[number], suffix = '') => {
    const { line, col } = source.lineCounter.linePos(e.pos[0]);
    const hint = /^Flow (sequence|mapping)/.test(e.message)
      ? 'a "[" or "{" opened here or above is not closed, or the lines inside it are indented less than its key'
      : SYNTAX_HINTS[e.code];
    return { line, text: `${source.file}:${line}:${col}: ${e.message.split('\n')[0]}${hint ? ` (${hint})` : ''}${suffix}` };
  };
  const duplicates = errors.filter((e) => e.code === 'DUPLICATE_KEY');
  const structural = errors.filter((e) => e.code !== 'DUPLICATE_KEY');
  const out = duplicates.map((e) => format(e));
  if (structural.length > 0) {
    const more = structural.length - 1;
    out.push(
      format(
        structural[0],
        more > 0 ? ` [${more} more error${more === 1 ? '' : 's'} after it in this file, most likely caused by this one]` : '',
      ),
    );
  }
  return out;
}

/**
 * The parsed file as plain values. Aliases are expanded here, and anchors that refer to anchors
 * grow exponentially (the "billion laughs" alias bomb): the yaml package stops at 100 expansions
 * of one alias (`maxAliasCount`, a ReferenceError). That is a property of the file, not a bug:
 * reported like a syntax error, at the alias that expands other aliases.
 */
function toValue(source: ParsedFile): { value: unknown } | { problem: { line: number; text: string } } {
  try {
    return { value: source.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
    let at: Node | undefined;
    let first: Node | undefined;
    visit(source.doc, {
      Alias(_, alias) {
        first ??= alias;
        const target = alias.resolve(source.doc);
        let nested = false;
        if (target && !isScalar(target))
          visit(target, {
            Alias() {
              nested = true;
              return visit.BREAK;
            },
          });
        if (nested) {
          at = alias;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    const node = at ?? first;
    const line = node?.range ? source.lineCounter.linePos(node.range[0]).line : 1;
    return {
      problem: {
        line,
        text: `${source.file}:${line}: YAML aliases expand beyond ${MAX_ALIAS_COUNT} copies here (anchors that repeat anchors grow exponentially, an "alias bomb"): write the values out, or alias a mapping that holds no aliases itself`,
      },
    };
  }
}

/** The yaml package's own default; a fleet repeating one anchor more often than this is not plausible. */
const MAX_ALIAS_COUNT = 100;

/**
 * Problems of the cross-field and cross-file rules (build-model.ts) on the parts of an invalid
 * fleet that are valid, so a schema error never hides another problem (issue 27: a bad developer
 * name hid an image mismatch and an undeclared group; `storage: 500GB` hid an override for a
 * missing environment and a blocked parameter; `ttl: 3 days` hid two cron errors).
 *
 * First only the broken values are taken out (an unknown key, a bad quantity, a bad list item),
 * and their defaults stand in; only where that leaves a required key missing is the whole
 * service, environment, group or snapshot left out. Problems that only exist because something
 * was taken out ("environment X does not exist" for a dropped environment, a dropped name) are
 * not reported.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- a clone of arbitrary YAML input, walked and pruned by zod issue paths */
function crossFieldProblems(input: unknown, issues: readonly core.$ZodIssue[], file: string): ConfigProblem[] {
  if (!isPlainObject(input)) return [];
  const copy = structuredClone(input) as Record<string, any>;
  const drop = {
    environments: new Set<string>(),
    groups: new Set<string>(),
    services: new Set<number>(),
    mongoSnapshots: new Set<number>(),
  };
  /** Values taken out: a problem naming one of them (`"Bob_Smith"`) is a consequence. */
  const removed = new Set<string>();
  const REMOVED = Symbol('removed');
  const pathOf = (issue: core.$ZodIssue) => issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const dropContainer = (path: Array<string | number>): boolean => {
    const [top, key] = path;
    if (typeof top === 'string' && top in drop && key !== undefined) {
      (drop[top as keyof typeof drop] as Set<unknown>).add(key);
      return true;
    }
    return false;
  };
  // Pass 1: take out each broken value (list items are marked, then removed, so indexes hold).
  for (const issue of issues) {
    const path = pathOf(issue);
    const parent = path.slice(0, -1).reduce<any>((value, key) => value?.[key], copy);
    if (issue.code === 'unrecognized_keys') {
      const at = path.reduce<any>((value, key) => value?.[key], copy);
      if (isPlainObject(at)) for (const key of issue.keys) delete at[key];
      continue;
    }
    const last = path[path.length - 1];
    const topLevelItem = path.length === 2 && (path[0] === 'services' || path[0] === 'mongoSnapshots');
    if (path.length === 0 || topLevelItem || parent === undefined || parent === null || typeof parent !== 'object') {
      if (!dropContainer(path)) return [];
      continue;
    }
    const value = (parent as Record<string | number, unknown>)[last];
    if (typeof value === 'string') removed.add(value);
    if (Array.isArray(parent)) parent[last as number] = REMOVED;
    else delete (parent as Record<string | number, unknown>)[last];
  }
  const sweep = (value: unknown, keepIndexes = false): unknown => {
    if (Array.isArray(value)) {
      const items = value.map((v) => sweep(v));
      return keepIndexes ? items : items.filter((v) => v !== REMOVED);
    }
    if (isPlainObject(value)) for (const key of Object.keys(value)) value[key] = sweep(value[key]);
    return value;
  };
  // services and mongoSnapshots keep their indexes: problems are mapped back through them.
  for (const key of Object.keys(copy)) copy[key] = sweep(copy[key], key === 'services' || key === 'mongoSnapshots');
  for (const list of ['services', 'mongoSnapshots'] as const) {
    if (Array.isArray(copy[list])) copy[list].forEach((item: unknown, i: number) => item === REMOVED && drop[list].add(i));
  }
  // Pass 2: what still fails (a required key taken out) drops its service, environment, group or snapshot.
  const pruned = () => {
    const out = structuredClone({ ...copy, services: undefined, mongoSnapshots: undefined }) as Record<string, any>;
    for (const section of ['environments', 'groups'] as const) {
      if (isPlainObject(out[section])) for (const name of drop[section]) delete out[section][name];
    }
    const kept = { services: [] as number[], mongoSnapshots: [] as number[] };
    for (const list of ['services', 'mongoSnapshots'] as const) {
      if (Array.isArray(copy[list])) out[list] = (copy[list] as unknown[]).filter((_, i) => !drop[list].has(i) && kept[list].push(i) > 0);
      else if (list in copy) out[list] = copy[list];
      else delete out[list];
    }
    return { out, kept };
  };
  // A required key that is broken or absent (`storage: 50GB` in an environment) gets a stand-in
  // value instead of dropping its environment or service: dropping it hid every other problem of
  // that environment (a blocked parameter, an image-major mismatch, a cron error). Problems at a
  // stand-in's own path are not reported (the schema error already is). Names (`name:`) are not
  // stood in: a made-up name would show up in collision messages.
  const standIns = new Map<string, { path: Array<string | number>; candidates: unknown[]; next: number }>();
  const standIn = (issue: core.$ZodIssue, path: Array<string | number>): boolean => {
    const parent = path.slice(0, -1).reduce<any>((value, key) => value?.[key], copy);
    const last = path[path.length - 1];
    if (path.length < 3 || last === 'name' || !isPlainObject(parent)) return false;
    const key = JSON.stringify(path);
    let entry = standIns.get(key);
    if (!entry) {
      // Only a key that is missing now (absent in the file, or taken out in pass 1) is stood in.
      if (parent[last] !== undefined) return false;
      entry = { path, candidates: standInCandidates(issue), next: 0 };
      standIns.set(key, entry);
    }
    if (entry.next >= entry.candidates.length) return false;
    parent[last] = structuredClone(entry.candidates[entry.next++]);
    return true;
  };
  let attempt = pruned();
  let reparsed = fleetSchema.safeParse(attempt.out);
  for (let round = 0; !reparsed.success && round < 12; round++) {
    for (const issue of reparsed.error.issues) {
      const path = pathOf(issue);
      if (path[0] === 'services' || path[0] === 'mongoSnapshots') path[1] = attempt.kept[path[0]][path[1] as number];
      if (standIn(issue, path)) continue;
      if (!dropContainer(path)) return []; // a top-level setting is broken: nothing sound to check the rest against
    }
    attempt = pruned();
    reparsed = fleetSchema.safeParse(attempt.out);
  }
  if (!reparsed.success) return [];
  const stoodIn = [...standIns.values()].map((s) => s.path);
  const { kept } = attempt;
  const result = buildFleet(reparsed.data, file);
  if (!('problems' in result)) return [];
  const dropped = [...drop.environments]
    .map((e) => `environment "${e}" does not exist`)
    .concat([...drop.groups].map((g) => `group "${g}" is not declared`))
    .concat([...removed].map((v) => JSON.stringify(v)));
  const remap = (list: 'services' | 'mongoSnapshots', indexes: number[]) => (text: string) =>
    text.replace(new RegExp(`${list}\\[(\\d+)\\]`, 'g'), (_, i: string) => `${list}[${indexes[Number(i)] ?? i}]`);
  return result.problems
    .filter((p) => !dropped.some((d) => p.message.includes(d)) && !p.message.startsWith('needs at least one environment'))
    .map((p) => {
      const path = [...p.path];
      if (path[0] === 'services' && typeof path[1] === 'number') path[1] = kept.services[path[1]];
      if (path[0] === 'mongoSnapshots' && typeof path[1] === 'number') path[1] = kept.mongoSnapshots[path[1]];
      return { ...p, path, message: remap('mongoSnapshots', kept.mongoSnapshots)(remap('services', kept.services)(p.message)) };
    })
    .filter((p) => !stoodIn.some((s) => s.every((part, i) => p.path[i] === part)) && !p.message.includes(STAND_IN_NAME));
}

/** The stand-in for a required string; a valid DNS label, and distinctive, so problems naming it are dropped. */
const STAND_IN_NAME = 'dbfleet-stand-in';

/**
 * Values tried, in order, for a required key that is broken or missing, until the schema takes one:
 * the first allowed value of an enum; for strings, a name, a quantity, a duration, a cron line.
 */
function standInCandidates(issue: core.$ZodIssue): unknown[] {
  if (issue.code === 'invalid_value') return [...issue.values];
  const strings = [STAND_IN_NAME, '1Gi', '1h', '0 0 * * *', 'https://dbfleet-stand-in.invalid', 's3://dbfleet-stand-in'];
  if (issue.code !== 'invalid_type') return strings;
  switch (issue.expected) {
    case 'string':
      return strings;
    case 'number':
    case 'int':
      return [1];
    case 'boolean':
      return [false];
    case 'array':
      return [[]];
    case 'object':
    case 'record':
      return [{}];
    default:
      return [];
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

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
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `is not a known key${didYouMean(key, knownKeys(path))}`,
        atKey: true,
      }));
    case 'invalid_type':
      return [{ path, message: `must be ${article(issue.expected)}, not ${describe(doc.getIn(path))}` }];
    case 'invalid_value':
      return [
        { path, message: `${JSON.stringify(doc.getIn(path))} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` },
      ];
    case 'too_small':
      if (issue.origin === 'array') return [{ path, message: `needs at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}` }];
      if (issue.origin === 'string') return [{ path, message: 'must not be empty' }];
      return [
        { path, message: issue.message.startsWith('must') ? issue.message : `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}` },
      ];
    case 'too_big':
      if (issue.origin === 'string') return [{ path, message: `${JSON.stringify(doc.getIn(path))} ${issue.message}` }];
      return [
        {
          path,
          message:
            issue.message.startsWith('must') || issue.message.startsWith('is')
              ? issue.message
              : `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`,
        },
      ];
    case 'invalid_format':
      if (issue.format === 'url') return [{ path, message: `${JSON.stringify(doc.getIn(path))} is not a valid URL` }];
      return [{ path, message: `${JSON.stringify(doc.getIn(path))} ${issue.message}` }];
    default:
      return [
        {
          path,
          message:
            issue.message.startsWith('is') || issue.message.startsWith('must')
              ? `${JSON.stringify(doc.getIn(path))} ${issue.message}`
              : issue.message,
        },
      ];
  }
}

function article(type: string): string {
  const name =
    type === 'int' ? 'integer' : type === 'record' ? 'mapping' : type === 'object' ? 'mapping' : type === 'array' ? 'list' : type;
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
