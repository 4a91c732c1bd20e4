// A cluster name of the longest length dbfleet allows (CLUSTER_NAME_MAX) must give Jobs and
// CronJobs Kubernetes accepts: a Job's name becomes its pods' `job-name` label (values stop at 63
// characters), a CronJob's name gets an 11-character suffix for its Jobs (so at most 52). The
// developer-sessions Job of a 45-character cluster was `<cluster>-developer-sessions`, 64
// characters, and the API server would refuse it at sync.
import { describe, expect, it } from 'vitest';
import { CLUSTER_NAME_MAX } from '../../lib/config/names';
import { renderEnvironment } from './harness';

const cluster = 'c'.repeat(CLUSTER_NAME_MAX);
const fleet = `name: acme
postgres: { version: 16 }
secretStore: { kind: ClusterSecretStore, name: vault, keyPrefix: databases }
developers: [alice, bob]
environments:
  test:
    namespace: databases
    topology: shared
    sharedClusterName: ${cluster}
    instances: 1
    storage: 5Gi
    developerAccess: read-write
services:
  - name: orders
`;

describe(`a ${CLUSTER_NAME_MAX}-character cluster name`, () => {
  const objects = renderEnvironment(fleet, 'test');

  it('gives every Job a name of at most 63 characters and every CronJob one of at most 52', () => {
    const jobs = objects.filter((o) => o.kind === 'Job');
    const cronJobs = objects.filter((o) => o.kind === 'CronJob');
    expect(jobs.map((o) => o.metadata.name)).toContain(`${cluster}-dev-sessions`);
    expect(jobs.filter((o) => o.metadata.name.length > 63).map((o) => o.metadata.name)).toEqual([]);
    expect(cronJobs.filter((o) => o.metadata.name.length > 52).map((o) => o.metadata.name)).toEqual([]);
  });
});
