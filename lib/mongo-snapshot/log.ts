/**
 * Logging: one line per step on stderr, human-readable ("text") or JSON lines ("json").
 * Every line goes through a Redactor first, so no secret can reach the output.
 */
export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

// userinfo of any mongodb URI (greedy up to the last '@' before the host list), and
// user:pass@ in other URLs (for example a pushgateway URL with basic auth).
const URI_USERINFO = /\b(mongodb(?:\+srv)?:\/\/)[^\s/?#"']*@/gi;
const URL_USERINFO = /\b(https?:\/\/)[^\s/?#@"']*:[^\s/?#"']*@/gi;

export class Redactor {
  private secrets: string[] = [];

  /** Adds a secret; its raw form and its URI-encoded forms are replaced by "***". */
  add(secret: string | undefined | null): void {
    if (!secret) return;
    const forms = new Set<string>([secret]);
    try {
      forms.add(encodeURIComponent(secret));
      forms.add(encodeURIComponent(secret).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
      forms.add(encodeURI(secret));
      const decoded = decodeURIComponent(secret);
      forms.add(decoded);
      forms.add(encodeURIComponent(decoded));
    } catch {
      // not decodable: the raw form is enough
    }
    for (const f of forms) {
      // no minimum length: a garbled log line is better than a leaked password
      if (f.length > 0 && !this.secrets.includes(f)) this.secrets.push(f);
      // lower-case percent-encoding variants
      const lower = f.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
      if (lower !== f && !this.secrets.includes(lower)) this.secrets.push(lower);
    }
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /** Replaces the registered secrets only (no pattern for user info in URLs). */
  redactKnown(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }

  redact(text: string): string {
    let out = text.replace(URI_USERINFO, '$1***@').replace(URL_USERINFO, '$1***@');
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }

  /** Same as redact(), for an unknown thrown value. */
  error(e: unknown): string {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      const name = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
      const codeText = code !== undefined && code !== null && !String(e.message).includes(String(code)) ? ` (code ${String(code)})` : '';
      return this.redact(`${name}${e.message}${codeText}`);
    }
    return this.redact(String(e));
  }
}

export interface LogSink {
  write(line: string): void;
}

const stderrSink: LogSink = { write: (line) => void process.stderr.write(line) };

export class Logger {
  constructor(
    readonly redactor: Redactor,
    public format: LogFormat = 'text',
    private readonly sink: LogSink = stderrSink,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  debug(step: string, msg: string, fields?: Fields): void {
    if (process.env.MONGO_SNAPSHOT_DEBUG) this.log('debug', step, msg, fields);
  }
  info(step: string, msg: string, fields?: Fields): void {
    this.log('info', step, msg, fields);
  }
  warn(step: string, msg: string, fields?: Fields): void {
    this.log('warn', step, msg, fields);
  }
  error(step: string, msg: string, fields?: Fields): void {
    this.log('error', step, msg, fields);
  }

  log(level: Level, step: string, msg: string, fields: Fields = {}): void {
    const ts = this.clock().toISOString();
    let line: string;
    // Redact every string BEFORE it is escaped (JSON.stringify, quoting): a password holding `"` or `\\` would be
    // escaped first and then no longer match the redactor. The whole line is redacted again as a last resort.
    const clean = (v: unknown): unknown =>
      typeof v === 'string'
        ? this.redactor.redact(v)
        : Array.isArray(v)
          ? v.map(clean)
          : v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Error)
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]))
            : v instanceof Error
              ? this.redactor.error(v)
              : v;
    const cmsg = this.redactor.redact(msg);
    const cfields = clean(fields) as Fields;
    if (this.format === 'json') {
      line = JSON.stringify({ ts, level, step, msg: cmsg, ...cfields }, jsonReplacer);
    } else {
      const kv = Object.entries(cfields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${textValue(v)}`)
        .join(' ');
      line = `${ts} ${level.toUpperCase().padEnd(5)} [${step}] ${cmsg}${kv ? ` ${kv}` : ''}`;
    }
    this.sink.write(`${this.redactor.redact(line)}\n`);
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Error) return value.message;
  return value;
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v, jsonReplacer);
}
