// `dbfleet init <dir>`: scaffolds a fleet repository (lib/cli/starter-files.ts).
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliIo } from './io';
import { packageJson } from './package-info';
import { EXECUTABLE_STARTER_FILES, starterFiles } from './starter-files';

export function initCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('init')
    .description(
      'Create a fleet repository in <dir>: package.json depending on dbfleet, cdk8s.yaml, main.ts, a commented starter fleet, .gitignore, a CI script and a pull-request plan workflow. Never overwrites a file.',
    )
    .argument('<dir>', 'folder to create (or an empty one)')
    .option('--name <name>', "the fleet's name (a DNS label)", undefined)
    .option('--dbfleet <spec>', "dbfleet's dependency spec in package.json (e.g. a version range, or file:/path/to/dbfleet.tgz)")
    .action((dir: string, options: { name?: string; dbfleet?: string }) => {
      const pkg = packageJson();
      const name = options.name ?? toDnsLabel(path.basename(path.resolve(dir)));
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
        io.err.write(`init: "${name}" is not a valid fleet name (a DNS-1123 label); pass --name\n`);
        return setExit(2);
      }
      const files = starterFiles({
        name,
        dbfleetSpec: options.dbfleet ?? `^${pkg.version}`,
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
      io.out.write(
        `Created the fleet repository "${name}" in ${dir}:\n${[...files.keys()].map((f) => `  ${f}`).join('\n')}\n\nNext:\n  cd ${dir}\n  git init && npm install\n  npm run synth          # renders and validates dist/\n  git add -A && git commit -m "${name}: first render"\n`,
      );
      return setExit(0);
    });
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
