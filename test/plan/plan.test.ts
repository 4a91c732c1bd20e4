import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, renderObjects, toYaml } from '../../lib/output/render';
import { replaceDirectory } from '../../lib/output/replace-directory';
import { extendFleet } from '../../charts';
import { BASE_FLEET, fleetOf } from '../support/fleet';

const root = join(__dirname, '..', '..');
let repo: string;

/** A GitOps repo whose committed dist/ renders BASE_FLEET. */
beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'dbfleet-plan-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
  writeFileSync(join(repo, 'fleet.yaml'), BASE_FLEET);
  await replaceDirectory(join(repo, 'dist'), new Map(renderObjects(buildApp(fleetOf(BASE_FLEET))).map((o) => [o.path, toYaml(o.object)])));
  git('add', '-A');
  git('commit', '-qm', 'base');
});

/**
 * The whole output of a plan, byte for byte (test/plan/__output__/): the plan's speed-up (#32)
 * keeps it identical, and a change of wording shows up here as a reviewed diff.
 */
async function golden(name: string, result: { stdout: string; stderr: string }): Promise<void> {
  await expect(result.stdout).toMatchFileSnapshot(join('__output__', `${name}.stdout.txt`));
  await expect(result.stderr).toMatchFileSnapshot(join('__output__', `${name}.stderr.txt`));
}

function plan(fleet: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  writeFileSync(join(repo, 'fleet.yaml'), fleet);
  // As `npm run plan` runs it: from the bundle cache, no tsx.
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-cache.cjs'), 'lib/plan/cli.ts', ...args], {
    cwd: repo,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run plan', async () => {
  it('no change: "no changes", exit 0', async () => {
    const result = plan(BASE_FLEET);
    expect(result.stdout).toContain('no changes');
    expect(result.status).toBe(0);
    await golden('no-change', result);
  });

  it('adding a service lists what it adds, nothing dangerous, exit 0', async () => {
    const result = plan(`${BASE_FLEET}  - name: shipping\n`);
    expect(result.stdout).toMatch(/## production: \d+ added, \d+ changed, 0 removed/);
    expect(result.stdout).toContain('+ Cluster databases/shipping  (production/cluster-shipping.yaml)');
    expect(result.stdout).toContain('+ Database databases/shipping  (test/database-shipping.yaml)');
    // The shared Cluster does not change: the new role is an object of its own.
    expect(result.stdout).toContain('+ DatabaseRole databases/shipping  (test/databaserole-shipping.yaml)');
    expect(result.stdout).not.toContain('~ Cluster databases/acme');
    expect(result.stdout).toContain('no dangerous changes');
    expect(result.status).toBe(0);
    await golden('add-service', result);
  });

  it('removing a service is a DANGER, exit 1, unless --allow-destructive', async () => {
    const without = BASE_FLEET.replace('  - name: payments\n    group: commerce\n', '');
    const result = plan(without);
    expect(result.stdout).toContain('- Database databases/payments  (test/database-payments.yaml)');
    expect(result.stdout).toContain('DANGER');
    // The same danger for every removed data-bearing object: one line, counted, then the objects.
    expect(result.stdout).toMatch(
      /! \d+× is removed: Argo CD will not prune it \(Prune=false\), but it is no longer managed and its data is orphaned\n {6}production: [^\n]*Cluster databases\/payments[^\n]*\n {6}test: [^\n]*Database databases\/payments/,
    );
    expect(result.status).toBe(1);
    await golden('remove-service', result);
    const allowed = plan(without, '--allow-destructive');
    expect(allowed.stdout).toContain('DANGER');
    expect(allowed.status).toBe(0);
    await golden('remove-service-allowed', allowed);
  });

  it('renaming a service is reported as a rename that creates an empty database', async () => {
    const result = plan(BASE_FLEET.replace('  - name: payments', '  - name: billing'));
    expect(result.stdout).toMatch(
      /! \d+× is renamed to billing: a rename creates a new, empty Database \(Database databases\/billing\) and leaves the old one unmanaged with its data\n(.*\n)*? {6}test: Database databases\/payments\n/,
    );
    expect(result.status).toBe(1);
    await golden('rename-service', result);
  });

  it('shrinking storage is a DANGER', async () => {
    const result = plan(BASE_FLEET.replace('storage: 200Gi', 'storage: 100Gi'));
    expect(result.stdout).toContain(
      '  ~ Cluster databases/orders  (production/cluster-orders.yaml)\n      spec.storage.size: "200Gi" → "100Gi"',
    );
    expect(result.stdout).toContain('! production: Cluster databases/orders spec.storage.size shrinks from 200Gi to 100Gi');
    expect(result.status).toBe(1);
    await golden('shrink-storage', result);
  });

  it('reducing production instances below 2 is a DANGER', async () => {
    const result = plan(BASE_FLEET.replace('instances: 3', 'instances: 1').replace('storage: 200Gi, instances: 5', 'storage: 200Gi'));
    expect(result.stdout).toContain(
      '! production: Cluster databases/payments instances drop from 3 to 1: no standby is left to fail over to',
    );
    expect(result.status).toBe(1);
    await golden('instances-to-one', result);
  });

  it('widening developer access in production is a DANGER', async () => {
    const result = plan(BASE_FLEET.replace('developerAccess: read-only', 'developerAccess: read-write'));
    expect(result.stdout).toMatch(
      /! \d+× developer access widens from read-only to read-write\n {6}production: [^\n]*Cluster databases\/orders/,
    );
    expect(result.status).toBe(1);
    await golden('developer-access', result);
  });

  it('widening a NetworkPolicy is a DANGER', async () => {
    const result = plan(BASE_FLEET.replace('  - name: payments\n', '  - name: payments\n    namespace: orders\n'));
    expect(result.stdout).toContain(
      '! production: NetworkPolicy databases/payments-ingress now also allows namespaces {"matchLabels":{"kubernetes.io/metadata.name":"orders"}} on TCP 5432',
    );
    expect(result.status).toBe(1);
    await golden('network-policy', result);
  });

  it('--format markdown for a pull-request comment, --format json for tools; an unknown format is a usage error', async () => {
    const change = BASE_FLEET.replace('instances: 3', 'instances: 1').replace('storage: 200Gi, instances: 5', 'storage: 200Gi');
    const md = plan(change, '--format', 'markdown');
    expect(md.stdout).toMatch(/^### dbfleet plan: dist\/ at HEAD → fleet\.yaml now\n\n> \[!CAUTION\]/);
    expect(md.stdout).toContain('| production | `Cluster databases/payments` | instances drop from 3 to 1');
    expect(md.status).toBe(1);
    await golden('markdown', md);
    const json = plan(change, '--format', 'json');
    const parsed = JSON.parse(json.stdout);
    expect(parsed.dangers.map((d: { rule: string }) => d.rule)).toContain('single-instance');
    expect(json.stderr).toContain('The plan has dangerous changes');
    expect(json.status).toBe(1);
    await golden('json', json);
    const bad = plan(BASE_FLEET, '--format', 'yaml');
    expect(bad.stderr).toContain("argument 'yaml' is invalid");
    expect(bad.status).toBe(2);
  });

  it('--base compares with an older revision; a bad one is a usage error', async () => {
    expect(plan(BASE_FLEET, '--base', 'HEAD').stdout).toContain('no changes');
    const bad = plan(BASE_FLEET, '--base', 'no-such-ref');
    expect(bad.stderr).toContain('git revision "no-such-ref" does not exist here');
    expect(bad.status).toBe(2);
    await golden('bad-base', bad);
  });

  it('a fleet that does not render is an error, exit 2', async () => {
    const result = plan(BASE_FLEET.replace('instances: 3', 'instances: 0'));
    expect(result.stderr).toMatch(/fleet\.yaml:\d+: environments\.production\.instances: must be >= 1/);
    expect(result.status).toBe(2);
    await golden('invalid-fleet', result);
  });
});

describe('npm run plan in a fleet repository with its own app (cdk8s.yaml)', () => {
  let appRepo: string;
  const run = (fleet: string) => {
    writeFileSync(join(appRepo, 'fleet.yaml'), fleet);
    const result = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-cache.cjs'), 'lib/plan/cli.ts'], {
      cwd: appRepo,
      encoding: 'utf8',
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  /** dist/ as this repository's app renders it: dbfleet's charts plus its own (charts/, the connection catalog). */
  beforeAll(async () => {
    appRepo = mkdtempSync(join(tmpdir(), 'dbfleet-plan-app-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: appRepo, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'test');
    writeFileSync(join(appRepo, 'fleet.yaml'), BASE_FLEET);
    writeFileSync(join(appRepo, 'cdk8s.yaml'), `language: typescript\napp: node ${join(root, 'scripts', 'bundle-cache.cjs')} main.ts\n`);
    const objects = renderObjects(buildApp(fleetOf(BASE_FLEET), { extend: extendFleet }));
    expect(objects.some((o) => o.path.includes('connection-catalog') || o.object.kind === 'ConfigMap')).toBe(true);
    await replaceDirectory(join(appRepo, 'dist'), new Map(objects.map((o) => [o.path, toYaml(o.object)])));
    git('add', '-A');
    git('commit', '-qm', 'base');
  });

  it("renders through the app, in the plan's own process: the repository's own objects are not shown as removed", () => {
    const result = run(BASE_FLEET);
    expect(result.stdout).toContain('no changes');
    expect(result.status).toBe(0);
    const added = run(`${BASE_FLEET}  - name: shipping\n`);
    expect(added.stdout).toContain('+ Cluster databases/shipping  (production/cluster-shipping.yaml)');
    expect(added.stdout).not.toMatch(/^ {2}- /m);
    expect(added.status).toBe(0);
  });

  it('plan on an invalid fleet names the fleet problem in user terms, never the cdk8s --output internals', () => {
    const result = run(BASE_FLEET.replace('instances: 3', 'instances: 0'));
    expect(result.stderr).toMatch(/fleet\.yaml:\d+: environments\.production\.instances: must be >= 1/);
    expect(result.stderr).not.toMatch(/--output|CDK8S_OUTDIR|nothing written|dbfleet-plan-/);
    expect(result.status).toBe(2);
  });
});

describe('npm run plan before the first commit', () => {
  it('plan before the first commit treats everything as added, exit 0 (no "git revision HEAD does not exist")', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'dbfleet-plan-fresh-'));
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: fresh });
    writeFileSync(join(fresh, 'fleet.yaml'), BASE_FLEET);
    const result = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-cache.cjs'), 'lib/plan/cli.ts'], {
      cwd: fresh,
      encoding: 'utf8',
    });
    expect(result.stderr).not.toContain('does not exist');
    expect(result.stdout).toContain('+ Cluster databases/orders  (production/cluster-orders.yaml)');
    expect(result.stdout).toMatch(/## production: \d+ added, 0 changed, 0 removed/);
    expect(result.stdout).toContain('no dangerous changes');
    expect(result.status).toBe(0);
  });

  it('outside a git repository the plan says what it needs, exit 2', () => {
    const bare = mkdtempSync(join(tmpdir(), 'dbfleet-plan-nogit-'));
    writeFileSync(join(bare, 'fleet.yaml'), BASE_FLEET);
    const result = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-cache.cjs'), 'lib/plan/cli.ts'], {
      cwd: bare,
      encoding: 'utf8',
      env: { ...process.env, GIT_CEILING_DIRECTORIES: tmpdir() },
    });
    expect(result.stderr).toContain('is not a git repository: plan compares what the fleet renders now with dist/ as committed');
    expect(result.status).toBe(2);
  });
});
