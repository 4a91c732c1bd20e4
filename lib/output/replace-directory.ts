// Publishing dist/ atomically: the new tree is written next to it and swapped in with renames,
// so a failure while rendering, checking or writing leaves the previous dist/ exactly as it was.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { copyFile, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/**
 * A new tree being written next to `target`. Files are handed over one by one and written in
 * the background (libuv's threads) while the caller goes on rendering and checking: on this
 * kind of disk, writing 13,000 small manifests takes seconds, and it overlaps the CPU work.
 * `commit()` swaps it in; `abort()` throws it away.
 */
export class StagedDirectory {
  private readonly target: string;
  private readonly staging: string;
  private readonly current: string | undefined;
  private readonly folders = new Set<string>();
  private readonly pending: Array<Promise<void>> = [];

  constructor(target: string) {
    this.target = resolve(target);
    this.staging = `${this.target}.staging-${process.pid}`;
    this.current = existsSync(this.target) ? this.target : undefined;
    // A staging folder left by a crashed run that had the same pid.
    rmSync(this.staging, { recursive: true, force: true });
  }

  /** Queues one file. Unchanged bytes are hard-linked from the current tree instead of written. */
  add(path: string, content: string): void {
    const file = join(this.staging, path);
    const folder = dirname(file);
    if (!this.folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      this.folders.add(folder);
    }
    this.pending.push(this.place(path, file, content));
  }

  private async place(path: string, file: string, content: string): Promise<void> {
    if (this.current && await sameContent(join(this.current, path), content)) {
      try {
        await link(join(this.current, path), file);
        return;
      } catch {
        // Another filesystem or no link support: write it.
      }
    }
    await writeFile(file, content);
  }

  /** Waits for every file, then replaces the target with the new tree. */
  async commit(): Promise<void> {
    try {
      mkdirSync(this.staging, { recursive: true });
      await Promise.all(this.pending);
    } catch (error) {
      await this.abort();
      throw error;
    }
    const previous = `${this.target}.previous-${process.pid}`;
    const hadTarget = existsSync(this.target);
    if (hadTarget) renameSync(this.target, previous);
    try {
      renameSync(this.staging, this.target);
    } catch (error) {
      if (hadTarget) renameSync(previous, this.target);
      throw error;
    }
    if (hadTarget) await rm(previous, { recursive: true, force: true });
  }

  /** Throws the new tree away; the target is untouched. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.pending);
    await rm(this.staging, { recursive: true, force: true });
  }
}

async function sameContent(file: string, content: string): Promise<boolean> {
  try {
    return (await readFile(file, 'utf8')) === content;
  } catch {
    return false;
  }
}

/** Replaces `target` with exactly `files` (paths relative to it), or leaves it untouched. */
export async function replaceDirectory(target: string, files: ReadonlyMap<string, string>): Promise<void> {
  const staged = new StagedDirectory(target);
  try {
    for (const [path, content] of files) staged.add(path, content);
  } catch (error) {
    await staged.abort();
    throw error;
  }
  await staged.commit();
}

/**
 * Gives `target` the same files as `source` (replacing what it had) by hard links, which cost
 * a fraction of writing them again; copies where links are impossible (another filesystem).
 */
export async function mirrorDirectory(source: string, target: string, paths: readonly string[]): Promise<void> {
  await rm(target, { recursive: true, force: true });
  for (const folder of new Set(paths.map((p) => dirname(join(target, p))))) await mkdir(folder, { recursive: true });
  await Promise.all(paths.map(async (path) => {
    try {
      await link(join(source, path), join(target, path));
    } catch {
      await copyFile(join(source, path), join(target, path));
    }
  }));
}
