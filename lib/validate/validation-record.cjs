// What the app validated, so that the cdk8s validation plugin does not validate it again.
//
// `npx cdk8s synth` validates twice: the app checks every object in memory before it publishes
// dist/ (main.ts), then the CLI's validation plugin checks the files the app wrote. The second
// check found nothing new unless a file changed in between. So the app records, per file it wrote,
// the SHA-256 of its bytes and of each of its documents, under the identity of the validator that
// passed them (its source code, the dependency lockfile, every schema file, the plugin settings).
// The plugin re-hashes every file (cheap) and validates only documents whose bytes are not in the
// record, or everything when the record is missing or was made by another validator or schema set.
// A record can only say "these exact bytes passed this exact validator", which stays true, so a
// stale or foreign record can make the plugin validate more, never trust a changed file.
//
// Plain CommonJS: the plugin uses it before (and, when everything is trusted, instead of) loading
// the validator bundle; the app's bundle includes it. Types: validation-record.d.cts.
'use strict';

const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const FORMAT = 'dbfleet-validation-record/1';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/**
 * The text of each document of a YAML stream, split where a line starts a new document (`---`).
 * A document marker at the start of a line always ends the document before it (YAML 1.2 §9.1.3,
 * c-forbidden), so each part parses alone exactly as within the stream — except after a directive
 * (`%YAML`, `%TAG`), which applies to the next document: with one, the stream is one part.
 * @param {string} text
 * @returns {string[]}
 */
function splitYamlDocuments(text) {
  if (/^%/m.test(text)) return [text];
  const parts = [];
  let start = 0;
  const marker = /^---(?=[ \t\r\n]|$)/gm;
  for (let match = marker.exec(text); match; match = marker.exec(text)) {
    if (match.index > start) parts.push(text.slice(start, match.index));
    start = match.index;
  }
  parts.push(text.slice(start));
  return parts;
}

/** Files outside lib/validate that the admission rules read (lib/validate/admission/cnpg-pooler.ts). */
const ADMISSION_SHARED_SOURCES = ['../config/pgbouncer-parameters.ts'];

/** Every file below dir, sorted, as [relative path, absolute path]. */
function filesBelow(dir) {
  const out = [];
  const walk = (relative) => {
    const absolute = path.join(dir, relative);
    for (const entry of fs
      .readdirSync(absolute, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push([child, path.join(dir, child)]);
    }
  };
  walk('');
  return out;
}

/**
 * The validator's identity: a hash of everything that decides whether an object passes — the
 * validator's source (every lib/validate/*.ts, the admission rules below lib/validate/admission/), the lockfile (ajv, the CEL library, js-yaml),
 * every file of the schema folder, and the settings (unvalidatedKinds). Undefined when any of it
 * cannot be read (e.g. an installed package without sources): then nothing is ever trusted.
 * @param {{ validateDir: string; schemasDir: string; unvalidatedKinds?: readonly string[] }} options
 * @returns {string | undefined}
 */
function validatorIdentity({ validateDir, schemasDir, unvalidatedKinds = [] }) {
  try {
    const hash = createHash('sha256').update(FORMAT).update('\0');
    const sources = fs
      .readdirSync(validateDir)
      .filter((f) => f.endsWith('.ts') || f.endsWith('.cjs'))
      .sort();
    if (!sources.some((f) => f.endsWith('.ts'))) return undefined;
    for (const file of sources)
      hash
        .update(`source ${file}\0`)
        .update(fs.readFileSync(path.join(validateDir, file)))
        .update('\0');
    // The admission rules (lib/validate/admission/) and the config list they share decide too.
    const admissionDir = path.join(validateDir, 'admission');
    if (fs.existsSync(admissionDir))
      for (const [relative, absolute] of filesBelow(admissionDir))
        hash.update(`source admission/${relative}\0`).update(fs.readFileSync(absolute)).update('\0');
    for (const shared of ADMISSION_SHARED_SOURCES) {
      const file = path.join(validateDir, shared);
      if (fs.existsSync(file)) hash.update(`source ${shared}\0`).update(fs.readFileSync(file)).update('\0');
    }
    // In the installed dbfleet package there is no lockfile (npm never packs one): its
    // package.json (version, dependency pins) and the bundle stand in for it.
    const packageRoot = path.join(validateDir, '..', '..');
    const lockfile = path.join(packageRoot, 'package-lock.json');
    if (fs.existsSync(lockfile)) hash.update('lockfile\0').update(fs.readFileSync(lockfile)).update('\0');
    else
      for (const file of ['package.json', 'build/validate.cjs'])
        hash
          .update(`package ${file}\0`)
          .update(fs.readFileSync(path.join(packageRoot, file)))
          .update('\0');
    for (const [relative, absolute] of filesBelow(schemasDir))
      hash.update(`schema ${relative}\0`).update(fs.readFileSync(absolute)).update('\0');
    hash.update(
      `unvalidated ${[...unvalidatedKinds]
        .map((k) => k.trim())
        .sort()
        .join(',')}\0`,
    );
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}

/** Where the record of an output folder lives: beside the other caches, never in the output. */
function recordFile(cacheDir, outdir) {
  return path.join(cacheDir, `${sha256(path.resolve(outdir)).slice(0, 24)}.json`);
}

/** node_modules/.cache/dbfleet-validated of the checkout holding lib/validate. */
function defaultCacheDir(validateDir) {
  return path.join(validateDir, '..', '..', 'node_modules', '.cache', 'dbfleet-validated');
}

/**
 * Records what the app validated in `outdir`: every file (path relative to outdir → its text)
 * and, for documents the validator accepted without a schema, their NOT VALIDATED line (keyed by
 * the document's text) so that the plugin can still list them. Never throws: without a record
 * the plugin validates everything.
 * @param {{ cacheDir: string; outdir: string; identity: string; files: ReadonlyMap<string, string>; notValidated?: ReadonlyMap<string, string> }} options
 * @returns {string | undefined} the record file
 */
function writeValidationRecord({ cacheDir, outdir, identity, files, notValidated = new Map() }) {
  const record = { format: FORMAT, validator: identity, outdir: path.resolve(outdir), files: {}, notValidated: {} };
  for (const [relative, text] of files) {
    const documents = splitYamlDocuments(text).map((part) => {
      const digest = sha256(part);
      const line = notValidated.get(part);
      if (line !== undefined) record.notValidated[digest] = line;
      return digest;
    });
    record.files[relative.split(path.sep).join('/')] = { sha256: sha256(text), documents };
  }
  const file = recordFile(cacheDir, outdir);
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, JSON.stringify(record));
    fs.renameSync(partial, file);
    return file;
  } catch {
    return undefined;
  }
}

/** The record of the folder holding these manifests: their common folder or one above it. */
function findRecord(cacheDir, manifests) {
  if (manifests.length === 0) return undefined;
  let dir = path.dirname(path.resolve(manifests[0]));
  for (const m of manifests) {
    const absolute = path.resolve(m);
    while (!absolute.startsWith(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  }
  for (;;) {
    const file = recordFile(cacheDir, dir);
    if (fs.existsSync(file)) {
      try {
        const record = JSON.parse(fs.readFileSync(file, 'utf8'));
        if (record && record.format === FORMAT && record.outdir === dir) return { file, dir, record };
      } catch {
        // unreadable: as if there were none
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Which parts of the manifests the app already validated. Every file is read and hashed; a file
 * whose bytes are the recorded ones is trusted whole, otherwise each of its documents is trusted
 * only when its bytes are a recorded document's. Everything else is returned to validate.
 * @param {{ cacheDir: string; identity: string | undefined; manifests: readonly string[] }} options
 */
function partitionManifests({ cacheDir, identity, manifests }) {
  const found = identity === undefined ? undefined : findRecord(cacheDir, manifests);
  let why;
  if (identity === undefined) why = "the validator's sources or schemas could not be read";
  else if (!found) why = 'the app left no record of what it validated';
  else if (found.record.validator !== identity) why = 'the record was made by another validator or schema set';
  const record = why === undefined ? found.record : undefined;
  const recordedDocuments = new Set();
  if (record) for (const entry of Object.values(record.files)) for (const digest of entry.documents) recordedDocuments.add(digest);

  const trusted = [];
  const toValidate = [];
  for (const manifest of manifests) {
    const bytes = fs.readFileSync(manifest);
    const relative = record ? path.relative(found.dir, path.resolve(manifest)).split(path.sep).join('/') : undefined;
    const entry = record ? record.files[relative] : undefined;
    if (entry && entry.sha256 === sha256(bytes)) {
      for (const digest of entry.documents) trusted.push({ manifest, digest, notValidated: record.notValidated[digest] });
      continue;
    }
    // Document by document (each part parses alone as within the file): a file that changed in
    // one place costs one document, and issues name the document.
    const parts = splitYamlDocuments(bytes.toString('utf8'));
    parts.forEach((part, index) => {
      const digest = sha256(part);
      if (record && recordedDocuments.has(digest)) trusted.push({ manifest, digest, notValidated: record.notValidated[digest] });
      else
        toValidate.push({
          manifest,
          text: part,
          documentIndex: parts.length > 1 ? index : undefined,
          reason: why ?? (entry ? 'changed since the app validated it' : 'not written by the app'),
        });
    });
  }
  return { recordFile: found && record ? found.file : undefined, noTrustReason: why, trusted, toValidate };
}

module.exports = {
  splitYamlDocuments,
  validatorIdentity,
  writeValidationRecord,
  partitionManifests,
  defaultCacheDir,
  recordFile,
};
