// `npm run plan --allow-destructive` cannot let an update the operator refuses through: the sync
// would fail whatever the reviewer decided (exit 1, with the reason).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, renderObjects, toYaml } from '../../lib/output/render';
import { replaceDirectory } from '../../lib/output/replace-directory';
import { BASE_FLEET, fleetOf } from '../support/fleet';

const root = join(__dirname, '..', '..');
let repo: string;

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'dbfleet-admission-plan-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
  writeFileSync(join(repo, 'fleet.yaml'), BASE_FLEET);
  await replaceDirectory(join(repo, 'dist'), new Map(renderObjects(buildApp(fleetOf(BASE_FLEET))).map((o) => [o.path, toYaml(o.object)])));
  git('add', '-A');
  git('commit', '-qm', 'base');
});

describe('plan --allow-destructive and REFUSED updates', () => {
  it('a storage shrink stays exit 1 with --allow-destructive; a DANGER that is not refused is allowed', () => {
    const run = (fleet: string) => {
      writeFileSync(join(repo, 'fleet.yaml'), fleet);
      return spawnSync(process.execPath, [join(root, 'scripts', 'bundle-cache.cjs'), 'lib/plan/cli.ts', '--allow-destructive'], {
        cwd: repo,
        encoding: 'utf8',
      });
    };
    const shrink = run(BASE_FLEET.replace('storage: 200Gi', 'storage: 100Gi'));
    expect(shrink.stdout).toContain('REFUSED: spec.storage:');
    expect(shrink.stdout).toContain('the operator REFUSES: --allow-destructive cannot apply it');
    expect(shrink.status).toBe(1);
    const access = run(BASE_FLEET.replace('developerAccess: read-only', 'developerAccess: read-write'));
    expect(access.stdout).toContain('--allow-destructive: proceeding despite the DANGER above');
    expect(access.status).toBe(0);
  }, 120_000);
});
