/**
 * The mongo-snapshot runbooks' commands, EXECUTED with mongosh (the npm package, pinned in devDependencies) against the
 * simulator: a member is locked twice (nested), the runbook's check says so, its unlock loop runs, the check says
 * unlocked, and the simulator's final lock count is 0. Issue #26: both runbooks used `db.currentOp().fsyncLock`,
 * which current mongosh never returns, so a paged operator was told the member was unlocked.
 *
 * The commands are taken from the runbooks as written: the fenced block after `<!-- runbook-test: check -->` and
 * `<!-- runbook-test: unlock -->`, with `<member-host>:<port>` and `<user>` filled in (and the password passed, where
 * an operator would type it at the prompt).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { repoRoot, SIM_DIR, simAvailable } from './helpers';

vi.setConfig({ testTimeout: 400_000 });

const PW = 'S3cr3t-canary-pw';
const MONGOSH = path.join(repoRoot, 'node_modules', '.bin', 'mongosh');
const RUNBOOKS = ['MongoSnapshotMemberMayBeLocked.md', 'MongoSnapshotFoundLockedMember.md'];

/** The shell command of the fenced block after `<!-- runbook-test: <name> -->`. */
export function runbookCommand(markdown: string, name: string): string {
  const at = markdown.indexOf(`<!-- runbook-test: ${name} -->`);
  if (at < 0) throw new Error(`no runbook-test: ${name} block`);
  const m = /```sh\n([\s\S]*?)\n\s*```/.exec(markdown.slice(at));
  if (!m) throw new Error(`no sh block after runbook-test: ${name}`);
  return m[1]!.trim();
}

const started: ChildProcess[] = [];
afterAll(() => {
  for (const p of started) if (p.exitCode === null) p.kill('SIGTERM');
});

async function freePort(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, ip, () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

function sh(command: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      { env: { ...process.env, PATH: `${path.dirname(MONGOSH)}:${process.env.PATH}` }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe
  .skipIf(!simAvailable || !fs.existsSync(MONGOSH))
  .concurrent('mongo-snapshot runbooks, executed with mongosh against the simulator', () => {
    RUNBOOKS.forEach((file, i) => {
      it(`${file}: check says locked, the unlock loop unlocks, check says unlocked, lock count 0`, async () => {
        const md = fs.readFileSync(path.join(repoRoot, 'docs', 'runbooks', file), 'utf8');
        expect(md).not.toMatch(/db\.currentOp\(\)\.fsyncLock\s*(\/\/|$)/m); // the broken check is gone
        const ip = `127.0.16${1 + i}.2`;
        const port = await freePort(ip);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runbook-'));
        const scenario = path.join(dir, 'scenario.json');
        fs.writeFileSync(
          scenario,
          JSON.stringify({
            setName: `rs-runbook-${i}`,
            port,
            auth: { user: 'admin', password: PW },
            members: [
              { host: `127.0.16${1 + i}.1`, state: 'PRIMARY', priority: 2 },
              { host: ip, state: 'SECONDARY', priority: 0, hidden: true },
            ],
          }),
        );
        const log = path.join(dir, 'log.json');
        const sim = spawn(process.execPath, [path.join(SIM_DIR, 'sim.mjs'), scenario], {
          env: { ...process.env, SIM_LOG: log },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        started.push(sim);
        await new Promise<void>((resolve, reject) => {
          let out = '';
          sim.stdout!.on('data', (d) => ((out += d), out.includes('READY') && resolve()));
          sim.on('exit', (c) => reject(new Error(`simulator exited ${c}`)));
        });
        try {
          const fill = (cmd: string) =>
            cmd.replace(/<member-host>:<port>/g, `${ip}:${port}`).replace(/--username <user>/g, `--username admin --password '${PW}'`);
          const uri = `mongodb://${ip}:${port}/admin?directConnection=true`;
          // lock the member twice (nested), as a run that died and a second holder would
          const lock = await sh(
            `mongosh '${uri}' --username admin --password '${PW}' --quiet --eval 'db.adminCommand({fsync: 1, lock: true}); printjson(db.adminCommand({fsync: 1, lock: true}).lockCount)'`,
          );
          expect(lock.out.trim().split('\n').at(-1)).toMatch(/2/);
          const check = fill(runbookCommand(md, 'check'));
          const before = await sh(check);
          expect(before.code, before.out).toBe(0);
          expect(before.out.trim().split('\n').at(-1)).toBe('true');
          const unlock = await sh(fill(runbookCommand(md, 'unlock')));
          expect(unlock.code, unlock.out).toBe(0);
          expect(unlock.out).toMatch(/locked: false/);
          const after = await sh(check);
          expect(after.out.trim().split('\n').at(-1)).toBe('false');
        } finally {
          sim.kill('SIGTERM');
          await new Promise((r) => sim.once('exit', r));
        }
        const final = JSON.parse(fs.readFileSync(log, 'utf8')) as { finalLocks: Record<string, number> };
        expect(final.finalLocks[`${ip}:${port}`]).toBe(0);
        fs.rmSync(dir, { recursive: true, force: true });
      });
    });
  });
