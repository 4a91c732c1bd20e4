// The files `dbfleet init` writes: a fleet repository that depends on dbfleet, renders with
// `npm run synth` after `npm install`, and reviews pull requests with `dbfleet plan`.
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

/** The pull-request label that accepts a plan's DANGERs (.github/workflows/plan.yaml). */
export const DANGER_LABEL = 'dbfleet-accept-danger';

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
          // The cdk8s CLI's synth without its upgrade check (no registry request, no stack trace) and ~1 s faster.
          synth: 'dbfleet synth',
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
# The fleet: every database of every service, per environment. \`npm run synth\` renders dist/.
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

# Argo CD delivery of dist/ (optional): two AppProjects per environment and an ApplicationSet in dist/argocd/.
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

  // What a synth leaves next to dist/ while it runs, or after it was killed (lib/output/replace-directory.ts).
  files.set('.gitignore', 'node_modules/\n.cdk8s.out/\ndist.staging-*/\ndist.previous-*/\ndist.lock\n');

  files.set(
    '.ci/run',
    `#!/usr/bin/env bash
# CI: dist/ must be what the sources render, and every object must validate. Quiet when all is
# well: one line per step; the full output of a failing step is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered" "$log"' EXIT
step() {
  local what="$1"
  shift
  if "$@" >"$log" 2>&1; then
    echo "ok: $what"
  else
    cat "$log"
    echo "FAILED: $what" >&2
    exit 1
  fi
}
step "npm ci" npm ci --no-audit --no-fund
# \`dbfleet synth\` is the cdk8s CLI's synth without its registry upgrade check.
step "render" npm run synth -- --output "$rendered"
if ! diff -rq -x construct-metadata.json "$rendered" dist; then
  echo "dist/ is not what the sources render: run npm run synth and commit dist/" >&2
  exit 1
fi
echo "ok: dist/ is current"
step "validate dist/" npx dbfleet validate dist
`,
  );

  files.set(
    '.ci/accept-danger',
    `#!/usr/bin/env bash
# The DANGER gate of .github/workflows/plan.yaml: \`dbfleet plan\`, with --allow-destructive only
# in the run of the event that added the label "${DANGER_LABEL}" (github.event.sender of that event
# is who added it, set by GitHub, and a re-run keeps it):
#   - the pull request's author cannot accept their own DANGER (they may add labels if they can
#     write to the repository);
#   - the one who added it must have write (or admin) access;
#   - the label must still be on the pull request and the head commit unchanged, both read now
#     (a re-run of an old run, or a run still going when a push or an unlabel came, does not count).
# No other event accepts: the payload's label list of another event (another label, a reopen) may
# still show a label that a push is about to remove, and that run, re-run later, would accept a
# commit nobody labelled. A later event fails the check again: remove and add the label again.
set -euo pipefail
allow=""
if [ "$ACTION" = labeled ] && [ "\${LABEL:-}" = "${DANGER_LABEL}" ]; then
  by="\${SENDER:-}"
  permission="$(gh api "repos/$REPO/collaborators/$by/permission" --jq .permission 2>/dev/null || echo none)"
  now="$(gh pr view "$PR" --json headRefOid,labels --jq '.headRefOid + " " + ([.labels[].name | select(. == "${DANGER_LABEL}")] | length | tostring)')"
  head="\${now% *}"
  if [ "\${now##* }" = 0 ]; then
    echo "${DANGER_LABEL}: the label was removed since; not accepted" >&2
  elif [ "$by" = "$AUTHOR" ]; then
    echo "${DANGER_LABEL}: added by the pull request's author ($by), who cannot accept their own DANGER; not accepted" >&2
  elif [ "$permission" != admin ] && [ "$permission" != write ]; then
    echo "${DANGER_LABEL}: added by $by, who has no write access ($permission); not accepted" >&2
  elif [ "$head" != "$HEAD_SHA" ]; then
    echo "${DANGER_LABEL}: the pull request moved to $head after this run started; that commit's own run decides" >&2
  else
    echo "${DANGER_LABEL}: DANGER accepted by $by for $HEAD_SHA"
    allow="--allow-destructive"
  fi
elif [ "$ACTION" != synchronize ] && [ "$LABELLED" = true ]; then
  echo "${DANGER_LABEL}: counts only in the run of the event that added it; to accept this plan, remove the label and add it again" >&2
fi
exec npx dbfleet plan --base "$BASE" $allow
`,
  );

  files.set(
    '.github/workflows/plan.yaml',
    `# On every pull request: check dist/, post the plan (what the change does, with its dangers) as a
# comment on the pull request, and fail on a DANGER unless a reviewer accepted it.
#
# Accepting a DANGER is explicit and reviewable: a maintainer adds the label "${DANGER_LABEL}" to
# the pull request after reading the plan comment (the label event re-runs this job, and only that
# run accepts; the label and who added it show in the pull request's history). A new commit removes
# the label, so each accepted plan is the one a maintainer read; any later event fails the check
# again (remove and add the label again to accept).
# Actions are pinned by commit (a tag can be moved), the version in the comment.
name: plan
on:
  pull_request:
    types: [opened, synchronize, reopened, labeled, unlabeled]
permissions:
  contents: read
  pull-requests: write # the plan comment
  issues: write # removing the acceptance label on a new commit
jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@${STARTER_ACTIONS.checkout.commit} # ${STARTER_ACTIONS.checkout.version}
        with: { fetch-depth: 0, persist-credentials: false }
      - uses: actions/setup-node@${STARTER_ACTIONS.setupNode.commit} # ${STARTER_ACTIONS.setupNode.version}
        with: { node-version: ${STARTER_NODE_VERSION}, cache: npm }
      - run: .ci/run
      - name: plan as a pull-request comment (always, a REFUSED plan included)
        env:
          GH_TOKEN: \${{ github.token }}
          PR: \${{ github.event.pull_request.number }}
          BASE: origin/\${{ github.base_ref }}
          RUN_URL: \${{ github.server_url }}/\${{ github.repository }}/actions/runs/\${{ github.run_id }}
        run: |
          # The full plan goes to this run's summary page; the comment is cut to GitHub's 65,536
          # characters with a link there. The comment is posted whatever the plan's exit code.
          status=0
          npx dbfleet plan --base "$BASE" --format markdown --allow-destructive --comment comment.md --full-plan-url "$RUN_URL" > plan.md 2> plan.err || status=$?
          if [ ! -s comment.md ]; then
            { echo "**dbfleet plan failed** (exit $status): see $RUN_URL"; echo; echo '\`\`\`'; tail -c 60000 plan.err; echo '\`\`\`'; } > comment.md
          fi
          cat plan.md plan.err >> "$GITHUB_STEP_SUMMARY"
          gh pr comment "$PR" --edit-last --body-file comment.md || gh pr comment "$PR" --body-file comment.md
          exit "$status"
      - name: a new commit needs a new acceptance
        if: github.event.action == 'synchronize' && contains(github.event.pull_request.labels.*.name, '${DANGER_LABEL}')
        env:
          GH_TOKEN: \${{ github.token }}
        run: gh pr edit \${{ github.event.pull_request.number }} --remove-label '${DANGER_LABEL}'
      - name: fail on a DANGER not accepted with the ${DANGER_LABEL} label
        env:
          GH_TOKEN: \${{ github.token }}
          REPO: \${{ github.repository }}
          PR: \${{ github.event.pull_request.number }}
          BASE: origin/\${{ github.base_ref }}
          ACTION: \${{ github.event.action }}
          AUTHOR: \${{ github.event.pull_request.user.login }}
          HEAD_SHA: \${{ github.event.pull_request.head.sha }}
          LABELLED: \${{ contains(github.event.pull_request.labels.*.name, '${DANGER_LABEL}') }}
          LABEL: \${{ github.event.label.name }}
          SENDER: \${{ github.event.sender.login }}
        run: .ci/accept-danger
`,
  );

  // The DANGER gate runs from the pull request's own checkout (GitHub takes a pull_request workflow
  // from the PR's merge commit), so an author could edit the gate itself. It holds only when changes
  // to these paths need a review by someone else: CODEOWNERS plus branch protection.
  files.set(
    '.github/CODEOWNERS',
    `# Replace @your-org/platform-team with the team that reviews database changes, then turn on
# "Require review from Code Owners" in the branch protection of the default branch. Without it a
# pull request's author can change the plan workflow, .ci/ or the locked dbfleet version, and the
# DANGER gate checks nothing.
/.github/ @your-org/platform-team
/.ci/ @your-org/platform-team
/package.json @your-org/platform-team
/package-lock.json @your-org/platform-team
/vendor/ @your-org/platform-team
/cdk8s.yaml @your-org/platform-team
/main.ts @your-org/platform-team
`,
  );

  files.set(
    'README.md',
    `# ${o.name}: databases, the GitOps way

The fleet's databases, rendered by [dbfleet](node_modules/dbfleet/README.md).

\`\`\`bash
npm install && npm run synth   # render and validate dist/ from fleet.yaml and services/*.yaml
npx dbfleet plan               # what the working tree changes in dist/, with its dangers
npx dbfleet secrets            # the keys the secret store must hold
\`\`\`

\`npm run synth\` (\`dbfleet synth\`) is the cdk8s CLI's own synth command without its upgrade check:
no registry request, no "new version" notice, ~1 s faster. \`npx cdk8s synth\` gives the same dist/
(\`export CDK8S_CHECK_UPGRADE=false\` silences its check).

Pull requests: \`.github/workflows/plan.yaml\` posts the plan as a comment and fails on a DANGER
until a maintainer who read it adds the label \`${DANGER_LABEL}\` (not the pull request's author:
\`.ci/accept-danger\` checks who added it, and for which commit). The gate runs from the pull
request's own files, so it holds only if \`.github/CODEOWNERS\` names your reviewers and the default
branch requires a Code Owners review: otherwise an author can edit the workflow, \`.ci/\` or the locked
dbfleet version. Pull requests from forks get a read-only token: the plan comment cannot be posted
there, so the check fails; run the plan from a branch of this repository.

Upgrade dbfleet with \`npm install dbfleet@<version>\`, then \`npm run synth\` and review the
change of dist/ in the pull request.
`,
  );
  return files;
}

/**
 * The actions the starter workflow uses, by commit (github.com/actions/checkout tag v7.0.1 and
 * github.com/actions/setup-node tag v7.0.0, both `using: node24`).
 */
export const STARTER_ACTIONS = {
  checkout: { commit: '3d3c42e5aac5ba805825da76410c181273ba90b1', version: 'v7.0.1' },
  setupNode: { commit: '820762786026740c76f36085b0efc47a31fe5020', version: 'v7.0.0' },
} as const;
/** Node.js of the starter's CI: the active LTS line. */
export const STARTER_NODE_VERSION = 24;

/** Files that must be executable. */
export const EXECUTABLE_STARTER_FILES = ['.ci/run', '.ci/accept-danger'];
