/** Thin layer over the driver: direct connections to one member and error classification. */
import { MongoClient, MongoServerError, type Document } from 'mongodb';
import { memberUri, type ParsedUri } from './uri';

/** The few things the tool does on a member: admin commands and close. */
export interface AdminConn {
  readonly host: string;
  command(cmd: Document, opts?: { timeoutMS?: number }): Promise<Document>;
  close(): Promise<void>;
}

export type Connector = (host: string, timeoutMs: number) => Promise<AdminConn>;

export interface DriverTimeouts {
  /** how long to wait for a member to answer (server selection, TCP connect) */
  connectTimeoutMs: number;
}

/** A Connector that opens a new MongoClient with directConnection=true per call. */
export function directConnector(parsed: ParsedUri, srvTxt: Record<string, string> = {}): Connector {
  return async (host, timeoutMs) => {
    const client = new MongoClient(memberUri(parsed, host, srvTxt), {
      serverSelectionTimeoutMS: timeoutMs,
      connectTimeoutMS: timeoutMs,
      heartbeatFrequencyMS: 10_000,
      maxPoolSize: 2,
      retryReads: false,
      retryWrites: false,
      monitorCommands: false,
      appName: parsed.cs.searchParams.get('appName') ?? 'mongo-snapshot',
    });
    try {
      await client.connect();
    } catch (e) {
      void client.close().catch(() => undefined);
      throw e;
    }
    const admin = client.db('admin');
    let closed = false;
    return {
      host,
      command: (cmd, opts) => admin.command(cmd, opts?.timeoutMS ? { timeoutMS: opts.timeoutMS } : {}),
      close: async () => {
        if (closed) return;
        closed = true;
        // endSessions is best effort; never wait long for it
        await Promise.race([client.close().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
      },
    };
  };
}

/** A server reply with ok:0 (the command reached the server and was refused). */
export function isServerError(e: unknown): e is MongoServerError {
  return e instanceof MongoServerError;
}

export function errorCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === 'number' ? c : undefined;
}

/** Authentication failures (wrong password, unknown user, mechanism not available). */
export function isAuthError(e: unknown): boolean {
  const code = errorCode(e);
  if (code === 18 || code === 334) return true;
  const name = (e as Error)?.name ?? '';
  const msg = String((e as Error)?.message ?? '');
  return /Auth/i.test(name) || /authentication failed/i.test(msg);
}

/**
 * fsyncUnlock's "nothing is locked" answer. No server sends a code of its own for it: 4.4 and 5.0 reply
 * `{ok: 0, errmsg: "fsyncUnlock called when not locked"}` without a code (mongodb/mongo r4.4:src/mongo/db/commands/fsync.cpp,
 * an ErrmsgCommandDeprecated), 6.0+ reply code 20 IllegalOperation with the same text. The text decides; a code other
 * than none or 20 (for example 13 Unauthorized) is never read as "not locked".
 */
export function isNotLockedError(e: unknown): boolean {
  if (!isServerError(e)) return false;
  const code = errorCode(e);
  if (code !== undefined && code !== 0 && code !== 20) return false;
  return /\bnot locked\b/i.test(String(e.errmsg ?? e.message ?? ''));
}
