import { Construct } from 'constructs';
import { ObjectStore, ObjectStoreSpecConfigurationWalCompression } from '../../imports/barmancloud.cnpg.io';
import type { ObjectStoreBackup, SecretStoreRef } from '../config/model';
import { StoreSecret } from '../secrets/store-secret';
import { objectStoreCredentialsName } from './backup-names';

/** Secret keys of the access key pair, as the ObjectStore references them. */
const ACCESS_KEY_ID = 'ACCESS_KEY_ID';
const SECRET_ACCESS_KEY = 'ACCESS_SECRET_KEY';

export interface BarmanObjectStoreProps {
  /** The fleet's name (names the credentials Secret). */
  readonly fleetName: string;
  /** The database namespace: the plugin resolves `barmanObjectName` in the Cluster's namespace. */
  readonly namespace: string;
  readonly objectStore: ObjectStoreBackup;
  readonly store: SecretStoreRef;
  readonly labels: Record<string, string>;
  /** Name of the credentials Secret. @default `<fleet>-object-store-credentials` */
  readonly credentialsName?: string;
}

/**
 * The Barman Cloud plugin's `ObjectStore` (barmancloud.cnpg.io/v1) of one environment, and the
 * ExternalSecret with its access keys (never in git). One per environment, not per cluster: every
 * cluster archives under `<destinationPath>/<cluster name>` (the plugin's `serverName` defaults to
 * the cluster's name), so one bucket path, one credential and one recovery window serve them all.
 */
export class BarmanObjectStore extends Construct {
  readonly objectStoreName: string;

  constructor(scope: Construct, id: string, props: BarmanObjectStoreProps) {
    super(scope, id);
    const o = props.objectStore;
    this.objectStoreName = o.name;
    const credentials = new StoreSecret(this, 'Credentials', {
      name: props.credentialsName ?? objectStoreCredentialsName(props.fleetName),
      namespace: props.namespace,
      labels: props.labels,
      store: props.store,
      remoteKey: o.remoteKey,
      properties: [
        { secretKey: ACCESS_KEY_ID, property: o.accessKeyIdProperty },
        { secretKey: SECRET_ACCESS_KEY, property: o.secretAccessKeyProperty },
      ],
    });
    new ObjectStore(this, 'Resource', {
      metadata: { name: o.name, namespace: props.namespace, labels: props.labels },
      spec: {
        // Recovery window: the plugin deletes base backups and WAL no longer needed to reach any
        // point within it (plugin-barman-cloud@v0.14.0 web/docs/retention.md).
        retentionPolicy: o.retention,
        configuration: {
          destinationPath: o.destinationPath,
          endpointUrl: o.endpointURL,
          s3Credentials: {
            accessKeyId: { name: credentials.secretName, key: ACCESS_KEY_ID },
            secretAccessKey: { name: credentials.secretName, key: SECRET_ACCESS_KEY },
          },
          wal: { compression: ObjectStoreSpecConfigurationWalCompression.GZIP },
        },
      },
    });
  }
}
