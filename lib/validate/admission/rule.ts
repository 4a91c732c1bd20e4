// What an admission rule is: a check an operator's validating webhook (or the operator itself,
// for Zalando, which has no webhook) runs on an object, ported to dbfleet. Each rule names its
// upstream source (`repo@tag file function`) so that a violation says where the refusal comes
// from, and the catalog (catalog.ts) lists every upstream rule with its status for docs/admission.md.

/** One refusal: the object's JSON path (`spec.postgresql.parameters.wal_level`) and why. */
export interface AdmissionViolation {
  readonly path: string;
  readonly message: string;
  /** Catalog id of the rule, e.g. `cnpg.cluster.validateResources`. */
  readonly rule: string;
}

/** Who refuses, as the operator's pinned release. */
export type AdmissionOperator = 'cloudnative-pg' | 'zalando' | 'external-secrets' | 'argo-cd';

export interface AdmissionSource {
  /** `cloudnative-pg@v1.30.0`. */
  readonly repo: string;
  /** `internal/webhook/v1/cluster_webhook.go`. */
  readonly file: string;
  /** `validateResources`. */
  readonly func: string;
}

export const CNPG = 'cloudnative-pg@v1.30.0';
export const CNPG_CLUSTER_WEBHOOK = 'internal/webhook/v1/cluster_webhook.go';
export const CNPG_POOLER_WEBHOOK = 'internal/webhook/v1/pooler_webhook.go';
export const CNPG_SCHEDULED_BACKUP_WEBHOOK = 'internal/webhook/v1/scheduledbackup_webhook.go';
export const CNPG_DATABASE_WEBHOOK = 'internal/webhook/v1/database_webhook.go';

/** `cloudnative-pg@v1.30.0 internal/webhook/v1/cluster_webhook.go validateResources` */
export function citation(source: AdmissionSource): string {
  return `${source.repo} ${source.file} ${source.func}`;
}

/** Builds the violations of one rule: `refuse(path, message)`. */
export function refuser(
  id: string,
  source: AdmissionSource,
  out: AdmissionViolation[],
  who = "CloudNativePG's admission webhook",
): (path: string, message: string) => void {
  return (path, message) => out.push({ path, rule: id, message: `refused by ${who} (${citation(source)}): ${message}` });
}

// Loosely typed views of rendered objects: the rules read what is there, like the webhooks
// read the decoded Go structs (an absent field is the zero value).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

export function specOf(object: Loose): Loose {
  return object.spec && typeof object.spec === 'object' ? (object.spec as Loose) : {};
}

/** A JSON path segment: `.name`, or `["odd.key"]` for keys that are not identifiers. */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}
