// Runs a ValidatingAdmissionPolicy's CEL (matchConditions, then validations) the way the API
// server does for one request, with the evaluator the CRD rules use (@bufbuild/cel, the strings
// extension and the Kubernetes list library): `object` is the object after defaulting, `request`
// carries userInfo. Used by tests to prove the rendered policies admit what dbfleet creates and
// refuse what they are meant to refuse; an expression that does not parse or compile throws.
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { kubernetesCelFunctions } from './cel-kubernetes-library';
import { toCelValue } from './cel-rules';
import type { SchemaNode } from './schema-source';

export interface AdmissionPolicySpec {
  readonly matchConditions?: ReadonlyArray<{ readonly name: string; readonly expression: string }>;
  readonly validations: ReadonlyArray<{ readonly expression: string; readonly message?: string }>;
  readonly failurePolicy?: 'Fail' | 'Ignore';
}

export type AdmissionOutcome =
  { readonly matched: false } | { readonly matched: true; readonly allowed: boolean; readonly refusals: readonly string[] };

type Program = (ctx: Record<string, unknown>) => unknown;

const env = celEnv({ funcs: [...strings, ...kubernetesCelFunctions] });
const programs = new Map<string, Program>();

/** Parses and plans one expression (cached); throws with the expression when it cannot. */
export function compileAdmissionExpression(expression: string): Program {
  let program = programs.get(expression);
  if (!program) {
    try {
      program = plan(env, parse(expression)) as unknown as Program;
    } catch (e) {
      throw new Error(`CEL does not compile: ${(e as Error).message}\n  ${expression}`, { cause: e });
    }
    programs.set(expression, program);
  }
  return program;
}

/**
 * Evaluates `policy` for a request by `username` carrying `object` (CRD defaults applied from
 * `schema`, as the API server does before admission). An evaluation error counts as a refusal
 * under failurePolicy Fail, as it does in the API server.
 */
export function evaluateAdmissionPolicy(
  policy: AdmissionPolicySpec,
  request: { readonly username: string; readonly object: unknown; readonly schema?: SchemaNode },
): AdmissionOutcome {
  const ctx = {
    object: toCelValue(request.object, request.schema),
    request: new Map<string, unknown>([['userInfo', new Map<string, unknown>([['username', request.username]])]]),
  };
  for (const condition of policy.matchConditions ?? []) {
    const result = compileAdmissionExpression(condition.expression)(ctx);
    if (result !== true) return { matched: false };
  }
  const refusals: string[] = [];
  for (const v of policy.validations) {
    const result = compileAdmissionExpression(v.expression)(ctx);
    if (result === true) continue;
    if (isCelError(result) && policy.failurePolicy === 'Ignore') continue;
    refusals.push(isCelError(result) ? `${v.message ?? v.expression} (evaluation error: ${String(result)})` : (v.message ?? v.expression));
  }
  return { matched: true, allowed: refusals.length === 0, refusals };
}
