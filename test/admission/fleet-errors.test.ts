// The two fleets of issue 31, tried as a user would: each rendered cleanly before and would fail
// the Argo CD sync on CloudNativePG's webhook. Now each is a config error on the line that causes
// it, naming the upstream rule.
import { describe, expect, it } from 'vitest';
import { BASE_FLEET, configErrors, fleetOf, lineOf } from '../support/fleet';

function edit(from: string, to: string, text = BASE_FLEET): string {
  if (!text.includes(from)) throw new Error(`"${from}" not in the fleet text`);
  return text.replace(from, to);
}

describe('fleet-level admission errors (CloudNativePG Cluster webhook)', () => {
  it('fleet-wide shared_buffers above a test environment memory request: validateResources, at the line of shared_buffers', () => {
    const text = edit('postgres: { version: 16 }', 'postgres:\n  version: 16\n  parameters:\n    shared_buffers: 4GB').replace(
      '    instances: 1\n',
      '    instances: 1\n    resources: { cpu: 500m, memory: 1Gi }\n',
    );
    const errors = configErrors(text);
    const line = lineOf(text, 'shared_buffers: 4GB');
    const match = errors.filter((e) => e.startsWith(`fleet.yaml:${line}: postgres.parameters.shared_buffers:`));
    expect(match, errors.join('\n')).toHaveLength(1);
    expect(match[0]).toContain('environment test');
    expect(match[0]).toContain('environments.test.resources.memory');
    expect(match[0]).toContain('cloudnative-pg@v1.30.0 internal/webhook/v1/cluster_webhook.go validateResources');
    expect(match[0]).toContain('Memory request is lower than PostgreSQL `shared_buffers` value');
    // production has no memory request: the webhook compares only with a request.
    expect(errors.join('\n')).not.toContain('environment production');
  });

  it('a service override that raises memory makes that cluster fine, not the others', () => {
    const text = edit('postgres: { version: 16 }', 'postgres:\n  version: 16\n  parameters:\n    shared_buffers: 2GB')
      .replace('    instances: 3\n    storage: 50Gi\n', '    instances: 3\n    storage: 50Gi\n    resources: { cpu: "1", memory: 1Gi }\n')
      .replace('production: { storage: 200Gi, instances: 5 }', 'production: { storage: 200Gi, instances: 5, resources: { memory: 4Gi } }');
    const errors = configErrors(text);
    expect(errors.join('\n')).toContain('cluster "payments" in environment production');
    expect(errors.join('\n')).not.toContain('"orders"');
  });

  it('wal_level minimal on a 3-instance production cluster: validateConfiguration, at the line of wal_level', () => {
    const text = edit(
      '    instances: 3\n    storage: 50Gi\n',
      '    instances: 3\n    storage: 50Gi\n    postgres:\n      parameters:\n        wal_level: minimal\n        max_wal_senders: "0"\n',
    );
    const errors = configErrors(text);
    const line = lineOf(text, 'wal_level: minimal');
    const match = errors.filter((e) => e.startsWith(`fleet.yaml:${line}: environments.production.postgres.parameters.wal_level:`));
    expect(match, errors.join('\n')).toHaveLength(1);
    expect(match[0]).toContain('clusters "orders", "payments" in environment production');
    expect(match[0]).toContain('cloudnative-pg@v1.30.0 internal/webhook/v1/cluster_webhook.go validateConfiguration');
    expect(match[0]).toContain('more than one instance');
  });

  it('wal_level minimal needs max_wal_senders 0 too, and is refused on one instance as well (archive_mode is always on)', () => {
    const text = edit('    instances: 1\n', '    instances: 1\n    postgres: { parameters: { wal_level: minimal } }\n');
    const errors = configErrors(text).join('\n');
    expect(errors).toContain('environments.test.postgres.parameters.wal_level');
    expect(errors).toContain('archive_mode is on');
    expect(errors).toContain('`max_wal_senders` should be set at `0`');
  });

  it('an image pinned by digest alone renders a Cluster the webhook refuses (no tag to detect upgrades)', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const text = edit('postgres: { version: 16 }', `postgres: { version: 16, imageName: "ghcr.io/cloudnative-pg/postgresql@${digest}" }`);
    const errors = configErrors(text);
    const line = lineOf(text, 'imageName');
    expect(errors.join('\n')).toContain(`fleet.yaml:${line}: postgres.imageName:`);
    expect(errors.join('\n')).toContain("Can't use just the image sha");
  });

  it('the base fleet and sensible parameters are accepted', () => {
    expect(() => fleetOf(BASE_FLEET)).not.toThrow();
    const text = edit(
      'postgres: { version: 16 }',
      'postgres:\n  version: 16\n  parameters:\n    shared_buffers: 256MB\n    wal_level: replica',
    ).replace('    instances: 1\n', '    instances: 1\n    resources: { cpu: 500m, memory: 1Gi }\n');
    expect(() => fleetOf(text)).not.toThrow();
  });
});
