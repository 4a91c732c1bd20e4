// Argo CD 3.5 (argoproj.io/v1alpha1 Application, ApplicationSet, AppProject), from the CRDs in
// ../shared/crds/argo-cd.
// Classes these CRDs lack: no x-kubernetes-list-type map/set, no CEL rules. Enum exists in
// ApplicationSet (spec.syncPolicy.applicationsSync); pattern in sourceHydrator.syncSource.path.
import { describe, expect, it } from 'vitest';
import { broken, valid } from './fixtures';
import { expectOnlyIssue, expectValid, issuesOf, REQUIRED, UNKNOWN_FIELD } from './helpers';

describe('Argo CD', () => {
  it('accepts valid Application and ApplicationSet', () => {
    expectValid(valid.Application);
    expectValid(valid.ApplicationSet);
  });

  it('rejects an unknown field, also inside the ApplicationSet template', () => {
    expectOnlyIssue(
      broken('Application', (o) => {
        o.spec.destination.cluster = 'in-cluster';
      }),
      'spec.destination.cluster',
      UNKNOWN_FIELD,
    );
    expectOnlyIssue(
      broken('ApplicationSet', (o) => {
        o.spec.template.spec.destination.cluster = 'x';
      }),
      'spec.template.spec.destination.cluster',
      UNKNOWN_FIELD,
    );
  });

  it('rejects a wrong type', () => {
    expectOnlyIssue(
      broken('Application', (o) => {
        o.spec.syncPolicy.automated.prune = 'yes';
      }),
      'spec.syncPolicy.automated.prune',
      'must be boolean (got string)',
    );
  });

  it('rejects a missing required field', () => {
    expectOnlyIssue(
      broken('Application', (o) => {
        delete o.spec.project;
      }),
      'spec.project',
      REQUIRED,
    );
    expectOnlyIssue(
      broken('ApplicationSet', (o) => {
        delete o.spec.template.spec.source.repoURL;
      }),
      'spec.template.spec.source.repoURL',
      REQUIRED,
    );
  });

  it('rejects a value outside an enum', () => {
    expectOnlyIssue(
      broken('ApplicationSet', (o) => {
        o.spec.syncPolicy.applicationsSync = 'always';
      }),
      'spec.syncPolicy.applicationsSync',
      'Unsupported value: "always": supported values: "create-only", "create-update", "create-delete", "sync"',
    );
  });

  it('rejects a pattern mismatch', () => {
    const hydrator = (path: string) => ({
      drySource: { repoURL: 'https://github.com/acme/dbfleet', targetRevision: 'main', path: 'dist' },
      syncSource: { targetBranch: 'env/production', path },
    });
    expectValid(
      broken('Application', (o) => {
        delete o.spec.source;
        o.spec.sourceHydrator = hydrator('production');
      }),
    );
    expectOnlyIssue(
      broken('Application', (o) => {
        delete o.spec.source;
        o.spec.sourceHydrator = hydrator('.');
      }),
      'spec.sourceHydrator.syncSource.path',
      'Invalid value: ".": must match pattern "^.{2,}|[^./]$"',
    );
  });

  it('accepts extra fields under x-kubernetes-preserve-unknown-fields (helm valuesObject, list generator elements)', () => {
    expectValid(
      broken('Application', (o) => {
        o.spec.source.helm.valuesObject = { whatever: { you: ['like', 1, true, null] } };
      }),
    );
    expectValid(
      broken('ApplicationSet', (o) => {
        o.spec.generators[0].list.elements.push({ cluster: 'eu', url: 'https://eu', extra: { a: 1 } });
      }),
    );
  });

  it('validates AppProject against its CRD: unknown fields, types, the orphaned-resources ignore list', () => {
    const project = (spec: Record<string, unknown>) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'dbfleet', namespace: 'argocd' },
      spec,
    });
    expectValid(
      project({
        sourceRepos: ['https://github.com/acme/dbfleet.git'],
        orphanedResources: { warn: true, ignore: [{ group: '', kind: 'ConfigMap', name: 'cnpg-default-monitoring' }] },
      }),
    );
    expectOnlyIssue(project({ sourceRepo: 'x' }), 'spec.sourceRepo', UNKNOWN_FIELD);
    expectOnlyIssue(project({ orphanedResources: { warn: 'yes' } }), 'spec.orphanedResources.warn', 'must be boolean (got string)');
    expect(issuesOf(project({ destinations: [{ namespace: 1 }] })).map((i) => i.path)).toEqual(['spec.destinations[0].namespace']);
  });
});
