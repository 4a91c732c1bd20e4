// Builds what the npm package ships besides the sources (`npm pack` runs this as prepack):
//   build/index.cjs     the library (lib/index.ts): the public API and the `dbfleet` command
//   build/validate.cjs  the validator (lib/validate/index.ts), for the cdk8s validation plugin
//   build/types/        declarations (.d.ts) of the public API
// Consumers cannot run .ts from node_modules, so the library is compiled. The runtime
// dependencies of package.json stay external (npm installs them; cdk8s and constructs must be the
// fleet repository's own copies for its constructs to join dbfleet's); everything else, including
// @bufbuild/cel (a build-time dependency here), is bundled.
//
// Modules that locate files relative to themselves (schemas, package.json, the validator's
// sources for its compile-cache key) see `__dirname` as their folder inside the package, as when
// run from source: the package ships lib/ and imports/schemas/ next to build/.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {}).flatMap((name) => [name, `${name}/*`]);

const packageDirname = {
  name: 'package-dirname',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      const folder = relative(root, dirname(args.path)).split('\\').join('/');
      return {
        contents: `const __dirname = require('node:path').join(__dbfleetPackageRoot, ${JSON.stringify(folder)});\n${source}`,
        loader: 'ts',
      };
    });
  },
};

rmSync(join(root, 'build', 'types'), { recursive: true, force: true });
for (const [entry, outfile] of [
  ['lib/index.ts', 'build/index.cjs'],
  ['lib/validate/index.ts', 'build/validate.cjs'],
]) {
  await build({
    entryPoints: [join(root, entry)],
    outfile: join(root, outfile),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external,
    logLevel: 'error',
    legalComments: 'inline',
    banner: {
      js: `// dbfleet ${pkg.version}: bundle of ${entry} (scripts/build-package.mjs)\nvar __dbfleetPackageRoot = require('node:path').join(__dirname, '..');`,
    },
    plugins: [packageDirname],
  });
}
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.package.json')], {
  stdio: 'inherit',
});
process.stderr.write('built build/index.cjs, build/validate.cjs and build/types/\n');
