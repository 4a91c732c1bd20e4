// `dbfleet init <dir>`: scaffolds a fleet repository (lib/cli/starter-files.ts).
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliIo } from './io';
import { PACKAGE_ROOT, packageJson } from './package-info';
import { EXECUTABLE_STARTER_FILES, starterFiles } from './starter-files';

export function initCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('init')
    .description(
      'Create a fleet repository in <dir>: package.json depending on dbfleet, cdk8s.yaml, main.ts, a commented starter fleet, .gitignore, a CI script and a pull-request plan workflow. Never overwrites a file.',
    )
    .argument('<dir>', 'folder to create (or an empty one)')
    .option('--name <name>', "the fleet's name (a DNS label)", undefined)
    .option(
      '--dbfleet <spec>',
      "dbfleet's dependency in package.json: a version or range (default: the version that runs, or the tarball npx installed it from), or a .tgz path (copied to vendor/ and referenced relatively)",
    )
    .action((dir: string, options: { name?: string; dbfleet?: string }) => {
      const pkg = packageJson();
      const name = options.name ?? toDnsLabel(path.basename(path.resolve(dir)));
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
        io.err.write(`init: "${name}" is not a valid fleet name (a DNS-1123 label); pass --name\n`);
        return setExit(2);
      }
      let spec: DbfleetSpec;
      try {
        spec = dbfleetSpec(options.dbfleet, pkg.version);
      } catch (error) {
        io.err.write(`init: ${(error as Error).message}\n`);
        return setExit(2);
      }
      const files = starterFiles({
        name,
        dbfleetSpec: spec.spec,
        dbfleetVersion: pkg.version,
        versions: {
          cdk8s: pkg.dependencies.cdk8s,
          constructs: pkg.dependencies.constructs,
          cdk8sCli: pkg.devDependencies['cdk8s-cli'],
          tsx: pkg.devDependencies.tsx,
          typescript: pkg.devDependencies.typescript,
          typesNode: pkg.devDependencies['@types/node'],
        },
      });
      const existing = [...files.keys()].filter((file) => fs.existsSync(path.join(dir, file)));
      if (existing.length > 0) {
        io.err.write(`init: ${dir} already has ${existing.join(', ')}: nothing written\n`);
        return setExit(1);
      }
      for (const [file, text] of files) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text, { mode: EXECUTABLE_STARTER_FILES.includes(file) ? 0o755 : 0o644 });
      }
      if (spec.copy) {
        fs.mkdirSync(path.join(dir, VENDOR_DIR), { recursive: true });
        fs.copyFileSync(spec.copy.from, path.join(dir, spec.copy.to));
        io.out.write(`dbfleet: ${spec.copy.to} (copied from ${spec.copy.from}; commit it: npm ci installs from it)\n`);
      }
      io.out.write(
        `Created the fleet repository "${name}" in ${dir}:\n${[...files.keys()].map((f) => `  ${f}`).join('\n')}\n\nNext:\n  cd ${dir}\n  git init && npm install\n  npm run synth          # renders and validates dist/\n  git add -A && git commit -m "${name}: first render"\n`,
      );
      return setExit(0);
    });
}

/** Where a tarball of dbfleet is copied in the new repository. */
export const VENDOR_DIR = 'vendor';

export interface DbfleetSpec {
  /** dbfleet's dependency spec in the new package.json. */
  readonly spec: string;
  /** A tarball to copy into the repository (`to` is relative to it). */
  readonly copy?: { readonly from: string; readonly to: string };
}

/**
 * dbfleet's dependency spec for a new fleet repository: one that resolves there, on every
 * machine, with `npm install` and `npm ci` (issue 27: `^0.1.0` from a tarball was a 404, and a
 * path was written relative to the wrong folder).
 *   - `--dbfleet <version or range>`: as given.
 *   - `--dbfleet <path to a .tgz>` (or `file:<path>`), relative to where init runs: the tarball
 *     is copied to vendor/ and referenced relatively (`file:vendor/dbfleet-0.1.0.tgz`), so the
 *     lockfile and a clean clone resolve it.
 *   - nothing: where this copy of dbfleet was installed from. npx records it in its install
 *     folder's package-lock.json (`npx --package ./dbfleet-0.1.0.tgz …` → a file: tarball, copied
 *     as above); from the registry, or from a checkout, `^<version>`.
 */
export function dbfleetSpec(given: string | undefined, version: string, packageRoot: string = PACKAGE_ROOT): DbfleetSpec {
  const tarball = (file: string): DbfleetSpec => {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`--dbfleet: no tarball at ${file}`);
    const to = path.posix.join(VENDOR_DIR, path.basename(file));
    return { spec: `file:${to}`, copy: { from: file, to } };
  };
  if (given !== undefined) {
    const target = given.startsWith('file:') ? given.slice('file:'.length) : given;
    if (target.endsWith('.tgz') || given.startsWith('file:') || /^\.{0,2}\//.test(target)) {
      const file = path.resolve(target);
      if (target.endsWith('.tgz')) return tarball(file);
      throw new Error(`--dbfleet: ${given} is not a .tgz tarball (npm pack makes one); a folder would not install on other machines`);
    }
    return { spec: given };
  }
  // <npx folder>/node_modules/dbfleet → <npx folder>/package-lock.json
  const lockFile = path.join(packageRoot, '..', '..', 'package-lock.json');
  try {
    const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { packages?: Record<string, { resolved?: string }> };
    const resolved = lock.packages?.['node_modules/dbfleet']?.resolved;
    if (resolved?.startsWith('file:')) return tarball(path.resolve(path.dirname(lockFile), resolved.slice('file:'.length)));
  } catch {
    // not installed by npx: the registry version
  }
  return { spec: `^${version}` };
}

/** `My Fleet_2` → `my-fleet-2`. */
function toDnsLabel(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'fleet'
  );
}
