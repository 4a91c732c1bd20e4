// A service file cannot name dbfleet's or Aurora's own roles (attack on issue 24). On Aurora,
// provision.sh (logged in as dbfleet_admin, LOGIN CREATEROLE CREATEDB) sets the password of an
// owner that cannot log in with the store's value: a service with `role: dbfleet_admin` (an
// existing database, e.g. its role changed in a later commit) had dbfleet_admin's password set to
// the service's own, so the service's app Secret became the CREATEROLE login that administers
// every owner and developer role of the cluster (ALTER ROLE payments PASSWORD …, GRANT payments TO …
// both ran on a real PostgreSQL). `dbfleet_exporter` lent pg_monitor the same way; `rds_*` names
// are Aurora's.
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';

const fleet = (operator: string, role: string) => `name: shop
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice]
environments:
  production:
    operator: ${operator}
    namespace: databases
    topology: shared
    instances: 2
    storage: 5Gi
    developerAccess: read-only
${
  operator === 'aws-aurora'
    ? `    aws:
      region: eu-central-1
      subnetIDs: [subnet-0a1b2c3d, subnet-1b2c3d4e]
      securityGroupIDs: [sg-0123abcd]
      serverless: { minCapacity: 0.5, maxCapacity: 4 }
      endpointId: c9akciq32rcl
      iamAuthentication: true
`
    : ''
}services:
  - name: orders
    role: ${role}
`;

describe("a service's role never names a platform role", () => {
  it.each([
    ['aws-aurora', 'dbfleet_admin'],
    ['aws-aurora', 'dbfleet_exporter'],
    ['aws-aurora', 'dbfleet_master'],
    ['aws-aurora', 'rds_superuser'],
    ['aws-aurora', 'rdsadmin'],
    ['cloudnative-pg', 'dbfleet_admin'],
    ['cloudnative-pg', 'dbfleet_exporter'],
  ])('%s: role %s is a config error at its line', (operator, role) => {
    expect(() => parseFleet(fleet(operator, role), 'fleet.yaml')).toThrow(
      new RegExp(`fleet\\.yaml:\\d+: services\\[0\\]\\.role: role name "${role}" (starts with|is reserved)`),
    );
  });

  it('an ordinary role is accepted on Aurora', () => {
    expect(() => parseFleet(fleet('aws-aurora', 'orders_app'), 'fleet.yaml')).not.toThrow();
  });
});
