// CRD `pattern`s are Go regexps (RE2), which the API server runs with Go's regexp package. Most
// are also valid JavaScript, but some use RE2-only syntax (a leading `(?i)` in Argo CD's CRDs,
// \A, \z, POSIX classes). This is ajv's regexp engine: it translates what it safely can, and falls
// back to the RE2 engine inside @bufbuild/cel (CEL's matches() is RE2) for anything else, so every
// pattern is enforced with Go's meaning and none is skipped.
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';

interface Matcher {
  test(s: string): boolean;
  toString(): string;
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function translate(pattern: string, flags: string): { source: string; flags: string } {
  let source = pattern;
  let extra = '';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    source = source.slice(leading[0].length);
    for (const f of leading[1]) if (f === 'i' || f === 's' || f === 'm') extra += f;
  }
  source = source
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$')
    .replace(/\[:(\w+):\]/g, (m, name: string) => POSIX[name] ?? m);
  return { source, flags: [...new Set(flags + extra)].join('') };
}

let re2Program: ReturnType<typeof plan> | undefined;
function re2Matcher(pattern: string): Matcher {
  re2Program ??= plan(celEnv(), parse('s.matches(p)'));
  return {
    // ajv keys compiled patterns by toString(); without this every RE2 matcher would be
    // "[object Object]" and all RE2 patterns would share the first one's matcher.
    toString: () => `re2:${pattern}`,
    test(s: string): boolean {
      const result = (re2Program as (ctx: { s: string; p: string }) => unknown)({ s, p: pattern });
      // An RE2 syntax error would also make the API server reject the CRD; never pass silently.
      return !isCelError(result) && result === true;
    },
  };
}

/** ajv `code.regExp` engine (kind-compiler.ts gives it the `code` ajv needs for generated code). */
export function goRegExp(pattern: string, flags: string): Matcher {
  const { source, flags: jsFlags } = translate(pattern, flags);
  try {
    return new RegExp(source, jsFlags);
  } catch {
    return re2Matcher(pattern);
  }
}
