// The read endpoint at a DR standby (environments.<standby>.readEndpoint): read-only connection
// Secrets in the services' namespaces at that site, a read-only pooler where pooling is on, and
// the config rules around it.
import { describe, expect, it } from 'vitest';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { drFleet } from '../support/dr-fleet';
import { configErrors, fleetOf } from '../support/fleet';

type Obj = KubernetesObject & { spec: any };
const objects = (text: string) =>
  renderObjects(buildApp(fleetOf(text))).map((o) => ({ env: o.path.split('/')[0], object: o.object as Obj }));

describe('readEndpoint at a standby', () => {
  const POOLED = '    pooler: { rw: { instances: 2, poolMode: transaction } }';
  const rendered = objects(drFleet('per-service', '    instances: 2\n    readEndpoint: true', POOLED));
  const at = (env: string, kind: string) => rendered.filter((o) => o.env === env && o.object.kind === kind).map((o) => o.object);

  it('renders <service>-db-readonly in each service namespace at the standby only, naming only read endpoints', () => {
    const names = (env: string) =>
      at(env, 'ExternalSecret')
        .filter((o) => o.metadata.name.endsWith('-db-readonly'))
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
        .sort();
    expect(names('main-dr')).toEqual(['catalog/catalog-db-readonly', 'orders/orders-db-readonly']);
    expect(names('main')).toEqual([]);
    const secret = at('main-dr', 'ExternalSecret').find((o) => o.metadata.name === 'orders-db-readonly')!;
    const data = secret.spec.target.template.data;
    // No key names a writable endpoint: an app reading `uri` from it fails instead of writing.
    expect(Object.keys(data).sort()).toEqual(
      [
        'dbname',
        'direct-ro-host',
        'direct-ro-jdbc-uri',
        'direct-ro-uri',
        'password',
        'pgpass',
        'port',
        'ro-host',
        'ro-jdbc-uri',
        'ro-uri',
        'user',
        'username',
      ].sort(),
    );
    expect(data['ro-host']).toBe('orders-pooler-ro.databases.svc');
    expect(data['direct-ro-host']).toBe('orders-ro.databases.svc');
    expect(JSON.stringify(data)).not.toMatch(/-rw\./);
    // The app's role, and the password key the source generates and both sites read.
    const app = at('main-dr', 'ExternalSecret').find((o) => o.metadata.name === 'orders-db')!;
    expect(data.username).toBe(app.spec.target.template.data.username);
    expect(secret.spec.data).toEqual(app.spec.data);
    expect(secret.spec.data[0].remoteRef.key).toBe('databases/main/services/orders');
  });

  it('adds a read-only pooler at the standby where the source pools read-write only', () => {
    const poolers = (env: string) =>
      at(env, 'Pooler')
        .map((o) => `${o.metadata.name}:${o.spec.type}`)
        .sort();
    expect(poolers('main')).toEqual(['catalog-pooler-rw:rw', 'orders-pooler-rw:rw']);
    expect(poolers('main-dr')).toEqual(['catalog-pooler-ro:ro', 'catalog-pooler-rw:rw', 'orders-pooler-ro:ro', 'orders-pooler-rw:rw']);
  });

  it('renders nothing of it without the opt-in', () => {
    const plain = objects(drFleet('per-service', '    instances: 2', POOLED));
    expect(plain.filter((o) => o.object.metadata.name.endsWith('-db-readonly'))).toEqual([]);
    expect(plain.filter((o) => o.env === 'main-dr' && o.object.kind === 'Pooler').map((o) => o.object.spec.type)).toEqual(['rw', 'rw']);
  });

  it('is refused on a source environment, and at a standby of one instance', () => {
    expect(configErrors(drFleet('shared', '', '    readEndpoint: true')).join('\n')).toMatch(
      /environments\.main\.readEndpoint.*only applies to a standby environment/,
    );
    expect(configErrors(drFleet('shared', '    instances: 1\n    readEndpoint: true')).join('\n')).toMatch(
      /environments\.main-dr\.readEndpoint.*needs instances >= 2 at main-dr \(clusters acme have 1\)/,
    );
  });
});
