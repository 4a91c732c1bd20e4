import { describe, expect, it } from 'vitest';
import { Logger, Redactor } from '../../lib/mongo-snapshot/log';
import { hostOnly, memberUri, normalizeHost, parseMongoUri, UriError } from '../../lib/mongo-snapshot/uri';

const PW = 'p@ss:w/0rd%S3cr3t';
const ENC = encodeURIComponent(PW);

describe('parseMongoUri / memberUri', () => {
  it('parses percent-encoded credentials, several hosts with and without ports, options', () => {
    const r = new Redactor();
    const p = parseMongoUri(
      `mongodb://snap%40ops:${ENC}@db1,db2:27018,[::1]:27019/admin?replicaSet=rs0&authSource=admin&authMechanism=SCRAM-SHA-1&tls=true&tlsCAFile=/etc/ca.pem`,
      r,
    );
    expect(p.seeds).toEqual(['db1', 'db2:27018', '[::1]:27019']);
    expect(p.username).toBe('snap@ops');
    expect(p.replicaSet).toBe('rs0');
    expect(p.authMechanism).toBe('SCRAM-SHA-1');
    expect(p.redacted).not.toContain(ENC);
    expect(p.redacted).toContain('***');
  });

  it('per-member URI: one host, directConnection=true, every auth and TLS option kept, replicaSet dropped', () => {
    const p = parseMongoUri(
      `mongodb://u:${ENC}@db1,db2/mydb?replicaSet=rs0&authSource=admin&authMechanism=SCRAM-SHA-256&tls=true&tlsCAFile=/ca.pem&tlsCertificateKeyFile=/c.pem&readPreference=secondary&appName=x`,
      new Redactor(),
    );
    const u = new URL(memberUri(p, 'db2:27018').replace(/^mongodb:/, 'http:'));
    expect(u.host).toBe('db2:27018');
    expect(u.username).toBe('u');
    expect(decodeURIComponent(u.password)).toBe(PW);
    expect(u.pathname).toBe('/mydb');
    const q = Object.fromEntries(u.searchParams);
    expect(q).toMatchObject({
      authSource: 'admin',
      authMechanism: 'SCRAM-SHA-256',
      tls: 'true',
      tlsCAFile: '/ca.pem',
      tlsCertificateKeyFile: '/c.pem',
      directConnection: 'true',
      appName: 'x',
    });
    expect(q.replicaSet).toBeUndefined();
    expect(q.readPreference).toBeUndefined();
  });

  it('mongodb+srv: per-member URIs use mongodb:// with tls=true and the TXT options', () => {
    const p = parseMongoUri(`mongodb+srv://u:${ENC}@cluster0.example.com/?retryWrites=true`, new Redactor());
    expect(p.isSrv).toBe(true);
    const m = memberUri(p, 'shard-00-01.example.com:27017', { authSource: 'admin', replicaSet: 'atlas-x' });
    expect(m.startsWith('mongodb://')).toBe(true);
    expect(m).toContain('tls=true');
    expect(m).toContain('authSource=admin');
    expect(m).not.toContain('replicaSet');
    const explicit = parseMongoUri(`mongodb+srv://u:p@cluster0.example.com/?tls=false&authSource=other`, new Redactor());
    const e = memberUri(explicit, 'h:1', { authSource: 'admin' });
    expect(e).toContain('tls=false');
    expect(e).toContain('authSource=other');
  });

  it.each([
    ['mongodb://admin:S3cr3t@', /invalid connection string/],
    ['http://admin:S3cr3t@host/', /Invalid scheme/],
    ['mongodb://admin:S3cr3t:x@host/', /invalid connection string/],
    ['mongodb://admin:S3cr3t@host/?tls=maybe', /invalid connection string/],
    ['mongodb://admin:S3cr3t@host/?loadBalanced=true', /loadBalanced/],
    ['mongodb://admin:S3cr3t%zz@host/', /invalid connection string/],
    ['mongodb+srv://admin:S3cr3t@h1,h2/', /invalid connection string/],
  ])('rejects %s without echoing the password', (uri, msg) => {
    const r = new Redactor();
    let err: unknown;
    try {
      parseMongoUri(uri, r);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UriError);
    expect((err as Error).message).toMatch(msg);
    expect((err as Error).message).not.toContain('S3cr3t');
    expect(r.redact(`x ${uri} y`)).not.toContain('S3cr3t');
  });

  it('host helpers', () => {
    expect(normalizeHost('DB1')).toBe('db1:27017');
    expect(normalizeHost('db1:27018')).toBe('db1:27018');
    expect(normalizeHost('[::1]')).toBe('[::1]:27017');
    expect(hostOnly('db1.example.com:27018')).toBe('db1.example.com');
    expect(hostOnly('db1')).toBe('db1');
    expect(hostOnly('[::1]:27017')).toBe('::1');
  });
});

describe('Redactor / Logger', () => {
  it('removes the password in every form and any URI userinfo', () => {
    const r = new Redactor();
    r.add(PW);
    const text = `raw ${PW} enc ${ENC} lower ${ENC.toLowerCase()} uri mongodb://a:b@h/ http://u:p@gw:9091/x`;
    const out = r.redact(text);
    expect(out).not.toContain(PW);
    expect(out).not.toContain(ENC);
    expect(out).not.toContain(ENC.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
    expect(out).toContain('mongodb://***@h/');
    expect(out).toContain('http://***@gw:9091/x');
  });

  it('every log line goes through the redactor, in both formats', () => {
    const r = new Redactor();
    r.add(PW);
    const lines: string[] = [];
    const log = new Logger(r, 'text', { write: (l) => lines.push(l) }, () => new Date(0));
    log.info('step', `message with ${PW}`, { uri: `mongodb://u:${ENC}@h`, nested: { e: PW } });
    log.format = 'json';
    log.error('step', 'json', { error: new Error(`boom ${PW}`) });
    expect(lines.join('')).not.toContain(PW);
    expect(lines.join('')).not.toContain(ENC);
    expect(lines[0]).toMatch(/^1970-01-01T00:00:00.000Z INFO {2}\[step\] message with \*\*\* uri=mongodb:\/\/\*\*\*@h nested=/);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'error', step: 'step', msg: 'json', error: 'boom ***' });
  });
});
