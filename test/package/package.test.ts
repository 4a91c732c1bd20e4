// The adoption path, end to end: `npm pack`, `dbfleet init` a fleet repository in a temporary
// folder, `npm install` the tarball there, and `npx cdk8s synth` renders and validates the
// starter fleet with nothing from this repository or ../shared; `npx dbfleet plan` runs.
// Needs the npm registry or the local npm cache (--prefer-offline).
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const MAX_TARBALL_BYTES = 5 * 1024 * 1024;
let work: string;
let tarball: string;
let repo: string;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const clean = { ...process.env, ...env };
  // Nothing may come from this repository's environment: no schema folder, no config override.
  for (const name of ['DBFLEET_SCHEMAS', 'DBFLEET_CONFIG', 'DBFLEET_DIST', 'CDK8S_OUTDIR']) if (!(name in env)) delete clean[name];
  return spawnSync(command, args, { cwd, env: clean, encoding: 'utf8', timeout: 300_000 });
}

function ok(result: SpawnSyncReturns<string>): string {
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dbfleet-package-'));
  // What `npm pack`'s prepack does, without rebuilding build/ops/ under the end-to-end tests
  // that may be running it (they build it once the same way).
  ok(run(process.execPath, [join(root, 'scripts', 'build-package.mjs')], root));
  if (!existsSync(join(root, 'build', 'ops', 'mongo-snapshot.cjs')))
    ok(run(process.execPath, [join(root, 'scripts', 'build-ops.mjs')], root));
  ok(run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], root));
  tarball = join(
    work,
    readdirSync(work).find((f) => f.endsWith('.tgz'))!,
  );
  repo = join(work, 'acme-databases');
  ok(run(process.execPath, [join(root, 'lib', 'cli', 'bin.cjs'), 'init', repo, '--dbfleet', `file:${tarball}`], work));
  ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], repo));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
}, 900_000);

describe('the dbfleet package, adopted by a new fleet repository', () => {
  it(`packs into a tarball of at most ${MAX_TARBALL_BYTES / 1024 / 1024} MB with compiled code, declarations and schemas`, () => {
    expect(statSync(tarball).size).toBeLessThanOrEqual(MAX_TARBALL_BYTES);
    const installed = join(repo, 'node_modules', 'dbfleet');
    for (const file of [
      'build/index.cjs',
      'build/validate.cjs',
      'build/types/lib/index.d.ts',
      'lib/cli/bin.cjs',
      'lib/validate/cdk8s-plugin.cjs',
      'lib/config/fleet.schema.json',
      'imports/schemas/SOURCES.json',
      'imports/schemas/licenses/cloudnative-pg.LICENSE',
    ]) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    expect(existsSync(join(installed, 'scripts')), 'no build scripts in the package').toBe(false);
  });

  it('the starter references the JSON Schema the package ships', () => {
    const line = readFileSync(join(repo, 'fleet.yaml'), 'utf8').split('\n')[0];
    expect(line).toBe('# yaml-language-server: $schema=node_modules/dbfleet/lib/config/fleet.schema.json');
    expect(existsSync(join(repo, 'node_modules/dbfleet/lib/config/fleet.schema.json'))).toBe(true);
    const service = readFileSync(join(repo, 'services', 'payments.yaml'), 'utf8').split('\n')[0];
    expect(existsSync(join(repo, 'services', service.replace('# yaml-language-server: $schema=', '')))).toBe(true);
  });

  it('`npx cdk8s synth` renders and validates the starter fleet (split into fleet.yaml + services/), with no ../shared anywhere', () => {
    expect(existsSync(join(repo, '..', 'shared'))).toBe(false);
    const result = run('npx', ['cdk8s', 'synth'], repo);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(output).toMatch(/dbfleet: \d+ objects rendered into dist\//);
    expect(output).toContain('Validations ended succesfully'); // cdk8s-cli's spelling
    const files = filesUnder(join(repo, 'dist'))
      .map((f) => f.slice(join(repo, 'dist').length + 1))
      .sort();
    expect(files).toEqual(
      expect.arrayContaining(['production/cluster-orders.yaml', 'production/cluster-payments.yaml', 'test/database-payments.yaml']),
    );
    // The package's validator, run over what synth wrote: everything has a schema, nothing is invalid.
    const validated = ok(run('npx', ['dbfleet', 'validate', 'dist'], repo));
    expect(validated).toMatch(/^OK: \d+ objects/m);
    expect(validated).toContain('Not validated (no schema): 0 objects');
  });

  it('`npx dbfleet plan` compares with the committed dist/ and names a change in a service file', () => {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
    git('add', '-A');
    git('commit', '-qm', 'first render');
    expect(ok(run('npx', ['dbfleet', 'plan'], repo))).toContain('no changes');
    const service = join(repo, 'services', 'payments.yaml');
    writeFileSync(service, readFileSync(service, 'utf8').replace('storage: 100Gi', 'storage: 150Gi'));
    const changed = ok(run('npx', ['dbfleet', 'plan'], repo));
    expect(changed).toContain('~ Cluster databases/payments  (production/cluster-payments.yaml)');
  });

  it('the repository type-checks against the shipped declarations, and every subcommand has --help', () => {
    ok(run('npx', ['tsc', '--noEmit'], repo));
    for (const command of ['init', 'plan', 'validate', 'schema', 'secrets']) {
      expect(ok(run('npx', ['dbfleet', command, '--help'], repo)), command).toMatch(/^Usage: dbfleet /m);
    }
    expect(ok(run('npx', ['dbfleet', 'secrets'], repo))).toContain('databases/production/services/payments → password');
  });
});
