// Reading manifests from disk: every YAML file under a folder, every document in a file, read as
// Kubernetes reads them (kubernetes-yaml.ts: YAML 1.1 scalars, js-yaml's fast loader). Parse
// errors are returned, not thrown, so one broken file does not hide the errors in the others.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadKubernetesYaml, splitYamlDocuments, yamlErrorMessage } from './kubernetes-yaml';

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
  const add = (value: unknown, index: number) => {
    // An empty document (a stray `---`) is not an object to validate.
    if (value !== null && value !== undefined) documents.push({ index, value });
  };
  try {
    loadKubernetesYaml(text).forEach(add);
  } catch {
    // The loader stops at the first error: parse document by document so that the others are
    // still validated and the error names its document.
    let index = 0;
    let line = 0;
    for (const part of splitYamlDocuments(text)) {
      try {
        const values = loadKubernetesYaml(part);
        values.forEach((value, i) => add(value, index + i));
        index += values.length;
      } catch (error) {
        parseErrors.push({ index, message: `YAML parse error: ${yamlErrorMessage(error, line)}` });
        index++;
      }
      line += part.split('\n').length - 1;
    }
  }
  return { file, documents, parseErrors, documentCount: documents.length + parseErrors.length };
}

export function readManifestFile(file: string): ManifestFile {
  return parseManifestText(file, fs.readFileSync(file, 'utf8'));
}
