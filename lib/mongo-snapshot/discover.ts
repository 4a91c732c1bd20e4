/** Discovery: find a reachable member of the replica set, confirm what it is, read status and config. */
import type { AdminConn, Connector } from './mongo';
import { hello, isAuthError } from './mongo';
import { checkPrivileges, missingPrivilegesMessage } from './privileges';
import { ExitError, EXIT } from './exit-codes';
import type { Logger, Redactor } from './log';
import { normalizeHost } from './uri';

export type Document = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type HelloKind =
  { kind: 'member'; setName: string; primary?: string; arbiter: boolean; isPrimary: boolean } | { kind: 'reject'; message: string };

/** What a hello reply says about the server (pure). */
export function classifyHello(host: string, h: Document, expectedSet?: string): HelloKind {
  if (h.msg === 'isdbgrid')
    return {
      kind: 'reject',
      message: `${host} is a mongos (sharded cluster router), not a replica-set member: pass the connection string of one shard's replica set`,
    };
  if (!h.setName) {
    if (h.isreplicaset)
      return { kind: 'reject', message: `${host} is a replica-set member without a configuration (replSetInitiate has not been run)` };
    return { kind: 'reject', message: `${host} is a standalone mongod, not a replica set: there is no secondary to snapshot` };
  }
  if (expectedSet && h.setName !== expectedSet)
    return {
      kind: 'reject',
      message: `${host} belongs to replica set "${h.setName}", not "${expectedSet}" (replicaSet in the connection string)`,
    };
  return {
    kind: 'member',
    setName: String(h.setName),
    primary: typeof h.primary === 'string' ? h.primary : undefined,
    arbiter: !!h.arbiterOnly,
    isPrimary: !!(h.isWritablePrimary ?? h.ismaster),
  };
}

export interface Discovery {
  setName: string;
  status: Document;
  config: Document;
  /** the member whose view of the set we use */
  statusFrom: string;
  /** connections to seeds (open or still opening), by normalized host, for reuse (the caller closes them) */
  conns: Map<string, Promise<AdminConn>>;
  /** maxWireVersion of the first member that answered (9: 4.4, 13: 5.0, 17: 6.0, 21: 7.0, 25: 8.0) */
  maxWireVersion: number;
}

interface SeedResult {
  seed: string;
  conn: AdminConn;
  hello: Document;
}

export async function discover(
  seeds: string[],
  connect: Connector,
  o: { connectTimeoutMs: number; expectedSet?: string; log: Logger; redactor: Redactor; checkPrivileges?: boolean },
): Promise<Discovery> {
  const conns = new Map<string, Promise<AdminConn>>();
  const errors: Array<{ seed: string; error: unknown }> = [];
  const rejects: string[] = [];
  const attempt = async (seed: string): Promise<SeedResult> => {
    const pending = connect(seed, o.connectTimeoutMs);
    pending.catch(() => undefined);
    conns.set(normalizeHost(seed), pending);
    const conn = await pending;
    try {
      return { seed, conn, hello: await hello(conn) };
    } catch (e) {
      void conn.close();
      throw e;
    }
  };
  const good = await new Promise<SeedResult | undefined>((resolve) => {
    let left = seeds.length;
    for (const seed of seeds) {
      attempt(seed).then(
        (r) => {
          const k = classifyHello(seed, r.hello, o.expectedSet);
          if (k.kind === 'reject') rejects.push(k.message);
          else if (!k.arbiter)
            return resolve(r); // arbiters cannot answer replSetGetStatus with auth on
          else rejects.push(`${seed} is an arbiter`);
          if (--left === 0) resolve(undefined);
        },
        (e) => {
          errors.push({ seed, error: e });
          if (isAuthError(e)) o.log.warn('discover', 'authentication failed', { seed, error: o.redactor.error(e) });
          else o.log.info('discover', 'seed not reachable', { seed, error: o.redactor.error(e) });
          if (--left === 0) resolve(undefined);
        },
      );
    }
  });
  if (!good) {
    const hard = rejects.find((m) => !m.endsWith('is an arbiter'));
    if (hard) throw new ExitError(EXIT.CONNECT, hard);
    const auth = errors.find((x) => isAuthError(x.error));
    if (auth) throw new ExitError(EXIT.CONNECT, `authentication failed on ${auth.seed}: ${o.redactor.error(auth.error)}`);
    const detail = [...rejects, ...errors.map((x) => `${x.seed}: ${o.redactor.error(x.error)}`)].join('; ');
    throw new ExitError(EXIT.CONNECT, `cannot reach any member of the replica set (${detail || 'no seeds'})`);
  }
  const first = classifyHello(good.seed, good.hello, o.expectedSet) as Extract<HelloKind, { kind: 'member' }>;
  o.log.info('discover', `connected to ${good.seed}`, {
    setName: first.setName,
    isPrimary: first.isPrimary,
    primary: first.primary ?? null,
  });
  if (o.checkPrivileges) {
    // before anything else: a user that can lock but not unlock must never lock (privileges.ts)
    let status: Document;
    try {
      status = await good.conn.command({ connectionStatus: 1, showPrivileges: true });
    } catch (e) {
      throw new ExitError(EXIT.CONNECT, `cannot read the user's privileges (connectionStatus) on ${good.seed}: ${o.redactor.error(e)}`);
    }
    const c = checkPrivileges(status);
    if (c.kind === 'missing') throw new ExitError(EXIT.CONNECT, missingPrivilegesMessage(c));
    o.log.info(
      'discover',
      c.kind === 'ok'
        ? `privileges of ${c.user}: fsync, unlock, replSetGetStatus, replSetGetConfig present`
        : 'authentication is off: no privileges to check',
      {},
    );
  }
  // The primary's view of the set is the reference for lag; use it when it answers quickly.
  let source: AdminConn = good.conn;
  if (!first.isPrimary && first.primary) {
    const key = normalizeHost(first.primary);
    const existing = conns.get(key);
    const ready = existing
      ? await Promise.race([existing.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref())])
      : undefined;
    if (ready) source = ready;
    else {
      const viaPrimary = connect(first.primary, Math.min(o.connectTimeoutMs, 1000)).then(
        (c) => c,
        (e) => {
          o.log.info('discover', 'primary not reachable, using the view of a secondary', {
            primary: first.primary,
            error: o.redactor.error(e),
          });
          return undefined;
        },
      );
      const c = await viaPrimary;
      if (c) {
        conns.set(key, Promise.resolve(c));
        source = c;
      }
    }
  }
  let status: Document;
  let config: Document;
  try {
    // one after the other on the same connection: cheaper than a second authenticated connection
    status = await source.command({ replSetGetStatus: 1 });
    config = await source.command({ replSetGetConfig: 1 });
  } catch (e) {
    throw new ExitError(EXIT.CONNECT, `cannot read replSetGetStatus/replSetGetConfig from ${source.host}: ${o.redactor.error(e)}`);
  }
  if (status.set && status.set !== first.setName)
    throw new ExitError(EXIT.CONNECT, `replSetGetStatus on ${source.host} reports set ${status.set}, expected ${first.setName}`);
  const maxWireVersion = Number(good.hello.maxWireVersion ?? 0);
  return { setName: first.setName, status, config, statusFrom: source.host, conns, maxWireVersion };
}
