// `cdk8s synth` end to end with the real CLI, in a scratch project on a fixture fleet: the
// validation plugin trusts what the app validated, still validates a document changed by hand
// after the app ran, and the CLI's output stays a few lines whatever the size of the fleet.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_FLEET } from '../support/fleet';

const root = join(__dirname, '..', '..');
const schemas = process.env.DBFLEET_SCHEMAS ?? join(root, 'imports', 'schemas');
let project: string;

/** `cdk8s synth`, or `npm run synth`'s command (lib/cli/cdk8s-synth.cjs: the CLI's synth without its other commands). */
function synth(args: string[] = [], via: 'cdk8s' | 'npm run synth' = 'cdk8s'): { status: number | null; output: string } {
  const [command, ...prefix] =
    via === 'cdk8s'
      ? [join(project, 'node_modules', '.bin', 'cdk8s'), 'synth']
      : [process.execPath, join(project, 'lib', 'cli', 'cdk8s-synth.cjs')];
  const result = spawnSync(command, [...prefix, ...args], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', DBFLEET_SCHEMAS: schemas, DBFLEET_VALIDATION_RECORDS: join(project, 'records') },
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The repository's cdk8s.yaml with another app command. */
function useApp(command: string): void {
  const config = readFileSync(join(root, 'cdk8s.yaml'), 'utf8').replace(/^app: .*$/m, `app: ${command}`);
  writeFileSync(join(project, 'cdk8s.yaml'), config);
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'dbfleet-plugin-'));
  for (const entry of ['main.ts', 'lib', 'imports', 'scripts', 'node_modules', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    symlinkSync(join(root, entry), join(project, entry));
  }
  writeFileSync(join(project, 'fleet.yaml'), BASE_FLEET);
  // Runs after the app, before the CLI's validation: a hand edit of one document.
  writeFileSync(
    join(project, 'edit.cjs'),
    `const fs = require('node:fs');
const file = '.cdk8s.out/production.yaml';
fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^  instances: 5$/m, '  instances: 0'));
`,
  );
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('cdk8s synth with the validation plugin', () => {
  it('trusts what the app validated and lists one file per environment, not one per object', () => {
    useApp('node scripts/bundle-cache.cjs main.ts');
    const result = synth();
    expect(result.status, result.output).toBe(0);
    // Every file under each environment's folder, its services/ sub-folder included.
    const files = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
    const objects = files(join(project, 'dist', 'production')) + files(join(project, 'dist', 'test'));
    expect(result.output).toContain('  - .cdk8s.out/production.yaml\n  - .cdk8s.out/test.yaml\n');
    expect(result.output).not.toContain('cluster-orders.yaml\n');
    expect(result.output).toMatch(new RegExp(`dbfleet: trusted ${objects} objects in 2 file\\(s\\)`));
    expect(result.output).toContain(`dbfleet: OK: ${objects} objects: ${objects} trusted, 0 validated here, 0 errors`);
  });

  it('a document changed by hand after the app validated it is validated and fails the synth', () => {
    useApp('node scripts/bundle-cache.cjs main.ts && node edit.cjs');
    const result = synth();
    expect(result.status, result.output).toBe(2);
    expect(result.output).toMatch(
      /dbfleet: validating 1 document\(s\) here:\n {2}\.cdk8s\.out\/production\.yaml#\d+ \(dist\/production\/cluster-orders\.yaml\): changed since the app validated it/,
    );
    expect(result.output).toContain('Cluster/orders: spec.instances: must be >= 1');
    expect(result.output).toMatch(/dbfleet: FAILED: (\d+) objects: \d+ trusted, 1 validated here, 1 error/);
  });

  it('--output DIR keeps the dist/ layout, and the plugin trusts it too', () => {
    useApp('node scripts/bundle-cache.cjs main.ts');
    const result = synth(['--output', 'rendered']);
    expect(result.status, result.output).toBe(0);
    expect(readdirSync(join(project, 'rendered', 'production'))).toContain('cluster-orders.yaml');
    expect(result.output).toMatch(/dbfleet: OK: (\d+) objects: \1 trusted, 0 validated here, 0 errors/);
  });

  it('`npm run synth` runs the same synth command: same files, same plugin report, same failure', () => {
    useApp('node scripts/bundle-cache.cjs main.ts');
    const viaNpm = synth(['--output', 'rendered-npm'], 'npm run synth');
    expect(viaNpm.status, viaNpm.output).toBe(0);
    const files = (dir: string) =>
      readdirSync(join(project, dir), { recursive: true, encoding: 'utf8' })
        .sort()
        .map((f) => [
          f,
          existsSync(join(project, dir, f)) && statSync(join(project, dir, f)).isFile() ? readFileSync(join(project, dir, f), 'utf8') : '',
        ]);
    expect(files('rendered-npm')).toEqual(files('rendered'));
    expect(viaNpm.output).toMatch(/dbfleet: OK: (\d+) objects: \1 trusted, 0 validated here, 0 errors/);
    useApp('node scripts/bundle-cache.cjs main.ts && node edit.cjs');
    const failed = synth([], 'npm run synth');
    expect(failed.status, failed.output).toBe(2);
    expect(failed.output).toContain('Cluster/orders: spec.instances: must be >= 1');
  });
});
