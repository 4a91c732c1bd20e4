// x-kubernetes-list-type: set (items unique) / map (items unique by their list-map-keys), as the
// ajv keyword structural-schema.ts emits. Errors point at the duplicate item, like the API
// server's "Duplicate value" error.
//
// The keyword is a `code` keyword (ajv generates the call into the compiled function) rather than
// a `validate` one: a `validate` function is referenced by ajv as a live closure and cannot be
// written out by ajv's standalone code generation, which the compile cache (compile-cache.ts)
// needs. The check itself stays a plain function, called from the generated code through the
// runtime object (compiled-runtime.ts), and produces the same errors the `validate` keyword did.
import type Ajv from 'ajv';
import { _, type Code, type KeywordCxt } from 'ajv';
import { strConcat } from 'ajv/dist/compile/codegen';
import { extendErrors } from 'ajv/dist/compile/errors';
import N from 'ajv/dist/compile/names';
import { LIST_TYPE_KEYWORD } from './structural-schema';

interface ListTypeSchema {
  readonly type: 'set' | 'map';
  readonly keys: readonly string[];
}

interface ListTypeError {
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
  return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${stableKey(obj[k])}`).join(',')}}`;
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

/**
 * Registers the keyword. `runtimeCode` is the expression by which generated code reaches
 * `listTypeErrors` when it runs outside this process (see compiled-runtime.ts).
 */
export function addListTypeKeyword(ajv: Ajv, runtimeCode: Code): void {
  ajv.addKeyword({
    keyword: LIST_TYPE_KEYWORD,
    type: 'array',
    schemaType: 'object',
    trackErrors: true, // extendErrors needs the error count from before the keyword
    code(cxt: KeywordCxt): void {
      const { gen, data, it } = cxt;
      const check = gen.scopeValue('func', { ref: listTypeErrors, code: runtimeCode });
      const errors = gen.const('dups', _`${check}(${data}, ${cxt.schemaValue}, ${strConcat(N.instancePath, it.errorPath)})`);
      // What ajv does with the errors a `validate` keyword returns (addErrs in ajv's keyword.ts):
      // append them, then fill in schemaPath (and, with verbose, schema and data).
      cxt.pass(_`${errors} === null`, () => {
        gen
          .assign(N.vErrors, _`${N.vErrors} === null ? ${errors} : ${N.vErrors}.concat(${errors})`)
          .assign(N.errors, _`${N.vErrors}.length`);
        extendErrors(cxt);
      });
    },
  });
}
