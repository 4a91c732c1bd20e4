// Tests survive an adopter's fleet: copy the repository, replace fleet.yaml with a different valid
// fleet (other names, three environments, every topology, Argo CD on named clusters:
// test/fixtures/fleets/adopter.yaml), re-render with `npx cdk8s synth`, and run the
// fleet-independent suite (test/fleet-independent.ts) there: it must pass.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_INDEPENDENT_TESTS } from '../fleet-independent';

const root = join(__dirname, '..', '..');
const ADOPTER = join(root, 'test', 'fixtures', 'fleets', 'adopter.yaml');
let copy: string;

/** The environment of a child process: none of this run's vitest, dbfleet or CDK8S settings. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(VITEST|DBFLEET_(CONFIG|DIST|SCHEMAS)|CDK8S_OUTDIR|NODE_OPTIONS)/.test(k)),
  );
  return { ...env, CDK8S_CHECK_UPGRADE: 'false', ...extra };
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'dbfleet-adopter-'));
  // Everything but what is installed, generated or version control; node_modules is shared.
  for (const entry of readdirSync(root)) {
    if (['node_modules', '.git', 'dist', 'build', '.cdk8s.out', 'services', 'fleet.yaml', '.scratch'].includes(entry)) continue;
    cpSync(join(root, entry), join(copy, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  cpSync(ADOPTER, join(copy, 'fleet.yaml'));
}, 120_000);

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe("the repository with another team's fleet.yaml", () => {
  it('renders with npx cdk8s synth: other environments, clusters and names than the example', () => {
    const result = spawnSync(join(copy, 'node_modules', '.bin', 'cdk8s'), ['synth'], {
      cwd: copy,
      encoding: 'utf8',
      env: cleanEnv(),
      timeout: 300_000,
    });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(readdirSync(join(copy, 'dist')).sort()).toEqual(['argocd', 'dev', 'prod', 'staging']);
    expect(existsSync(join(copy, 'dist', 'prod', 'cluster-ledger.yaml'))).toBe(true);
    expect(existsSync(join(copy, 'dist', 'staging', 'cluster-staging-pg.yaml'))).toBe(true);
    expect(existsSync(join(copy, 'dist', 'production')), 'nothing of the example fleet').toBe(false);
  }, 300_000);

  it('passes the fleet-independent suite', () => {
    expect(FLEET_INDEPENDENT_TESTS.length).toBeGreaterThan(0);
    for (const file of FLEET_INDEPENDENT_TESTS) expect(existsSync(join(root, file)), file).toBe(true);
    const result = spawnSync(join(copy, 'node_modules', '.bin', 'vitest'), ['run', '--root', copy, ...FLEET_INDEPENDENT_TESTS], {
      cwd: copy,
      encoding: 'utf8',
      env: cleanEnv(),
      timeout: 600_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status, output).toBe(0);
    const files = /Test Files\s+\S*?(\d+) passed/.exec(stripVTControlCharacters(output));
    expect(Number(files?.[1]), output).toBe(FLEET_INDEPENDENT_TESTS.length);
  }, 600_000);
});
