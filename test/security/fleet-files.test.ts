// Nothing is lost silently (issue 24 item 10): a services/ entry that is not a regular file inside
// the repository is an error (a link to a file inside it is followed), an alias bomb is a config
// error with file and line, oversized files are refused, and concurrent synths never leave dist/
// absent or mixed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FLEET_FILE_BYTES } from '../../lib/config/fleet-files';
import { FleetConfigError, loadFleet } from '../../lib/config/load';
import { GENERATED_MARK, replaceDirectory } from '../../lib/output/replace-directory';
import { BASE_FLEET } from '../support/fleet';

const PAYMENTS = 'name: billing\ngroup: commerce\n';

/** A fleet repository: fleet.yaml and services/, with the callback adding entries. */
function repo(setup: (dir: string) => void = () => {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-files-'));
  writeFileSync(join(dir, 'fleet.yaml'), BASE_FLEET);
  mkdirSync(join(dir, 'services'));
  setup(dir);
  return dir;
}

function problems(dir: string): string[] {
  try {
    loadFleet(dir);
  } catch (error) {
    if (error instanceof FleetConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the fleet to be rejected');
}

describe('services/ entries', () => {
  it('a symbolic link to a file inside the repository is followed: its service is rendered', () => {
    const dir = repo((d) => {
      mkdirSync(join(d, 'shared'));
      writeFileSync(join(d, 'shared', 'billing.yaml'), PAYMENTS);
      symlinkSync('../shared/billing.yaml', join(d, 'services', 'billing.yaml'));
    });
    expect(loadFleet(dir).services.map((s) => s.name)).toContain('billing');
  });

  it('a link out of the repository, a dangling link and a directory are errors, all at once', () => {
    const outside = mkdtempSync(join(tmpdir(), 'dbfleet-outside-'));
    writeFileSync(join(outside, 'billing.yaml'), PAYMENTS);
    const dir = repo((d) => {
      symlinkSync(join(outside, 'billing.yaml'), join(d, 'services', 'billing.yaml'));
      symlinkSync('missing.yaml', join(d, 'services', 'gone.yaml'));
      mkdirSync(join(d, 'services', 'folder.yaml'));
    });
    const list = problems(dir);
    expect(list).toHaveLength(3);
    expect(list[0]).toMatch(/services\/billing\.yaml:1: is a symbolic link to .*billing\.yaml, outside the repository/);
    expect(list[1]).toMatch(/services\/folder\.yaml:1: is not a regular file \(a directory\)/);
    expect(list[2]).toMatch(
      /services\/gone\.yaml:1: is a symbolic link to missing\.yaml, which does not exist: its service would silently disappear/,
    );
  });
});

describe('YAML alias bombs and size caps', () => {
  const BOMB = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  ].join('\n');

  it('in the fleet file: a config error with file and line, not an internal error', () => {
    const dir = repo((d) => writeFileSync(join(d, 'fleet.yaml'), `${BASE_FLEET}x-bomb:\n${BOMB.replace(/^/gm, '  ')}\n`));
    const line = BASE_FLEET.split('\n').length + 3; // the "c:" line, whose aliases expand aliases
    expect(problems(dir)).toEqual([
      `${join(dir, 'fleet.yaml')}:${line}: YAML aliases expand beyond 100 copies here (anchors that repeat anchors grow exponentially, an "alias bomb"): write the values out, or alias a mapping that holds no aliases itself`,
    ]);
  });

  it('in a service file: reported for that file', () => {
    const dir = repo((d) => writeFileSync(join(d, 'services', 'bomb.yaml'), `${PAYMENTS}${BOMB}\n`));
    expect(problems(dir)).toEqual([expect.stringMatching(/services\/bomb\.yaml:5: YAML aliases expand beyond 100 copies/)]);
  });

  it('a file above the size cap is refused before it is parsed', () => {
    const dir = repo((d) => writeFileSync(join(d, 'services', 'huge.yaml'), `${PAYMENTS}# ${'x'.repeat(MAX_FLEET_FILE_BYTES)}\n`));
    expect(problems(dir)).toEqual([
      expect.stringMatching(
        new RegExp(
          `services/huge\\.yaml:1: is ${MAX_FLEET_FILE_BYTES + PAYMENTS.length + 3} bytes, more than the ${MAX_FLEET_FILE_BYTES} bytes a service file may have`,
        ),
      ),
    ]);
  });
});

describe('publishing dist/ while other runs publish', () => {
  it('three concurrent writers: dist/ is always there, ends as one run wrote it, and nothing is left beside it', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'dbfleet-concurrent-'));
    const dist = join(parent, 'dist');
    await replaceDirectory(dist, new Map([['a/one.yaml', `${GENERATED_MARK}\nrun 0`]]));
    // Separate processes, as three `npx cdk8s synth` would be; a watcher checks dist/ meanwhile.
    const script = (run: number) => `
      const { replaceDirectory, GENERATED_MARK } = require(${JSON.stringify(join(process.cwd(), 'lib/output/replace-directory.ts'))});
      const files = new Map();
      for (let i = 0; i < 50; i++) files.set('f/' + i + '.yaml', GENERATED_MARK + '\\nrun ${run} file ' + i);
      (async () => { for (let n = 0; n < 30; n++) await replaceDirectory(${JSON.stringify(dist)}, files); })()
        .then(() => process.exit(0), (e) => { console.error(String(e)); process.exit(1); });`;
    let absent = 0;
    const watcher = setInterval(() => {
      if (!existsSync(dist)) absent++;
    }, 1);
    const codes = await Promise.all(
      [1, 2, 3].map(
        (run) =>
          new Promise<number>((done) => {
            const child = spawn(process.execPath, ['--import', 'tsx', '-e', script(run)], { stdio: 'inherit' });
            child.on('exit', (code) => done(code ?? 1));
          }),
      ),
    );
    clearInterval(watcher);
    expect(codes).toEqual([0, 0, 0]);
    expect(absent).toBe(0);
    expect(readdirSync(parent)).toEqual(['dist']);
    // Every file from the same run: the runs took turns.
    const runs = new Set(readdirSync(join(dist, 'f')).map((f) => /run (\d)/.exec(readFileSync(join(dist, 'f', f), 'utf8'))![1]));
    expect(runs.size).toBe(1);
    expect(existsSync(join(dist, 'a'))).toBe(false);
  }, 60_000);
});
