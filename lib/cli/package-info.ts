// dbfleet's own package.json, read at run time (the package root is two levels above lib/cli/,
// in the repository and in the package's bundles alike).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
}

export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

export function packageJson(): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as PackageJson;
}
