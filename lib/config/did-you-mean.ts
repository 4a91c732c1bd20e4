// "Did you mean" for the names a fleet file refers to (keys, environments, groups): a typo such as
// `developerAcess` or `overrides.prod` names the intended key or name, so one reading of the
// error fixes it.
import { fleetJsonSchema } from './json-schema';

type JsonSchema = Record<string, unknown>;

/** The candidate closest to `word` when it is close enough to be a typo of it, else undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    if (name === word) continue;
    const candidate = name.toLowerCase();
    // A prefix (`prod` for `production`) or a small edit distance, relative to the length.
    const distance = candidate.startsWith(lower) || lower.startsWith(candidate) ? 1 : editDistance(lower, candidate);
    const limit = Math.max(1, Math.floor(Math.max(word.length, name.length) / 3));
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** ` (did you mean "x"?)`, or '' when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

/**
 * A rule's message with a suggestion added where it names an unknown environment or group and
 * lists the known ones: `environment "prod" does not exist (environments: production, test)`.
 */
export function withNameSuggestion(message: string): string {
  const environment = /environment "([^"]+)" does not exist \(environments: ([^)]*)\)/.exec(message);
  if (environment) return `${message}${didYouMean(environment[1], environment[2].split(', '))}`;
  const group = /group "([^"]+)" is not declared under groups: \(declared: ([^)]*)\)/.exec(message);
  if (group) return `${message}${didYouMean(group[1], group[2].split(', '))}`;
  return message;
}

let schema: JsonSchema | undefined;

/** The keys the fleet file allows at a path (`['environments', 'test']` → namespace, topology, …). */
export function knownKeys(path: ReadonlyArray<string | number>): string[] {
  schema ??= fleetJsonSchema();
  let nodes: JsonSchema[] = [schema];
  for (const part of path) {
    nodes = nodes.flatMap(expand).flatMap((node) => {
      if (typeof part === 'number') return node.items ? [node.items as JsonSchema] : [];
      const properties = node.properties as Record<string, JsonSchema> | undefined;
      if (properties?.[part]) return [properties[part]];
      return typeof node.additionalProperties === 'object' ? [node.additionalProperties as JsonSchema] : [];
    });
  }
  return [...new Set(nodes.flatMap(expand).flatMap((node) => Object.keys((node.properties as object | undefined) ?? {})))];
}

/** A schema and the alternatives it stands for (anyOf, allOf, oneOf, if/then/else). */
function expand(node: JsonSchema): JsonSchema[] {
  const parts = ['anyOf', 'allOf', 'oneOf'].flatMap((k) => (Array.isArray(node[k]) ? (node[k] as JsonSchema[]) : []));
  for (const k of ['then', 'else']) if (typeof node[k] === 'object') parts.push(node[k] as JsonSchema);
  return [node, ...parts.flatMap(expand)];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
