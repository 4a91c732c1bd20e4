// What a validation error looks like, how ajv's errors become one, and the one-line format
// reviewers read: `dist/production/cluster-orders.yaml: Cluster/orders: spec.instances: must be >= 1`.
import type { ErrorObject } from 'ajv';
import { LIST_TYPE_KEYWORD } from './structural-schema';

/** `admission`: an operator's admission webhook would refuse it (lib/validate/admission/). */
export type IssueRule = 'schema' | 'metadata' | 'cel' | 'admission' | 'unknown-kind' | 'document';

export interface ValidationIssue {
  /** File as given by the caller (kept relative if it was relative). */
  readonly file: string;
  /** 0-based document index; set only when the file holds several documents. */
  readonly documentIndex?: number;
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  /** Dotted JSON path inside the object, e.g. `spec.containers[0].name`; empty for the whole object. */
  readonly path: string;
  readonly message: string;
  /** Which check produced it. */
  readonly rule: IssueRule;
  /** Schema the object was checked against (CRD file or k8s definitions), relative to the schema folder. */
  readonly schemaSource?: string;
}

export interface ObjectLocation {
  readonly file: string;
  /** 0-based index of the document in its file; pass it only when the file holds several documents. */
  readonly documentIndex?: number;
}

/** One line per issue: `<file>[#<documentIndex>]: <Kind>/<name>: <path>: <message>`. */
export function formatIssue(issue: ValidationIssue): string {
  const where = issue.documentIndex !== undefined ? `${issue.file}#${issue.documentIndex}` : issue.file;
  const parts = [where];
  if (issue.kind !== undefined || issue.name !== undefined) parts.push(`${issue.kind ?? '<no kind>'}/${issue.name ?? '<no name>'}`);
  if (issue.path) parts.push(issue.path);
  parts.push(issue.message);
  return parts.join(': ');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** `/spec/containers/0/name` -> `spec.containers[0].name`; odd keys (labels) in brackets. */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = unescapePointer(raw);
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function joinPath(base: string, child: string): string {
  return pointerToPath(`${base}/${child.replace(/~/g, '~0').replace(/\//g, '~1')}`);
}

function describeBranch(schema: unknown): string {
  if (!schema || typeof schema !== 'object') return JSON.stringify(schema);
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.required) && Object.keys(s).length === 1) return `has ${s.required.join(' and ')}`;
  if (s.not && typeof s.not === 'object') return `not (${describeBranch(s.not)})`;
  return JSON.stringify(s);
}

function valueText(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * ajv errors -> issues' path and message. Errors from inside anyOf/oneOf branches are dropped in
 * favour of the one anyOf/oneOf error, which lists the alternatives instead.
 */
export function convertAjvErrors(errors: readonly ErrorObject[]): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (/\/(anyOf|oneOf|not)\/\d+\//.test(e.schemaPath) || /\/not\//.test(e.schemaPath)) continue;
    let path = pointerToPath(e.instancePath);
    let message: string;
    switch (e.keyword) {
      case 'additionalProperties':
        path = joinPath(e.instancePath, String((e.params as { additionalProperty: string }).additionalProperty));
        message = 'unknown field (not in the schema)';
        break;
      case 'required':
        path = joinPath(e.instancePath, String((e.params as { missingProperty: string }).missingProperty));
        message = 'Required value';
        break;
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        message = `Unsupported value: ${valueText(e.data)}: supported values: ${allowed.map(valueText).join(', ')}`;
        break;
      }
      case 'type':
        // ajv says "must be string,integer" for union types.
        message = `must be ${String((e.params as { type: string }).type)
          .split(',')
          .join(' or ')} (got ${e.data === null ? 'null' : Array.isArray(e.data) ? 'array' : typeof e.data})`;
        break;
      case 'pattern':
      case 'format':
        message = `Invalid value: ${valueText(e.data)}: ${e.message ?? ''}`;
        break;
      case 'anyOf':
      case 'oneOf': {
        const branches = Array.isArray(e.schema) ? e.schema.map(describeBranch) : [];
        message = `${e.keyword === 'anyOf' ? 'must satisfy at least one of' : 'must satisfy exactly one of'}: ${branches.join(' | ')}`;
        break;
      }
      case LIST_TYPE_KEYWORD:
        message = e.message ?? 'Duplicate value';
        break;
      default:
        message = e.message ?? e.keyword;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}
