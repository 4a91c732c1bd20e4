// Generates imports/schemas/: the compact schemas dbfleet ships and validates with at run time,
// from the upstream CRDs and Kubernetes definitions in ../shared/crds (or $DBFLEET_SCHEMAS).
// Part of `npm run import`; `node scripts/compact-schemas.mjs [outdir]` writes elsewhere (the
// freshness test compares that with the committed folder).
//
// Compact = what the validator reads and nothing else: for every CRD file, its group, kind, scope
// and each version's name, served flag and openAPIV3Schema without `description` keywords; for the
// Kubernetes definitions, the top-level kinds the validator registers and every definition they
// reach through $ref, without descriptions. Every input's git blob id is checked against
// SOURCES.md, and the provenance (upstream repository, path, tag, commit, blob) and the upstream
// licenses are carried into the output.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const input = resolve(process.env.DBFLEET_SCHEMAS ?? join(root, '..', 'shared', 'crds'));
const outdir = resolve(process.argv[2] ?? join(root, 'imports', 'schemas'));
export const DEFINITIONS = 'k8s-1.28/_definitions.json';

/** Drops `description` keywords from a schema, never properties named so (same walk as the validator's). */
function stripDescriptions(node) {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return node;
  if (typeof node.description === 'string') delete node.description;
  if (node.properties && typeof node.properties === 'object') for (const child of Object.values(node.properties)) stripDescriptions(child);
  for (const key of ['items', 'additionalProperties', 'not']) stripDescriptions(node[key]);
  for (const key of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(node[key])) node[key].forEach(stripDescriptions);
  return node;
}

const gitBlobId = (bytes) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

/** The table of SOURCES.md: local file → provenance. */
function readSources() {
  const rows = new Map();
  for (const line of readFileSync(join(input, 'SOURCES.md'), 'utf8').split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length !== 7 || !/\.(ya?ml|json)$/.test(cells[0])) continue;
    const [file, repo, path, tag, blob, bytes, license] = cells;
    const commit = /\(([0-9a-f]{40})\)/.exec(tag)?.[1] ?? /@ ([0-9a-f]{40})/.exec(tag)?.[1];
    rows.set(file, {
      repo,
      path: path.replace(/ \(.*\)$/, ''),
      tag: tag.replace(/ \(.*$/, '').replace(/ @ .*$/, ''),
      commit,
      blob,
      bytes: Number(bytes),
      license: license.replace(/\*/g, '').replace(/ \(.*\)$/, ''),
    });
  }
  return rows;
}

function listFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

/** The Kubernetes kinds the validator registers (schema-source.ts) and the $ref closure of them. */
function compactDefinitions(definitions) {
  const keep = new Set();
  const visit = (name) => {
    if (keep.has(name) || !definitions[name]) return;
    keep.add(name);
    JSON.stringify(definitions[name], (key, value) => {
      if (key === '$ref' && typeof value === 'string') visit(value.replace(/^#\/definitions\//, ''));
      return value;
    });
  };
  for (const [name, def] of Object.entries(definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'];
    if (!gvks || gvks.length !== 1) continue;
    if (gvks[0].kind.endsWith('List') && def.properties?.items) continue;
    visit(name);
  }
  return Object.fromEntries(
    Object.keys(definitions)
      .filter((n) => keep.has(n))
      .map((n) => [n, stripDescriptions(structuredClone(definitions[n]))]),
  );
}

function licenseOf(file) {
  const project = file.split('/')[0] === 'k8s-1.28' ? 'cdk8s' : file.split('/')[0];
  return `licenses/${project}.LICENSE`;
}

export function generate() {
  const sources = readSources();
  const files = listFiles(input).map((f) => relative(input, f).split('\\').join('/'));
  const inputs = files.filter((f) => /\.ya?ml$/.test(f) || f === DEFINITIONS);
  const written = new Map();
  const index = [];
  for (const file of inputs) {
    const bytes = readFileSync(join(input, file));
    const source = sources.get(file);
    if (!source) throw new Error(`${file}: not listed in ${join(input, 'SOURCES.md')}`);
    if (gitBlobId(bytes) !== source.blob)
      throw new Error(`${file}: git blob ${gitBlobId(bytes)} is not the ${source.blob} SOURCES.md records`);
    let out;
    let kinds;
    if (file === DEFINITIONS) {
      const { definitions } = JSON.parse(bytes.toString('utf8'));
      out = { definitions: compactDefinitions(definitions) };
      kinds = Object.values(out.definitions).filter((d) => d['x-kubernetes-group-version-kind']?.length === 1).length;
    } else {
      const crds = YAML.parseAllDocuments(bytes.toString('utf8'), { uniqueKeys: false })
        .map((d) => d.toJS())
        .filter((d) => d && d.kind === 'CustomResourceDefinition');
      if (crds.length !== 1) throw new Error(`${file}: expected one CustomResourceDefinition, found ${crds.length}`);
      const [crd] = crds;
      out = {
        apiVersion: crd.apiVersion,
        kind: crd.kind,
        spec: {
          group: crd.spec.group,
          names: { kind: crd.spec.names.kind, plural: crd.spec.names.plural },
          scope: crd.spec.scope,
          versions: crd.spec.versions.map((v) => ({
            name: v.name,
            served: v.served,
            storage: v.storage,
            schema: { openAPIV3Schema: stripDescriptions(v.schema?.openAPIV3Schema) },
          })),
        },
      };
      kinds = crd.spec.versions.filter((v) => v.served).map((v) => `${crd.spec.group}/${v.name}/${crd.spec.names.kind}`);
    }
    const name = file === DEFINITIONS ? file : file.replace(/\.ya?ml$/, '.json');
    const text = `${JSON.stringify(out)}\n`;
    written.set(name, text);
    index.push({
      file: name,
      kinds,
      sha256: createHash('sha256').update(text).digest('hex'),
      upstream: {
        file,
        repository: source.repo,
        path: source.path,
        tag: source.tag,
        commit: source.commit,
        blob: source.blob,
        bytes: source.bytes,
      },
      license: source.license,
      licenseFile: licenseOf(file),
    });
  }
  const licenses = files.filter((f) => f.startsWith('licenses/'));
  for (const entry of index) if (!licenses.includes(entry.licenseFile)) throw new Error(`${entry.upstream.file}: no ${entry.licenseFile}`);
  written.set(
    'SOURCES.json',
    `${JSON.stringify(
      {
        generatedBy: 'npm run import (scripts/compact-schemas.mjs) from the files of SOURCES.md; descriptions stripped; do not edit',
        files: index,
      },
      null,
      2,
    )}\n`,
  );
  return { written, licenses };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { written, licenses } = generate();
  rmSync(outdir, { recursive: true, force: true });
  for (const [name, text] of written) {
    mkdirSync(dirname(join(outdir, name)), { recursive: true });
    writeFileSync(join(outdir, name), text);
  }
  for (const license of licenses) {
    mkdirSync(dirname(join(outdir, license)), { recursive: true });
    copyFileSync(join(input, license), join(outdir, license));
  }
  const bytes = [...written.values()].reduce((n, t) => n + Buffer.byteLength(t), 0);
  process.stderr.write(
    `compact schemas: ${written.size - 1} files, ${(bytes / 1e6).toFixed(2)} MB, in ${relative(process.cwd(), outdir) || '.'}\n`,
  );
}
