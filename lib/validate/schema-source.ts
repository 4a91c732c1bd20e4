// Finds and reads the schemas the clusters enforce: every served version of every CRD under the
// schema folder, plus the Kubernetes 1.28 built-in definitions. Nothing here compiles anything;
// it only answers "which schema belongs to apiVersion X, kind Y, and where did it come from".
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

/** JSON-schema-ish node as found in CRDs and in _definitions.json. */
export type SchemaNode = { [keyword: string]: unknown };

export interface CrdKindSchema {
  readonly source: 'crd';
  readonly apiVersion: string;
  readonly kind: string;
  /** CRD file relative to the schema folder, used in messages ("not checked" CEL rules, plugin fixes). */
  readonly file: string;
  /** The version's openAPIV3Schema, untouched. */
  readonly schema: SchemaNode;
}

export interface BuiltinKindSchema {
  readonly source: 'k8s';
  readonly apiVersion: string;
  readonly kind: string;
  readonly file: string;
  /** Key in the definitions map, e.g. io.k8s.api.apps.v1.Deployment. */
  readonly definition: string;
}

export type KindSchema = CrdKindSchema | BuiltinKindSchema;

export interface SchemaSet {
  readonly dir: string;
  readonly kinds: ReadonlyMap<string, KindSchema>;
  /** The k8s definitions object ({ "io.k8s...": schema }), or empty when the folder has none. */
  readonly definitions: Record<string, SchemaNode>;
  readonly definitionsFile?: string;
  /** SHA-256 of the definitions file ('' when there is none): part of every compile-cache key. */
  readonly definitionsHash: string;
}

export const SCHEMAS_ENV = 'DBFLEET_SCHEMAS';
const DEFINITIONS_RELATIVE = path.join('k8s-1.28', '_definitions.json');

/** `apiVersion/kind`, the lookup key used everywhere (e.g. `postgresql.cnpg.io/v1/Cluster`, `v1/Service`). */
export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/**
 * Where the schemas live: explicit option, then $DBFLEET_SCHEMAS, then ../shared/crds next to the
 * repository root. The default is resolved from this file's location (lib/validate/ is two levels
 * below the root), not from process.cwd(), so cdk8s, vitest and the CLI agree whatever directory
 * they are started from.
 */
export function resolveSchemasDir(explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  const fromEnv = process.env[SCHEMAS_ENV];
  if (fromEnv) return path.resolve(fromEnv);
  const repoRoot = path.resolve(__dirname, '..', '..');
  return path.resolve(repoRoot, '..', 'shared', 'crds');
}

function listYamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // licenses/ and the k8s folder hold no CRDs; skipping by content (kind: CustomResourceDefinition)
    // below keeps this robust anyway.
    if (entry.isDirectory()) out.push(...listYamlFiles(full));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

interface CrdDocument {
  kind?: string;
  spec?: { group: string; names: { kind: string }; versions: Array<{ name: string; served: boolean; schema?: { openAPIV3Schema?: SchemaNode } }> };
}

export const SCHEMA_CACHE_ENV = 'DBFLEET_SCHEMA_CACHE';
// Bump when the cached shape changes.
const CACHE_FORMAT = 'crd-v1';

/** Drops `description` keywords (never read, half the bytes) from a schema, not properties named so. */
function stripDescriptions(node: unknown): void {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  const schema = node as SchemaNode;
  if (typeof schema.description === 'string') delete schema.description;
  if (schema.properties && typeof schema.properties === 'object') for (const child of Object.values(schema.properties)) stripDescriptions(child);
  for (const key of ['items', 'additionalProperties', 'not']) stripDescriptions(schema[key]);
  for (const key of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(schema[key])) (schema[key] as unknown[]).forEach(stripDescriptions);
}

/** node_modules/.cache/dbfleet-validate, or $DBFLEET_SCHEMA_CACHE; undefined when that is `off`. */
export function schemaCacheDir(): string | undefined {
  if (process.env[SCHEMA_CACHE_ENV] === 'off') return undefined;
  return process.env[SCHEMA_CACHE_ENV] || path.resolve(__dirname, '..', '..', 'node_modules', '.cache', 'dbfleet-validate');
}

/**
 * The CRD documents of one file. Parsing 3.5 MB of CRD YAML takes over a second with the yaml
 * package, more than half the compile budget, so the parsed CRDs are cached as JSON keyed by the
 * SHA-256 of the file's bytes: a changed file is a new key, so the cache can never be stale. The
 * cache is an optimisation only; if it cannot be read or written, the file is parsed.
 */
function readCrdDocuments(file: string): CrdDocument[] {
  const bytes = fs.readFileSync(file);
  const dir = schemaCacheDir();
  const cached = dir ? path.join(dir, `${CACHE_FORMAT}-${createHash('sha256').update(bytes).digest('hex')}.json`) : undefined;
  if (cached) {
    try {
      return JSON.parse(fs.readFileSync(cached, 'utf8')) as CrdDocument[];
    } catch {
      // not cached yet, or unreadable: parse below
    }
  }
  // uniqueKeys:false: these are generated files; the duplicate-key check costs a third of the parse time.
  const docs = YAML.parseAllDocuments(bytes.toString('utf8'), { uniqueKeys: false, keepSourceTokens: false })
    .map((doc) => doc.toJS() as CrdDocument | null)
    .filter((doc): doc is CrdDocument => Boolean(doc && doc.kind === 'CustomResourceDefinition' && doc.spec));
  for (const doc of docs) for (const v of doc.spec?.versions ?? []) stripDescriptions(v.schema?.openAPIV3Schema);
  if (cached && dir) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(docs));
      fs.renameSync(tmp, cached); // atomic: parallel test workers never read half a file
    } catch {
      // read-only checkout: no cache, same result
    }
  }
  return docs;
}

export function loadSchemaSet(schemasDir?: string): SchemaSet {
  const dir = resolveSchemasDir(schemasDir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`schema folder not found: ${dir} (set ${SCHEMAS_ENV} or pass schemasDir)`);
  }
  const kinds = new Map<string, KindSchema>();

  for (const file of listYamlFiles(dir)) {
    const rel = path.relative(dir, file);
    for (const crd of readCrdDocuments(file)) {
      if (!crd.spec) continue;
      for (const version of crd.spec.versions) {
        // Only served versions: the API server rejects objects of unserved ones (ESO v1beta1).
        if (!version.served || !version.schema?.openAPIV3Schema) continue;
        const apiVersion = `${crd.spec.group}/${version.name}`;
        kinds.set(kindKey(apiVersion, crd.spec.names.kind), {
          source: 'crd', apiVersion, kind: crd.spec.names.kind, file: rel, schema: version.schema.openAPIV3Schema,
        });
      }
    }
  }

  let definitions: Record<string, SchemaNode> = {};
  let definitionsHash = '';
  const defsFile = path.join(dir, DEFINITIONS_RELATIVE);
  if (fs.existsSync(defsFile)) {
    const bytes = fs.readFileSync(defsFile);
    definitionsHash = createHash('sha256').update(bytes).digest('hex');
    definitions = (JSON.parse(bytes.toString('utf8')) as { definitions: Record<string, SchemaNode> }).definitions;
    for (const [name, def] of Object.entries(definitions)) {
      const gvks = def['x-kubernetes-group-version-kind'] as Array<{ group: string; version: string; kind: string }> | undefined;
      // Top-level kinds carry exactly one GVK; DeleteOptions/WatchEvent list dozens and are not objects
      // anyone commits to git, so they are left out rather than registered under every group.
      if (!gvks || gvks.length !== 1) continue;
      const [gvk] = gvks;
      // *List kinds (PodList, …) are read-only responses; the API server does not create them, so a
      // committed manifest of one is an error (unknown kind), and compiling ~60 of them is waste.
      if (gvk.kind.endsWith('List') && (def.properties as Record<string, unknown> | undefined)?.items) continue;
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const key = kindKey(apiVersion, gvk.kind);
      if (!kinds.has(key)) kinds.set(key, { source: 'k8s', apiVersion, kind: gvk.kind, file: DEFINITIONS_RELATIVE, definition: name });
    }
  }
  return { dir, kinds, definitions, definitionsFile: fs.existsSync(defsFile) ? DEFINITIONS_RELATIVE : undefined, definitionsHash };
}
