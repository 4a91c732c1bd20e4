// The value parsers the CloudNativePG webhook relies on, reimplemented for comparing what
// dbfleet renders: Kubernetes quantities (k8s.io/apimachinery resource.ParseQuantity), the
// webhook's reading of PostgreSQL sizes as quantities, PostgreSQL booleans, and the image tag
// rules of cloudnative-pg/machinery v0.5.0 (the library cloudnative-pg v1.30.0 pins in go.mod).

import { parseQuantity } from '../../config/quantity';

export { parseQuantity };

const GO_INT = /^[+-]?\d+$/;

/**
 * A PostgreSQL size setting (shared_buffers, min_wal_size, max_wal_size) read the way the
 * webhook reads it (cloudnative-pg@v1.30.0 internal/webhook/v1/cluster_webhook.go
 * parsePostgresQuantityValue): a bare number is MB, otherwise the unit must end in B, and the
 * unit is binary (`4GB` is 4Gi, `128kB` is 128Ki). Undefined when the webhook cannot parse it.
 */
export function parsePostgresQuantity(raw: string): number | undefined {
  let value = raw;
  if (value === '') return undefined;
  if (GO_INT.test(value)) value += 'MB';
  if (!value.endsWith('B')) return undefined;
  value = value.slice(0, -1).replace(/ /g, '');
  if (!GO_INT.test(value)) value = `${value}i`.replace(/ki/g, 'Ki');
  return parseQuantity(value);
}

/** PostgreSQL's boolean spellings (cloudnative-pg@v1.30.0 pkg/postgres/booleans.go ParsePostgresConfigBoolean). */
export function postgresBoolean(value: string): boolean | undefined {
  switch (value.toLowerCase()) {
    case '1':
    case 'on':
    case 'y':
    case 'ye':
    case 'yes':
    case 't':
    case 'tr':
    case 'tru':
    case 'true':
      return true;
    case '0':
    case 'of':
    case 'off':
    case 'n':
    case 'no':
    case 'f':
    case 'fa':
    case 'fal':
    case 'fals':
    case 'false':
      return false;
    default:
      return undefined;
  }
}

/**
 * The tag of an image name as cloudnative-pg/machinery@v0.5.0 pkg/image/reference/imagename.go
 * `New` finds it: a trailing `@sha256:<hex>` digest is set aside, then `:<tag>` without a slash;
 * no tag and no digest means `latest`; a digest alone means no tag ("").
 */
export function imageTag(image: string): string {
  let name = image;
  if (!name.includes('/')) name = `docker.io/library/${name}`;
  let digest = '';
  const d = /@sha256:([a-fA-F0-9]+)$/.exec(name);
  if (d) {
    digest = d[1];
    name = name.slice(0, d.index);
  }
  const t = /:([^/]+)$/.exec(name);
  if (t) return t[1];
  return digest === '' ? 'latest' : '';
}

/**
 * The PostgreSQL major of an image tag as cloudnative-pg/machinery@v0.5.0
 * pkg/postgres/version/version.go `FromTag` reads it (`^(\d\.?)+`, then major and minor must
 * be integers), or undefined when FromTag fails.
 */
export function majorFromTag(tag: string): number | undefined {
  const match = /^(\d\.?)+/.exec(tag);
  if (!match) return undefined;
  const parts = match[0].split('.');
  if (!/^\d+$/.test(parts[0])) return undefined;
  if (parts.length > 1 && !/^\d+$/.test(parts[1])) return undefined;
  return Number(parts[0]);
}
