// Checks on metadata that the API server makes in Go code, outside any OpenAPI schema: which names
// are valid for which kind, and the syntax of namespace, label and annotation keys and values.
// Messages follow k8s.io/apimachinery/pkg/util/validation so they read like the API server's.

export interface MetadataProblem {
  readonly path: string;
  readonly message: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

type NameCheck = (name: string) => string | undefined;

function dns1123Subdomain(name: string): string | undefined {
  if (name.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

function dns1123Label(name: string): string | undefined {
  if (name.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(name)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
  }
  return undefined;
}

function dns1035Label(name: string): string | undefined {
  if (name.length > 63) return 'must be no more than 63 characters';
  if (!DNS1035_LABEL.test(name)) {
    return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
  }
  return undefined;
}

function pathSegment(name: string): string | undefined {
  if (name === '.' || name === '..') return `may not be '${name}'`;
  if (/[/%]/.test(name)) return "may not contain '/' or '%'";
  return undefined;
}

function maxLength(limit: number, inner: NameCheck): NameCheck {
  return (name) => (name.length > limit ? `must be no more than ${limit} characters` : inner(name));
}

/**
 * Name rules by kind, as the API server's validation functions for those types apply them. Anything
 * not listed (including every custom resource) is a DNS-1123 subdomain, the generic rule.
 */
const NAME_RULES: Readonly<Record<string, NameCheck>> = {
  'v1/Namespace': dns1123Label,
  // ValidateServiceName is NameIsDNS1035Label: a Service name becomes a DNS label and must start with a letter.
  'v1/Service': dns1035Label,
  'rbac.authorization.k8s.io/v1/Role': pathSegment,
  'rbac.authorization.k8s.io/v1/ClusterRole': pathSegment,
  'rbac.authorization.k8s.io/v1/RoleBinding': pathSegment,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': pathSegment,
  // CronJob names get an 11-character suffix for their Jobs, so the API server caps them at 52.
  'batch/v1/CronJob': maxLength(52, dns1123Subdomain),
};

export function nameRuleFor(apiVersion: string, kind: string): NameCheck {
  return NAME_RULES[`${apiVersion}/${kind}`] ?? dns1123Subdomain;
}

function qualifiedName(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix.length === 0) return 'prefix part must be non-empty';
    const bad = dns1123Subdomain(prefix);
    if (bad) return `prefix part ${bad}`;
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

function q(value: string): string {
  return JSON.stringify(value);
}

/** Problems with apiVersion/kind-specific metadata. Type errors are left to the schema. */
export function checkMetadata(apiVersion: string, kind: string, metadata: unknown): MetadataProblem[] {
  const problems: MetadataProblem[] = [];
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return problems;
  const meta = metadata as Record<string, unknown>;

  if (typeof meta.name === 'string') {
    const bad = nameRuleFor(apiVersion, kind)(meta.name);
    if (bad) problems.push({ path: 'metadata.name', message: `Invalid value: ${q(meta.name)}: ${bad}` });
  } else if (meta.name === undefined && meta.generateName === undefined) {
    problems.push({ path: 'metadata.name', message: 'Required value: name or generateName is required' });
  }
  if (typeof meta.namespace === 'string') {
    const bad = dns1123Label(meta.namespace);
    if (bad) problems.push({ path: 'metadata.namespace', message: `Invalid value: ${q(meta.namespace)}: ${bad}` });
  }

  if (meta.labels && typeof meta.labels === 'object') {
    for (const [key, value] of Object.entries(meta.labels as Record<string, unknown>)) {
      const badKey = qualifiedName(key);
      if (badKey) problems.push({ path: 'metadata.labels', message: `Invalid value: ${q(key)}: ${badKey}` });
      if (typeof value === 'string') {
        if (value.length > 63)
          problems.push({ path: `metadata.labels[${q(key)}]`, message: `Invalid value: ${q(value)}: must be no more than 63 characters` });
        else if (!LABEL_VALUE.test(value)) {
          problems.push({
            path: `metadata.labels[${q(key)}]`,
            message: `Invalid value: ${q(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
          });
        }
      }
    }
  }
  if (meta.annotations && typeof meta.annotations === 'object') {
    let total = 0;
    for (const [key, value] of Object.entries(meta.annotations as Record<string, unknown>)) {
      const badKey = qualifiedName(key.toLowerCase());
      if (badKey) problems.push({ path: 'metadata.annotations', message: `Invalid value: ${q(key)}: ${badKey}` });
      total += key.length + (typeof value === 'string' ? value.length : 0);
    }
    if (total > 256 * 1024) problems.push({ path: 'metadata.annotations', message: `Too long: must have at most 262144 bytes` });
  }
  return problems;
}
