// prometheus-operator 0.93 (monitoring.coreos.com/v1: ServiceMonitor, PodMonitor, PrometheusRule).
// Every failure class exists here, including list-type set (scrapeProtocols) and a Go-only
// regexp flag `(?i)` in a pattern. No x-kubernetes-preserve-unknown-fields and no CEL rules.
import { describe, expect, it } from 'vitest';
import { broken, valid } from './fixtures';
import { expectOnlyIssue, expectValid, issuesOf, REQUIRED, UNKNOWN_FIELD } from './helpers';

describe('prometheus-operator', () => {
  it('accepts valid ServiceMonitor, PodMonitor and PrometheusRule', () => {
    for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule']) expectValid(valid[kind]);
  });

  it('rejects an unknown field', () => {
    expectOnlyIssue(
      broken('ServiceMonitor', (o) => {
        o.spec.endpoints[0].intervall = '30s';
      }),
      'spec.endpoints[0].intervall',
      UNKNOWN_FIELD,
    );
  });

  it('rejects a wrong type', () => {
    expectOnlyIssue(
      broken('PodMonitor', (o) => {
        o.spec.podMetricsEndpoints[0].honorLabels = 'yes';
      }),
      'spec.podMetricsEndpoints[0].honorLabels',
      'must be boolean (got string)',
    );
  });

  it('accepts x-kubernetes-int-or-string targetPort as a number or a name, nothing else', () => {
    expectValid(
      broken('ServiceMonitor', (o) => {
        delete o.spec.endpoints[0].port;
        o.spec.endpoints[0].targetPort = 9187;
      }),
    );
    expectValid(
      broken('ServiceMonitor', (o) => {
        delete o.spec.endpoints[0].port;
        o.spec.endpoints[0].targetPort = 'metrics';
      }),
    );
    expectOnlyIssue(
      broken('ServiceMonitor', (o) => {
        o.spec.endpoints[0].targetPort = true;
      }),
      'spec.endpoints[0].targetPort',
      'must be integer or string (got boolean)',
    );
  });

  it('rejects a missing required field', () => {
    expectOnlyIssue(
      broken('PrometheusRule', (o) => {
        delete o.spec.groups[0].rules[0].expr;
      }),
      'spec.groups[0].rules[0].expr',
      REQUIRED,
    );
    expectOnlyIssue(
      broken('ServiceMonitor', (o) => {
        delete o.spec.selector;
      }),
      'spec.selector',
      REQUIRED,
    );
  });

  it('rejects a value outside an enum', () => {
    expectOnlyIssue(
      broken('ServiceMonitor', (o) => {
        o.spec.endpoints[0].relabelings = [{ action: 'explode' }];
      }),
      'spec.endpoints[0].relabelings[0].action',
      /^Unsupported value: "explode": supported values: "replace", "Replace"/,
    );
  });

  it('rejects a pattern mismatch', () => {
    expectOnlyIssue(
      broken('PrometheusRule', (o) => {
        o.spec.groups[0].rules[0].for = '5 minutes';
      }),
      'spec.groups[0].rules[0].for',
      /^Invalid value: "5 minutes": must match pattern/,
    );
  });

  it('enforces Go regexp flags: (?i) makes the pattern case-insensitive', () => {
    expectValid(
      broken('PrometheusRule', (o) => {
        o.spec.groups[0].partial_response_strategy = 'Abort';
      }),
    );
    expectOnlyIssue(
      broken('PrometheusRule', (o) => {
        o.spec.groups[0].partial_response_strategy = 'never';
      }),
      'spec.groups[0].partial_response_strategy',
      'Invalid value: "never": must match pattern "^(?i)(abort|warn)?$"',
    );
  });

  it('rejects a duplicate list-map key and a duplicate list-set item', () => {
    expectOnlyIssue(
      broken('PrometheusRule', (o) => {
        o.spec.groups.push(structuredClone(o.spec.groups[0]));
      }),
      'spec.groups[1]',
      'Duplicate value: {"name":"orders.rules"}',
    );
    expectOnlyIssue(
      broken('ServiceMonitor', (o) => {
        o.spec.scrapeProtocols = ['PrometheusProto', 'PrometheusProto'];
      }),
      'spec.scrapeProtocols[1]',
      'Duplicate value: "PrometheusProto"',
    );
  });

  it('rejects a number below its minimum', () => {
    expectOnlyIssue(
      broken('ServiceMonitor', (o) => {
        o.spec.labelLimit = -1;
      }),
      'spec.labelLimit',
      'must be >= 0',
    );
  });

  it('rejects a monitoring.coreos.com kind that is not in the CRD folder', () => {
    const [issue] = issuesOf({ apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'k8s' }, spec: {} });
    expect(issue.message).toMatch(/^unknown apiVersion\/kind "monitoring.coreos.com\/v1\/Prometheus"/);
  });
});
