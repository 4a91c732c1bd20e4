// What generated validator code needs from us at run time, and the names it uses for it.
//
// ajv's generated code calls out to our formats, our RegExp engine and the list-type check. In
// memory those are live references; in the cached modules (compile-cache.ts) they must be
// expressions. Rather than baking absolute `require()` paths into cached files (they would break
// when the checkout or the cache folder moves, and the app runs from an esbuild bundle where
// lib/validate/*.ts are not separate modules), every cached module is a factory that receives this
// runtime object and reaches everything through the parameter `runtime`. No ajv import: a process
// whose validators all come from the cache never loads ajv (~50 ms).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { goRegExp } from './go-regexp';
import { KUBERNETES_FORMATS } from './kubernetes-formats';
import { listTypeErrors } from './list-type-check';

/**
 * Parameter name of the factory in cached modules (compile-cache.ts); kind-compiler.ts builds the
 * expressions ajv puts into generated code from it (`runtime.formats`, …).
 */
export const RUNTIME_PARAMETER = 'runtime';

export interface CompiledRuntime {
  readonly formats: typeof KUBERNETES_FORMATS;
  readonly goRegExp: typeof goRegExp;
  readonly listTypeErrors: typeof listTypeErrors;
  /**
   * ajv's generated code `require()`s its own helpers (ajv/dist/runtime/ucs2length, equal, …).
   * Resolved from here, not from the cache folder, which may live outside the repository.
   */
  readonly require: NodeJS.Require;
}

let runtime: CompiledRuntime | undefined;
export function compiledRuntime(): CompiledRuntime {
  // __dirname, not __filename: the app's esbuild bundle keeps __dirname of each source file.
  runtime ??= {
    formats: KUBERNETES_FORMATS,
    goRegExp,
    listTypeErrors,
    require: createRequire(path.join(__dirname, 'compiled-runtime.ts')),
  };
  return runtime;
}
