// Issue 24 item 10: removing a service from git must not silently delete the credentials its pods
// still use. The app-namespace connection ExternalSecrets carry Prune=false (Argo CD leaves them,
// the Application shows OutOfSync / requires pruning), and keep creationPolicy: Owner so that
// deleting one by hand still garbage-collects its Secret (no secret left forever).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import { SYNC_OPTIONS_ANNOTATION } from '../../lib/gitops/sync-policy';
import { buildApp, renderObjects } from '../../lib/output/render';

describe('connection ExternalSecrets on removal of a service', () => {
  const objects = renderObjects(buildApp(loadFleet(join(__dirname, '../../fleet.yaml'))));
  const connection = objects.filter(
    (r) =>
      r.object.kind === 'ExternalSecret' &&
      ['connection-secret', 'readonly-connection-secret'].includes(r.object.metadata.labels?.['app.kubernetes.io/name'] ?? ''),
  );

  it('are rendered in every environment', () => {
    expect(new Set(connection.map((r) => r.path.split('/')[0])).size).toBeGreaterThanOrEqual(3);
  });

  it.each(connection.map((r) => [r.path, r.object] as const))('%s is not pruned, but owns its Secret', (_, object) => {
    const options = (object.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '').split(',');
    expect(options).toContain('Prune=false');
    // Deleting the whole Application still deletes it (explicit), and a hand deletion removes the Secret.
    expect(options).not.toContain('Delete=false');
    const target = (object as unknown as { spec: { target: { creationPolicy: string; deletionPolicy: string } } }).spec.target;
    expect(target.creationPolicy).toBe('Owner');
  });
});
