// A small, complete fleet for tests, and ways to bend it.
import { parseFleet } from '../../lib/config/load';
import type { Fleet } from '../../lib/config/model';

export const BASE_FLEET = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice, bob]
groups: { commerce: {} }
environments:
  test:
    namespace: databases
    topology: shared
    instances: 1
    storage: 5Gi
    developerAccess: read-write
  production:
    namespace: databases
    topology: per-service
    instances: 3
    storage: 50Gi
    developerAccess: read-only
services:
  - name: orders
    namespace: orders
    group: commerce
    extensions: [pgcrypto]
    overrides:
      production: { storage: 200Gi, instances: 5 }
  - name: payments
    group: commerce
`;

/** Parses fleet text as if it were the file `fleet.yaml`. */
export function fleetOf(text: string = BASE_FLEET): Fleet {
  return parseFleet(text, 'fleet.yaml');
}

/** The error lines parseFleet throws for this text (fails the test if it does not throw). */
export function configErrors(text: string): string[] {
  try {
    parseFleet(text, 'fleet.yaml');
  } catch (error) {
    return (error as Error).message.split('\n');
  }
  throw new Error('expected the fleet to be rejected, but it was accepted');
}

/** 1-based line number of the nth (default: first) line containing `needle`. */
export function lineOf(text: string, needle: string, nth = 1): number {
  const lines = text
    .split('\n')
    .map((line, i) => [line, i + 1] as const)
    .filter(([line]) => line.includes(needle));
  if (lines.length < nth) throw new Error(`"${needle}" not ${nth} times in the fleet text`);
  return lines[nth - 1][1];
}
