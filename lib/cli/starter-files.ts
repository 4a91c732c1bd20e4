// The files `dbfleet init` writes: a fleet repository that depends on dbfleet, renders with
// `npx cdk8s synth` after `npm install`, and reviews pull requests with `dbfleet plan`.
import { FLEET_JSON_SCHEMA_FILES } from '../config/json-schema';

export interface StarterOptions {
  /** The fleet's name (a DNS label). */
  readonly name: string;
  /** The dependency spec of dbfleet in package.json, e.g. `^0.1.0` or `file:../dbfleet-0.1.0.tgz`. */
  readonly dbfleetSpec: string;
  /** dbfleet's version (the validation plugin's version in cdk8s.yaml). */
  readonly dbfleetVersion: string;
  /** Exact versions of the tools the repository pins (taken from dbfleet's own package.json). */
  readonly versions: {
    readonly cdk8s: string;
    readonly constructs: string;
    readonly cdk8sCli: string;
    readonly tsx: string;
    readonly typescript: string;
    readonly typesNode: string;
  };
}

const SCHEMA_BASE = 'node_modules/dbfleet';

/** Path → content, in the order they are written. */
export function starterFiles(o: StarterOptions): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    'package.json',
    `${JSON.stringify(
      {
        name: o.name,
        private: true,
        description: `Databases of the ${o.name} fleet, rendered by dbfleet`,
        scripts: {
          synth: 'cdk8s synth',
          plan: 'dbfleet plan',
          validate: 'dbfleet validate',
          secrets: 'dbfleet secrets',
          typecheck: 'tsc --noEmit',
        },
        dependencies: { dbfleet: o.dbfleetSpec, cdk8s: o.versions.cdk8s, constructs: o.versions.constructs },
        devDependencies: {
          '@types/node': o.versions.typesNode,
          'cdk8s-cli': o.versions.cdk8sCli,
          tsx: o.versions.tsx,
          typescript: o.versions.typescript,
        },
      },
      null,
      2,
    )}\n`,
  );

  files.set(
    'cdk8s.yaml',
    `language: typescript
# The app (main.ts) renders the fleet, validates every object and only then replaces dist/.
app: npx tsx main.ts
# A scratch folder the CLI empties before each run; the app publishes to dist/ itself.
output: .cdk8s.out
validations:
  # Checks the written files once more with dbfleet's schemas (shipped in the package).
  - package: ./node_modules/dbfleet/lib/validate/cdk8s-plugin.cjs
    class: DbfleetSchemaValidation
    version: ${o.dbfleetVersion}
`,
  );

  files.set(
    'main.ts',
    `// The cdk8s app of this fleet repository: \`npx cdk8s synth\` runs it.
// It reads fleet.yaml and services/*.yaml (or $DBFLEET_CONFIG), renders every environment,
// validates every object, and only then replaces dist/.
import { renderFleet } from 'dbfleet';

void renderFleet({
  // Your own objects join dbfleet's here, e.g.:
  // extend: (fleetApp) => {
  //   new MyConstruct(fleetApp.environment('production'), 'MyConstruct', { fleet: fleetApp.fleet });
  // },
});
`,
  );

  files.set(
    'fleet.yaml',
    `# yaml-language-server: $schema=${SCHEMA_BASE}/${FLEET_JSON_SCHEMA_FILES.fleet}
# The fleet: every database of every service, per environment. \`npx cdk8s synth\` renders dist/.
# Every key: the "Config reference" of dbfleet's README (node_modules/dbfleet/README.md).
# Services are listed under \`services:\` below or, one per file, in services/*.yaml.
name: ${o.name}
postgres: { version: 16 }              # PostgreSQL major version (CloudNativePG operand image)

# Where the passwords live (External Secrets). \`npx dbfleet secrets\` lists every key it must hold.
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }

# Developers who get access per environment (developerAccess below).
developers: [alice]

environments:
  test:
    namespace: databases               # where the clusters run
    topology: shared                   # one cluster for all services
    instances: 1
    storage: 5Gi
    developerAccess: read-write
  production:
    namespace: databases
    topology: per-service              # one cluster per service
    instances: 3                       # a primary and two standbys
    storage: 50Gi
    developerAccess: read-only

services:
  - name: orders                       # the database, role and secrets are named after it
    extensions: [pgcrypto]

# Argo CD delivery of dist/ (optional): an AppProject and an ApplicationSet in dist/argocd/.
# gitops:
#   repoURL: https://github.com/acme/${o.name}.git
#   targetRevision: main
#   project: databases
`,
  );

  files.set(
    'services/payments.yaml',
    `# yaml-language-server: $schema=../${SCHEMA_BASE}/${FLEET_JSON_SCHEMA_FILES.service}
# One service per file: the same keys as an entry of \`services:\` in fleet.yaml, so each team
# can own its file (CODEOWNERS). Services listed in fleet.yaml come first, then these files by name.
name: payments
namespace: payments                    # where the app runs: its connection Secret goes there
extensions: [pgcrypto, uuid-ossp]
overrides:
  production: { storage: 100Gi }       # sizing for this service's cluster in one environment
`,
  );

  files.set(
    'tsconfig.json',
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023'],
          types: ['node'],
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          noEmit: true,
        },
        include: ['main.ts', 'charts/**/*.ts'],
      },
      null,
      2,
    )}\n`,
  );

  files.set('.gitignore', 'node_modules/\n.cdk8s.out/\n');

  files.set(
    '.ci/run',
    `#!/usr/bin/env bash
# CI: dist/ must be what the sources render, and every object must validate.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
npx cdk8s synth --output "$rendered"
if ! diff -r -x construct-metadata.json "$rendered" dist; then
  echo "dist/ is not what the sources render: run npx cdk8s synth and commit dist/" >&2
  exit 1
fi
npx dbfleet validate dist
`,
  );

  files.set(
    '.github/workflows/plan.yaml',
    `# On every pull request: check dist/ and post what the change does, with its dangers.
name: plan
on: pull_request
jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
      - uses: actions/setup-node@v4
        with: { node-version: 20, cache: npm }
      - run: .ci/run
      # Exit 1 on a DANGER: a reviewer who wants the change re-runs with --allow-destructive.
      - run: npx dbfleet plan --base origin/\${{ github.base_ref }}
`,
  );

  files.set(
    'README.md',
    `# ${o.name}: databases, the GitOps way

The fleet's databases, rendered by [dbfleet](node_modules/dbfleet/README.md).

\`\`\`bash
npm install && npx cdk8s synth   # render and validate dist/ from fleet.yaml and services/*.yaml
npx dbfleet plan                 # what the working tree changes in dist/, with its dangers
npx dbfleet secrets              # the keys the secret store must hold
\`\`\`

Upgrade dbfleet with \`npm install dbfleet@<version>\`, then \`npx cdk8s synth\` and review the
change of dist/ in the pull request.
`,
  );
  return files;
}

/** Files that must be executable. */
export const EXECUTABLE_STARTER_FILES = ['.ci/run'];
