import { Construct } from 'constructs';
import { Database, DatabaseSpecDatabaseReclaimPolicy, DatabaseSpecEnsure, DatabaseSpecExtensionsEnsure } from '../../imports/postgresql.cnpg.io';

export interface CnpgDatabaseProps {
  /** Kubernetes name of the Database object. */
  readonly name: string;
  readonly namespace: string;
  /** The CloudNativePG Cluster holding it. */
  readonly cluster: string;
  /** Database name in Postgres. */
  readonly database: string;
  /** Owning role (declared in the Cluster's managed roles). */
  readonly owner: string;
  /** @default none */
  readonly extensions?: readonly string[];
  readonly labels: Record<string, string>;
}

/**
 * A CloudNativePG `Database`. Its reclaim policy is `retain`: deleting the object never drops
 * the database in Postgres; dropping data is always a deliberate, manual act.
 */
export class CnpgDatabase extends Construct {
  constructor(scope: Construct, id: string, props: CnpgDatabaseProps) {
    super(scope, id);
    new Database(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        name: props.database,
        owner: props.owner,
        cluster: { name: props.cluster },
        ensure: DatabaseSpecEnsure.PRESENT,
        databaseReclaimPolicy: DatabaseSpecDatabaseReclaimPolicy.RETAIN,
        extensions: (props.extensions ?? []).length > 0
          ? props.extensions!.map((name) => ({ name, ensure: DatabaseSpecExtensionsEnsure.PRESENT }))
          : undefined,
      },
    });
  }
}
