// secretStore.passwords: generate — one Password generator per database namespace and one
// PushSecret per password, pushed before anything reads it and never overwriting the store.
import { describe, expect, it } from 'vitest';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { fleetStoreKeys } from '../../lib/secrets/store-keys';
import { schemaCheck } from '../../lib/output/schema-check';
import { BASE_FLEET, fleetOf } from '../support/fleet';

type Obj = KubernetesObject & { spec: any };
const render = (text: string) => renderObjects(buildApp(fleetOf(text)));
const objects = (text: string) => render(text).map((o) => o.object as Obj);
const ofKind = (list: Obj[], kind: string) => list.filter((o) => o.kind === kind);
const wave = (o: Obj) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']);

describe('generated passwords (secretStore.passwords: generate, the default)', () => {
  const list = objects(BASE_FLEET);

  it('pushes one password per service, per developer with access, per environment (no access role: issue 24)', () => {
    const pushed = ofKind(list, 'PushSecret')
      .map((p) => `${p.metadata.namespace}:${p.spec.data[0].match.remoteRef.remoteKey}`)
      .sort();
    expect(pushed).toEqual([
      'databases:databases/production/platform/developers/alice',
      'databases:databases/production/platform/developers/bob',
      'databases:databases/production/services/orders',
      'databases:databases/production/services/payments',
      'databases:databases/test/platform/developers/alice',
      'databases:databases/test/platform/developers/bob',
      'databases:databases/test/services/orders',
      'databases:databases/test/services/payments',
    ]);
    // Every key an ExternalSecret reads for a password is one a PushSecret creates.
    const read = new Set(ofKind(list, 'ExternalSecret').flatMap((e) => e.spec.data.map((d: any) => d.remoteRef.key)));
    for (const p of ofKind(list, 'PushSecret')) expect(read.has(p.spec.data[0].match.remoteRef.remoteKey)).toBe(true);
  });

  it('never overwrites and never deletes a value in the store', () => {
    for (const p of ofKind(list, 'PushSecret')) {
      expect(p.spec.updatePolicy).toBe('IfNotExists');
      expect(p.spec.deletionPolicy).toBe('None');
      expect(p.spec.selector).toEqual({
        generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: 'dbfleet-password' },
      });
    }
  });

  it('generates passwords that need no escaping in a URI, JDBC URL or pgpass line', () => {
    const [generator] = ofKind(list, 'Password');
    expect(generator.spec).toEqual({ length: 32, digits: 8, symbols: 0, noUpper: false, allowRepeat: true });
  });

  it('syncs the generator and the PushSecrets in a wave before every reader', () => {
    const readers = ofKind(list, 'ExternalSecret').map(wave);
    for (const o of [...ofKind(list, 'PushSecret'), ...ofKind(list, 'Password')]) expect(wave(o)).toBeLessThan(Math.min(...readers));
  });

  it('renders objects the CRDs accept', () => {
    expect(schemaCheck(render(BASE_FLEET))).toEqual([]);
  });

  it('renders nothing of the kind with passwords: existing, and skips developers without access', () => {
    const existing = objects(BASE_FLEET.replace('keyPrefix: databases }', 'keyPrefix: databases, passwords: existing }'));
    expect(ofKind(existing, 'PushSecret')).toEqual([]);
    expect(ofKind(existing, 'Password')).toEqual([]);
    const noAccess = objects(BASE_FLEET.replace('developerAccess: read-only', 'developerAccess: none'));
    const productionKeys = ofKind(noAccess, 'PushSecret')
      .map((p) => p.spec.data[0].match.remoteRef.remoteKey)
      .filter((k) => k.includes('/production/'));
    expect(productionKeys.sort()).toEqual(['databases/production/services/orders', 'databases/production/services/payments']);
  });
});

describe('store keys (what `dbfleet secrets` lists)', () => {
  it('lists every key with its origin and purpose', () => {
    const keys = fleetStoreKeys(fleetOf(BASE_FLEET.replace('keyPrefix: databases }', 'keyPrefix: databases, passwords: existing }')));
    expect(keys.filter((k) => k.environment === 'test').map((k) => [k.remoteKey, k.origin])).toEqual([
      ['databases/test/services/orders', 'expected'],
      ['databases/test/services/payments', 'expected'],
      ['databases/test/platform/developers/alice', 'expected'],
      ['databases/test/platform/developers/bob', 'expected'],
      // The developer-access role's password: yours to create (issue 13).
    ]);
    expect(keys[0].purpose).toBe('password of role orders (owner of database orders)');
    expect(keys[0].readBy).toEqual(['databases', 'orders']);
  });
});
