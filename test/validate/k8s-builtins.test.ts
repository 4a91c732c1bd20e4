// Kubernetes 1.28 built-ins (k8s-1.28/_definitions.json, one ajv schema with $refs).
// Failure classes the definitions cannot produce, and why:
//  - enum: the 1.28 definitions carry no enums (only `kind`, which is what selects the schema);
//    values such as Service.spec.type are checked by Go code in the API server, not by OpenAPI.
//  - pattern: the definitions carry none; the pattern class is covered by the Quantity grammar the
//    validator adds (the API server parses quantities) and by formats (byte, int32).
//  - x-kubernetes-preserve-unknown-fields: not used by any built-in definition.
import { describe, expect, it } from 'vitest';
import { broken, valid } from './fixtures';
import { expectOnlyIssue, expectValid, issuesOf, REQUIRED, UNKNOWN_FIELD } from './helpers';

describe('k8s built-ins', () => {
  it('accepts a valid object of every built-in kind the fleet renders', () => {
    for (const kind of [
      'Namespace',
      'Service',
      'ServiceAccount',
      'Secret',
      'ConfigMap',
      'Deployment',
      'CronJob',
      'Job',
      'NetworkPolicy',
      'Role',
      'RoleBinding',
      'PodDisruptionBudget',
    ]) {
      expectValid(valid[kind]);
    }
  });

  it('rejects an unknown field, deep inside a $ref chain', () => {
    expectOnlyIssue(
      broken('Deployment', (o) => {
        o.spec.template.spec.containers[0].imagePullPolcy = 'Always';
      }),
      'spec.template.spec.containers[0].imagePullPolcy',
      UNKNOWN_FIELD,
    );
    expectOnlyIssue(
      broken('NetworkPolicy', (o) => {
        o.spec.ingres = [];
      }),
      'spec.ingres',
      UNKNOWN_FIELD,
    );
  });

  it('rejects an unknown field under metadata (ObjectMeta is strict too)', () => {
    expectOnlyIssue(
      broken('ConfigMap', (o) => {
        o.metadata.label = {};
      }),
      'metadata.label',
      UNKNOWN_FIELD,
    );
  });

  it('rejects a wrong type', () => {
    expectOnlyIssue(
      broken('Deployment', (o) => {
        o.spec.replicas = '2';
      }),
      'spec.replicas',
      'must be integer (got string)',
    );
  });

  it('accepts int-or-string both ways and rejects anything else', () => {
    expectValid(
      broken('PodDisruptionBudget', (o) => {
        o.spec.maxUnavailable = '25%';
      }),
    );
    expectOnlyIssue(
      broken('PodDisruptionBudget', (o) => {
        o.spec.maxUnavailable = true;
      }),
      'spec.maxUnavailable',
      'must be string or integer (got boolean)',
    );
  });

  it('rejects a missing required field', () => {
    expectOnlyIssue(
      broken('Deployment', (o) => {
        delete o.spec.selector;
      }),
      'spec.selector',
      REQUIRED,
    );
    expectOnlyIssue(
      broken('RoleBinding', (o) => {
        delete o.roleRef.name;
      }),
      'roleRef.name',
      REQUIRED,
    );
  });

  it('rejects a malformed quantity (pattern class) and bad formats', () => {
    expectOnlyIssue(
      broken('Deployment', (o) => {
        o.spec.template.spec.containers[0].resources.requests.cpu = '100 m';
      }),
      'spec.template.spec.containers[0].resources.requests.cpu',
      /^Invalid value: "100 m": must match pattern/,
    );
    expectOnlyIssue(
      broken('Secret', (o) => {
        o.data.username = 'not base64!';
      }),
      'data.username',
      'Invalid value: "not base64!": must match format "byte"',
    );
    expectOnlyIssue(
      broken('Deployment', (o) => {
        o.spec.replicas = 2 ** 31;
      }),
      'spec.replicas',
      'Invalid value: 2147483648: must match format "int32"',
    );
  });

  it('follows the API server where the 1.28 definitions are stricter (podFailurePolicy rules)', () => {
    const withRule = (rule: Record<string, unknown>) =>
      broken('Job', (o) => {
        o.spec.podFailurePolicy = { rules: [{ action: 'FailJob', ...rule }] };
      });
    // The definition marks onPodConditions required; the API server wants exactly one of the two.
    expectValid(withRule({ onExitCodes: { operator: 'In', values: [7] } }));
    expectValid(withRule({ onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }));
    expectOnlyIssue(withRule({}), 'spec.podFailurePolicy.rules[0]', 'must satisfy exactly one of: has onExitCodes | has onPodConditions');
  });

  it('rejects a duplicate list-map key (Service ports keyed by port+protocol)', () => {
    expectOnlyIssue(
      broken('Service', (o) => {
        o.spec.ports.push({ name: 'pg2', port: 5432, protocol: 'TCP' });
      }),
      'spec.ports[1]',
      'Duplicate value: {"port":5432,"protocol":"TCP"}',
    );
  });

  it('rejects an unknown apiVersion/kind', () => {
    const [issue] = issuesOf(
      broken('Deployment', (o) => {
        o.kind = 'Deploymnt';
      }),
    );
    expect(issue.rule).toBe('unknown-kind');
    expect(issue.message).toMatch(/^unknown apiVersion\/kind "apps\/v1\/Deploymnt": no schema in /);
    expect(
      issuesOf(
        broken('Deployment', (o) => {
          o.apiVersion = 'extensions/v1beta1';
        }),
      )[0].message,
    ).toMatch(/unknown apiVersion\/kind "extensions\/v1beta1\/Deployment"/);
  });

  it('checks metadata.name by kind', () => {
    // Service names are DNS-1035 labels: they must start with a letter.
    expectOnlyIssue(
      broken('Service', (o) => {
        o.metadata.name = '1orders';
      }),
      'metadata.name',
      /^Invalid value: "1orders": a DNS-1035 label/,
    );
    // Namespace names are DNS-1123 labels: no dots.
    expectOnlyIssue(
      broken('Namespace', (o) => {
        o.metadata.name = 'orders.prod';
      }),
      'metadata.name',
      /^Invalid value: "orders.prod": a lowercase RFC 1123 label/,
    );
    // Everything else is a DNS-1123 subdomain: dots allowed, capitals not.
    expectValid(
      broken('ConfigMap', (o) => {
        o.metadata.name = 'orders.conf';
      }),
    );
    expectOnlyIssue(
      broken('ConfigMap', (o) => {
        o.metadata.name = 'Orders';
      }),
      'metadata.name',
      /^Invalid value: "Orders": a lowercase RFC 1123 subdomain/,
    );
    expectOnlyIssue(
      broken('CronJob', (o) => {
        o.metadata.name = 'a'.repeat(53);
      }),
      'metadata.name',
      /must be no more than 52 characters/,
    );
    expectOnlyIssue(
      broken('ConfigMap', (o) => {
        delete o.metadata.name;
      }),
      'metadata.name',
      /^Required value/,
    );
  });

  it('checks label keys and values', () => {
    expectOnlyIssue(
      broken('ConfigMap', (o) => {
        o.metadata.labels.team = 'a b';
      }),
      'metadata.labels["team"]',
      /^Invalid value: "a b": a valid label/,
    );
    expectOnlyIssue(
      broken('ConfigMap', (o) => {
        o.metadata.labels['-bad'] = 'x';
      }),
      'metadata.labels',
      /^Invalid value: "-bad": name part must consist/,
    );
  });
});
