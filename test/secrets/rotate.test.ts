// `dbfleet rotate`: one step per call, written into the file that declares the service, comments kept.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDbfleet } from '../../lib/cli/main';
import { loadFleet } from '../../lib/config/load';
import { rotate } from '../../lib/secrets/rotate';
import { BASE_FLEET } from '../support/fleet';

function fleetDir(services: Record<string, string> = {}, main = BASE_FLEET): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-rotate-'));
  writeFileSync(join(dir, 'fleet.yaml'), `# the fleet\n${main}`);
  if (Object.keys(services).length) mkdirSync(join(dir, 'services'));
  for (const [file, text] of Object.entries(services)) writeFileSync(join(dir, 'services', file), text);
  return dir;
}

describe('dbfleet rotate', () => {
  it('walks a service in fleet.yaml through add, switch and done, keeping comments', () => {
    const dir = fleetDir();
    const steps = [1, 2, 3, 4].map(() => rotate(dir, 'orders', 'production'));
    expect(steps.map((s) => `${s.to.generation}/${s.to.step}`)).toEqual(['1/add', '1/switch', '1/done', '2/add']);
    expect(steps[0].description).toContain('step 1/3 (add)');
    const text = readFileSync(join(dir, 'fleet.yaml'), 'utf8');
    expect(text.startsWith('# the fleet\n')).toBe(true);
    expect(text).toContain('production: { generation: 2, step: add }');
    expect(loadFleet(dir).services.find((s) => s.name === 'orders')!.rotation).toEqual({ production: { generation: 2, step: 'add' } });
    // the other environment and the other service are untouched
    expect(loadFleet(dir).services.find((s) => s.name === 'payments')!.rotation).toEqual({});
  });

  it('edits the service file of a split fleet, and only with --dry-run writes nothing', () => {
    const dir = fleetDir({ 'billing.yaml': '# owned by team billing\nname: billing\ngroup: commerce\n' });
    const dry = rotate(dir, 'billing', 'test', { dryRun: true });
    expect(dry.file).toBe(join(dir, 'services', 'billing.yaml'));
    expect(readFileSync(dry.file, 'utf8')).not.toContain('rotation');
    rotate(dir, 'billing', 'test');
    expect(readFileSync(dry.file, 'utf8')).toBe(
      '# owned by team billing\nname: billing\ngroup: commerce\nrotation:\n  test: { generation: 1, step: add }\n',
    );
  });

  it('refuses an unknown service or environment', () => {
    const dir = fleetDir();
    expect(() => rotate(dir, 'nope', 'test')).toThrow(/no service "nope"/);
    expect(() => rotate(dir, 'orders', 'staging')).toThrow(/no environment "staging"/);
  });
});

describe('dbfleet rotate (the command)', () => {
  it('writes the next step and says what it does; usage errors exit 2', () => {
    const dir = fleetDir();
    let out = '';
    let err = '';
    const io = {
      out: {
        write: (s: string) => {
          out += s;
        },
      },
      err: {
        write: (s: string) => {
          err += s;
        },
      },
    };
    expect(runDbfleet(['rotate', 'orders', '--environment', 'production', '--config', dir], io)).toBe(0);
    expect(out).toContain('orders.rotation.production = { generation: 1, step: add }');
    expect(out).toContain('step 1/3 (add): role orders_alt gets a new password');
    expect(runDbfleet(['rotate', 'orders', '--environment', 'nowhere', '--config', dir], io)).toBe(2);
    expect(err).toContain('rotate: no environment "nowhere"');
    expect(runDbfleet(['rotate', 'orders', '--config', dir], io)).toBe(2); // --environment is required
  });
});
