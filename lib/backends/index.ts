// The backends dbfleet renders, by the `operator:` of an environment. A new backend is a folder
// under lib/backends/ implementing types.ts, its traits in traits.ts, and one line here.
import type { PostgresOperator } from '../config/model';
import { cloudnativePgBackend } from './cloudnative-pg/backend';
import type { Backend } from './types';
import { zalandoBackend } from './zalando/backend';
import { awsAuroraBackend } from './aws-aurora/backend';

export type { Backend, ConnectionEndpoints, EnvironmentScope, RenderedCluster } from './types';
export { backendTraits, type BackendTraits } from './traits';

const BACKENDS: Readonly<Record<PostgresOperator, Backend>> = {
  'cloudnative-pg': cloudnativePgBackend,
  zalando: zalandoBackend,
  'aws-aurora': awsAuroraBackend,
};

/** The backend that renders an environment. */
export function backendOf(operator: PostgresOperator): Backend {
  const backend = BACKENDS[operator] as Backend | undefined;
  if (!backend) throw new Error(`unknown operator "${operator}" (known: ${Object.keys(BACKENDS).join(', ')})`);
  return backend;
}

/** Every backend, in a stable order. */
export function allBackends(): readonly Backend[] {
  return Object.values(BACKENDS);
}
