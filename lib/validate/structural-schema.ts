// Turns a Kubernetes (structural) OpenAPI v3 schema into a JSON schema ajv can compile with the
// same meaning the API server gives it. The differences from plain JSON schema that matter:
//  - unknown fields: the API server prunes them, and with strict field validation (kubectl's
//    default since 1.27, and Argo CD server-side apply) rejects them. We reject them:
//    additionalProperties:false wherever properties are given, unless
//    x-kubernetes-preserve-unknown-fields. In CRDs a bare `type: object` keeps nothing either.
//  - x-kubernetes-int-or-string: integer or string (the anyOf next to it is only documentation).
//  - nullable: null is allowed only when nullable:true (see docs/validation.md for why we are
//    stricter than the pruning the API server does).
//  - format: only the formats Kubernetes checks (kubernetes-formats.ts); others are ignored.
//  - x-kubernetes-list-type map/set: uniqueness, by x-kubernetes-list-map-keys for maps
//    (the keyword is in list-type-keyword.ts).
//  - x-kubernetes-embedded-resource: apiVersion/kind/metadata are implicitly allowed.
// Descriptions, defaults and CEL rules are not copied: ajv does not need them (CEL is evaluated
// by cel-rules.ts against the original schema).
import type Ajv from 'ajv';
import type { SchemaNode } from './schema-source';
import { isCheckedFormat } from './kubernetes-formats';

export const K8S_SCHEMA_ID = 'https://dbfleet.local/schemas/k8s-1.28.json';
export const OBJECT_META_REF = `${K8S_SCHEMA_ID}#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
export const LIST_TYPE_KEYWORD = 'x-dbfleet-list-type';
const QUANTITY_DEFINITION = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
// <signedNumber><suffix>: binary Ki..Ei, decimal n u m k M G T P E, or an exponent e<n>/E<n>.
export const QUANTITY_PATTERN = '^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\\d+)?$';

const COPIED_KEYWORDS = [
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'required',
] as const;

interface ConvertOptions {
  /** CRD schemas are structural: a bare `type: object` accepts no fields. Built-in definitions are not. */
  readonly crd: boolean;
  /** Inside allOf/anyOf/oneOf/not: value validations only, never unknown-field checks. */
  readonly junctor: boolean;
  /** Whether ObjectMeta is available for embedded resources. */
  readonly hasObjectMeta: boolean;
}

function isIntOrStringAnyOf(branches: unknown): boolean {
  if (!Array.isArray(branches) || branches.length !== 2) return false;
  const types = branches.map((b) => (b as SchemaNode).type).sort();
  return types[0] === 'integer' && types[1] === 'string' && branches.every((b) => Object.keys(b as object).length === 1);
}

export function convertSchema(node: SchemaNode, opts: ConvertOptions): SchemaNode {
  const out: SchemaNode = {};
  const preserveUnknown = node['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const embedded = node['x-kubernetes-embedded-resource'] === true;

  if (typeof node.$ref === 'string') {
    // Built-in definitions reference each other inside the one k8s schema; absolute ids keep the
    // references valid when a CRD schema (another ajv schema) reaches into them.
    out.$ref = node.$ref.startsWith('#/') ? `${K8S_SCHEMA_ID}${node.$ref}` : node.$ref;
  }

  let types: string[] | undefined;
  if (intOrString) types = ['integer', 'string'];
  else if (typeof node.type === 'string') types = [node.type];
  if (types && node.nullable === true) types = [...types, 'null'];
  if (types) out.type = types.length === 1 ? types[0] : types;

  for (const keyword of COPIED_KEYWORDS) if (node[keyword] !== undefined) out[keyword] = node[keyword];
  if (Array.isArray(out.enum) && node.nullable === true && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (typeof node.format === 'string' && isCheckedFormat(node.format)) out.format = node.format;

  const childOpts: ConvertOptions = { ...opts, junctor: false };
  let properties: Record<string, SchemaNode> | undefined;
  if (node.properties && typeof node.properties === 'object') {
    properties = {};
    for (const [name, child] of Object.entries(node.properties as Record<string, SchemaNode>)) {
      properties[name] = convertSchema(child, opts.junctor ? { ...opts } : childOpts);
    }
  }
  if (embedded) {
    properties ??= {};
    properties.apiVersion ??= { type: 'string' };
    properties.kind ??= { type: 'string' };
    properties.metadata ??= opts.hasObjectMeta ? { $ref: OBJECT_META_REF } : { type: 'object' };
  }
  if (properties) out.properties = properties;

  if (node.additionalProperties !== undefined) {
    out.additionalProperties =
      typeof node.additionalProperties === 'object'
        ? convertSchema(node.additionalProperties as SchemaNode, childOpts)
        : node.additionalProperties;
  } else if (!preserveUnknown && !opts.junctor && node.$ref === undefined) {
    const isObject = node.type === 'object';
    if (properties || (opts.crd && isObject)) out.additionalProperties = false;
  }

  if (node.items && typeof node.items === 'object' && !Array.isArray(node.items)) {
    out.items = convertSchema(node.items as SchemaNode, childOpts);
  }
  for (const junctor of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = node[junctor];
    if (!Array.isArray(branches)) continue;
    if (intOrString && isIntOrStringAnyOf(branches)) continue;
    // The built-in IntOrString/Quantity definitions are oneOf[string, integer|number]; a union type
    // says the same and gives one readable error instead of three.
    const simpleTypes = branches.every((b) => Object.keys(b as object).length === 1 && typeof (b as SchemaNode).type === 'string');
    if (junctor === 'oneOf' && simpleTypes && !types) {
      out.type = branches.map((b) => (b as SchemaNode).type as string);
      continue;
    }
    out[junctor] = branches.map((b) => convertSchema(b as SchemaNode, { ...opts, junctor: true }));
  }
  if (node.not && typeof node.not === 'object') out.not = convertSchema(node.not as SchemaNode, { ...opts, junctor: true });

  const listType = node['x-kubernetes-list-type'];
  if (listType === 'set' || listType === 'map') {
    out[LIST_TYPE_KEYWORD] = { type: listType, keys: (node['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [] };
  }
  return out;
}

/** The CRD version schema ready for ajv: strict, with metadata validated as a real ObjectMeta. */
export function convertCrdSchema(openAPIV3Schema: SchemaNode, hasObjectMeta: boolean): SchemaNode {
  const converted = convertSchema(openAPIV3Schema, { crd: true, junctor: false, hasObjectMeta });
  const properties = { ...(converted.properties as Record<string, SchemaNode> | undefined) };
  // CRDs declare metadata as a bare object; the API server validates it as ObjectMeta.
  properties.metadata = hasObjectMeta ? { $ref: OBJECT_META_REF } : { type: 'object' };
  properties.apiVersion ??= { type: 'string' };
  properties.kind ??= { type: 'string' };
  return {
    ...converted,
    properties,
    required: [...new Set([...((converted.required as string[]) ?? []), 'apiVersion', 'kind', 'metadata'])],
  };
}

/**
 * Built-in types are validated by Go code in the API server, not by their OpenAPI definitions; where
 * the two disagree in a way that matters, the definition is corrected to what the API server does.
 */
const BUILTIN_OVERRIDES: Readonly<Record<string, (def: SchemaNode) => SchemaNode>> = {
  // The definition only says "string or number"; the API server parses it with
  // resource.ParseQuantity, so "1x" or "2 Gi" are rejected. Same grammar, as a pattern.
  [QUANTITY_DEFINITION]: (def) => ({ ...def, pattern: QUANTITY_PATTERN }),
  // 1.28 lists onPodConditions as required only because the Go field lacks omitempty; the API
  // server's ValidatePodFailurePolicyRule requires exactly one of onExitCodes and onPodConditions.
  'io.k8s.api.batch.v1.PodFailurePolicyRule': (def) => ({
    ...def,
    required: ['action'],
    oneOf: [{ required: ['onExitCodes'] }, { required: ['onPodConditions'] }],
  }),
};

/** All built-in definitions as one schema, so $refs resolve inside it and ajv compiles each definition once. */
export function convertDefinitions(definitions: Record<string, SchemaNode>): SchemaNode {
  const converted: Record<string, SchemaNode> = {};
  for (const [name, def] of Object.entries(definitions)) {
    converted[name] = convertSchema(def, { crd: false, junctor: false, hasObjectMeta: true });
  }
  for (const [name, override] of Object.entries(BUILTIN_OVERRIDES)) {
    if (converted[name]) converted[name] = override(converted[name]);
  }
  return { $id: K8S_SCHEMA_ID, definitions: converted };
}

/** Child schema positions of a converted schema (not enum values or keyword arguments). */
function forEachChild(node: SchemaNode, visit: (child: SchemaNode, replace: (next: SchemaNode) => void) => void): void {
  const props = node.properties as Record<string, SchemaNode> | undefined;
  if (props)
    for (const name of Object.keys(props))
      visit(props[name], (next) => {
        props[name] = next;
      });
  for (const key of ['items', 'additionalProperties', 'not'] as const) {
    const child = node[key];
    if (child && typeof child === 'object' && !Array.isArray(child))
      visit(child as SchemaNode, (next) => {
        node[key] = next;
      });
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = node[key] as SchemaNode[] | undefined;
    if (branches)
      branches.forEach((b, i) =>
        visit(b, (next) => {
          branches[i] = next;
        }),
      );
  }
}

export const SHARED_SCHEMA_PREFIX = 'https://dbfleet.local/schemas/shared/';

/**
 * Content-addressed sharing of sub-schemas across every CRD compiled into one ajv instance. Large
 * CRDs repeat the same shapes many times (ApplicationSet embeds the Application template in every
 * generator; CNPG repeats affinity, volume and env schemas across kinds), and ajv generates code
 * for every copy: 13 MB and ~4 s for ApplicationSet alone. Here every sub-schema of at least
 * `minChars` becomes its own ajv schema, identified by its structure, referenced by $ref, and so
 * compiled once. Validation results and error paths are unchanged (instancePath does not depend
 * on $ref).
 *
 * Structure is hash-consed bottom-up: a node's key is its own keywords plus the ids of its
 * children, so each node is keyed in time proportional to its own size, not its subtree's.
 */
export class SharedSubschemas {
  private readonly structureIds = new Map<string, number>();
  private readonly sharedIds = new Map<number, string>();

  constructor(
    private readonly ajv: Ajv,
    private readonly minChars = 300,
  ) {}

  /** Structural id and approximate JSON size of every node below (and including) `node`. */
  private intern(node: SchemaNode, info: Map<SchemaNode, { id: number; size: number }>): { id: number; size: number } {
    const parts: string[] = [];
    let size = 2;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && value && typeof value === 'object') {
        const props = Object.entries(value as Record<string, SchemaNode>).map(([name, child]) => {
          const c = this.intern(child, info);
          size += name.length + 4 + c.size;
          return `${JSON.stringify(name)}:#${c.id}`;
        });
        parts.push(`properties:{${props.join(',')}}`);
      } else if (
        (key === 'items' || key === 'additionalProperties' || key === 'not') &&
        value &&
        typeof value === 'object' &&
        !Array.isArray(value)
      ) {
        const c = this.intern(value as SchemaNode, info);
        size += key.length + 4 + c.size;
        parts.push(`${key}:#${c.id}`);
      } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
        const ids = (value as SchemaNode[]).map((b) => {
          const c = this.intern(b, info);
          size += c.size + 1;
          return `#${c.id}`;
        });
        parts.push(`${key}:[${ids.join(',')}]`);
      } else {
        const text = JSON.stringify(value);
        size += key.length + 4 + text.length;
        parts.push(`${key}:${text}`);
      }
    }
    const structure = parts.join(',');
    let id = this.structureIds.get(structure);
    if (id === undefined) {
      id = this.structureIds.size;
      this.structureIds.set(structure, id);
    }
    const result = { id, size };
    info.set(node, result);
    return result;
  }

  share(root: SchemaNode): SchemaNode {
    const info = new Map<SchemaNode, { id: number; size: number }>();
    this.intern(root, info);
    const rewrite = (node: SchemaNode): void => {
      forEachChild(node, (child, replace) => {
        const { id, size } = info.get(child)!;
        if (size < this.minChars) return; // small: inline (and everything below it is smaller)
        let ref = this.sharedIds.get(id);
        if (!ref) {
          ref = `${SHARED_SCHEMA_PREFIX}${id}`;
          this.sharedIds.set(id, ref);
          rewrite(child);
          this.ajv.addSchema({ ...child, $id: ref });
        }
        replace({ $ref: ref });
      });
    };
    rewrite(root);
    return root;
  }
}
