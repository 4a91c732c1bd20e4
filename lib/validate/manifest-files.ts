// Reading manifests from disk: every YAML file under a folder, every document in a file. Parse
// errors are returned, not thrown, so one broken file does not hide the errors in the others.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

export interface ManifestDocument {
  readonly index: number;
  readonly value: unknown;
}

export interface ManifestFile {
  readonly file: string;
  readonly documents: ManifestDocument[];
  readonly parseErrors: Array<{ index: number; message: string }>;
  /** Non-empty documents plus unparseable ones: above 1, issues carry a document index. */
  readonly documentCount: number;
}

/** YAML files below `dir`, sorted, following the order a reviewer would read them in. */
export function listManifestFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) out.push(full);
    }
  };
  walk(dir);
  return out;
}

export function parseManifestText(file: string, text: string): ManifestFile {
  const documents: ManifestDocument[] = [];
  const parseErrors: Array<{ index: number; message: string }> = [];
  YAML.parseAllDocuments(text).forEach((doc, index) => {
    if (doc.errors.length) {
      parseErrors.push({ index, message: `YAML parse error: ${doc.errors[0].message.split('\n')[0]}` });
      return;
    }
    const value = doc.toJS({ maxAliasCount: 100 });
    // An empty document (a stray `---`) is not an object to validate.
    if (value === null || value === undefined) return;
    documents.push({ index, value });
  });
  return { file, documents, parseErrors, documentCount: documents.length + parseErrors.length };
}

export function readManifestFile(file: string): ManifestFile {
  return parseManifestText(file, fs.readFileSync(file, 'utf8'));
}
