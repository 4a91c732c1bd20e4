// Issue 25, "each DR site holds the other site's read-write object-store keys": the peer store
// (the other site's ObjectStore, read for replica and recovery) reads a separate read-only key;
// each site's read-write key reaches only its own site. Each case failed before the fix.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDbfleet } from '../../lib/cli/main';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject, type RenderedObject } from '../../lib/output/render';
import { drFleet } from '../support/dr-fleet';
import { configErrors, fleetOf } from '../support/fleet';
import { checkInvariants, formatViolations, noPeerWriteCredentials } from '../support/invariants';

type Obj = KubernetesObject & { spec: any };
const render = (text: string) => renderObjects(buildApp(fleetOf(text)));
const inEnv = (rendered: readonly RenderedObject[], env: string) =>
  rendered.filter((o) => o.path.startsWith(`${env}/`)).map((o) => o.object as Obj);

/** The remote keys the Secret an ObjectStore's credentials name is made from. */
function storeKeys(objects: Obj[], store: string): string[] {
  const o = objects.find((x) => x.kind === 'ObjectStore' && x.metadata.name === store)!;
  const secret = o.spec.configuration.s3Credentials.secretAccessKey.name as string;
  const es = objects.find((x) => x.kind === 'ExternalSecret' && (x.spec.target?.name ?? x.metadata.name) === secret)!;
  return [...new Set((es.spec.data as Array<{ remoteRef: { key: string } }>).map((d) => d.remoteRef.key))];
}

// Every step of a DR pair's life: source primary, switchover step 1, standby primary.
const STEPS = ['', '    switchoverTo: main-dr', '    primarySite: main-dr'];

describe('per-site object-store credentials', () => {
  it.each(['shared', 'per-service', 'grouped'] as const)(
    'each site writes with its own key and reads the peer bucket with its read-only key (%s)',
    (topology) => {
      for (const step of STEPS) {
        const rendered = render(drFleet(topology, step));
        const main = inEnv(rendered, 'main');
        const dr = inEnv(rendered, 'main-dr');
        expect(storeKeys(main, 'acme-object-store')).toEqual(['databases/main/object-store']);
        expect(storeKeys(main, 'acme-object-store-main-dr')).toEqual(['databases/main-dr/platform/object-store-read-only']);
        expect(storeKeys(dr, 'acme-object-store')).toEqual(['databases/main-dr/object-store']);
        expect(storeKeys(dr, 'acme-object-store-main')).toEqual(['databases/main/platform/object-store-read-only']);
        expect(
          formatViolations(checkInvariants({ fleet: fleetOf(drFleet(topology, step)), objects: rendered }, [noPeerWriteCredentials])),
        ).toBe('');
      }
    },
  );

  it("the invariant sees a site reading its peer's write key", () => {
    const fleet = fleetOf(drFleet('shared'));
    const rendered = render(drFleet('shared'));
    // The pre-fix rendering: main-dr's peer store read main's read-write key.
    const leaked = rendered.map((r) =>
      r.path.startsWith('main-dr/') && JSON.stringify(r.object).includes('databases/main/platform/object-store-read-only')
        ? {
            ...r,
            object: JSON.parse(
              JSON.stringify(r.object).replaceAll('databases/main/platform/object-store-read-only', 'databases/main/object-store'),
            ),
          }
        : r,
    );
    expect(formatViolations(checkInvariants({ fleet, objects: leaked }, [noPeerWriteCredentials]))).toMatch(
      /no-peer-write-credentials: main-dr\/.*reads databases\/main\/object-store, the read-write object-store key of main/,
    );
  });

  it("holds for the repository's fleet", () => {
    const fleet = loadFleet(join(__dirname, '../../fleet.yaml'));
    expect(formatViolations(checkInvariants({ fleet, objects: renderObjects(buildApp(fleet)) }, [noPeerWriteCredentials]))).toBe('');
  });

  it('the two sites of a pair may not share a read-write key', () => {
    const text = drFleet('shared').replace('remoteKey: databases/main-dr/object-store', 'remoteKey: databases/main/object-store');
    expect(configErrors(text).join('\n')).toMatch(
      /environments\.main-dr\.backups\.objectStore\.credentials\.remoteKey.*is main's too: each site needs its own read-write key/,
    );
  });

  it('dbfleet secrets lists the read-only key of each site, created by you', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-ro-key-'));
    writeFileSync(join(dir, 'fleet.yaml'), drFleet('shared'));
    let out = '';
    const io = { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (out += s) } };
    expect(runDbfleet(['secrets', '--config', dir], io)).toBe(0);
    for (const [reader, key] of [
      ['main-dr', 'databases/main/platform/object-store-read-only'],
      ['main', 'databases/main-dr/platform/object-store-read-only'],
    ]) {
      const section = out.split('\n\n').find((s) => s.startsWith(`${reader}`))!;
      expect(section).toContain(`  YOU`);
      expect(section).toMatch(new RegExp(`YOU +${key} → accessKeyId: READ-ONLY object store credentials`));
      expect(section).toMatch(new RegExp(`YOU +${key} → secretAccessKey: READ-ONLY`));
    }
    // A site lists only its own read-write key, never the peer's.
    expect(out.split('\n\n').find((s) => s.startsWith('main-dr'))).not.toContain('databases/main/object-store →');
  });
});
