/** Thin layer over the driver: direct connections to one member, hard deadlines, and error classification. */
import { MongoClient, MongoNotConnectedError, MongoServerError, type Document } from 'mongodb';
import { memberUri, type ParsedUri } from './uri';

/** The few things the tool does on a member: admin commands and close. */
export interface AdminConn {
  readonly host: string;
  /**
   * Runs an admin command. `timeoutMs` is a hard bound: when it passes, the connection is closed (the reply, if
   * any, is lost) and a CommandTimeoutError is thrown; the command may still run on the server. After a close,
   * every command fails at once with NotSentError: a closed connection is never reused.
   */
  command(cmd: Document, opts?: { timeoutMs?: number }): Promise<Document>;
  close(): Promise<void>;
}

export type Connector = (host: string, timeoutMs: number) => Promise<AdminConn>;

/** No reply within the client-side deadline: as ambiguous as a dropped connection. */
export class CommandTimeoutError extends Error {
  constructor(command: string, ms: number) {
    super(`no reply to ${command} within ${ms} ms (connection closed)`);
    this.name = 'CommandTimeoutError';
  }
}

/**
 * The command was never sent: its connection had been closed already (by one of our own deadlines). Once a
 * MongoClient is closed the driver refuses every later command with MongoNotConnectedError
 * (mongodb/node-mongodb-native@v7.5.0 src/operations/execute_operation.ts autoConnect: `client.s.hasBeenClosed`);
 * that is "nothing happened", not "maybe applied", and the caller must reconnect.
 */
export class NotSentError extends Error {
  constructor(command: string, host: string) {
    super(`${command} not sent: the connection to ${host} was closed (reconnecting)`);
    this.name = 'NotSentError';
  }
}

/** The command surely did not reach the server (so it did not and will not run there). */
export function isNotSent(e: unknown): boolean {
  return e instanceof NotSentError || e instanceof MongoNotConnectedError;
}

/** Default hard bound of a command without its own (status, config, currentOp, hello...). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/** A Connector that opens a new MongoClient with directConnection=true per call. */
export function directConnector(parsed: ParsedUri, srvTxt: Record<string, string> = {}, o: { commandTimeoutMs?: number } = {}): Connector {
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
    // The connect itself (TCP, TLS, handshake, SCRAM) gets the same hard bound: a member that accepts the TCP
    // connection and never answers (a partition, a frozen mongod) must not hold the run.
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new CommandTimeoutError('connect', timeoutMs)), timeoutMs + 500))),
      ]);
    } catch (e) {
      void client.close().catch(() => undefined);
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const admin = client.db('admin');
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      // endSessions is best effort; never wait long for it
      await Promise.race([client.close().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    };
    return {
      host,
      // Our own deadline rather than the driver's timeoutMS: the driver turns a server's MaxTimeMSExpired into a
      // MongoOperationTimeoutError, and "the server refused in time" (nothing applied) must stay distinguishable
      // from "no reply" (maybe applied).
      command: (cmd, opts) => {
        if (closed) return Promise.reject(new NotSentError(Object.keys(cmd)[0] ?? 'command', host));
        const ms = opts?.timeoutMs ?? o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
        let t: NodeJS.Timeout | undefined;
        return Promise.race([
          admin.command(cmd),
          new Promise<never>((_, reject) => {
            t = setTimeout(() => {
              void close();
              reject(new CommandTimeoutError(Object.keys(cmd)[0] ?? 'command', ms));
            }, ms);
          }),
        ]).finally(() => clearTimeout(t));
      },
      close,
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

/** The server gave up waiting (for fsync: for the fsync mutex) and changed nothing. */
export function isMaxTimeExpired(e: unknown): boolean {
  return isServerError(e) && errorCode(e) === 50;
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

const legacyHello = new WeakSet<AdminConn>();

/**
 * `hello`, or `isMaster` where the server has no `hello` (4.4.0 and 4.4.1 answer CommandNotFound, as mongosh's
 * fallback assumes). The reply always has `isWritablePrimary` (isMaster calls it `ismaster`).
 */
export async function hello(conn: AdminConn, opts?: { timeoutMs?: number }): Promise<Document> {
  if (!legacyHello.has(conn)) {
    try {
      return await conn.command({ hello: 1 }, opts);
    } catch (e) {
      if (!(isServerError(e) && errorCode(e) === 59)) throw e;
      legacyHello.add(conn);
    }
  }
  const r = await conn.command({ isMaster: 1 }, opts);
  return { ...r, isWritablePrimary: r.isWritablePrimary ?? r.ismaster };
}
