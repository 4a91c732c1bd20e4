// CloudNativePG 1.30 (postgresql.cnpg.io/v1): schema failure classes and the CRDs' CEL rules.
// Every class exists in these CRDs: enum (Database.spec.ensure), pattern (Cluster backup
// retentionPolicy), list-map (Cluster resources.claims keyed by name). There is no
// x-kubernetes-preserve-unknown-fields anywhere in the CNPG CRDs (see argo-cd/zalando tests).
import { describe, expect, it } from 'vitest';
import { broken, valid } from './fixtures';
import { expectOnlyIssue, expectValid, issuesOf, REQUIRED, UNKNOWN_FIELD } from './helpers';

describe('CloudNativePG schemas', () => {
  it('accepts a valid object of every CNPG kind', () => {
    for (const kind of ['Cluster', 'Database', 'Pooler', 'ScheduledBackup', 'CnpgBackup']) expectValid(valid[kind]);
  });

  it('rejects an unknown field', () => {
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.instancs = 3;
      }),
      'spec.instancs',
      UNKNOWN_FIELD,
    );
    expectOnlyIssue(
      broken('Database', (o) => {
        o.spec.cluster.namespace = 'x';
      }),
      'spec.cluster.namespace',
      UNKNOWN_FIELD,
    );
  });

  it('rejects a wrong type', () => {
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.instances = 'three';
      }),
      'spec.instances',
      'must be integer (got string)',
    );
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.postgresql.parameters.max_connections = 200;
      }),
      'spec.postgresql.parameters.max_connections',
      'must be string (got number)',
    );
  });

  it('rejects a number out of range (the issue example)', () => {
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.instances = 0;
      }),
      'spec.instances',
      'must be >= 1',
    );
  });

  it('rejects a missing required field', () => {
    expectOnlyIssue(
      broken('Database', (o) => {
        delete o.spec.owner;
      }),
      'spec.owner',
      REQUIRED,
    );
    expectOnlyIssue(
      broken('ScheduledBackup', (o) => {
        delete o.spec.schedule;
      }),
      'spec.schedule',
      REQUIRED,
    );
  });

  it('rejects a value outside an enum', () => {
    expectOnlyIssue(
      broken('Database', (o) => {
        o.spec.ensure = 'maybe';
      }),
      'spec.ensure',
      'Unsupported value: "maybe": supported values: "present", "absent"',
    );
    expectOnlyIssue(
      broken('Pooler', (o) => {
        o.spec.type = 'rx';
      }),
      'spec.type',
      'Unsupported value: "rx": supported values: "rw", "ro", "r"',
    );
  });

  it('rejects a pattern mismatch', () => {
    expectValid(
      broken('Cluster', (o) => {
        o.spec.backup = { retentionPolicy: '30d' };
      }),
    );
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.backup = { retentionPolicy: '30 days' };
      }),
      'spec.backup.retentionPolicy',
      'Invalid value: "30 days": must match pattern "^[1-9][0-9]*[dwm]$"',
    );
  });

  it('rejects a duplicate list-map key', () => {
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.resources = { claims: [{ name: 'gpu' }, { name: 'gpu' }] };
      }),
      'spec.resources.claims[1]',
      'Duplicate value: {"name":"gpu"}',
    );
  });

  it('rejects a CNPG kind that is not in the CRD folder', () => {
    const [issue] = issuesOf({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Publication', metadata: { name: 'pg' }, spec: {} });
    expect(issue.rule).toBe('unknown-kind');
    expect(issue.message).toMatch(
      /^unknown apiVersion\/kind "postgresql.cnpg.io\/v1\/Publication": no schema in .*\(postgresql.cnpg.io\/v1 has: Backup, Cluster, ClusterImageCatalog, Database, DatabaseRole, ImageCatalog, Pooler, ScheduledBackup\)$/,
    );
  });
});

describe('CloudNativePG CEL rules', () => {
  it('rejects a Database named postgres, template0 or template1', () => {
    for (const name of ['postgres', 'template0', 'template1']) {
      const found = issuesOf(
        broken('Database', (o) => {
          o.spec.name = name;
        }),
      );
      expect(found.map((i) => [i.path, i.message, i.rule])).toEqual([['spec.name', `the name ${name} is reserved`, 'cel']]);
    }
  });

  it('rejects a Cluster with both imageName and imageCatalogRef', () => {
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.imageCatalogRef = { apiGroup: 'postgresql.cnpg.io', kind: 'ClusterImageCatalog', name: 'pg', major: 16 };
      }),
      'spec',
      'imageName and imageCatalogRef are mutually exclusive',
    );
  });

  it('accepts imageCatalogRef alone, and rejects one that is not an image catalog', () => {
    const withCatalog = broken('Cluster', (o) => {
      delete o.spec.imageName;
      o.spec.imageCatalogRef = { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'pg', major: 16 };
    });
    expectValid(withCatalog);
    const wrong = structuredClone(withCatalog);
    wrong.spec.imageCatalogRef.kind = 'ConfigMap';
    expectOnlyIssue(wrong, 'spec.imageCatalogRef', 'Only image catalogs are supported');
  });

  it('rejects initdb locale settings that do not match the locale provider', () => {
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.bootstrap.initdb.localeProvider = 'libc';
      }),
      'spec.bootstrap.initdb',
      'icuLocale is only available when localeProvider is set to `icu`',
    );
    // Without localeProvider the rule reads an absent field: the API server rejects that too.
    expectOnlyIssue(
      broken('Cluster', (o) => {
        delete o.spec.bootstrap.initdb.localeProvider;
      }),
      'spec.bootstrap.initdb',
      /^icuLocale is only available when localeProvider is set to `icu` \(rule could not be evaluated on this object: .*localeProvider\)$/,
    );
  });

  it('rejects zero synchronous replicas (rule at a scalar location)', () => {
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.postgresql.synchronous.number = 0;
      }),
      'spec.postgresql.synchronous.number',
      'The number of synchronous replicas should be greater than zero',
    );
  });

  it('follows CEL error semantics: || is commutative, an absent field read is an error', () => {
    // dataDurability has no default. With standbyNamesPre set the right side of || is false, the left
    // side reads the absent field: cel-go (and so the API server) rejects the object...
    expectOnlyIssue(
      broken('Cluster', (o) => {
        o.spec.postgresql.synchronous.standbyNamesPre = ['a'];
      }),
      'spec.postgresql.synchronous',
      /^dataDurability set to 'preferred' requires empty 'standbyNamesPre' and empty 'standbyNamesPost' \(rule could not be evaluated on this object: .*dataDurability\)$/,
    );
    // ...but without standbyNamesPre the right side is true, which wins over the error.
    expectValid(valid.Cluster);
    expectOnlyIssue(
      broken('Cluster', (o) => {
        Object.assign(o.spec.postgresql.synchronous, { dataDurability: 'preferred', standbyNamesPre: ['a'] });
      }),
      'spec.postgresql.synchronous',
      "dataDurability set to 'preferred' requires empty 'standbyNamesPre' and empty 'standbyNamesPost'",
    );
    expectValid(
      broken('Cluster', (o) => {
        Object.assign(o.spec.postgresql.synchronous, { dataDurability: 'required', standbyNamesPre: ['a'] });
      }),
    );
  });

  it('rejects a Pooler with both image and imageCatalogRef', () => {
    expectOnlyIssue(
      broken('Pooler', (o) => {
        o.spec.pgbouncer.image = 'pgbouncer:1';
        o.spec.pgbouncer.imageCatalogRef = { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'pgb', key: 'pgbouncer' };
      }),
      'spec.pgbouncer',
      'image and imageCatalogRef are mutually exclusive',
    );
  });

  it('evaluates rules on list items, with the item index in the path', () => {
    expectOnlyIssue(
      broken('Database', (o) => {
        o.spec.servers = [
          { name: 's1', fdw: 'postgres_fdw' },
          { name: 's2', fdw: '' },
        ];
      }),
      'spec.servers[1].fdw',
      'fdw is required',
    );
  });
});
