// imports/ is generated from ../shared/crds by `npm run import` and committed: it must be what
// the CRDs generate today, or the constructs would be typed against other schemas than the ones
// dist/ is validated with.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedCrds } from '../support/shared';

const root = join(__dirname, '..', '..');

describe('imports/', () => {
  it.skipIf(!sharedCrds.available)('is exactly what `npm run import` generates from ../shared/crds', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dbfleet-imports-')), 'imports');
    const cdk8sYaml = readFileSync(join(root, 'cdk8s.yaml'), 'utf8');
    execFileSync(process.execPath, [join(root, 'scripts', 'import-crds.mjs'), out], { cwd: root, stdio: 'pipe', env: { ...process.env, DBFLEET_SCHEMAS: sharedCrds.dir } });
    expect(readFileSync(join(root, 'cdk8s.yaml'), 'utf8'), 'cdk8s import must not touch cdk8s.yaml').toBe(cdk8sYaml);
    // imports/schemas/ (the compact schemas) has its own test: schemas.test.ts.
    const committed = readdirSync(join(root, 'imports')).filter((f) => statSync(join(root, 'imports', f)).isFile()).sort();
    expect(readdirSync(out).sort()).toEqual(committed);
    for (const file of committed) {
      expect(readFileSync(join(out, file), 'utf8') === readFileSync(join(root, 'imports', file), 'utf8'), `imports/${file} differs: run npm run import`).toBe(true);
    }
  }, 180_000);
});
