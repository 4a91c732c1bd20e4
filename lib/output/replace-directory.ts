// Publishing dist/ atomically: the new tree is written next to it and swapped in with renames,
// so a failure while rendering or writing leaves the previous dist/ exactly as it was.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function replaceDirectory(target: string, files: ReadonlyMap<string, string>): void {
  const absolute = resolve(target);
  const staging = `${absolute}.staging-${process.pid}`;
  const previous = `${absolute}.previous-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    mkdirSync(staging, { recursive: true });
    for (const [path, content] of files) {
      const file = join(staging, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const hadTarget = existsSync(absolute);
  if (hadTarget) renameSync(absolute, previous);
  try {
    renameSync(staging, absolute);
  } catch (error) {
    if (hadTarget) renameSync(previous, absolute);
    throw error;
  }
  if (hadTarget) rmSync(previous, { recursive: true, force: true });
}
