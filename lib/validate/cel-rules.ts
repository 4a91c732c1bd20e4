// CRD CEL rules (x-kubernetes-validations), evaluated the way the API server does on create:
//  - each rule runs at its schema location with `self` bound to the value there, and only where
//    that value is present (after defaults are applied, as the API server defaults before it validates);
//  - transition rules (they reference oldSelf) need the previous object; on create the API server
//    does not run them, so validation skips and counts them; evaluateTransitionRules runs them
//    for an update (npm run plan has the previous object: dist/ at the base revision);
//  - a rule that cannot be parsed, references unknown variables or functions, or fails inside the
//    evaluator for a reason other than the data is "not checked": counted and reported with its
//    CRD path, never treated as passed.
// Evaluator: @bufbuild/cel (see docs/validation.md for why it and not @marcbachmann/cel-js).
import { celEnv, isCelError, parse, plan, type CelEnv, type CelResult } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import type { SchemaNode } from './schema-source';
import { kubernetesCelFunctions } from './cel-kubernetes-library';

type Expr = ReturnType<typeof parse>['expr'];
type Program = (ctx: { self: unknown; oldSelf?: unknown }) => CelResult;

export type CelRuleStatus = 'checked' | 'transition' | 'not-checked';

/** One x-kubernetes-validations entry of one CRD, and whether we can run it. */
export interface CelRuleInfo {
  /** `apiVersion/kind` the rule belongs to. */
  readonly kindKey: string;
  /** `<crd file>#<JSON pointer in openAPIV3Schema>`, e.g. `cloudnative-pg/postgresql.cnpg.io_databases.yaml#/properties/spec/properties/name`. */
  readonly crdPath: string;
  readonly rule: string;
  readonly message: string;
  readonly status: CelRuleStatus;
  /** Why a rule is not checked. */
  readonly reason?: string;
}

export interface NotCheckedOccurrence {
  readonly crdPath: string;
  readonly rule: string;
  readonly reason: string;
}

/** Counts over one validation run. */
export interface CelStats {
  /** Rule evaluations performed (a rule on a list item counts once per item). */
  ran: number;
  /** Transition-rule evaluations skipped because there is no previous object. */
  transitionSkipped: number;
  /** Rule evaluations that could not be performed (compile or evaluator failure). */
  notChecked: number;
  /** Distinct rules behind `notChecked`, with their CRD paths and reasons. */
  notCheckedRules: NotCheckedOccurrence[];
}

export function emptyCelStats(): CelStats {
  return { ran: 0, transitionSkipped: 0, notChecked: 0, notCheckedRules: [] };
}

export function addCelStats(into: CelStats, from: CelStats): void {
  into.ran += from.ran;
  into.transitionSkipped += from.transitionSkipped;
  into.notChecked += from.notChecked;
  for (const r of from.notCheckedRules) recordNotChecked(into, r);
}

function recordNotChecked(stats: CelStats, occurrence: NotCheckedOccurrence): void {
  if (
    !stats.notCheckedRules.some((r) => r.crdPath === occurrence.crdPath && r.rule === occurrence.rule && r.reason === occurrence.reason)
  ) {
    stats.notCheckedRules.push(occurrence);
  }
}

export interface CelViolation {
  /** Data path of the failing value, e.g. `spec.bootstrap.initdb`. */
  readonly path: string;
  readonly message: string;
}

interface CompiledRule {
  readonly info: CelRuleInfo;
  readonly program?: Program;
  readonly messageProgram?: Program;
  readonly fieldPath?: string;
}

/** Schema nodes that carry rules, or lead to nodes that do; everything else is never walked. */
interface RuleNode {
  readonly schema: SchemaNode;
  readonly rules: CompiledRule[];
  readonly properties: Map<string, RuleNode>;
  items?: RuleNode;
  additionalProperties?: RuleNode;
}

// Functions the planner implements itself rather than through the function registry.
const PLANNER_FUNCTIONS = new Set(['_&&_', '_||_', '_?_:_', '@not_strictly_false', '_[_]']);

let sharedEnv: CelEnv | undefined;
function env(): CelEnv {
  // Kubernetes enables the strings extension library plus its own libraries (cel-kubernetes-library.ts).
  sharedEnv ??= celEnv({ funcs: [...strings, ...kubernetesCelFunctions] });
  return sharedEnv;
}

/** Free variables and called functions of a parsed expression (comprehension variables excluded). */
function scan(expr: Expr | undefined, bound: Set<string>, idents: Set<string>, funcs: Set<string>): void {
  if (!expr) return;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      if (!bound.has(kind.value.name)) idents.add(kind.value.name);
      return;
    case 'selectExpr':
      scan(kind.value.operand, bound, idents, funcs);
      return;
    case 'callExpr':
      funcs.add(kind.value.function);
      scan(kind.value.target, bound, idents, funcs);
      for (const arg of kind.value.args) scan(arg, bound, idents, funcs);
      return;
    case 'listExpr':
      for (const e of kind.value.elements) scan(e, bound, idents, funcs);
      return;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') scan(entry.keyKind.value, bound, idents, funcs);
        scan(entry.value, bound, idents, funcs);
      }
      return;
    case 'comprehensionExpr': {
      const c = kind.value;
      scan(c.iterRange, bound, idents, funcs);
      scan(c.accuInit, bound, idents, funcs);
      const inner = new Set([...bound, c.iterVar, c.accuVar, ...(c.iterVar2 ? [c.iterVar2] : [])]);
      scan(c.loopCondition, inner, idents, funcs);
      scan(c.loopStep, inner, idents, funcs);
      scan(c.result, inner, idents, funcs);
      return;
    }
    default:
      return;
  }
}

type CompileResult = { ok: true; program: Program; transition: boolean } | { ok: false; reason: string };

function compileExpression(source: string): CompileResult {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (e) {
    return { ok: false, reason: `does not parse: ${(e as Error).message}` };
  }
  const idents = new Set<string>();
  const funcs = new Set<string>();
  scan(parsed.expr, new Set(), idents, funcs);
  const transition = idents.has('oldSelf');
  const unknownVars = [...idents].filter((v) => v !== 'self' && v !== 'oldSelf');
  if (unknownVars.length) return { ok: false, reason: `unknown variable(s): ${unknownVars.join(', ')}` };
  const missing = [...funcs].filter((f) => !PLANNER_FUNCTIONS.has(f) && !env().funcs.find(f)).sort();
  if (missing.length) return { ok: false, reason: `function(s) not available in the evaluator: ${missing.join(', ')}` };
  try {
    return { ok: true, program: plan(env(), parsed) as unknown as Program, transition };
  } catch (e) {
    return { ok: false, reason: `does not compile: ${(e as Error).message}` };
  }
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Collects and compiles every rule of one CRD version schema. Returns the rule tree to walk objects
 * with (undefined when the schema has no rules) and the catalogue of rules.
 */
export function compileCelRules(kindKey: string, crdFile: string, schema: SchemaNode): { tree?: RuleNode; rules: CelRuleInfo[] } {
  const catalogue: CelRuleInfo[] = [];

  const build = (node: SchemaNode, pointer: string): RuleNode | undefined => {
    if (!node || typeof node !== 'object') return undefined;
    const result: RuleNode = { schema: node, rules: [], properties: new Map() };
    const validations = node['x-kubernetes-validations'] as
      Array<{ rule: string; message?: string; messageExpression?: string; fieldPath?: string }> | undefined;
    for (const v of validations ?? []) {
      const crdPath = `${crdFile}#${pointer || '/'}`;
      const message = v.message ?? `failed rule: ${v.rule}`;
      const compiled = compileExpression(v.rule);
      let info: CelRuleInfo;
      if (!compiled.ok) info = { kindKey, crdPath, rule: v.rule, message, status: 'not-checked', reason: compiled.reason };
      else info = { kindKey, crdPath, rule: v.rule, message, status: compiled.transition ? 'transition' : 'checked' };
      catalogue.push(info);
      let messageProgram: Program | undefined;
      if (v.messageExpression) {
        const m = compileExpression(v.messageExpression);
        if (m.ok && !m.transition) messageProgram = m.program;
      }
      result.rules.push({ info, program: compiled.ok ? compiled.program : undefined, messageProgram, fieldPath: v.fieldPath });
    }
    let useful = result.rules.length > 0;
    if (node.properties && typeof node.properties === 'object') {
      for (const [name, child] of Object.entries(node.properties as Record<string, SchemaNode>)) {
        const sub = build(child, `${pointer}/properties/${escapePointer(name)}`);
        if (sub) {
          result.properties.set(name, sub);
          useful = true;
        }
      }
    }
    if (node.items && typeof node.items === 'object') {
      result.items = build(node.items as SchemaNode, `${pointer}/items`);
      useful ||= Boolean(result.items);
    }
    if (node.additionalProperties && typeof node.additionalProperties === 'object') {
      result.additionalProperties = build(node.additionalProperties as SchemaNode, `${pointer}/additionalProperties`);
      useful ||= Boolean(result.additionalProperties);
    }
    return useful ? result : undefined;
  };

  const tree = build(schema, '');
  return { tree, rules: catalogue };
}

/**
 * JSON value -> CEL value typed by the schema, as the API server does: integers become CEL int
 * (bigint), objects become maps (field selection and has() work on them), and absent fields that
 * have a schema default get it.
 */
export function toCelValue(value: unknown, schema: SchemaNode | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    const type = schema?.type;
    if (type === 'number') return value;
    return Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) {
    const itemSchema = schema?.items as SchemaNode | undefined;
    return value.map((v) => toCelValue(v, itemSchema));
  }
  if (typeof value === 'object') {
    const props = (schema?.properties ?? {}) as Record<string, SchemaNode>;
    const extra = typeof schema?.additionalProperties === 'object' ? (schema.additionalProperties as SchemaNode) : undefined;
    const out = new Map<string, unknown>();
    const record = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(record)) out.set(k, toCelValue(v, props[k] ?? extra));
    for (const [k, s] of Object.entries(props)) {
      if (record[k] === undefined && s.default !== undefined) out.set(k, toCelValue(s.default, s));
    }
    return out;
  }
  return value;
}

function formatSegment(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function joinPath(base: string, segment: string): string {
  const joined = `${base}${segment}`;
  return joined.startsWith('.') ? joined.slice(1) : joined;
}

// Errors caused by the data (a field the rule reads is absent, an index is out of range) make the
// API server reject the object; anything else means our evaluator could not run the rule.
const DATA_ERROR = /field not found|no such key|not found|out of range|index/i;

/** Walks one object along the rule tree, evaluating every applicable rule. */
export function evaluateCelRules(tree: RuleNode | undefined, object: unknown, stats: CelStats): CelViolation[] {
  const violations: CelViolation[] = [];
  if (!tree) return violations;

  const visit = (node: RuleNode, value: unknown, path: string): void => {
    if (value === undefined || value === null) return;
    if (node.rules.length) {
      const self = toCelValue(value, node.schema);
      for (const rule of node.rules) {
        if (rule.info.status === 'transition') {
          stats.transitionSkipped++;
          continue;
        }
        if (!rule.program) {
          stats.notChecked++;
          recordNotChecked(stats, { crdPath: rule.info.crdPath, rule: rule.info.rule, reason: rule.info.reason ?? 'not compiled' });
          continue;
        }
        const result = rule.program({ self });
        const where = rule.fieldPath ? joinPath(path, rule.fieldPath) : path;
        if (isCelError(result)) {
          if (DATA_ERROR.test(result.message)) {
            stats.ran++;
            violations.push({
              path: where,
              message: `${rule.info.message} (rule could not be evaluated on this object: ${result.message})`,
            });
          } else {
            stats.notChecked++;
            recordNotChecked(stats, { crdPath: rule.info.crdPath, rule: rule.info.rule, reason: `evaluator error: ${result.message}` });
          }
          continue;
        }
        stats.ran++;
        if (result === true) continue;
        if (result !== false) {
          violations.push({ path: where, message: `${rule.info.message} (rule returned ${String(result)}, not a bool)` });
          continue;
        }
        let message = rule.info.message;
        if (rule.messageProgram) {
          const m = rule.messageProgram({ self });
          if (typeof m === 'string' && m.length) message = m;
        }
        violations.push({ path: where, message });
      }
    }
    if (typeof value !== 'object') return;
    if (Array.isArray(value)) {
      if (node.items) value.forEach((item, i) => visit(node.items as RuleNode, item, `${path}[${i}]`));
      return;
    }
    const record = value as Record<string, unknown>;
    for (const [name, child] of node.properties) {
      const childValue = record[name] !== undefined ? record[name] : child.schema.default;
      visit(child, childValue, joinPath(path, formatSegment(name)));
    }
    if (node.additionalProperties) {
      const declared = (node.schema.properties ?? {}) as Record<string, unknown>;
      for (const [key, v] of Object.entries(record)) {
        if (!(key in declared)) visit(node.additionalProperties, v, `${joinPath(path, '')}[${JSON.stringify(key)}]`);
      }
    }
  };
  visit(tree, object, '');
  return violations;
}

/**
 * The transition rules (those that read `oldSelf`) for an update from `oldObject` to `object`,
 * as the API server runs them: at every schema location where both the old and the new value
 * exist; in lists only where items correlate (`x-kubernetes-list-type: map`, by their keys);
 * and not where the value is unchanged (the API server ratchets unchanged values,
 * KEP-4008). Other rules are left to evaluateCelRules.
 */
export function evaluateTransitionRules(tree: RuleNode | undefined, object: unknown, oldObject: unknown, stats: CelStats): CelViolation[] {
  const violations: CelViolation[] = [];
  if (!tree) return violations;

  const visit = (node: RuleNode, value: unknown, old: unknown, path: string): void => {
    if (value === undefined || value === null || old === undefined || old === null) return;
    if (JSON.stringify(value) === JSON.stringify(old)) return;
    const transitions = node.rules.filter((r) => r.info.status === 'transition');
    if (transitions.length) {
      const self = toCelValue(value, node.schema);
      const oldSelf = toCelValue(old, node.schema);
      for (const rule of transitions) {
        const result = rule.program!({ self, oldSelf });
        const where = rule.fieldPath ? joinPath(path, rule.fieldPath) : path;
        if (isCelError(result)) {
          if (DATA_ERROR.test(result.message)) {
            stats.ran++;
            violations.push({
              path: where,
              message: `${rule.info.message} (rule could not be evaluated on this update: ${result.message})`,
            });
          } else {
            stats.notChecked++;
            recordNotChecked(stats, { crdPath: rule.info.crdPath, rule: rule.info.rule, reason: `evaluator error: ${result.message}` });
          }
          continue;
        }
        stats.ran++;
        if (result === true) continue;
        violations.push({
          path: where,
          message: result === false ? rule.info.message : `${rule.info.message} (rule returned ${String(result)}, not a bool)`,
        });
      }
    }
    if (typeof value !== 'object' || typeof old !== 'object') return;
    if (Array.isArray(value)) {
      const keys = node.schema['x-kubernetes-list-map-keys'] as string[] | undefined;
      if (!node.items || !Array.isArray(old) || node.schema['x-kubernetes-list-type'] !== 'map' || !keys?.length) return;
      const keyOf = (item: unknown) => JSON.stringify(keys.map((k) => (item as Record<string, unknown> | null)?.[k]));
      const before = new Map(old.map((item) => [keyOf(item), item]));
      value.forEach((item, i) => visit(node.items as RuleNode, item, before.get(keyOf(item)), `${path}[${i}]`));
      return;
    }
    if (Array.isArray(old)) return;
    const record = value as Record<string, unknown>;
    const oldRecord = old as Record<string, unknown>;
    for (const [name, child] of node.properties) {
      const childValue = record[name] !== undefined ? record[name] : child.schema.default;
      const oldValue = oldRecord[name] !== undefined ? oldRecord[name] : child.schema.default;
      visit(child, childValue, oldValue, joinPath(path, formatSegment(name)));
    }
    if (node.additionalProperties) {
      const declared = (node.schema.properties ?? {}) as Record<string, unknown>;
      for (const [key, v] of Object.entries(record)) {
        if (!(key in declared)) visit(node.additionalProperties, v, oldRecord[key], `${joinPath(path, '')}[${JSON.stringify(key)}]`);
      }
    }
  };
  visit(tree, object, oldObject, '');
  return violations;
}
