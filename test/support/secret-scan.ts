// A secret scan of rendered objects that reads every string value, not key names: a literal
// password may hide in a container env value, an argument, an annotation or ConfigMap data just as
// well as under a key called `password`. Used by the dist/ test and the property-based invariants.

/** One finding: where (JSON path) and why. The value itself is never printed whole. */
export interface SecretFinding {
  readonly path: string;
  readonly reason: string;
}

export interface SecretScanOptions {
  /** Exact values that must never appear anywhere (the test suite's own sample passwords). */
  readonly known?: readonly string[];
}

// Values that are provably not secrets although they look random.
const ALLOWED: readonly RegExp[] = [
  /^sha256:[0-9a-f]{64}$/, // image digests
  /@sha256:[0-9a-f]{64}$/, // image references pinned by digest
  /^[0-9a-f]{40}$/, // git commit ids (actions pinned by commit in workflows)
];

// A template over what the secret store returns, or a reference to a Secret, is how a secret may appear.
// Shell expansions too: `${VAR}`, `${VAR:?message}`, `$(command …)`, `$VAR`, Kubernetes' `$(VAR)`.
const TEMPLATE = /\{\{[^}]*\}\}|\$\([^)]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:#%/?+=-][^}]*)?\}|\$[A-Za-z_][A-Za-z0-9_]*/g;

/** Shannon entropy in bits per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/** A token that looks like a generated credential: long, mixed character classes, high entropy. */
function looksGenerated(token: string): boolean {
  if (token.length < 20) return false;
  if (ALLOWED.some((re) => re.test(token))) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(token)).length;
  if (/^[0-9a-f]+$/i.test(token)) return token.length >= 32 && entropy(token) >= 3.5; // hex keys
  return classes >= 3 && entropy(token) >= 4.2;
}

const SECRET_NAME = /pass(word)?|passwd|secret|token|api[-_]?key|private[-_]?key|credential/i;
// `password=x`, `PASSWORD: x`, `--password x`, `:x@` in a URL: an assignment of a literal.
const ASSIGNMENT = /(?:pass(?:word)?|passwd|secret|token|api[-_]?key)["']?[ \t]*(?:=|:|[ \t])[ \t]*["']?([^\s"'&;,)}]+)/gi;
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:([^@\s/]+)@/gi;

function scanString(value: string, path: string, options: SecretScanOptions, out: SecretFinding[]): void {
  for (const known of options.known ?? []) if (known && value.includes(known)) out.push({ path, reason: 'contains a known test password' });
  const literal = value.replace(TEMPLATE, '');
  for (const m of literal.matchAll(ASSIGNMENT)) {
    const assigned = m[1];
    // Flags without a value (`--password-file`), file paths and placeholders are not secrets.
    // A reference to a Secret (`secret=<namespace>/<name>`) names where the value is, not the value.
    const reference = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(assigned);
    if (assigned.length >= 4 && !reference && !/^[-/.<$]|^(true|false|null|none|required|prefer|disable)$/i.test(assigned))
      out.push({ path, reason: `assigns a literal to "${m[0].slice(0, m[0].length - assigned.length).trim()}"` });
  }
  for (const m of literal.matchAll(URL_USERINFO)) out.push({ path, reason: `a URL carries a password (${m[1].length} characters)` });
  // Words as written; a word that is a URL, a path, a host name or an assignment is split further at
  // its punctuation, so that only a credential-like piece of it can count as one.
  for (const word of literal.split(/[\s"'`,;()[\]{}<>|\\]+/)) {
    const pieces = /:\/\/|\/|=|\.[a-z]/.test(word) ? word.split(/[^A-Za-z0-9+_~!#%*^-]+/) : [word];
    for (const token of pieces)
      if (looksGenerated(token)) out.push({ path, reason: `a high-entropy literal of ${token.length} characters` });
  }
}

/** Every string value of `node`, with a JSON path; container env entries named like secrets must use valueFrom. */
export function scanForSecrets(node: unknown, options: SecretScanOptions = {}, path = '', out: SecretFinding[] = []): SecretFinding[] {
  if (typeof node === 'string') scanString(node, path, options, out);
  else if (Array.isArray(node)) node.forEach((v, i) => scanForSecrets(v, options, `${path}[${i}]`, out));
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    // An env entry `{ name: DB_PASSWORD, value: … }`: a secret in plain sight whatever its value looks
    // like, unless the value is a file path (where a mounted Secret is, e.g. PGPASSFILE).
    if (
      typeof record.name === 'string' &&
      typeof record.value === 'string' &&
      SECRET_NAME.test(record.name) &&
      record.value !== '' &&
      !/^\/[\w./-]*$/.test(record.value)
    )
      out.push({ path: `${path}.value`, reason: `env ${record.name} has a literal value, not valueFrom.secretKeyRef` });
    for (const [key, value] of Object.entries(record)) scanForSecrets(value, options, path ? `${path}.${key}` : key, out);
  }
  return out;
}
