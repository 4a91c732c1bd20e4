// The ops image (Dockerfile.ops, docs/ops-image.md): one image, several commands, each a bundle /app/<command>.cjs
// run by the image's Node.js. Manifests name both explicitly instead of relying on the image's ENTRYPOINT.

/** Node.js in the ops image (the distroless layout, also used by the local base of `npm run image`). */
export const OPS_NODE = '/nodejs/bin/node';

/** Where the ops image keeps the snapshot tools' folder on PATH (first). */
export const SNAPSHOT_TOOLS_DIR = '/opt/snapshot/bin';

/** The container `command` that runs one ops command (a file build/ops/<command>.cjs in the repository). */
export function opsCommand(command: string): string[] {
  return [OPS_NODE, `/app/${command}.cjs`];
}
