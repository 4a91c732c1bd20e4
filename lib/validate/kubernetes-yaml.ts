// Reading manifests the way Kubernetes reads them. kubectl, the API server and Argo CD turn YAML
// into JSON with sigs.k8s.io/yaml, which decodes with go-yaml v2: YAML 1.1 plain scalars, so an
// unquoted `on`, `yes` or `y` is the boolean true, `0755` the number 493 — where a YAML 1.2
// parser sees the strings "on", "yes" and "0755". A validator that reads them as strings passes a
// label `enabled: on` the API server then rejects. The implicit types below are go-yaml v2's
// resolve() (go-yaml/yaml@v2.4.0:resolve.go, used by kubernetes-sigs/yaml@v1.6.0:yaml.go), on
// js-yaml's loader, which is 3–4× faster than the `yaml` package (bench: npm run bench:validate).
//
// Differences left on purpose: timestamps stay strings (go-yaml v2 does the same when decoding into
// interface{}, decode.go "for backward compatibility"); duplicate keys are an error (go-yaml v2
// keeps the last one, but the API server's strict field validation rejects them); unknown local
// tags (`!foo`) are an error instead of being ignored.
import { FAILSAFE_SCHEMA, loadAll, Type, YAMLException } from 'js-yaml';

const BOOLEANS = new Map<string, boolean>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s) => [s, true] as [string, boolean]),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((s) => [s, false] as [string, boolean]),
]);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS = new Map<string, number>([
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, Number.NaN] as [string, number]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Number.POSITIVE_INFINITY] as [string, number]),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, Number.NEGATIVE_INFINITY] as [string, number]),
]);

// strconv.ParseInt(s, 0, 64) / ParseUint after go-yaml removed every `_`: sign, then 0x / 0o / 0b
// prefixes, a leading 0 meaning octal, or decimal.
const GO_INT = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
// go-yaml's yamlStyleFloat, for scalars starting with a digit or a sign.
const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
// Scalars starting with `.`: strconv.ParseFloat on the text as is.
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Could the scalar be a number at all: starts with a digit, a sign or a dot (resolveTable's D, S, .). */
function numeric(text: string): boolean {
  const c = text.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
}

function goInt(text: string): number | undefined {
  if (!numeric(text)) return undefined;
  const match = GO_INT.exec(text.includes('_') ? text.replace(/_/g, '') : text);
  if (!match) return undefined;
  const [, sign, digits] = match;
  const radixed = /^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits.replace(/^0([XOB])/, (_, p: string) => `0${p.toLowerCase()}`);
  const magnitude = BigInt(radixed);
  const value = sign === '-' ? -magnitude : magnitude;
  // ParseInt for int64, then ParseUint (which takes no sign) up to 2^64-1.
  if (value < INT64_MIN || value > UINT64_MAX || (value >= 2n ** 63n && sign !== '')) return undefined;
  return Number(value);
}

/** go-yaml v2's resolve() of a plain scalar that is not a string; undefined when it is one. */
function resolvePlain(text: string): { value: unknown } | undefined {
  if (NULLS.has(text)) return { value: null };
  const bool = BOOLEANS.get(text);
  if (bool !== undefined) return { value: bool };
  const special = SPECIAL_FLOATS.get(text);
  if (special !== undefined) return { value: special };
  const first = text.charCodeAt(0);
  if (first === 0x2e /* . */) {
    return DOT_FLOAT.test(text) ? { value: Number.parseFloat(text) } : undefined;
  }
  const digit = first >= 0x30 && first <= 0x39;
  if (!digit && first !== 0x2b /* + */ && first !== 0x2d /* - */) return undefined;
  const int = goInt(text);
  if (int !== undefined) return { value: int };
  const plain = text.replace(/_/g, '');
  if (GO_FLOAT.test(plain)) {
    const float = Number.parseFloat(plain);
    if (Number.isFinite(float)) return { value: float };
  }
  // `-0b101` overflowing nothing above is already an int; anything else is a string.
  return undefined;
}

// One implicit type per resolved kind, so js-yaml also accepts them as explicit tags (!!bool …).
const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (d: string | null) => d === null || NULLS.has(d),
  construct: () => null,
});
const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (d: string | null) => d !== null && BOOLEANS.has(d),
  construct: (d: string) => BOOLEANS.get(d),
});
const numberOf = (d: string | null): number | undefined => {
  if (d === null || !numeric(d)) return undefined;
  const resolved = resolvePlain(d);
  return typeof resolved?.value === 'number' ? resolved.value : undefined;
};
const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (d: string | null) => d !== null && goInt(d) !== undefined,
  construct: (d: string) => goInt(d),
});
const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (d: string | null) => numberOf(d) !== undefined,
  construct: (d: string) => numberOf(d),
});

// `<<` merge keys (go-yaml v2 has them): js-yaml's loader merges keys carrying this tag.
const mergeType = new Type('tag:yaml.org,2002:merge', { kind: 'scalar', resolve: (d: string | null) => d === '<<' || d === null });

/** go-yaml v2's implicit typing on js-yaml's failsafe schema (strings, sequences, mappings). */
export const KUBERNETES_YAML_SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType, mergeType] });

/** Every document of a YAML stream, as Kubernetes would read it. Throws YAMLException. */
export function loadKubernetesYaml(text: string): unknown[] {
  return loadAll(text, undefined, { schema: KUBERNETES_YAML_SCHEMA }) as unknown[];
}

/**
 * `reason (line L, column C)` of a js-yaml error, without its source snippet; `lineOffset` is the
 * line the parsed text started at in its file.
 */
export function yamlErrorMessage(error: unknown, lineOffset = 0): string {
  if (error instanceof YAMLException)
    return `${error.reason} (line ${(error.mark?.line ?? 0) + 1 + lineOffset}, column ${(error.mark?.column ?? 0) + 1})`;
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

// Splitting a stream into its documents' texts lives with the validation record (plain CommonJS,
// shared with the cdk8s plugin), which hashes documents the same way.
export { splitYamlDocuments } from './validation-record.cjs';
