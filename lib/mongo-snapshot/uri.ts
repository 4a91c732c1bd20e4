/**
 * Connection-string handling, with the driver's own parser (mongodb-connection-string-url).
 * Everything that leaves this module as text is safe to log: the password never does.
 */
import { promises as dns } from 'node:dns';
import { ConnectionString } from 'mongodb-connection-string-url';
import { MongoClient } from 'mongodb';
import type { Redactor } from './log';

export class UriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UriError';
  }
}

export interface ParsedUri {
  /** The parsed string (holds the password: never log it, use `redacted`). */
  readonly cs: ConnectionString;
  readonly isSrv: boolean;
  /** Seed list as given (host[:port]); for mongodb+srv the single SRV name. */
  readonly seeds: string[];
  readonly username?: string;
  readonly replicaSet?: string;
  readonly authMechanism?: string;
  /** The connection string with the password replaced by "***". */
  readonly redacted: string;
}

const PER_MEMBER_DROP = [
  'replicaSet',
  'directConnection',
  'readPreference',
  'readPreferenceTags',
  'maxStalenessSeconds',
  'srvServiceName',
  'srvMaxHosts',
  'loadBalanced',
  // Deadlines are ours (mongo.ts). With timeoutMS the driver turns a server's MaxTimeMSExpired ("refused, not
  // applied") into MongoOperationTimeoutError, which reads as "maybe applied"; socketTimeoutMS would cut an fsync
  // or fsyncUnlock that must never be given up below 7.0 (lock.ts).
  'timeoutMS',
  'socketTimeoutMS',
  'waitQueueTimeoutMS',
  'serverSelectionTimeoutMS',
  'connectTimeoutMS',
];

/** Parses and validates a connection string. Registers its password with the redactor first. */
export function parseMongoUri(raw: string, redactor: Redactor): ParsedUri {
  const text = raw.trim();
  // Register whatever looks like a password before parsing, so even a parse error cannot leak it.
  const userinfo = /^mongodb(?:\+srv)?:\/\/([^/?#]*)@/i.exec(text)?.[1];
  if (userinfo) {
    const colon = userinfo.indexOf(':');
    if (colon >= 0) redactor.add(userinfo.slice(colon + 1));
  }
  let cs: ConnectionString;
  try {
    cs = new ConnectionString(text);
  } catch (e) {
    const hint =
      (userinfo !== undefined && /[@:/?#[\]%]/.test(userinfo.slice(userinfo.indexOf(':') + 1))) || (userinfo ?? '').includes('@')
        ? ' (special characters in the user name or password, @ : / ? # [ ] %, must be percent-encoded: @ as %40, : as %3A, / as %2F, % as %25)'
        : '';
    throw new UriError(`invalid connection string: ${redactor.error(e).replace(/^MongoParseError: /, '')}${hint}`);
  }
  if (cs.password) {
    redactor.add(cs.password);
    try {
      redactor.add(decodeURIComponent(cs.password));
    } catch {
      throw new UriError('invalid connection string: the password is not correctly percent-encoded');
    }
  }
  const params = cs.searchParams;
  for (const k of ['tlsCertificateKeyFilePassword', 'sslPEMKeyPassword']) redactor.add(params.get(k));
  for (const v of params.getAll('authMechanismProperties')) {
    for (const kv of v.split(',')) if (/^(AWS_SESSION_TOKEN|PASSWORD)/i.test(kv)) redactor.add(kv.split(':').slice(1).join(':'));
  }
  const redacted = redactor.redact(cs.redact({ replacementString: '***' }).toString());
  if (params.get('loadBalanced') === 'true') {
    throw new UriError('invalid connection string: loadBalanced=true cannot reach individual replica-set members');
  }
  // Let the driver validate every option (unknown values, conflicting TLS options, ...). No I/O happens here.
  try {
    const probe = new MongoClient(text, { serverSelectionTimeoutMS: 1 });
    void probe.close().catch(() => undefined);
  } catch (e) {
    throw new UriError(`invalid connection string: ${redactor.error(e).replace(/^Mongo\w+Error: /, '')}`);
  }
  let username: string | undefined;
  try {
    username = cs.username ? decodeURIComponent(cs.username) : undefined;
  } catch {
    throw new UriError('invalid connection string: the user name is not correctly percent-encoded');
  }
  return {
    cs,
    isSrv: cs.isSRV,
    seeds: [...cs.hosts],
    username,
    replicaSet: params.get('replicaSet') ?? undefined,
    authMechanism: params.get('authMechanism') ?? undefined,
    redacted,
  };
}

/** Options a mongodb+srv TXT record may carry (the only ones the spec allows). */
export interface SrvResult {
  hosts: string[];
  txt: Record<string, string>;
}

/** Resolves a mongodb+srv name like the driver does: SRV records (with the parent-domain check) and TXT options. */
/** A DNS lookup has no deadline of its own (the resolver retries for a long time): bound it. */
function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(t));
}

export async function resolveSrv(parsed: ParsedUri, timeoutMs = 5_000): Promise<SrvResult> {
  const name = parsed.seeds[0]!;
  const service = parsed.cs.searchParams.get('srvServiceName') ?? 'mongodb';
  const records = await withDeadline(dns.resolveSrv(`_${service}._tcp.${name}`), timeoutMs, `SRV lookup of _${service}._tcp.${name}`);
  if (records.length === 0) throw new Error(`no SRV records for ${name}`);
  const parts = name.toLowerCase().split('.');
  const domain = parts.length >= 3 ? parts.slice(1).join('.') : parts.join('.');
  const hosts: string[] = [];
  for (const r of records) {
    const target = r.name.toLowerCase().replace(/\.$/, '');
    if (!target.endsWith(`.${domain}`)) throw new Error(`SRV record ${target} is not in the domain ${domain}`);
    hosts.push(`${target}:${r.port}`);
  }
  const txt: Record<string, string> = {};
  try {
    const rec = await withDeadline(dns.resolveTxt(name), timeoutMs, `TXT lookup of ${name}`);
    if (rec.length > 1) throw new Error(`more than one TXT record for ${name}`);
    for (const kv of new URLSearchParams((rec[0] ?? []).join(''))) {
      const key = kv[0];
      if (!/^(authSource|replicaSet|loadBalanced)$/i.test(key)) throw new Error(`TXT record option ${key} is not allowed`);
      txt[key] = kv[1];
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ENODATA' && code !== 'ENOTFOUND') throw e;
  }
  return { hosts: hosts.sort(), txt };
}

/**
 * The connection string for a direct connection to one member: same credentials, auth and TLS options,
 * hosts replaced, directConnection=true. For mongodb+srv the scheme becomes mongodb:// with tls=true
 * (unless tls/ssl was set explicitly) and the TXT options that the string did not set itself.
 */
export function memberUri(parsed: ParsedUri, host: string, srvTxt: Record<string, string> = {}): string {
  const cs = parsed.cs.clone();
  if (parsed.isSrv) {
    cs.protocol = 'mongodb:';
    if (!cs.searchParams.has('tls') && !cs.searchParams.has('ssl')) cs.searchParams.set('tls', 'true');
    for (const [k, v] of Object.entries(srvTxt)) if (!cs.searchParams.has(k)) cs.searchParams.set(k, v);
  }
  // option names are case-insensitive in a connection string
  const drop = new Set(PER_MEMBER_DROP.map((k) => k.toLowerCase()));
  for (const k of [...cs.searchParams.keys()]) if (drop.has(k.toLowerCase())) cs.searchParams.delete(k);
  cs.hosts = [host];
  cs.searchParams.set('directConnection', 'true');
  return cs.toString();
}

/** "host:port" in lower case, with the default port filled in. IPv6 stays in brackets. */
export function normalizeHost(hostPort: string): string {
  const h = hostPort.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return h.slice(end + 1).startsWith(':') ? h : `${h.slice(0, end + 1)}:27017`;
  }
  return h.includes(':') ? h : `${h}:27017`;
}

/** The host name alone, without port (and without IPv6 brackets): what the snapshot command gets. */
export function hostOnly(hostPort: string): string {
  const h = hostPort.trim();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}
