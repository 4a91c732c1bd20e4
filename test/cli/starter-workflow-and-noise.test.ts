// Issue 27, the starter repository: "Every `npx cdk8s synth` in the starter prints a Node stack
// trace and 'A new version undefined of cdk8s-cli is available'", "the starter workflow fails on
// any DANGER with no way to accept it, and does not post the plan on the pull request", and
// short CI output. (The installed starter runs these for real: test/package/.)
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DANGER_LABEL, starterFiles } from '../../lib/cli/starter-files';

const files = starterFiles({
  name: 'acme',
  dbfleetSpec: '^0.1.0',
  dbfleetVersion: '0.1.0',
  versions: { cdk8s: '1', constructs: '1', cdk8sCli: '1', tsx: '1', typescript: '1', typesNode: '1' },
});

interface Step {
  name?: string;
  run?: string;
  if?: string;
}

describe('the starter repository', () => {
  it('renders with `npm run synth` = `dbfleet synth`: no cdk8s upgrade check (no registry request, no stack trace)', () => {
    const pkg = JSON.parse(files.get('package.json')!) as { scripts: Record<string, string> };
    expect(pkg.scripts.synth).toBe('dbfleet synth');
    expect(files.get('.ci/run')).toContain('npm run synth -- --output');
    expect(files.get('README.md')).toContain('npm install && npm run synth');
    expect(files.get('README.md')).toContain('CDK8S_CHECK_UPGRADE=false');
  });

  it('the plan workflow posts the plan as a pull-request comment', () => {
    const workflow = parse(files.get('.github/workflows/plan.yaml')!) as {
      on: { pull_request: { types: string[] } };
      permissions: Record<string, string>;
      jobs: { plan: { steps: Step[] } };
    };
    const steps = workflow.jobs.plan.steps;
    const comment = steps.find((s) => s.run?.includes('gh pr comment'))!;
    expect(comment.run).toContain('--format markdown');
    expect(comment.run).toMatch(/--body-file comment\.md/);
    expect(workflow.permissions['pull-requests']).toBe('write');
  });

  it('the plan workflow fails on a DANGER unless the pull request carries the acceptance label, which a new commit removes', () => {
    const workflow = parse(files.get('.github/workflows/plan.yaml')!) as {
      on: { pull_request: { types: string[] } };
      jobs: { plan: { steps: Step[] } };
    };
    expect(workflow.on.pull_request.types).toEqual(expect.arrayContaining(['labeled', 'unlabeled', 'synchronize']));
    const steps = workflow.jobs.plan.steps;
    const gate = steps[steps.length - 1];
    expect(gate.run).toBe('.ci/accept-danger');
    // --allow-destructive only with the label, and never on the push event that brings a new plan
    // (who added it, and for which commit: test/cli/plan-comment-and-danger-gate.test.ts).
    const script = files.get('.ci/accept-danger')!;
    expect(script).toContain(`if [ "$ACTION" = labeled ] && [ "\${LABEL:-}" = "${DANGER_LABEL}" ]; then`);
    expect(script).toMatch(/exec npx dbfleet plan --base "\$BASE" \$allow\n$/);
    const unlabel = steps.find((s) => s.run?.includes('--remove-label'))!;
    expect(unlabel.if).toContain("github.event.action == 'synchronize'");
    expect(files.get('README.md')).toContain(DANGER_LABEL);
  });

  it('.ci/run prints one line per step and the full output only of a failing step', () => {
    const ci = files.get('.ci/run')!;
    expect(ci).toContain('if "$@" >"$log" 2>&1; then');
    expect(ci).toContain('diff -rq');
  });
});
