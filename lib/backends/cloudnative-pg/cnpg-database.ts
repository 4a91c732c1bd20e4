import { Construct } from 'constructs';
import {
  Database,
  DatabaseSpecDatabaseReclaimPolicy,
  DatabaseSpecEnsure,
  DatabaseSpecExtensionsEnsure,
  DatabaseSpecSchemasEnsure,
} from '../../../imports/postgresql.cnpg.io';

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
        extensions:
          (props.extensions ?? []).length > 0
            ? props.extensions!.map((name) => ({ name, ensure: DatabaseSpecExtensionsEnsure.PRESENT }))
            : undefined,
        // `public` owned by the service: up to PostgreSQL 14 it belongs to the bootstrap superuser
        // with CREATE for PUBLIC, which only its owner can revoke, and the developer-access Job no
        // longer runs as a superuser. From 15 on it belongs to pg_database_owner (the same role).
        // The operator runs ALTER SCHEMA ... OWNER TO (cloudnative-pg@v1.30.0:
        // internal/management/controller/database_controller_sql.go, updateDatabaseSchema).
        schemas: [{ name: 'public', owner: props.owner, ensure: DatabaseSpecSchemasEnsure.PRESENT }],
      },
    });
  }
}
