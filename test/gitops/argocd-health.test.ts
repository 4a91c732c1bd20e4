// The Argo CD health checks (lib/gitops/argocd-health/*.lua) run by a real Lua 5.1 interpreter
// (Argo CD runs them with gopher-lua, a Lua 5.1) against status fixtures taken from the
// operators' status types at the pinned tags; and the argocd-cm patch the README installs is
// generated from them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { argocdHealthChecks, argocdHealthPatch, needsOpenLibs } from '../../lib/gitops/argocd-health';

function luaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${luaLiteral(v)}`)
    .join(', ')}}`;
}

// Argo CD runs an argocd-cm health check with base, package, table and a safe os (time, date) only,
// unless the patch sets resource.customizations.useOpenLibs.<group_kind> (argo-cd@v3.5.1
// util/lua/lua.go runLuaWithResourceActionParameters, util/lua/oslib_safe.go). The checks run the same
// way here, as the installed patch configures them.
const SANDBOX =
  'local write = io.write\n' +
  'string, math, io, coroutine, debug = nil, nil, nil, nil, nil\n' +
  'os = { time = os.time, date = os.date }\n';

function openLibs(check: string): boolean {
  const data = (load(argocdHealthPatch()) as { data: Record<string, string> }).data;
  return data[`resource.customizations.useOpenLibs.${check}`] === 'true';
}

function health(check: string, obj: unknown): { status: string; message: string } {
  const sandbox = openLibs(check) ? 'local write = io.write\n' : SANDBOX;
  const script = `${sandbox}obj = ${luaLiteral(obj)}\nlocal hs = (function()\n${argocdHealthChecks()[check]}\nend)()\nwrite(hs.status, "\\t", hs.message or "")\n`;
  const run = spawnSync('lua5.1', ['-'], { input: script, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`lua5.1 failed: ${run.stderr}`);
  const [status, message] = run.stdout.split('\t');
  return { status, message };
}

const meta = { name: 'orders', namespace: 'databases', generation: 2 };

describe('Argo CD health checks, run by Lua 5.1', () => {
  it.each([
    ['no status yet', undefined, 'Progressing'],
    ['applied at this generation', { applied: true, observedGeneration: 2 }, 'Healthy'],
    ['applied, an older generation', { applied: true, observedGeneration: 1 }, 'Progressing'],
    ['failed', { applied: false, message: 'extension "postgis" is not available' }, 'Degraded'],
    ['replica site', { message: 'waiting for the cluster to become primary' }, 'Healthy'],
  ])('Database: %s', (_, status, expected) => {
    expect(health('postgresql.cnpg.io_Database', { metadata: meta, status }).status).toBe(expected);
    expect(health('postgresql.cnpg.io_DatabaseRole', { metadata: meta, status }).status).toBe(expected);
  });

  it.each([
    ['Cluster in healthy state', 'Healthy'],
    ['Applying configuration', 'Progressing'],
    ['Primary instance is being restarted in-place', 'Progressing'],
    ['Switchover in progress', 'Progressing'],
    ['Failing over', 'Progressing'],
    ['Online upgrade in progress', 'Progressing'],
    ['Promoting to primary cluster', 'Progressing'],
    ['Waiting for user action', 'Degraded'],
    ['Cluster is unrecoverable and needs manual intervention', 'Degraded'],
    ['Cluster cannot proceed to reconciliation due to an error while interacting with plugins', 'Degraded'],
    ['Invalid cluster definition', 'Degraded'],
  ])('Cluster: phase %s is %s (a rollout or failover during a sync waits, never fails it)', (phase, expected) => {
    expect(health('postgresql.cnpg.io_Cluster', { metadata: meta, status: { phase } }).status).toBe(expected);
  });

  it('Cluster: hibernated or with reconciliation disabled is Suspended', () => {
    const hibernated = {
      phase: 'Cluster in healthy state',
      conditions: [{ type: 'cnpg.io/hibernation', status: 'True', message: 'Cluster hibernated' }],
    };
    expect(health('postgresql.cnpg.io_Cluster', { metadata: meta, status: hibernated }).status).toBe('Suspended');
    const disabled = { ...meta, annotations: { 'cnpg.io/reconciliationLoop': 'disabled' } };
    expect(health('postgresql.cnpg.io_Cluster', { metadata: disabled, status: { phase: 'Failing over' } }).status).toBe('Suspended');
  });

  it('DatabaseRole: a membership in a role created in the same sync is Progressing (the operator retries), not Degraded', () => {
    // The first sync of an environment creates dev-alice (inRoles: developers) and developers in one
    // wave; CREATE ROLE … IN ROLE developers fails until developers exists.
    const racing = { applied: false, message: 'while creating role: role "developers" does not exist' };
    expect(health('postgresql.cnpg.io_DatabaseRole', { metadata: meta, status: racing }).status).toBe('Progressing');
  });

  it('DatabaseRole: a changed password is Progressing until the instance manager applied it', () => {
    const condition = { type: 'PasswordSecretChange', status: 'True', reason: 'ChangeDetected', message: '4711' };
    const pending = { applied: true, observedGeneration: 2, secretResourceVersion: '4700', conditions: [condition] };
    expect(health('postgresql.cnpg.io_DatabaseRole', { metadata: meta, status: pending })).toEqual({
      status: 'Progressing',
      message: 'Waiting for the new password to be applied',
    });
    expect(
      health('postgresql.cnpg.io_DatabaseRole', { metadata: meta, status: { ...pending, secretResourceVersion: '4711' } }).status,
    ).toBe('Healthy');
  });

  it.each([
    [undefined, 'Progressing'],
    [{ phase: 'active', instances: 2 }, 'Healthy'],
    [{ phase: 'inactive', phaseReason: 'cluster orders not found' }, 'Progressing'],
    [{ phase: 'failed', phaseReason: 'invalid pgbouncer parameter' }, 'Degraded'],
    // "active" is set once the image resolves, before the Deployment has its pods (pooler_status.go).
    [{ phase: 'active' }, 'Progressing'],
    [{ phase: 'active', instances: 1 }, 'Progressing'],
  ])('Pooler (2 instances) %j: %s', (status, expected) => {
    expect(health('postgresql.cnpg.io_Pooler', { metadata: meta, spec: { instances: 2, pgbouncer: {} }, status }).status).toBe(expected);
  });

  it('Pooler: paused as the spec asks is Healthy (Suspended would keep every sync running); a phase behind the spec waits', () => {
    const pooler = (paused: boolean, status: object) => ({ metadata: meta, spec: { instances: 1, pgbouncer: { paused } }, status });
    expect(health('postgresql.cnpg.io_Pooler', pooler(true, { phase: 'paused', instances: 1 }))).toEqual({
      status: 'Healthy',
      message: 'Paused (spec.pgbouncer.paused): new client connections wait',
    });
    expect(health('postgresql.cnpg.io_Pooler', pooler(true, { phase: 'active', instances: 1 })).status).toBe('Progressing');
    expect(health('postgresql.cnpg.io_Pooler', pooler(false, { phase: 'paused', instances: 1 })).status).toBe('Progressing');
    // spec.instances defaults to 1.
    expect(
      health('postgresql.cnpg.io_Pooler', { metadata: meta, spec: { pgbouncer: {} }, status: { phase: 'active', instances: 1 } }).status,
    ).toBe('Healthy');
  });

  it('Database, DatabaseRole: applied=false is Degraded even with an older observedGeneration (the operator stamps it only on success)', () => {
    for (const check of ['postgresql.cnpg.io_Database', 'postgresql.cnpg.io_DatabaseRole']) {
      const failed = { applied: false, observedGeneration: 1, message: 'extension "postgis" is not available' };
      expect(health(check, { metadata: meta, status: failed }).status, check).toBe('Degraded');
    }
  });

  it('ExternalSecret: as Argo CD’s own, except a standby’s key pushed by the source: Progressing for an hour after creation, then Degraded', () => {
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const failed = {
      conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }],
    };
    const es = (annotated: boolean, createdSecondsAgo: number, status: object | undefined) => ({
      metadata: {
        ...meta,
        creationTimestamp: ago(createdSecondsAgo),
        ...(annotated ? { annotations: { 'dbfleet.io/pushed-by': 'main' } } : {}),
      },
      status,
    });
    const check = 'external-secrets.io_ExternalSecret';
    expect(health(check, es(true, 300, failed)).status).toBe('Progressing');
    expect(health(check, es(true, 300, failed)).message).toContain("main's PushSecrets");
    expect(health(check, es(true, 7200, failed)).status).toBe('Degraded');
    expect(health(check, es(false, 300, failed)).status).toBe('Degraded');
    expect(health(check, es(true, 300, { ...failed, syncedResourceVersion: '1-abc' })).status).toBe('Degraded');
    expect(health(check, es(true, 300, { conditions: [{ type: 'Ready', status: 'True', message: 'ok' }] })).status).toBe('Healthy');
    expect(health(check, es(true, 300, undefined)).status).toBe('Progressing');
  });

  it('ObjectStore: nothing to wait on; the message lists the recovery windows known', () => {
    expect(health('barmancloud.cnpg.io_ObjectStore', { metadata: meta }).status).toBe('Healthy');
    expect(
      health('barmancloud.cnpg.io_ObjectStore', {
        metadata: meta,
        status: { serverRecoveryWindow: { payments: { firstRecoverabilityPoint: 'x' }, orders: {} } },
      }),
    ).toEqual({ status: 'Healthy', message: 'Recovery window known for orders, payments' });
  });

  it('a check that calls a closed library fails in Argo CD’s sandbox; the patch opens the libraries only for those', () => {
    const uses = 'local hs = {}\nhs.status = "Healthy"\nhs.message = string.format("%d", 1)\nreturn hs\n';
    expect(needsOpenLibs(uses)).toBe(true);
    expect(needsOpenLibs('-- string.find in a comment only\nreturn { status = "Healthy" }\n')).toBe(false);
    const run = spawnSync('lua5.1', ['-'], { input: `${SANDBOX}local hs = (function()\n${uses}\nend)()\n`, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    for (const [check, lua] of Object.entries(argocdHealthChecks())) expect(openLibs(check), check).toBe(needsOpenLibs(lua));
    expect(openLibs('external-secrets.io_ExternalSecret')).toBe(true);
    expect(openLibs('postgresql.cnpg.io_DatabaseRole')).toBe(true);
  });

  it('docs/argocd-health.yaml is generated from the Lua files (regenerate: npx tsx -e "…argocdHealthPatch()")', () => {
    expect(readFileSync(join(__dirname, '../../docs/argocd-health.yaml'), 'utf8')).toBe(argocdHealthPatch());
  });
});
