// The "after" side of a plan in a fleet repository: what its own cdk8s app renders now. The app
// (cdk8s.yaml `app:`, e.g. main.ts calling renderFleet) may add the repository's own charts, so
// rendering only fleet.yaml would show those objects as removed.
//
// The app is loaded in this process (#32): the plan sets a capture (RENDER_CAPTURE) and loads the
// app's entry; its renderFleet call hands over the render instead of writing files. No child
// process, no scratch folder, no YAML read back: at 1000 services the child process and its
// files were 10 s of a 25 s plan. Loaders: `node <…>/bundle-cache.cjs <entry>` (this repository,
// from its bundle cache), `[npx] tsx <entry>` (a repository made by `dbfleet init`), `node <file.js>`.
// Any other app (or one that does not call renderFleet) is run the way `cdk8s synth --output DIR`
// runs it, into a temporary folder that is read back.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { RENDER_CAPTURE, type RenderCapture } from '../output/render-fleet';
import { parseManifest, renderedFiles, type Manifests, type RenderedFile } from './manifests';

/** The `app:` command of a cdk8s.yaml, or undefined when there is none. */
export function appCommand(cdk8sYaml: string): string | undefined {
  if (!fs.existsSync(cdk8sYaml)) return undefined;
  const config = YAML.parse(fs.readFileSync(cdk8sYaml, 'utf8')) as { app?: unknown } | null;
  return typeof config?.app === 'string' ? config.app : undefined;
}

/** How to load the app's entry in this process, or undefined when only running it will do. */
function inProcessLoader(command: string, cwd: string): { entry: string; load: () => unknown } | undefined {
  const words = command.trim().split(/\s+/);
  const load = createRequire(path.join(cwd, 'cdk8s.yaml'));
  let entry: string | undefined;
  let loader: (() => unknown) | undefined;
  if (words.length === 3 && words[0] === 'node' && path.basename(words[1]) === 'bundle-cache.cjs') {
    const cache = load(path.resolve(cwd, words[1])) as { requireBundledSync?: (entry: string) => unknown };
    const requireBundledSync = cache.requireBundledSync;
    if (typeof requireBundledSync !== 'function') return undefined;
    entry = path.resolve(path.dirname(fs.realpathSync(path.resolve(cwd, words[1]))), '..', words[2]);
    // The cache resolves the entry against its own checkout; a linked scratch project's main.ts is the checkout's.
    if (!fs.existsSync(entry)) entry = path.resolve(cwd, words[2]);
    loader = () => requireBundledSync(words[2]);
  } else if ((words.length === 3 && words[0] === 'npx' && words[1] === 'tsx') || (words.length === 2 && words[0] === 'tsx')) {
    entry = path.resolve(cwd, words[words.length - 1]);
    const file = entry;
    let tsx: { require: (id: string, from: string) => unknown };
    try {
      tsx = load('tsx/cjs/api') as typeof tsx;
    } catch {
      return undefined;
    }
    loader = () => tsx.require(file, path.join(cwd, 'cdk8s.yaml'));
  } else if (words.length === 2 && words[0] === 'node' && /\.c?js$/.test(words[1])) {
    entry = path.resolve(cwd, words[1]);
    const file = entry;
    loader = () => {
      delete load.cache[load.resolve(file)];
      return load(file);
    };
  }
  if (!entry || !loader || !fs.existsSync(entry)) return undefined;
  // Loading an app that does not render through renderFleet would run it for real (cdk8s' own
  // App.synth writes files): only an app that calls renderFleet is loaded here.
  if (!fs.readFileSync(entry, 'utf8').includes('renderFleet')) return undefined;
  return { entry, load: loader };
}

/**
 * What the app renders now, with the text synth writes for each object. In this process when the
 * app can be loaded here; otherwise by running it (see the top of this file).
 */
export function renderWithApp(command: string, cwd: string, configFile: string): RenderedFile[] {
  const loader = inProcessLoader(command, cwd);
  if (loader) {
    const global = globalThis as Record<symbol, RenderCapture | undefined>;
    const capture: RenderCapture = { config: configFile };
    // Left in place for the rest of this process: an app that calls renderFleet only after an
    // await must find it too (and is captured, not run for real: no write into dist/), while the
    // plan, having seen no render during the load, runs the app in a child process instead.
    global[RENDER_CAPTURE] = capture;
    loader.load();
    if (capture.render) return renderedFiles(capture.render());
  }
  return runApp(command, cwd, configFile);
}

/** Runs the app into a temporary folder and reads what it wrote. Throws with the app's output when it fails. */
function runApp(command: string, cwd: string, configFile: string): RenderedFile[] {
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
    const files: RenderedFile[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.yaml')) {
          const rel = path.relative(outdir, full).split(path.sep).join('/');
          const text = fs.readFileSync(full, 'utf8');
          const objects: Manifests = new Map();
          parseManifest(rel, text, rel, objects);
          // A file of several objects is never byte-equal to one dist/ file: compared by content.
          for (const [key, object] of objects) files.push({ path: key, object, text: objects.size === 1 ? text : '' });
        }
      }
    };
    walk(outdir);
    return files;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
