// An example of a fleet repository's own construct, composed next to dbfleet's through the
// public API: a ConfigMap per environment that tells service teams where their database is
// (no secrets: it names the Secret that holds the password).
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { serviceCredentials, standardLabels, type Environment, type Fleet, type IPostgresCluster } from '../lib';

export interface ConnectionCatalogProps {
  /** The fleet (its name labels and names the ConfigMap `<fleet>-connections`; its store decides the logins). */
  readonly fleet: Fleet;
  /** The environment whose services are listed. */
  readonly environment: Environment;
  /** The environment chart's clusters (EnvironmentChart.clusters): their host names. */
  readonly clusters: readonly IPostgresCluster[];
}

/** Data bytes per catalog ConfigMap: twice that (the object and its last-applied copy) stays below 256 KiB. */
export const CHUNK_BYTES = 96 * 1024;

/** `ConfigMap <fleet>-connections` (then `-2`, `-3`, … past CHUNK_BYTES) in the database namespace: one line per service. */
export class ConnectionCatalog extends Construct {
  constructor(scope: Construct, id: string, props: ConnectionCatalogProps) {
    super(scope, id);
    const { environment } = props;
    const hosts = new Map(props.clusters.map((c) => [c.clusterName, c]));
    const data: Record<string, string> = {};
    for (const cluster of environment.clusters) {
      const pg = hosts.get(cluster.name);
      if (!pg) throw new Error(`no cluster construct for ${cluster.name}`);
      for (const service of cluster.services) {
        // The login the app's Secret names now: the owner, or `<role>_alt` during a rotation
        // (the same decision the chart's connection Secret takes, store-keys.ts serviceCredentials).
        const user = serviceCredentials(props.fleet, environment, service).app.role;
        data[service.name] =
          `host=${pg.readWriteHost} port=${pg.port} dbname=${service.database} user=${user} secret=${service.namespace}/${service.name}-db`;
      }
    }
    // Bounded: one ConfigMap holding 1000 long service names went past the 256 KiB that client-side
    // apply's last-applied-configuration annotation allows (the whole object again, issue 25). So
    // the entries, in name order, fill `<fleet>-connections`, then `<fleet>-connections-2`, … each
    // at most CHUNK_BYTES of data; every one carries the same labels (list them by label).
    const chunks: Array<Record<string, string>> = [{}];
    let used = 0;
    for (const [key, value] of Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const size = Buffer.byteLength(JSON.stringify({ [key]: value }));
      if (used + size > CHUNK_BYTES && Object.keys(chunks[chunks.length - 1]).length > 0) {
        chunks.push({});
        used = 0;
      }
      chunks[chunks.length - 1][key] = value;
      used += size;
    }
    chunks.forEach((chunk, i) => {
      new ApiObject(this, i === 0 ? 'ConfigMap' : `ConfigMap-${i + 1}`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: i === 0 ? `${props.fleet.name}-connections` : `${props.fleet.name}-connections-${i + 1}`,
          namespace: environment.namespace,
          labels: standardLabels({ fleet: props.fleet.name, name: 'connection-catalog', instance: environment.name, component: 'catalog' }),
        },
        data: chunk,
      });
    });
  }
}
