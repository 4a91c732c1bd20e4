// The ops image (Dockerfile.ops, docs/ops-image.md): one image, several commands, each a bundle /app/<command>.cjs
// that the dispatcher /app/ops.cjs (the image's entrypoint) runs: `<image> <command> [flags]`.

/** Node.js in the ops image (the distroless layout, also used by the local base of `npm run image`). */
export const OPS_NODE = '/nodejs/bin/node';

/** The ops image's entrypoint; manifests may name it as `command` (the image has it as ENTRYPOINT too). */
export const OPS_ENTRYPOINT: readonly string[] = [OPS_NODE, '/app/ops.cjs'];

/** Where the ops image keeps the snapshot tools' folder on PATH (first). */
export const SNAPSHOT_TOOLS_DIR = '/opt/snapshot/bin';

/** Container args that run one ops command: the command name first, then its flags. */
export function opsArgs(command: string, flags: readonly string[]): string[] {
  return [command, ...flags];
}
