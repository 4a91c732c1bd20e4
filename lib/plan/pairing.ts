// Renames and moves. Kubernetes cannot rename or move an object: a new name or namespace is a new
// object, and the old one is removed. The plan still says "this is that one, moved" when the
// content proves it: an added and a removed object of one kind, in one environment, that are
// identical once their own names are blanked out, and nothing else is. An ambiguous match is
// not paired at all (the old rename detection paired every removed object with the first
// added one).
import type { IndexedObject } from './objects';

export interface Pair {
  readonly from: IndexedObject;
  readonly to: IndexedObject;
}

export function pairMoves(removed: readonly IndexedObject[], added: readonly IndexedObject[]): Pair[] {
  const groups = new Map<string, { removed: IndexedObject[]; added: IndexedObject[] }>();
  const group = (o: IndexedObject) => {
    const key = `${o.ref.environment} ${o.ref.apiVersion} ${o.ref.kind}`;
    if (!groups.has(key)) groups.set(key, { removed: [], added: [] });
    return groups.get(key)!;
  };
  removed.forEach((o) => group(o).removed.push(o));
  added.forEach((o) => group(o).added.push(o));

  const pairs: Pair[] = [];
  for (const { removed: rs, added: as } of groups.values()) {
    if (rs.length === 0 || as.length === 0) continue;
    // Keyed by the normalized content, so a thousand renames cost a thousand hashes, not a million comparisons.
    const removedBy = new Map<string, number[]>();
    rs.forEach((o, i) => {
      const k = stableKey(normalized(o));
      removedBy.set(k, [...(removedBy.get(k) ?? []), i]);
    });
    const addedBy = new Map<string, number[]>();
    as.forEach((o, j) => {
      const k = stableKey(normalized(o));
      addedBy.set(k, [...(addedBy.get(k) ?? []), j]);
    });
    for (const [key, removedIndexes] of removedBy) {
      const addedIndexes = addedBy.get(key);
      // Exactly one on each side: anything else is ambiguous and not paired.
      if (removedIndexes.length === 1 && addedIndexes?.length === 1) {
        pairs.push({ from: rs[removedIndexes[0]], to: as[addedIndexes[0]] });
      } else if (addedIndexes) {
        // Several identical ones (e.g. Clusters that differ only by name, moved to another
        // namespace together): a name kept on exactly one each side is the move.
        for (const i of removedIndexes) {
          const same = addedIndexes.filter((j) => as[j].ref.name === rs[i].ref.name);
          const back = removedIndexes.filter((k) => rs[k].ref.name === rs[i].ref.name);
          if (same.length === 1 && back.length === 1) pairs.push({ from: rs[i], to: as[same[0]] });
        }
      }
    }
  }
  return pairs;
}

/**
 * The object with its own name and namespace (and the Postgres identifier spelling of its name,
 * `-` → `_`) replaced by placeholders wherever they appear as whole words in a string: derived
 * names (`orders-rw.databases.svc`, `orders-db-credentials`) blank out too.
 */
function normalized(o: IndexedObject): unknown {
  const name = o.ref.name;
  const tokens: Array<[string, string]> = [
    [name, '\u0000name'],
    [name.replace(/-/g, '_'), '\u0000name'],
  ];
  if (o.ref.namespace) tokens.push([o.ref.namespace, '\u0000namespace']);
  const patterns = tokens
    .sort(([a], [b]) => b.length - a.length)
    .map(
      ([token, placeholder]) =>
        [new RegExp(`(?<![A-Za-z0-9])${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, 'g'), placeholder] as const,
    );
  const replace = (value: unknown): unknown => {
    if (typeof value === 'string') return patterns.reduce((s, [re, placeholder]) => s.replace(re, placeholder), value);
    if (Array.isArray(value)) return value.map(replace);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [replace(k) as string, replace(v)]));
    return value;
  };
  return replace(o.object);
}

/** JSON with object keys sorted: equal content gives equal keys whatever the key order. */
function stableKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableKey((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
