// Finds and reads the schemas the clusters enforce: every served version of every CRD under the
// schema folder, plus the Kubernetes 1.28 built-in definitions. Nothing here compiles anything;
// it only answers "which schema belongs to apiVersion X, kind Y, and where did it come from".
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

export function loadSchemaSet(schemasDir?: string): SchemaSet {
  const dir = resolveSchemasDir(schemasDir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`schema folder not found: ${dir} (set ${SCHEMAS_ENV} or pass schemasDir)`);
  }
  const kinds = new Map<string, KindSchema>();

  for (const file of listYamlFiles(dir)) {
    const rel = path.relative(dir, file);
    // uniqueKeys:false: these are generated files; the duplicate-key check costs a third of the parse time.
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { uniqueKeys: false, keepSourceTokens: false })) {
      const crd = doc.toJS() as {
        kind?: string;
        spec?: { group: string; names: { kind: string }; versions: Array<{ name: string; served: boolean; schema?: { openAPIV3Schema?: SchemaNode } }> };
      } | null;
      if (!crd || crd.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
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
  const defsFile = path.join(dir, DEFINITIONS_RELATIVE);
  if (fs.existsSync(defsFile)) {
    definitions = (JSON.parse(fs.readFileSync(defsFile, 'utf8')) as { definitions: Record<string, SchemaNode> }).definitions;
    for (const [name, def] of Object.entries(definitions)) {
      const gvks = def['x-kubernetes-group-version-kind'] as Array<{ group: string; version: string; kind: string }> | undefined;
      // Top-level kinds carry exactly one GVK; DeleteOptions/WatchEvent list dozens and are not objects
      // anyone commits to git, so they are left out rather than registered under every group.
      if (!gvks || gvks.length !== 1) continue;
      const [gvk] = gvks;
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const key = kindKey(apiVersion, gvk.kind);
      if (!kinds.has(key)) kinds.set(key, { source: 'k8s', apiVersion, kind: gvk.kind, file: DEFINITIONS_RELATIVE, definition: name });
    }
  }
  return { dir, kinds, definitions, definitionsFile: fs.existsSync(defsFile) ? DEFINITIONS_RELATIVE : undefined };
}
