// Stryker plugins for `npm run mutate` (stryker.config.mjs).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PluginKind, declareClassPlugin, declareValuePlugin } from '@stryker-mutator/api/plugin';

const LOG_METHODS = new Set(['debug', 'info', 'warn', 'error']);

/** `log.info(…)` or `ctx.log.warn(…)`: mongo-snapshot's structured log (lib/mongo-snapshot/log.ts). */
function isLogCall(node) {
  if (node?.type !== 'CallExpression' || node.callee.type !== 'MemberExpression') return false;
  const { object, property } = node.callee;
  if (property.type !== 'Identifier' || !LOG_METHODS.has(property.name)) return false;
  return (
    (object.type === 'Identifier' && object.name === 'log') ||
    (object.type === 'MemberExpression' && object.property.type === 'Identifier' && object.property.name === 'log')
  );
}

/**
 * The arguments of a log call: the message text and its fields. A mutant there changes what a line of the
 * log says, not what the program does (the call itself, and every statement around it, are still mutated).
 * Reported by Stryker as "ignored" with this reason; docs/mutation-testing.md counts them per module.
 */
const logText = {
  shouldIgnore(path) {
    if (path.listKey === 'arguments' && isLogCall(path.parentPath?.node))
      return 'log text: what a log line says, not what the program does';
    return undefined;
  },
};

/**
 * A line of an SQL comment (`'-- …'`) or of a shell comment (`'# …'`) in generated SQL and scripts
 * (lib/access/privileges-sql.ts): it tells the reader of the ConfigMap why, and PostgreSQL and sh skip it.
 * Emptying it changes no statement (the SQL's statements, and every string that builds one, are still mutated).
 */
const commentText = {
  shouldIgnore(path) {
    const node = path.node;
    const text =
      node.type === 'StringLiteral'
        ? node.value
        : node.type === 'TemplateLiteral' && node.quasis.length > 0
          ? node.quasis[0].value.cooked
          : undefined;
    if (typeof text === 'string' && /^(-- |# )/.test(text) && !text.includes('\n'))
      return 'comment text: a line of an SQL or shell comment, which the server and sh skip';
    return undefined;
  },
};

/**
 * Appends each mutant's result to reports/mutation/progress.jsonl as soon as it is known. Stryker writes its own
 * reports only when the whole run ends; on this shared machine a run can be stopped before that, and the
 * modules it did finish must still be countable.
 */
class ProgressFileReporter {
  static inject = [];
  file = 'reports/mutation/progress.jsonl';
  constructor() {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, '');
  }
  onMutantTested(result) {
    const { id, fileName, mutatorName, replacement, location, status, statusReason, killedBy } = result;
    appendFileSync(
      this.file,
      `${JSON.stringify({ at: new Date().toISOString(), id, fileName, mutatorName, replacement, location, status, statusReason, killedBy })}\n`,
    );
  }
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'log-text', logText),
  declareValuePlugin(PluginKind.Ignore, 'comment-text', commentText),
  declareClassPlugin(PluginKind.Reporter, 'progress-file', ProgressFileReporter),
];
