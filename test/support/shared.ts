// ../shared (next to the repository) holds the upstream CRDs: only the input of `npm run import`.
// Tests that regenerate from it skip with a message when it is missing, except in CI.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const dir = resolve(process.env.DBFLEET_SHARED_CRDS ?? join(root, '..', 'shared', 'crds'));
const available = existsSync(join(dir, 'SOURCES.md'));
const inCi = Boolean(process.env.CI) || process.env.DBFLEET_CI === '1';
if (!available) {
  if (inCi) throw new Error(`CI needs the upstream CRDs at ${dir} (set DBFLEET_SHARED_CRDS)`);
  console.warn(`SKIPPED: tests that regenerate from the upstream CRDs: none at ${dir} (set DBFLEET_SHARED_CRDS; CI requires them)`);
}

export const sharedCrds = { dir, available };
