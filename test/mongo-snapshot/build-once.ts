/** Builds build/ops/mongo-snapshot.cjs once per test process (the e2e tests run the bundle, not the sources). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './helpers';

let built: Promise<void> | undefined;

export function buildBundle(): Promise<void> {
  built ??= Promise.resolve().then(() => {
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-ops.mjs')], { cwd: repoRoot, stdio: 'pipe' });
  });
  return built;
}
