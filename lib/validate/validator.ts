// The validator: one ajv instance holding the k8s built-in definitions (one schema, shared $refs)
// and one compiled schema per CRD kind, compiled lazily on first use; plus per-kind metadata
// checks and CEL rule trees. Each object is checked by apiVersion + kind; an unknown pair is an
// error unless the caller listed it in unvalidatedKinds, in which case it is reported as
// "NOT VALIDATED" (and its envelope and metadata are still checked). Compiled validators come
// from the compile cache when it has them (compile-cache.ts), else from ajv (kind-compiler.ts).
import type { ValidateFunction } from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  addCelStats,
  compileCelRules,
  emptyCelStats,
  evaluateCelRules,
  evaluateTransitionRules,
  type CelRuleInfo,
  type CelStats,
} from './cel-rules';
import { admissionViolations } from './admission';
import { CompileCache, compiledCacheKey } from './compile-cache';
import { convertAjvErrors, type IssueRule, type ObjectLocation, type ValidationIssue } from './issues';
import { KindCompiler } from './kind-compiler';
import { listManifestFiles, parseManifestText, readManifestFile, type ManifestFile } from './manifest-files';
import { checkMetadata } from './object-metadata';
import { kindKey, loadSchemaSet, schemaCacheDir, type KindSchema, type SchemaNode, type SchemaSet } from './schema-source';
import { convertCrdSchema, K8S_SCHEMA_ID, OBJECT_META_REF } from './structural-schema';

export interface ValidatorOptions {
  /** Schema folder; default $DBFLEET_SCHEMAS, then the compact schemas shipped in imports/schemas. */
  readonly schemasDir?: string;
  /**
   * `apiVersion/kind` entries (e.g. `argoproj.io/v1alpha1/AppProject`) that have no schema in the
   * folder and must not fail validation. Such objects are counted and listed as NOT VALIDATED.
   */
  readonly unvalidatedKinds?: readonly string[];
}

export interface NotValidatedObject {
  readonly file: string;
  readonly documentIndex?: number;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name?: string;
  /** `NOT VALIDATED (no schema in <dir>)` */
  readonly reason: string;
}

export interface ValidationReport {
  readonly issues: ValidationIssue[];
  /** Objects checked, including not-validated ones. */
  readonly objectCount: number;
  readonly fileCount: number;
  readonly celStats: CelStats;
  readonly notValidated: NotValidatedObject[];
}

/** Accumulates counts across objects; pass one to validateObject to collect CEL counts. */
export interface ValidationSink {
  readonly celStats: CelStats;
  readonly notValidated: NotValidatedObject[];
}

export interface Validator {
  readonly schemasDir: string;
  /** Every `apiVersion/kind` with a schema. */
  readonly knownKinds: readonly string[];
  validateObject(object: unknown, location: ObjectLocation, sink?: ValidationSink): ValidationIssue[];
  /**
   * The CRD transition rules (`oldSelf`) of an update from `oldObject` to `object` (same kind):
   * what the API server would reject although each object is valid on its own.
   */
  validateTransition(oldObject: unknown, object: unknown, location: ObjectLocation, sink?: ValidationSink): ValidationIssue[];
  validateObjects(objects: ReadonlyArray<{ readonly object: unknown; readonly location: ObjectLocation }>): ValidationReport;
  validateFiles(paths: readonly string[]): ValidationReport;
  /** YAML texts already read (the cdk8s plugin's documents to check); `file` names them in issues. */
  validateTexts(texts: ReadonlyArray<{ readonly file: string; readonly text: string }>): ValidationReport;
  validateDirectory(dir: string): ValidationReport;
  /** Compiles every kind now (the benchmark measures this); returns the time it took. */
  compileAll(): { kinds: number; milliseconds: number; failed: string[] };
  /** Every CRD CEL rule with its status (checked / transition / not-checked) and CRD path. */
  celRules(): CelRuleInfo[];
}

interface CompiledKind {
  readonly schema: KindSchema;
  readonly validate: ValidateFunction;
  readonly celTree?: ReturnType<typeof compileCelRules>['tree'];
  readonly celRules: CelRuleInfo[];
}

function describeObject(object: Record<string, unknown>): { apiVersion?: string; kind?: string; name?: string; namespace?: string } {
  const meta = (object.metadata && typeof object.metadata === 'object' ? object.metadata : {}) as Record<string, unknown>;
  return {
    apiVersion: typeof object.apiVersion === 'string' ? object.apiVersion : undefined,
    kind: typeof object.kind === 'string' ? object.kind : undefined,
    name: typeof meta.name === 'string' ? meta.name : typeof meta.generateName === 'string' ? `${meta.generateName}*` : undefined,
    namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
  };
}

class SchemaValidator implements Validator {
  readonly schemasDir: string;
  readonly knownKinds: readonly string[];
  private readonly set: SchemaSet;
  private readonly cache: CompileCache;
  private compiler?: KindCompiler;
  private readonly compiled = new Map<string, CompiledKind>();
  private readonly unvalidated: ReadonlySet<string>;
  private envelope?: ValidateFunction;
  /** Schema folder as shown in messages: relative to cwd when that is shorter (`../shared/crds`). */
  private readonly shownDir: string;

  constructor(options: ValidatorOptions = {}) {
    this.set = loadSchemaSet(options.schemasDir);
    this.schemasDir = this.set.dir;
    this.knownKinds = [...this.set.kinds.keys()].sort();
    const relative = path.relative(process.cwd(), this.schemasDir);
    this.shownDir = relative && relative.length < this.schemasDir.length ? relative : this.schemasDir;
    this.unvalidated = new Set((options.unvalidatedKinds ?? []).map((k) => k.trim()));
    for (const entry of this.unvalidated) {
      // `AppProject` alone or `argoproj.io/AppProject` would never match anything; say so instead.
      if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9][a-z0-9]*\/[A-Za-z][A-Za-z0-9]*$/.test(entry)) {
        throw new Error(`unvalidatedKinds entry "${entry}" is not of the form <group>/<version>/<Kind> (or v1/<Kind> for the core group)`);
      }
    }
    const cacheRoot = schemaCacheDir();
    this.cache = new CompileCache(cacheRoot && path.join(cacheRoot, 'compiled'));
  }

  /**
   * A validate function: loaded from the compile cache, else compiled (and then cached).
   * `identity` is what determines the converted schema (with the code, which the cache key also
   * covers): converting is skipped on a cache hit, which saves ~50 ms for ApplicationSet.
   * `share`: see KindCompiler.compile.
   */
  private validatorFor(identity: unknown, convert: () => SchemaNode, share: boolean): ValidateFunction {
    const key = this.cache.enabled ? compiledCacheKey(JSON.stringify(identity), this.set.definitionsHash) : undefined;
    const cached = key === undefined ? undefined : this.cache.load(key);
    if (cached) return cached;
    this.compiler ??= new KindCompiler(this.set.definitions, this.cache.enabled);
    const validate = this.compiler.compile(convert(), share);
    if (key !== undefined) {
      let source: string | undefined;
      try {
        source = this.compiler.standaloneSource(validate);
      } catch {
        // ajv could not generate standalone code for it: it works from memory, uncached
      }
      if (source !== undefined) this.cache.store(key, source);
    }
    return validate;
  }

  private get hasObjectMeta(): boolean {
    return Object.keys(this.set.definitions).length > 0;
  }

  private compileKind(key: string): CompiledKind | undefined {
    const cached = this.compiled.get(key);
    if (cached) return cached;
    const schema = this.set.kinds.get(key);
    if (!schema) return undefined;
    let entry: CompiledKind;
    if (schema.source === 'k8s') {
      const root = { $ref: `${K8S_SCHEMA_ID}#/definitions/${schema.definition}` };
      const validate = this.validatorFor(root, () => root, false);
      entry = { schema, validate, celRules: [] };
    } else {
      const validate = this.validatorFor(
        { crd: schema.schema, hasObjectMeta: this.hasObjectMeta },
        () => convertCrdSchema(schema.schema, this.hasObjectMeta),
        true,
      );
      const cel = compileCelRules(key, schema.file, schema.schema);
      entry = { schema, validate, celTree: cel.tree, celRules: cel.rules };
    }
    this.compiled.set(key, entry);
    return entry;
  }

  private envelopeValidator(): ValidateFunction {
    const schema = {
      type: 'object',
      required: ['apiVersion', 'kind', 'metadata'],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: this.hasObjectMeta ? { $ref: OBJECT_META_REF } : { type: 'object' },
      },
    };
    this.envelope ??= this.validatorFor(schema, () => schema, false);
    return this.envelope;
  }

  compileAll(): { kinds: number; milliseconds: number; failed: string[] } {
    const start = performance.now();
    const failed: string[] = [];
    for (const key of this.set.kinds.keys()) {
      try {
        this.compileKind(key);
      } catch (e) {
        failed.push(`${key}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    this.envelopeValidator();
    return { kinds: this.set.kinds.size, milliseconds: performance.now() - start, failed };
  }

  celRules(): CelRuleInfo[] {
    const out: CelRuleInfo[] = [];
    for (const [key, schema] of this.set.kinds) {
      if (schema.source === 'crd')
        out.push(...(this.compiled.get(key)?.celRules ?? compileCelRules(key, schema.file, schema.schema).rules));
    }
    return out;
  }

  validateTransition(oldObject: unknown, object: unknown, location: ObjectLocation, sink?: ValidationSink): ValidationIssue[] {
    if (!object || typeof object !== 'object' || !oldObject || typeof oldObject !== 'object') return [];
    const who = describeObject(object as Record<string, unknown>);
    if (!who.apiVersion || !who.kind) return [];
    let compiled: CompiledKind | undefined;
    try {
      compiled = this.compileKind(kindKey(who.apiVersion, who.kind));
    } catch {
      return []; // validateObject reports an uncompilable schema
    }
    if (!compiled?.celTree) return [];
    const source = compiled.schema.file;
    return evaluateTransitionRules(compiled.celTree, object, oldObject, sink?.celStats ?? emptyCelStats()).map((v) => ({
      file: location.file,
      documentIndex: location.documentIndex,
      ...who,
      path: v.path,
      message: v.message,
      rule: 'cel' as IssueRule,
      schemaSource: source,
    }));
  }

  validateObject(object: unknown, location: ObjectLocation, sink?: ValidationSink): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const base = { file: location.file, documentIndex: location.documentIndex };
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      issues.push({
        ...base,
        path: '',
        message: `document is not an object (got ${Array.isArray(object) ? 'array' : typeof object})`,
        rule: 'document',
      });
      return issues;
    }
    const who = describeObject(object as Record<string, unknown>);
    const push = (rule: IssueRule, p: string, message: string, schemaSource?: string): void => {
      issues.push({ ...base, ...who, path: p, message, rule, schemaSource });
    };
    if (!who.apiVersion || !who.kind) {
      if (!who.apiVersion) push('unknown-kind', 'apiVersion', 'Required value');
      if (!who.kind) push('unknown-kind', 'kind', 'Required value');
      return issues;
    }
    const key = kindKey(who.apiVersion, who.kind);
    let compiled: CompiledKind | undefined;
    try {
      compiled = this.compileKind(key);
    } catch (e) {
      // A schema we cannot compile must not pass the object: report it on every object of the kind.
      push('schema', '', `the schema for "${key}" could not be compiled: ${(e as Error).message.split('\n')[0]}`);
      return issues;
    }
    const metadata = (object as Record<string, unknown>).metadata;

    if (!compiled) {
      if (this.unvalidated.has(key)) {
        sink?.notValidated.push({
          ...base,
          apiVersion: who.apiVersion,
          kind: who.kind,
          name: who.name,
          reason: `NOT VALIDATED (no schema in ${this.shownDir})`,
        });
        const envelope = this.envelopeValidator();
        if (!envelope(object)) for (const e of convertAjvErrors(envelope.errors ?? [])) push('schema', e.path, e.message);
        for (const p of checkMetadata(who.apiVersion, who.kind, metadata)) push('metadata', p.path, p.message);
        return issues;
      }
      const sameGroup = this.knownKinds.filter((k) => k.startsWith(`${who.apiVersion}/`)).map((k) => k.slice(who.apiVersion!.length + 1));
      const hint = sameGroup.length ? ` (${who.apiVersion} has: ${sameGroup.join(', ')})` : '';
      push('unknown-kind', '', `unknown apiVersion/kind "${key}": no schema in ${this.shownDir}${hint}`);
      return issues;
    }

    const source = compiled.schema.source === 'k8s' ? `${compiled.schema.file}#${compiled.schema.definition}` : compiled.schema.file;
    if (!compiled.validate(object)) {
      for (const e of convertAjvErrors(compiled.validate.errors ?? [])) push('schema', e.path, e.message, source);
    }
    if (metadata === undefined) push('metadata', 'metadata', 'Required value');
    for (const p of checkMetadata(who.apiVersion, who.kind, metadata)) push('metadata', p.path, p.message, source);
    if (compiled.celTree) {
      const stats = sink?.celStats ?? emptyCelStats();
      for (const v of evaluateCelRules(compiled.celTree, object, stats)) push('cel', v.path, v.message, source);
    }
    // What the operator's admission webhook refuses beyond the CRD (each message cites its rule).
    // The API server calls validating webhooks only for an object its schema and CEL rules accept.
    if (issues.length === 0) for (const v of admissionViolations(object)) push('admission', v.path, v.message);
    // The same missing field can be reported by ajv (required) and by the metadata checks.
    const seen = new Set<string>();
    return issues.filter((i) => {
      const k = `${i.path}\u0000${i.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  validateObjects(objects: ReadonlyArray<{ readonly object: unknown; readonly location: ObjectLocation }>): ValidationReport {
    const sink: ValidationSink = { celStats: emptyCelStats(), notValidated: [] };
    const issues: ValidationIssue[] = [];
    const files = new Set<string>();
    for (const { object, location } of objects) {
      files.add(location.file);
      issues.push(...this.validateObject(object, location, sink));
    }
    return { issues, objectCount: objects.length, fileCount: files.size, celStats: sink.celStats, notValidated: sink.notValidated };
  }

  private validateManifestFiles(files: ManifestFile[]): ValidationReport {
    const sink: ValidationSink = { celStats: emptyCelStats(), notValidated: [] };
    const issues: ValidationIssue[] = [];
    let objectCount = 0;
    for (const file of files) {
      const several = file.documentCount > 1;
      for (const err of file.parseErrors) {
        issues.push({ file: file.file, documentIndex: several ? err.index : undefined, path: '', message: err.message, rule: 'document' });
      }
      for (const doc of file.documents) {
        objectCount++;
        issues.push(...this.validateObject(doc.value, { file: file.file, documentIndex: several ? doc.index : undefined }, sink));
      }
    }
    return { issues, objectCount, fileCount: files.length, celStats: sink.celStats, notValidated: sink.notValidated };
  }

  validateFiles(paths: readonly string[]): ValidationReport {
    return this.validateManifestFiles(paths.map(readManifestFile));
  }

  validateTexts(texts: ReadonlyArray<{ readonly file: string; readonly text: string }>): ValidationReport {
    return this.validateManifestFiles(texts.map((t) => parseManifestText(t.file, t.text)));
  }

  validateDirectory(dir: string): ValidationReport {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`not a directory: ${dir}`);
    return this.validateFiles(listManifestFiles(dir));
  }
}

export function loadValidator(options?: ValidatorOptions): Validator {
  return new SchemaValidator(options);
}

/** Totals of several reports (the CLI validates folders and single files in one run). */
export function mergeReports(reports: readonly ValidationReport[]): ValidationReport {
  const celStats = emptyCelStats();
  for (const r of reports) addCelStats(celStats, r.celStats);
  return {
    issues: reports.flatMap((r) => r.issues),
    objectCount: reports.reduce((n, r) => n + r.objectCount, 0),
    fileCount: reports.reduce((n, r) => n + r.fileCount, 0),
    celStats,
    notValidated: reports.flatMap((r) => r.notValidated),
  };
}
