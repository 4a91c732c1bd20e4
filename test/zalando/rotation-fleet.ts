// A Zalando environment with a read-write pooler and two services, `orders` at a rotation state.
import type { RotationState } from '../../lib/secrets/credential-rotation';

export const zalandoRotationFleet = (state: RotationState, operator = 'zalando', version = 16) => `name: shop
postgres: { version: ${version} }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice]
monitoring: { namespace: monitoring }
environments:
  live:
    namespace: databases
    topology: per-service
    instances: 2
    storage: 5Gi
    developerAccess: read-only
    operator: ${operator}
    pooler:
      rw: { instances: 2, poolMode: transaction, parameters: { max_db_connections: 20 } }
services:
  - name: orders
    namespace: orders
${state.generation === 0 ? '' : `    rotation: { live: { generation: ${state.generation}, step: ${state.step} } }\n`}  - name: payments
    namespace: payments
`;
