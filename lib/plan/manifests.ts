// The two sides of a plan: dist/ as committed at a git revision, and what the sources render now.
import { execFileSync } from 'node:child_process';
import { loadFleet } from '../config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../output/render';
import { loadKubernetesYaml, yamlErrorMessage } from '../validate/kubernetes-yaml';

/** dist/-relative path → object. */
export type Manifests = Map<string, KubernetesObject>;

/** Renders the fleet in memory; nothing is written. */
export function renderManifests(configFile: string): Manifests {
  return new Map(renderObjects(buildApp(loadFleet(configFile))).map((o) => [o.path, o.object]));
}

/**
 * dist/ as it is in git at `revision` (a missing dist/ there is an empty side: the first plan
 * shows everything as added). Reads all files through one `git cat-file --batch`, by blob id:
 * asking for `<revision>:<path>` made git look each path up in the tree again, a scan of the
 * 6,500-entry folder per file (27 s for 13,000 files, against 0.2 s by id).
 */
export function readManifestsAt(revision: string, distDir: string, cwd: string): Manifests {
  const git = (args: string[], input?: string) =>
    execFileSync('git', args, { cwd, input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    git(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`]);
  } catch {
    throw new Error(`git revision "${revision}" does not exist here`);
  }
  const prefix = `${distDir.replace(/\/$/, '')}/`;
  // `<mode> blob <id>\t<path>` per file.
  const entries = git(['ls-tree', '-r', '-z', '--full-name', revision, '--', prefix])
    .toString('utf8')
    .split('\0')
    .map((line) => /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[2].endsWith('.yaml'));
  const paths = entries.map((m) => m[2]);
  const manifests: Manifests = new Map();
  if (paths.length === 0) return manifests;
  const output = git(['cat-file', '--batch'], entries.map((m) => m[1]).join('\n') + '\n');
  let offset = 0;
  for (const path of paths) {
    const headerEnd = output.indexOf(0x0a, offset);
    const size = Number(output.subarray(offset, headerEnd).toString('utf8').split(' ')[2]);
    const text = output.subarray(headerEnd + 1, headerEnd + 1 + size).toString('utf8');
    offset = headerEnd + 1 + size + 1;
    // As Kubernetes reads it (YAML 1.1 scalars), with js-yaml: 8× faster than the yaml package.
    let objects: KubernetesObject[];
    try {
      objects = (loadKubernetesYaml(text) as KubernetesObject[]).filter(Boolean);
    } catch (error) {
      throw new Error(`${revision}:${path}: ${yamlErrorMessage(error)}`);
    }
    objects.forEach((object, i) =>
      manifests.set(objects.length > 1 ? `${path.slice(prefix.length)}#${i}` : path.slice(prefix.length), object),
    );
  }
  return manifests;
}
