// x-kubernetes-list-type: set / map uniqueness as the ajv keyword structural-schema.ts emits; the
// check itself is list-type-check.ts.
//
// The keyword is a `code` keyword (ajv generates the call into the compiled function) rather than
// a `validate` one: a `validate` function is referenced by ajv as a live closure and cannot be
// written out by ajv's standalone code generation, which the compile cache (compile-cache.ts)
// needs. The check itself stays a plain function, called from the generated code through the
// runtime object (compiled-runtime.ts), and produces the same errors the `validate` keyword did.
import type Ajv from 'ajv';
import type { Code, KeywordCxt } from 'ajv';
import { listTypeErrors } from './list-type-check';
import { LIST_TYPE_KEYWORD } from './structural-schema';

/**
 * Registers the keyword. `runtimeCode` is the expression by which generated code reaches
 * `listTypeErrors` when it runs from the compile cache (see compiled-runtime.ts).
 */
export function addListTypeKeyword(ajv: Ajv, runtimeCode: Code): void {
  // require(), not import: ajv is loaded only when something is compiled (see kind-compiler.ts).
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { _ } = require('ajv') as typeof import('ajv');
  const { strConcat } = require('ajv/dist/compile/codegen') as typeof import('ajv/dist/compile/codegen');
  const { extendErrors } = require('ajv/dist/compile/errors') as typeof import('ajv/dist/compile/errors');
  const N = (require('ajv/dist/compile/names') as typeof import('ajv/dist/compile/names')).default;
  /* eslint-enable @typescript-eslint/no-require-imports */
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
