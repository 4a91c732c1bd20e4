// `dbfleet plan` loads a fleet repository's app in its own process (#32). Attack on that change:
// an app that chains on renderFleet (`.then((code) => process.exit(code))`) or calls it after an
// await made a REFUSED plan exit 0 and rewrote dist/. The plan's exit code is the plan's, and the
// app never writes anything while it is being planned.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects, toYaml } from '../../lib/output/render';

const root = join(__dirname, '..', '..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A committed fleet repository whose app is `main`, then a storage shrink (REFUSED by the webhook). */
function fleetRepo(main: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-plan-app-'));
  dirs.push(dir);
  const fleet = readFileSync(join(root, 'test/fixtures/fleets/example.yaml'), 'utf8');
  writeFileSync(join(dir, 'fleet.yaml'), fleet);
  writeFileSync(join(dir, 'cdk8s.yaml'), 'language: typescript\napp: npx tsx main.ts\noutput: .cdk8s.out\n');
  writeFileSync(join(dir, 'main.ts'), `import { renderFleet } from ${JSON.stringify(join(root, 'lib'))};\n${main}\n`);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  for (const o of renderObjects(buildApp(loadFleet(join(dir, 'fleet.yaml'))))) {
    mkdirSync(dirname(join(dir, 'dist', o.path)), { recursive: true });
    writeFileSync(join(dir, 'dist', o.path), toYaml(o.object));
  }
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'base');
  writeFileSync(join(dir, 'fleet.yaml'), fleet.replace(/storage: 50Gi/, 'storage: 20Gi'));
  return dir;
}

describe('dbfleet plan with the app loaded in its process', () => {
  it.each([
    ['renderFleet().then((code) => process.exit(code));'],
    ['async function main() { await Promise.resolve(); await renderFleet(); }\nvoid main();'],
  ])(
    'a REFUSED change exits 1 and dist/ is untouched, whatever the app does with renderFleet: %s',
    (main) => {
      const dir = fleetRepo(main);
      const run = spawnSync(process.execPath, [join(root, 'lib/cli/bin.cjs'), 'plan'], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
      expect(`${run.stdout}${run.stderr}`).toContain('REFUSED');
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(1);
      expect(execFileSync('git', ['status', '--porcelain', 'dist'], { cwd: dir, encoding: 'utf8' })).toBe('');
    },
    300_000,
  );
});
