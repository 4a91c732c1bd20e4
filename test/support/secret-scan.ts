// A secret scan of rendered objects that reads every string value, not key names: a literal
// password may hide in a container env value, an argument, an annotation or ConfigMap data just as
// well as under a key called `password`. Used by the dist/ test and the property-based invariants.

/** One finding: where (JSON path) and why. The value itself is never printed whole. */
export interface SecretFinding {
  readonly path: string;
  readonly reason: string;
}

export interface SecretScanOptions {
  /** Values that must never appear anywhere, in any letter case. @default KNOWN_TEST_PASSWORDS */
  readonly known?: readonly string[];
}

/**
 * The suite's own fixed sample passwords (random ones are made per run and cannot leak into rendered output).
 * Every scan looks for them unless told otherwise: a helper's password that ends up in dist/ is a leak.
 */
export const KNOWN_TEST_PASSWORDS: readonly string[] = ['admin-secret', 'hunter2'];

// Values that are provably not secrets although they look random, recognised only where they stand as what they
// are (attack on issue 33: `^[0-9a-f]{40}$` and a bare `sha256:<64 hex>` admitted any 40- or 64-digit hex key,
// `openssl rand -hex 20/32`, in any field not named like a secret): a content digest after an image reference
// (`<image>@sha256:<64 hex>`), a commit id after an action or repository path (`<owner>/<repo>@<40 hex>`).
const ALLOWED_IN_CONTEXT = /(?<=[\w.:/-])@sha256:[0-9a-f]{64}(?![0-9a-f])|(?<=[\w.-]\/[\w.-]+)@[0-9a-f]{40}(?![0-9a-f])/g;

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
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(token)).length;
  if (/^[0-9a-f]+$/i.test(token)) return token.length >= 32 && entropy(token) >= 3.5; // hex keys
  return classes >= 3 && entropy(token) >= 4.2;
}

const SECRET_NAME = /pass(word)?|passwd|pwd|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential/i;
// `password=x`, `PASSWORD: x`, `--password x`, `:x@` in a URL: an assignment of a literal.
const ASSIGNMENT = /(?:pass(?:word)?|passwd|pwd|secret|token|api[-_]?key)["']?[ \t]*(?:=|:|[ \t])[ \t]*["']?([^\s"'&;,)}]+)/gi;
// The user may be empty (`postgres://:pw@host`): the password is still there.
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:([^@\s/]+)@/gi;
// AWS access key ids have a fixed shape (AKIA… long-term, ASIA… temporary) but too little entropy for the
// generic test below. Short hex strings (< 32 characters) stay out on purpose: resource versions, UIDs' pieces
// and hashes in names look the same, and no credential dbfleet could render is that short.
const AWS_ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g;

// `PGPASSWORD=$(…)`: the expansion is stripped below as "not a literal", but what it runs decides. Reading a
// mounted Secret's file (`$(cat <file>)`) is how a script gets a password; `$(printf %s <literal>)` is a literal.
const SUBSTITUTED = /\b\w*(?:pass(?:word)?|passwd|pwd|secret|token|api[-_]?key)\w*=["']?\$\(([^)]*)\)/gi;
// A key naming a secret (ConfigMap data, annotations, any field) whose string value is a literal. Keys that name
// where a secret is (`secretName`, `passwordSecretRef`, `tokenPath`, `…File`) hold no secret themselves.
const SECRET_KEY = /pass(word)?|passwd|pwd|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential/i;
const REFERENCE_KEY = /(name|ref|path|file|namespace|store|kind|hook[-_]?delete[-_]?policy|\.(sql|sh|json|ya?ml|conf|ini|txt|md|py|js))$/i; // a data key with an extension is a file: its content is scanned
// Fields that name a key rather than hold one: External Secrets' `secretKey` (the target Secret's key) and
// `remoteKey`, a `secretKeyRef`'s `key`. Only these exact spellings: `api_key`, `secret_key`, `private-key`,
// `aws_secret_access_key` hold the key itself (attack on issue 33: every key ending in "key" passed as a reference).
const REFERENCE_KEY_FIELD = /^(key|secretKey|remoteKey|topologyKey)$/;
// An AWS secret access key: 40 characters of base64 (its `/` would split it into short words below).
const AWS_SECRET_ACCESS_KEY = /(?<![A-Za-z0-9/+=])[A-Za-z0-9+][A-Za-z0-9/+]{38}[A-Za-z0-9+](?![A-Za-z0-9/+=])/g;
// `--password hunter2` as two arguments: the flag names what the next argument is.
const SECRET_FLAG = /^--?[\w-]*(pass(word)?|passwd|pwd|secret|token|api[-_]?key)$/i;
/**
 * Flags whose value names a Kubernetes Secret rather than holding one: the restore drill's
 * `--owner-secret <database>=<Secret name>`. Only that exact shape is let through.
 */
const SECRET_REFERENCE_FLAGS: Readonly<Record<string, RegExp>> = {
  // A database named after its service (`-` as `_`) starts with a digit when the service does.
  '--owner-secret': /^[a-z0-9_][a-z0-9_]*=[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
};

/**
 * A template or expansion is not a literal, but a string constant inside a Go template is (`{{ "hunter2" }}`
 * renders hunter2): it stays for the scan; the short ones the rendered templates use (`"+"`, `"%20"`, `"%.0f"`) cannot hold a secret.
 */
function templateLiterals(template: string): string {
  if (!template.startsWith('{{')) return '';
  return [...template.matchAll(/"((?:[^"\\]|\\.)*)"|`([^`]*)`/g)]
    .map((m) => m[1] ?? m[2])
    .filter((s) => s.length >= 4)
    .join(' ');
}

/** A value that names where a secret is, or is empty once templates and expansions are taken out. */
function notALiteral(value: string): boolean {
  const literal = value.replace(TEMPLATE, templateLiterals).trim();
  return (
    literal === '' ||
    // the secret comes from the store's template where the secret goes (a .pgpass line: host:port:db:user:{{ .password }},
    // a URL's userinfo); literal text glued to a template (`hunter2{{ .x }}`) is a literal with a template beside it
    (/\{\{[^}]*\}\}/.test(value) &&
      !/[^\s:=@/'"]\{\{|\}\}[^\s:@&;'"/]/.test(value) &&
      templateLiterals(value.match(/\{\{[^}]*\}\}/g)!.join(' ')) === '') ||
    /^\/[\w./-]*$/.test(literal) || // a file path (a mounted Secret)
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(literal) || // <namespace>/<name>
    /^(true|false|null|none|required|prefer|disable|enabled?|disabled)$/i.test(literal)
  );
}

function scanString(value: string, path: string, options: SecretScanOptions, out: SecretFinding[]): void {
  const lower = value.toLowerCase();
  for (const known of options.known ?? KNOWN_TEST_PASSWORDS)
    if (known && lower.includes(known.toLowerCase())) out.push({ path, reason: 'contains a known test password' });
  for (const m of value.matchAll(SUBSTITUTED))
    if (!/^\s*cat\s/.test(m[1]))
      out.push({ path, reason: `assigns the output of $(${m[1].split(/\s/)[0]} …) to a secret variable, not $(cat <file>)` });
  // A content digest (`image@sha256:<64 hex>`) names bytes, it does not unlock anything: taken out before the
  // words are split at punctuation, where its 64 hex digits would read as a generated key.
  const literal = value.replace(TEMPLATE, templateLiterals).replace(ALLOWED_IN_CONTEXT, '');
  for (const m of literal.matchAll(ASSIGNMENT)) {
    const assigned = m[1];
    // Flags without a value (`--password-file`), file paths and placeholders are not secrets.
    // A reference to a Secret (`secret=<namespace>/<name>`) names where the value is, not the value.
    const reference = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(assigned);
    // Prose in a message ("no longer logs in with the password from the store") is no assignment.
    const prose = /^(from|with|for|of|in|is|was|the|that|this|authentication)$/i.test(assigned);
    if (assigned.length >= 4 && !reference && !prose && !/^[-/.<$]|^(true|false|null|none|required|prefer|disable)$/i.test(assigned))
      out.push({ path, reason: `assigns a literal to "${m[0].slice(0, m[0].length - assigned.length).trim()}"` });
  }
  for (const m of literal.matchAll(URL_USERINFO)) out.push({ path, reason: `a URL carries a password (${m[1].length} characters)` });
  for (const m of literal.matchAll(AWS_ACCESS_KEY_ID)) out.push({ path, reason: `an AWS access key id (${m[0].slice(0, 4)}…)` });
  for (const m of literal.matchAll(AWS_SECRET_ACCESS_KEY))
    // random base64, not a path: a slash, a digit, and no all-lowercase word between the slashes (…/docs/runbooks/…)
    if (/\//.test(m[0]) && /[0-9]/.test(m[0]) && !m[0].split('/').some((w) => /^[a-z]{3,}$/.test(w)) && looksGenerated(m[0]))
      out.push({ path, reason: 'a high-entropy literal of 40 characters (an AWS secret access key)' });
  // Words as written; a word that is a URL, a path, a host name or an assignment is split further at
  // its punctuation, so that only a credential-like piece of it can count as one.
  for (const word of literal.split(/[\s"'`,;()[\]{}<>|\\]+/)) {
    const pieces = /:|\/|=|\.[a-z]/.test(word) ? word.split(/[^A-Za-z0-9+_~!#%*^-]+/) : [word];
    for (const token of pieces)
      if (looksGenerated(token)) out.push({ path, reason: `a high-entropy literal of ${token.length} characters` });
  }
}

/** Every string value of `node`, with a JSON path; container env entries named like secrets must use valueFrom. */
export function scanForSecrets(node: unknown, options: SecretScanOptions = {}, path = '', out: SecretFinding[] = []): SecretFinding[] {
  if (typeof node === 'string') scanString(node, path, options, out);
  else if (Array.isArray(node))
    node.forEach((v, i) => {
      const flag = node[i - 1];
      const reference = typeof flag === 'string' ? SECRET_REFERENCE_FLAGS[flag] : undefined;
      if (
        typeof v === 'string' &&
        typeof flag === 'string' &&
        SECRET_FLAG.test(flag) &&
        !v.startsWith('-') &&
        !notALiteral(v) &&
        !reference?.test(v)
      )
        out.push({ path: `${path}[${i}]`, reason: `the argument after ${flag} is a literal` });
      scanForSecrets(v, options, `${path}[${i}]`, out);
    });
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
    // A v1 Secret with content: rendered output never holds one (the ExternalSecrets make the Secrets).
    if (record.kind === 'Secret' && record.apiVersion === 'v1')
      for (const field of ['data', 'stringData'])
        for (const [key, value] of Object.entries((record[field] ?? {}) as Record<string, unknown>))
          if (typeof value === 'string' && value !== '') out.push({ path: `${field}.${key}`, reason: 'a Secret with literal content' });
    for (const [key, value] of Object.entries(record)) {
      const at = path ? `${path}.${key}` : key;
      if (
        typeof value === 'string' &&
        SECRET_KEY.test(key) &&
        !REFERENCE_KEY.test(key) &&
        !REFERENCE_KEY_FIELD.test(key) &&
        !notALiteral(value)
      )
        out.push({ path: at, reason: `key ${key} holds a literal` });
      scanForSecrets(value, options, at, out);
    }
  }
  return out;
}
