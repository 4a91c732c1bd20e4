// Postgres container images: which are pinned, and which PostgreSQL major they hold.
// CloudNativePG reads the major from the tag ("it should commence with a valid PostgreSQL major
// version number, optionally followed by a dot and the patch level": cloudnative-pg@v1.30.0
// docs/src/container_images.md, "Image Tag Requirements") and runs pg_upgrade when it rises.

/**
 * The image used when a fleet names none: the official CloudNativePG images of the newest
 * PostgreSQL minor releases CloudNativePG itself tests and ships, as verifiable in its sources:
 * cloudnative-pg main@5e4adb24e (2026-08-22) .github/pg_versions.json lists 18.6, 17.11, 16.15 and
 * 15.19 (-system-trixie) as the current minors, and the 1.30/1.29 release branches' default image
 * moved to 18.6-system-trixie (b5cb0968c, 2026-08-14, pkg/versions/versions.go). v1.30.0 itself
 * still names 18.4 and, in docs/src/image_catalog.md, the older 15.14/16.10/17.6 (security
 * releases since: 16.10 predates them, issue 24). Pinned to a minor release: a floating `:16`
 * would change what runs without a change in git. Newer quarterly minors are not listed here
 * until they can be checked the same way; pin them (with a digest) in the fleet.
 */
export const DEFAULT_IMAGES: Readonly<Record<number, string>> = {
  15: 'ghcr.io/cloudnative-pg/postgresql:15.19-system-trixie',
  16: 'ghcr.io/cloudnative-pg/postgresql:16.15-system-trixie',
  17: 'ghcr.io/cloudnative-pg/postgresql:17.11-system-trixie',
  18: 'ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie',
};

export interface ImageReference {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** `registry:5000/org/postgresql:16.4-1@sha256:…` → its parts (a port is not a tag). */
export function parseImage(image: string): ImageReference {
  const at = image.indexOf('@');
  const digest = at === -1 ? undefined : image.slice(at + 1);
  const name = at === -1 ? image : image.slice(0, at);
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
  return { repository: tag === undefined ? name : name.slice(0, colon), tag, digest };
}

/**
 * Why `image` cannot run PostgreSQL `version` reproducibly, or undefined when it is fine:
 * a floating tag (none, `latest`, the major alone) is refused, and so is a tag whose major
 * differs from the version. A digest pins the image; its tag, if any, must still agree.
 */
export function imageProblem(image: string, version: number): string | undefined {
  const ref = parseImage(image);
  if (ref.digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(ref.digest))
    return `"${image}" has a malformed digest (expected sha256: and 64 hex digits)`;
  const example = DEFAULT_IMAGES[version] ?? `${ref.repository}:${version}.<minor>`;
  if (ref.tag === undefined || ref.tag === 'latest') {
    return ref.digest
      ? undefined
      : `"${image}" is not pinned: without a tag or with "latest" the running version changes without a change in git; use a full tag such as ${example}, or a digest`;
  }
  const major = /^(\d+)(?:\.\d+)*(?:[-_.].*)?$/.exec(ref.tag);
  if (!major) {
    return ref.digest
      ? undefined
      : `"${image}": CloudNativePG cannot tell the PostgreSQL major from the tag "${ref.tag}" (it must start with the version, e.g. ${version}.<minor>); use such a tag or add a digest`;
  }
  if (Number(major[1]) !== version) return `"${image}" is PostgreSQL ${major[1]} but the version is ${version}: set both to the same major`;
  if (!/^\d+\.\d+/.test(ref.tag) && ref.digest === undefined) {
    return `"${image}" is a floating tag (the major version only): the minor release would change without a change in git; pin a full tag such as ${example}, or a digest`;
  }
  return undefined;
}
