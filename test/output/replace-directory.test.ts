// Publishing dist/: the turn-taking lock and the clean-up of what killed runs left, which the
// mutation run (docs/mutation-testing.md) found untested: no test held the lock, let it go stale,
// or left a staging tree behind.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_MARK, StagedDirectory, lockDirectory, mirrorDirectory, replaceDirectory } from '../../lib/output/replace-directory';

const scratch = () => join(mkdtempSync(join(tmpdir(), 'dbfleet-publish-')), 'dist');

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describe('lockDirectory: runs publishing to one folder take turns', () => {
  it('holds <target>.lock with its pid; a second run waits its time for a live holder, then gives up writing nothing', () => {
    const dir = scratch();
    const release = lockDirectory(dir);
    expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    const started = Date.now();
    expect(() => lockDirectory(dir, 1_500)).toThrow(
      `${dir} is being written by process ${process.pid} (${dir}.lock) for more than 2 s; nothing written`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    lockDirectory(dir, 0)();
  });

  it('a lock whose process is gone is taken over at once', () => {
    const dir = scratch();
    mkdirSync(dir);
    writeFileSync(`${dir}.lock`, `${deadPid()}\n`);
    const started = Date.now();
    const release = lockDirectory(dir, 60_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    release();
  });

  it('an empty lock file (a run that died creating it) is waited for while fresh and taken over once 5 s old', () => {
    const dir = scratch();
    mkdirSync(dir);
    writeFileSync(`${dir}.lock`, '');
    expect(() => lockDirectory(dir, 200)).toThrow(/is being written by process NaN .*nothing written/);
    const old = new Date(Date.now() - 10_000);
    utimesSync(`${dir}.lock`, old, old);
    lockDirectory(dir, 200)();
  });
});

describe('replaceDirectory: what killed runs left behind', () => {
  it("removes the staging tree of a run that is gone and old .previous-* trees; a live run's staging tree is kept", async () => {
    const dir = scratch();
    const dead = `${dir}.staging-${deadPid()}`;
    const live = `${dir}.staging-1`; // pid 1 is always alive
    const previous = `${dir}.previous-123`;
    for (const d of [dead, live, previous]) mkdirSync(join(d, 'x'), { recursive: true });
    await replaceDirectory(dir, new Map([['a.yaml', `${GENERATED_MARK}\n`]]));
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(previous)).toBe(false);
    expect(existsSync(join(live, 'x'))).toBe(true);
    expect(readdirSync(dir)).toEqual(['a.yaml']);
  });

  it('a folder where a file now goes is replaced by the file', async () => {
    const dir = scratch();
    await replaceDirectory(dir, new Map([['a/b.yaml', `${GENERATED_MARK}\nb`]]));
    await replaceDirectory(dir, new Map([['a', `${GENERATED_MARK}\na`]]));
    expect(statSync(join(dir, 'a')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe(`${GENERATED_MARK}\na`);
  });

  it('more files than may be in flight at once are all written', async () => {
    const dir = scratch();
    const files = new Map(Array.from({ length: 300 }, (_, i) => [`f/${i}.yaml`, `${GENERATED_MARK}\n${i}`] as const));
    await replaceDirectory(dir, files);
    expect(readdirSync(join(dir, 'f'))).toHaveLength(300);
  });

  // Nothing changed, so nothing was staged: the clean-up of a staging folder that was never made must not fail.
  it('publishing the same files again, or aborting before anything was staged, succeeds and leaves no lock', async () => {
    const dir = scratch();
    const files = new Map([['a.yaml', `${GENERATED_MARK}\na`]]);
    await replaceDirectory(dir, files);
    await replaceDirectory(dir, files);
    expect(readFileSync(join(dir, 'a.yaml'), 'utf8')).toBe(`${GENERATED_MARK}\na`);
    await new StagedDirectory(dir).abort();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    expect(existsSync(`${dir}.staging-${process.pid}`)).toBe(false);
  });

  it('mirrors into a folder that does not exist yet', async () => {
    const dir = scratch();
    await replaceDirectory(dir, new Map([['x/a.yaml', `${GENERATED_MARK}\na`]]));
    const copy = `${dir}-mirror`;
    await mirrorDirectory(dir, copy, ['x/a.yaml']);
    expect(readFileSync(join(copy, 'x', 'a.yaml'), 'utf8')).toBe(`${GENERATED_MARK}\na`);
  });
});
