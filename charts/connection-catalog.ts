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

/** `ConfigMap <fleet>-connections` in the database namespace: one line per service. */
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
    new ApiObject(this, 'ConfigMap', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `${props.fleet.name}-connections`,
        namespace: environment.namespace,
        labels: standardLabels({ fleet: props.fleet.name, name: 'connection-catalog', instance: environment.name, component: 'catalog' }),
      },
      data: Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))),
    });
  }
}
