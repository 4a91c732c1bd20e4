// The plan as a pull-request comment: GitHub refuses a comment body over 65,536 characters (the
// REST API answers 422 "Body is too long"), and a fleet-wide change easily plans more. The comment
// is then cut at a line, an open code fence is closed, and a last line links to the full plan
// (the starter workflow puts it on the run's summary page).

/** GitHub's limit on an issue or pull-request comment body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** `markdown` if it fits in `limit` characters, else its first lines and a link to the whole plan. */
export function commentBody(markdown: string, fullPlanUrl: string | undefined, limit = GITHUB_COMMENT_LIMIT): string {
  if (markdown.length <= limit) return markdown;
  const where = fullPlanUrl ? `the full plan: ${fullPlanUrl}` : 'the full plan: run `npx dbfleet plan` locally';
  const tail = (fence: boolean) =>
    `${fence ? '```\n' : ''}\n**The plan is cut here**: ${markdown.length.toLocaleString('en-US')} characters, more than a comment may hold (${limit.toLocaleString('en-US')}); ${where}\n`;
  const lines = markdown.split('\n');
  let kept = '';
  let fence = false;
  for (const line of lines) {
    const next = `${kept}${line}\n`;
    const nextFence: boolean = /^\s*```/.test(line) ? !fence : fence;
    if (next.length + tail(nextFence).length > limit) break;
    kept = next;
    fence = nextFence;
  }
  return `${kept}${tail(fence)}`;
}
