// The ajv instance that turns converted schemas into validate functions, and the standalone source
// of each function for the compile cache. Created only when something must actually be compiled,
// and ajv is require()d only then (types are imported, values are not): with a warm cache a
// process neither loads ajv (~100 modules, ~50 ms in plain node, ~150 ms under tsx's hooks) nor
// registers the 1.28 definitions.
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { goRegExp } from './go-regexp';
import { RUNTIME_PARAMETER } from './compiled-runtime';
import { addKubernetesFormats } from './kubernetes-formats';
import { addListTypeKeyword } from './list-type-keyword';
import type { SchemaNode } from './schema-source';
import { convertDefinitions, SharedSubschemas } from './structural-schema';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first compile, see above */
const loadAjv = () => require('ajv') as typeof import('ajv');
const loadStandalone = () => require('ajv/dist/standalone') as typeof import('ajv/dist/standalone');
/* eslint-enable @typescript-eslint/no-require-imports */

export class KindCompiler {
  private readonly ajv: Ajv;
  private readonly shared: SharedSubschemas;

  /**
   * @param definitions the k8s built-in definitions (may be empty)
   * @param keepSource whether compiled functions keep their source for standaloneSource(); costs a
   *   little compile time, so only when there is a cache to write to
   */
  constructor(
    definitions: Record<string, SchemaNode>,
    private readonly keepSource: boolean,
  ) {
    const { default: Ajv, _, Name } = loadAjv();
    // How generated code reaches our formats, RegExp engine and list-type check (compiled-runtime.ts).
    const runtime = new Name(RUNTIME_PARAMETER);
    this.ajv = new Ajv({
      allErrors: true, // a reviewer wants every problem of an object at once
      verbose: true, // errors carry the offending value and schema, used in messages
      strict: false, // structural schemas trip ajv's strict-mode lint (e.g. enum/pattern inside untyped anyOf branches)
      allowUnionTypes: true, // int-or-string and nullable become type unions
      unicodeRegExp: false, // CRD patterns are Go (RE2) regexps; some escapes are invalid under JS's u flag
      inlineRefs: false, // compile each built-in definition once (PodSpec is shared by many kinds)
      validateFormats: true,
      code: {
        // Go/RE2 pattern semantics (go-regexp.ts); `code` is how generated code reaches the engine
        // (set on a wrapper rather than on goRegExp itself, which other modules share).
        regExp: Object.assign((pattern: string, flags: string) => goRegExp(pattern, flags), { code: `${RUNTIME_PARAMETER}.goRegExp` }),
        formats: _`${runtime}.formats`,
        source: keepSource,
        // ajv's code optimiser costs ~40% of compile time for a few percent of validation speed;
        // compile time is the tighter budget.
        optimize: false,
      },
    });
    addKubernetesFormats(this.ajv);
    addListTypeKeyword(this.ajv, _`${runtime}.listTypeErrors`);
    if (Object.keys(definitions).length) this.ajv.addSchema(convertDefinitions(definitions));
    this.shared = new SharedSubschemas(this.ajv, 800); // 800 chars: measured fastest total compile (300: +20%, 5000: +10%)
  }

  /**
   * Compiles a converted schema. `share`: large sub-schemas are compiled once across all kinds
   * (SharedSubschemas); the schema object is rewritten in place, so callers pass a fresh one.
   */
  compile(schema: SchemaNode, share: boolean): ValidateFunction {
    return this.ajv.compile(share ? this.shared.share(schema) : schema);
  }

  /**
   * CommonJS source of `validate` and every function it references (shared sub-schemas, built-in
   * definitions), self-contained except for the `runtime` object (compiled-runtime.ts). Undefined
   * when this compiler does not keep sources.
   */
  standaloneSource(validate: ValidateFunction): string | undefined {
    return this.keepSource ? loadStandalone().default(this.ajv, validate) : undefined;
  }
}
