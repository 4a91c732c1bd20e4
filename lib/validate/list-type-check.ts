// x-kubernetes-list-type: set (items unique) / map (items unique by their list-map-keys): the check
// itself, called by the code ajv generates for the keyword (list-type-keyword.ts), in memory and
// from cached validators (compiled-runtime.ts). Errors point at the duplicate item, like the API
// server's "Duplicate value" error. No ajv import: a warm process never loads ajv.
import { LIST_TYPE_KEYWORD } from './structural-schema';

export interface ListTypeSchema {
  readonly type: 'set' | 'map';
  readonly keys: readonly string[];
}

export interface ListTypeError {
  instancePath: string;
  keyword: string;
  message: string;
  params: Record<string, unknown>;
}

/** JSON with sorted keys: two items are "the same" whatever their key order. */
function stableKey(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableKey(obj[k])}`)
    .join(',')}}`;
}

/** One error per duplicate item of `data` (null when there is none); `instancePath` is the list's. */
export function listTypeErrors(data: readonly unknown[], schema: ListTypeSchema, instancePath: string): ListTypeError[] | null {
  const seen = new Set<string>();
  const errors: ListTypeError[] = [];
  data.forEach((item, index) => {
    let key: string;
    if (schema.type === 'map' && item !== null && typeof item === 'object') {
      const record = item as Record<string, unknown>;
      const keyObject: Record<string, unknown> = {};
      for (const k of schema.keys) keyObject[k] = record[k];
      key = stableKey(keyObject);
    } else {
      key = stableKey(item);
    }
    if (seen.has(key)) {
      errors.push({
        instancePath: `${instancePath}/${index}`,
        keyword: LIST_TYPE_KEYWORD,
        message: `Duplicate value: ${key}`,
        params: { listType: schema.type, keys: schema.keys },
      });
    }
    seen.add(key);
  });
  return errors.length ? errors : null;
}
