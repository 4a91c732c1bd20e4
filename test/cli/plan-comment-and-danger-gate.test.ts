// Issue 27 medium findings on the starter's pull-request workflow, run for real under bash with
// `gh` and `npx` stubbed on PATH: a plan over GitHub's 65,536-character comment limit is cut with a
// link to the full plan; a REFUSED plan (exit 1 even with --allow-destructive) still posts its
// comment; the DANGER label counts only when someone other than the pull request's author, with
// write access, added it, and only for the head commit the run checks.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DANGER_LABEL, starterFiles } from '../../lib/cli/starter-files';
import { commentBody, GITHUB_COMMENT_LIMIT } from '../../lib/plan/comment';

const files = starterFiles({
  name: 'acme',
  dbfleetSpec: '^0.1.0',
  dbfleetVersion: '0.1.0',
  versions: { cdk8s: '1', constructs: '1', cdk8sCli: '1', tsx: '1', typescript: '1', typesNode: '1' },
});
const steps = (parse(files.get('.github/workflows/plan.yaml')!) as { jobs: { plan: { steps: Array<{ name?: string; run?: string }> } } })
  .jobs.plan.steps;

/** A folder with stub `gh` and `npx` that log their arguments and answer from environment variables. */
function sandbox(): { dir: string; log: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-workflow-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, '.ci'));
  const stub = (name: string, body: string) => {
    writeFileSync(join(dir, 'bin', name), `#!/usr/bin/env bash\necho "${name} $*" >> "$STUB_LOG"\n${body}\n`);
    chmodSync(join(dir, 'bin', name), 0o755);
  };
  stub(
    'npx',
    `for a in "$@"; do [ "$prev" = --comment ] && [ -n "$STUB_COMMENT" ] && printf '%s' "$STUB_COMMENT" > "$a"; prev="$a"; done
echo "plan output"; echo "plan errors" >&2; exit "\${STUB_PLAN_EXIT:-0}"`,
  );
  stub(
    'gh',
    `case "$*" in
  "api --paginate repos/acme/fleet/issues/7/events "*) printf '%s' "$STUB_LABELLERS" ;;
  "api repos/acme/fleet/collaborators/"*) echo "\${STUB_PERMISSION:-none}" ;;
  "pr view "*) echo "$STUB_HEAD \${STUB_LABEL_NOW:-1}" ;;
esac`,
  );
  writeFileSync(join(dir, '.ci', 'accept-danger'), files.get('.ci/accept-danger')!);
  chmodSync(join(dir, '.ci', 'accept-danger'), 0o755);
  writeFileSync(join(dir, 'log'), '');
  return { dir, log: () => readFileSync(join(dir, 'log'), 'utf8').trim().split('\n').filter(Boolean) };
}

function runStep(dir: string, script: string, env: Record<string, string>) {
  const result = spawnSync('bash', ['-e', '-c', script], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
      STUB_LOG: join(dir, 'log'),
      HOME: dir,
      GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
      PR: '7',
      REPO: 'acme/fleet',
      BASE: 'origin/main',
      RUN_URL: 'https://github.com/acme/fleet/actions/runs/1',
      ...env,
    },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('the plan comment', () => {
  const step = steps.find((s) => s.run?.includes('gh pr comment'))!;

  it('a REFUSED plan (exit 1 with --allow-destructive) still posts its comment, then fails the step', () => {
    const { dir, log } = sandbox();
    const r = runStep(dir, step.run!, { STUB_PLAN_EXIT: '1', STUB_COMMENT: '## plan\nREFUSED: …' });
    expect(r.code).toBe(1);
    expect(log()).toContainEqual('gh pr comment 7 --edit-last --body-file comment.md');
    expect(readFileSync(join(dir, 'comment.md'), 'utf8')).toContain('REFUSED');
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('plan output');
  });

  it('a plan that could not run (exit 2, no comment written) posts the error instead', () => {
    const { dir, log } = sandbox();
    const r = runStep(dir, step.run!, { STUB_PLAN_EXIT: '2', STUB_COMMENT: '' });
    expect(r.code).toBe(2);
    expect(log()).toContainEqual('gh pr comment 7 --edit-last --body-file comment.md');
    expect(readFileSync(join(dir, 'comment.md'), 'utf8')).toMatch(/^\*\*dbfleet plan failed\*\* \(exit 2\)[\s\S]*plan errors/);
  });

  it('the plan is asked for a comment within the limit, linking the run page', () => {
    expect(step.run).toContain('--comment comment.md --full-plan-url "$RUN_URL"');
  });

  it(`is cut at a line to GitHub's ${GITHUB_COMMENT_LIMIT} characters, an open code fence closed, with a link to the full plan`, () => {
    const plan = `## dbfleet plan\n\n\`\`\`diff\n${Array.from({ length: 3000 }, (_, i) => `- value ${i} ${'x'.repeat(30)}`).join('\n')}\n\`\`\`\n`;
    expect(plan.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    const body = commentBody(plan, 'https://example.com/run/1');
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toMatch(
      /- value \d+ x+\n```\n\n\*\*The plan is cut here\*\*: [\d,]+ characters, .* the full plan: https:\/\/example\.com\/run\/1\n$/,
    );
    expect(body.match(/```/g)!.length % 2).toBe(0);
    expect(commentBody('short', 'u')).toBe('short');
  });
});

describe(`the DANGER gate (${DANGER_LABEL})`, () => {
  const gate = steps[steps.length - 1];
  // The run of the event that added the label: GitHub's sender is who added it.
  const base = { ACTION: 'labeled', LABEL: DANGER_LABEL, SENDER: 'lead', AUTHOR: 'dev', HEAD_SHA: 'b2', STUB_HEAD: 'b2', LABELLED: 'true' };
  const planCall = (log: string[]) => log.find((l) => l.startsWith('npx dbfleet plan'));

  it("runs .ci/accept-danger with the event's label and sender", () => {
    expect(gate.run).toBe('.ci/accept-danger');
    expect(existsSync(join(sandbox().dir, '.ci', 'accept-danger'))).toBe(true);
    const env = (gate as { env?: Record<string, string> }).env!;
    expect(env.LABEL).toBe('${{ github.event.label.name }}');
    expect(env.SENDER).toBe('${{ github.event.sender.login }}');
  });

  it('accepts the label added by a maintainer with write access, in the run of that event, for the head commit', () => {
    const { dir, log } = sandbox();
    const r = runStep(dir, '.ci/accept-danger', { ...base, STUB_PERMISSION: 'write' });
    expect(r.code).toBe(0);
    expect(planCall(log())).toBe('npx dbfleet plan --base origin/main --allow-destructive');
    expect(r.out).toContain('DANGER accepted by lead for b2');
  });

  it("does not count the label when the pull request's author added it (even with write access)", () => {
    const { dir, log } = sandbox();
    const r = runStep(dir, '.ci/accept-danger', { ...base, SENDER: 'dev', STUB_PERMISSION: 'admin' });
    expect(planCall(log())).toBe('npx dbfleet plan --base origin/main');
    expect(r.err).toContain("added by the pull request's author (dev)");
  });

  it('does not count it from someone without write access, nor for a head that moved, nor on a push', () => {
    const readOnly = sandbox();
    runStep(readOnly.dir, '.ci/accept-danger', { ...base, STUB_PERMISSION: 'read' });
    expect(planCall(readOnly.log())).toBe('npx dbfleet plan --base origin/main');
    const moved = sandbox();
    const r = runStep(moved.dir, '.ci/accept-danger', { ...base, STUB_HEAD: 'c3', STUB_PERMISSION: 'write' });
    expect(planCall(moved.log())).toBe('npx dbfleet plan --base origin/main');
    expect(r.err).toContain('moved to c3');
    const push = sandbox();
    runStep(push.dir, '.ci/accept-danger', { ...base, ACTION: 'synchronize', LABEL: '', SENDER: 'dev', STUB_PERMISSION: 'write' });
    expect(push.log()).toEqual(['npx dbfleet plan --base origin/main']);
  });

  // Attack on #27: the author pushes a DANGER commit c3 and, before that push's run removes the
  // label (minutes: npm ci, synth, plan), adds any other label. That run's payload still lists the
  // maintainer's label, the last "labeled" event of it is the maintainer's, the head is c3: it
  // accepted c3, which nobody labelled, and re-running that run later accepted it again.
  it('another event whose payload still lists the label (another label, a reopen) does not accept', () => {
    for (const event of [
      { ACTION: 'labeled', LABEL: 'needs-review', SENDER: 'dev' },
      { ACTION: 'reopened', LABEL: '', SENDER: 'dev' },
      { ACTION: 'unlabeled', LABEL: 'wip', SENDER: 'dev' },
    ]) {
      const { dir, log } = sandbox();
      const r = runStep(dir, '.ci/accept-danger', {
        ...base,
        ...event,
        HEAD_SHA: 'c3',
        STUB_HEAD: 'c3',
        STUB_LABELLERS: 'lead\n',
        STUB_PERMISSION: 'write',
      });
      expect(planCall(log()), event.ACTION).toBe('npx dbfleet plan --base origin/main');
      expect(r.err).toContain('remove the label and add it again');
    }
  });

  it('a re-run of the labelling run after the label was removed does not accept (the label is read now, not from the payload)', () => {
    const { dir, log } = sandbox();
    const r = runStep(dir, '.ci/accept-danger', { ...base, STUB_LABEL_NOW: '0', STUB_LABELLERS: 'lead\n', STUB_PERMISSION: 'write' });
    expect(planCall(log())).toBe('npx dbfleet plan --base origin/main');
    expect(r.err).toContain('the label was removed since');
  });
});
