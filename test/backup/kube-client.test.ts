// The ops commands' API client over HTTPS as in a pod: the server's certificate must chain to the
// service account's CA (a server with another certificate is refused), the token is sent.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNPG_BACKUPS, KubeClient, kubeConfigFromEnv } from '../../lib/ops/kube/client';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl) console.warn('SKIPPED: kube client over HTTPS: openssl is needed to make a test certificate');

describe.skipIf(!hasOpenssl)('KubeClient over HTTPS', () => {
  let dir: string;
  let url: string;
  let close: () => Promise<void>;
  const seen: Array<string | undefined> = [];
  const cert = (name: string) => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        join(dir, `${name}.crt`),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.crt`), 'utf8') };
  };
  let serverCert: { key: string; cert: string };
  let otherCert: { key: string; cert: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-kube-tls-'));
    serverCert = cert('server');
    otherCert = cert('other');
    const server = createServer(serverCert, (req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'List', items: [{ metadata: { name: 'b1' } }] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((r) => server.close(() => r()));
  });
  afterAll(async () => {
    await close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the given CA and sends the bearer token', async () => {
    const client = new KubeClient({ server: url, token: 'sa-token', ca: serverCert.cert });
    expect((await client.list(CNPG_BACKUPS, 'databases')).map((o) => o.metadata.name)).toEqual(['b1']);
    expect(seen.at(-1)).toBe('Bearer sa-token');
  });

  it('refuses a server whose certificate does not chain to the CA', async () => {
    await expect(new KubeClient({ server: url, token: 't', ca: otherCert.cert }).list(CNPG_BACKUPS, 'databases')).rejects.toThrow(
      /self.signed|certificate/i,
    );
  });

  it('in a pod: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (IPv6 in brackets); KUBE_API_SERVER overrides', () => {
    expect(kubeConfigFromEnv({ KUBE_API_SERVER: 'http://127.0.0.1:8001/', KUBE_API_TOKEN: 'x' })).toEqual({
      server: 'http://127.0.0.1:8001',
      token: 'x',
    });
    expect(() => kubeConfigFromEnv({})).toThrow(/KUBERNETES_SERVICE_HOST is unset/);
    // Outside a pod the service-account files are missing: the error says so (no silent fallback).
    expect(() => kubeConfigFromEnv({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' })).toThrow(
      /serviceaccount\/token/,
    );
  });
});
