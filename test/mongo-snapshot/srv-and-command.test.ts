import dns from 'node:dns';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Redactor } from '../../lib/mongo-snapshot/log';
import { resolveCommand, snapshotEnv } from '../../lib/mongo-snapshot/snapshot-command';
import { parseMongoUri, resolveSrv } from '../../lib/mongo-snapshot/uri';

afterEach(() => vi.restoreAllMocks());

describe('resolveSrv (mongodb+srv)', () => {
  const parsed = () => parseMongoUri('mongodb+srv://u:p@cluster0.example.com/', new Redactor());

  it('returns the SRV targets and the allowed TXT options', async () => {
    const srv = vi.spyOn(dns.promises, 'resolveSrv').mockResolvedValue([
      { name: 'b.example.com', port: 27017, priority: 0, weight: 0 },
      { name: 'a.example.com.', port: 27018, priority: 0, weight: 0 },
    ]);
    vi.spyOn(dns.promises, 'resolveTxt').mockResolvedValue([['authSource=admin&replicaSet=atlas-1']]);
    const r = await resolveSrv(parsed());
    expect(srv).toHaveBeenCalledWith('_mongodb._tcp.cluster0.example.com');
    expect(r).toEqual({ hosts: ['a.example.com:27018', 'b.example.com:27017'], txt: { authSource: 'admin', replicaSet: 'atlas-1' } });
  });

  it('rejects targets outside the parent domain and disallowed TXT options', async () => {
    vi.spyOn(dns.promises, 'resolveSrv').mockResolvedValue([{ name: 'evil.attacker.net', port: 27017, priority: 0, weight: 0 }]);
    vi.spyOn(dns.promises, 'resolveTxt').mockResolvedValue([]);
    await expect(resolveSrv(parsed())).rejects.toThrow(/not in the domain example.com/);
    vi.spyOn(dns.promises, 'resolveSrv').mockResolvedValue([{ name: 'a.example.com', port: 27017, priority: 0, weight: 0 }]);
    vi.spyOn(dns.promises, 'resolveTxt').mockResolvedValue([['tls=false']]);
    await expect(resolveSrv(parsed())).rejects.toThrow(/not allowed/);
  });
});

describe('snapshot command helpers', () => {
  it('resolveCommand: paths and PATH lookup, executables only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-snapshot-cmd-'));
    try {
      const exe = path.join(dir, 'make-vm-snapshot');
      const plain = path.join(dir, 'not-executable');
      fs.writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
      fs.writeFileSync(plain, '', { mode: 0o644 });
      expect(resolveCommand(exe)).toBe(exe);
      expect(resolveCommand(plain)).toBeUndefined();
      expect(resolveCommand(dir)).toBeUndefined();
      expect(resolveCommand('make-vm-snapshot', `/nonexistent${path.delimiter}${dir}`)).toBe(exe);
      expect(resolveCommand('make-vm-snapshot', '/nonexistent')).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the snapshot command does not get the connection string', () => {
    expect(snapshotEnv({ MONGODB_URI: 'mongodb://u:p@h', PATH: '/bin', CLOUD: 'x' })).toEqual({ PATH: '/bin', CLOUD: 'x' });
  });
});
