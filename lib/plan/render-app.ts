// The "after" side of a plan in a fleet repository: what its own cdk8s app renders now. The app
// (cdk8s.yaml `app:`, e.g. main.ts calling renderFleet) may add the repository's own charts, so
// rendering only fleet.yaml in-process would show those objects as removed. The app is run the
// way `cdk8s synth --output DIR` runs it: CDK8S_OUTDIR names a temporary folder, dist/ is untouched.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import type { KubernetesObject } from '../output/render';
import type { Manifests } from './manifests';

/** The `app:` command of a cdk8s.yaml, or undefined when there is none. */
export function appCommand(cdk8sYaml: string): string | undefined {
  if (!fs.existsSync(cdk8sYaml)) return undefined;
  const config = YAML.parse(fs.readFileSync(cdk8sYaml, 'utf8')) as { app?: unknown } | null;
  return typeof config?.app === 'string' ? config.app : undefined;
}

/** Runs the app into a temporary folder and reads what it wrote. Throws with the app's output when it fails. */
export function renderManifestsWithApp(command: string, cwd: string, configFile: string): Manifests {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-plan-'));
  try {
    const result = spawnSync(command, {
      cwd,
      shell: true,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: { ...process.env, CDK8S_OUTDIR: outdir, DBFLEET_CONFIG: configFile },
    });
    if (result.status !== 0) {
      const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim();
      throw new Error(output || `the app (${command}) failed with ${result.status ?? result.signal}`);
    }
    const manifests: Manifests = new Map();
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.yaml')) {
          const rel = path.relative(outdir, full).split(path.sep).join('/');
          const objects = YAML.parseAllDocuments(fs.readFileSync(full, 'utf8'))
            .map((d) => d.toJS() as KubernetesObject)
            .filter(Boolean);
          objects.forEach((object, i) => manifests.set(objects.length > 1 ? `${rel}#${i}` : rel, object));
        }
      }
    };
    walk(outdir);
    return manifests;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
