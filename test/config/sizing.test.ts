// Sizing, tuning, versions and groups (issue #14): how environment, group and service settings
// combine into a cluster, and what is rejected.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { imageProblem, parseImage } from '../../lib/config/postgres-image';
import { parameterProblem } from '../../lib/config/postgres-parameters';
import { buildApp, renderObjects } from '../../lib/output/render';
import { schemaCheck } from '../../lib/output/schema-check';
import { BASE_FLEET, configErrors, fleetOf, lineOf } from '../support/fleet';

const FIXTURE = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'sizing.yaml'), 'utf8');

function edit(from: string, to: string, text = FIXTURE): string {
  if (!text.includes(from)) throw new Error(`"${from}" not in the fleet text`);
  return text.replace(from, to);
}

function cluster(text: string, env: string, name: string) {
  const environment = parseFleet(text, 'fleet.yaml').environments.find((e) => e.name === env)!;
  return environment.clusters.find((c) => c.name === name)!;
}

function rendered(text: string) {
  return new Map(renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))).map((o) => [o.path, o.object as Record<string, any>]));
}

describe('sizing: environment → group → service', () => {
  it('a group override sizes its cluster; the biggest tenant raises it; parameters merge fleet → environment → group → services', () => {
    const commerce = cluster(FIXTURE, 'production', 'commerce');
    expect(commerce.instances).toBe(2); // the group lowers 3 → 2
    expect(commerce.storage).toBe('200Gi'); // orders raises
    expect(commerce.resources).toEqual({ requests: { cpu: '4', memory: '32Gi' }, limits: { cpu: '4', memory: '32Gi' } });
    expect(commerce.parameters).toEqual({
      log_min_duration_statement: '1000',
      max_connections: '200',
      random_page_cost: '1.1',
      track_io_timing: 'on',
      work_mem: '16MB',
    });
  });

  it('a service alone in its cluster may lower below the environment default (override below default applied)', () => {
    const reports = cluster(FIXTURE, 'production', 'reporting');
    expect(reports.instances).toBe(1);
    expect(reports.storage).toBe('10Gi');
    expect(reports.resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '500m', memory: '2Gi' } });
    const object = rendered(FIXTURE).get('production/cluster-reporting.yaml')!;
    expect(object.spec.instances).toBe(1);
    expect(object.spec.storage.size).toBe('10Gi');
    expect(object.spec.resources).toEqual({ limits: { cpu: '500m', memory: '2Gi' }, requests: { cpu: '500m', memory: '2Gi' } });
  });

  it('the same override works with the BASE fleet: per-service production, lowering storage and instances', () => {
    const text = BASE_FLEET.replace('storage: 200Gi, instances: 5', 'storage: 5Gi, instances: 1');
    const orders = fleetOf(text)
      .environments.find((e) => e.name === 'production')!
      .clusters.find((c) => c.name === 'orders')!;
    expect(orders.storage).toBe('5Gi');
    expect(orders.instances).toBe(1);
  });

  it('lowering on a shared cluster is an error naming both services', () => {
    const text = edit(
      '      production: { resources: { memory: 32Gi } }',
      '      production: { instances: 1, resources: { memory: 4Gi } }',
    );
    const line = lineOf(text, 'instances: 1, resources');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${line}: services[1].overrides.production.instances: 1 is below the 2 that cluster "commerce" gets in production, but the cluster also holds services[0] ("orders"): a cluster setting can only be lowered for a service alone in its cluster (set it in groups: or the environment instead)`,
      `fleet.yaml:${line}: services[1].overrides.production.resources.memory: 4Gi is below the 16Gi that cluster "commerce" gets in production, but the cluster also holds services[0] ("orders"): a cluster setting can only be lowered for a service alone in its cluster (set it in groups: or the environment instead)`,
    ]);
  });

  it('two tenants setting one parameter differently is an error naming both', () => {
    const text = edit(
      '      production: { resources: { memory: 32Gi } }',
      '      production: { postgres: { parameters: { random_page_cost: "4" } } }',
    );
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'random_page_cost: "4"')}: services[1].overrides.production.postgres.parameters.random_page_cost: "4" conflicts with "1.1" from services[0] ("orders"), which shares cluster "commerce": parameters apply to the whole cluster`,
    ]);
  });

  it('qos: guaranteed (the default) sets limits = requests; burstable sets requests and a memory limit only', () => {
    const test = cluster(FIXTURE, 'test', 'sizing');
    expect(test.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } });
    const text = BASE_FLEET.replace('    storage: 50Gi\n', '    storage: 50Gi\n    resources: { memory: 8Gi }\n');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'resources: { memory: 8Gi }')}: environments.production.resources: cluster "orders" would get only memory: Guaranteed QoS (qos: guaranteed, the default) needs both cpu and memory; set both, or qos: burstable`,
      `fleet.yaml:${lineOf(text, 'resources: { memory: 8Gi }')}: environments.production.resources: cluster "payments" would get only memory: Guaranteed QoS (qos: guaranteed, the default) needs both cpu and memory; set both, or qos: burstable`,
    ]);
  });

  it('without resources a cluster has none (as before)', () => {
    expect(fleetOf().environments[0].clusters[0].resources).toBeUndefined();
    expect(rendered(BASE_FLEET).get('production/cluster-orders.yaml')!.spec.resources).toBeUndefined();
  });
});

describe('groups must be declared', () => {
  it('an undeclared group is an error naming file:line', () => {
    const text = edit('  - name: payments\n    group: commerce\n', '  - name: payments\n    group: comerce\n');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'group: comerce')}: services[1].group: group "comerce" is not declared under groups: (declared: commerce, reporting); add "comerce: {}" there if it is a new group (did you mean "commerce"?)`,
    ]);
  });

  it('a group override for an unknown environment, or an invalid group name', () => {
    const text = edit('  reporting: {}\n', '  reporting: { overrides: { prod: { instances: 1 } } }\n  Bad_Group:\n');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'reporting: {')}: groups.reporting.overrides.prod: environment "prod" does not exist (environments: production, test) (did you mean "production"?)`,
      `fleet.yaml:${lineOf(text, 'Bad_Group')}: groups.Bad_Group: "Bad_Group" is not a valid group name (a DNS-1123 label: it names the group's cluster)`,
    ]);
  });

  it('group settings never apply to a shared cluster', () => {
    expect(cluster(FIXTURE, 'test', 'sizing').instances).toBe(1);
  });
});

describe('postgres.parameters CloudNativePG fixes or blocks', () => {
  it.each([
    ['shared_preload_libraries', 'fixed'],
    ['port', 'fixed'],
    ['archive_mode', 'fixed'],
    ['synchronous_standby_names', 'fixed'],
    ['listen_addresses', 'blocked'],
    ['hot_standby', 'blocked'],
    ['logging_collector', 'blocked'],
  ])('%s is %s', (name, kind) => {
    expect(parameterProblem(name)).toMatch(
      new RegExp(`^"${name}" is ${kind} by CloudNativePG.*pkg/postgres/configuration\\.go, FixedConfigurationParameters\\)$`),
    );
  });

  it('is reported with its path, wherever it is written', () => {
    const text = edit('parameters: { max_connections: 200, track_io_timing: true }', 'parameters: { max_connections: 200, port: 5433 }');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'port: 5433')}: environments.production.postgres.parameters.port: "port" is fixed by CloudNativePG, which manages it itself: the port is 5432 for every CloudNativePG cluster (cloudnative-pg v1.30.0 pkg/postgres/configuration.go, FixedConfigurationParameters)`,
    ]);
    const text2 = edit('random_page_cost: "1.1"', '"bad name": x');
    expect(configErrors(text2)).toEqual([
      `fleet.yaml:${lineOf(text2, 'bad name')}: services[0].overrides.production.postgres.parameters.bad name: "bad name" is not a PostgreSQL parameter name (a GUC name, optionally namespaced with a single dot)`,
    ]);
  });

  it('ordinary and extension parameters pass', () => {
    expect(parameterProblem('work_mem')).toBeUndefined();
    expect(parameterProblem('pg_stat_statements.max')).toBeUndefined();
  });
});

describe('versions and images per environment', () => {
  it('an environment overrides the fleet version and image; the catalog names the image by major', () => {
    const fleet = parseFleet(FIXTURE, 'fleet.yaml');
    expect(fleet.environments.map((e) => [e.name, e.postgres])).toEqual([
      [
        'production',
        { version: 16, imageName: 'ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie', imageCatalog: 'sizing-postgresql' },
      ],
      ['test', { version: 17, imageName: 'ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie', imageCatalog: undefined }],
    ]);
    const objects = rendered(FIXTURE);
    expect(objects.get('test/cluster-sizing.yaml')!.spec.imageName).toBe('ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie');
    const commerce = objects.get('production/cluster-commerce.yaml')!.spec;
    expect(commerce.imageName).toBeUndefined();
    expect(commerce.imageCatalogRef).toEqual({
      apiGroup: 'postgresql.cnpg.io',
      kind: 'ImageCatalog',
      name: 'sizing-postgresql',
      major: 16,
    });
    const catalog = objects.get('production/imagecatalog-sizing-postgresql.yaml')!;
    expect(catalog.spec).toEqual({ images: [{ major: 16, image: 'ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie' }] });
    expect(catalog.metadata.namespace).toBe('databases');
    expect(catalog.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
  });

  it('image and version must agree (tag 17.5 with version 16 is an error)', () => {
    const text = edit(
      'imageName: ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie',
      'imageName: ghcr.io/cloudnative-pg/postgresql:17.5',
    );
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, '17.5')}: postgres.imageName: "ghcr.io/cloudnative-pg/postgresql:17.5" is PostgreSQL 17 but the version is 16: set both to the same major`,
    ]);
  });

  it("raising an environment's version without its image names the fix", () => {
    const text = edit('    postgres:\n      imageCatalog: true\n', '    postgres:\n      version: 17\n      imageCatalog: true\n');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'imageName: ghcr.io/cloudnative-pg/postgresql:16.10')}: postgres.imageName: "ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie" is PostgreSQL 16 but the version is 17: set both to the same major (environments.production.postgres.version is 17; set environments.production.postgres.imageName too)`,
    ]);
  });

  it('a floating image is an error', () => {
    for (const image of [
      'ghcr.io/cloudnative-pg/postgresql:16',
      'ghcr.io/cloudnative-pg/postgresql',
      'ghcr.io/cloudnative-pg/postgresql:latest',
      'ghcr.io/cloudnative-pg/postgresql:16-minimal-trixie',
    ]) {
      const text = edit('imageName: ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie', `imageName: ${image}`);
      expect(configErrors(text)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^fleet\\.yaml:${lineOf(text, `imageName: ${image}`)}: postgres\\.imageName: "${image.replace(/[.]/g, '\\.')}" (is a floating tag|is not pinned)`,
          ),
        ),
      ]);
    }
  });

  it('pinned forms: full tags, digests, registries with ports', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(imageProblem('ghcr.io/cloudnative-pg/postgresql:16.10-system-trixie', 16)).toBeUndefined();
    expect(imageProblem('registry.local:5000/pg/postgresql:16.4', 16)).toBeUndefined();
    expect(imageProblem(`ghcr.io/cloudnative-pg/postgresql@${digest}`, 16)).toBeUndefined();
    expect(imageProblem(`ghcr.io/cloudnative-pg/postgresql:16@${digest}`, 16)).toBeUndefined();
    expect(imageProblem(`ghcr.io/cloudnative-pg/postgresql:17@${digest}`, 16)).toMatch(/is PostgreSQL 17 but the version is 16/);
    expect(imageProblem('registry.local:5000/pg/postgresql', 16)).toMatch(/is not pinned/);
    expect(imageProblem('registry.local/pg/custom:stable', 16)).toMatch(/cannot tell the PostgreSQL major from the tag "stable"/);
    expect(parseImage('registry.local:5000/pg/postgresql:16.4@sha256:x')).toEqual({
      repository: 'registry.local:5000/pg/postgresql',
      tag: '16.4',
      digest: 'sha256:x',
    });
  });

  it('without imageName the default image is pinned; a version without a default needs one', () => {
    expect(fleetOf().environments[0].postgres.imageName).toBe('ghcr.io/cloudnative-pg/postgresql:16.15-system-trixie');
    const text = BASE_FLEET.replace('postgres: { version: 16 }', 'postgres: { version: 14 }');
    expect(configErrors(text)).toEqual([
      'fleet.yaml:2: postgres.version: PostgreSQL 14 has no default image in dbfleet (defaults: 15, 16, 17, 18): set imageName to a pinned image',
    ]);
  });

  it('a version must be set somewhere', () => {
    const text = BASE_FLEET.replace('postgres: { version: 16 }\n', '');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, '  test:')}: environments.test: needs a PostgreSQL version: set postgres.version for the fleet or environments.test.postgres.version`,
      `fleet.yaml:${lineOf(text, '  production:')}: environments.production: needs a PostgreSQL version: set postgres.version for the fleet or environments.production.postgres.version`,
    ]);
  });

  it('service overrides cannot change the version (it is per environment)', () => {
    const text = edit(
      'production: { storage: 200Gi, postgres: { parameters:',
      'production: { storage: 200Gi, postgres: { version: 17, parameters:',
    );
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, 'version: 17, parameters')}: services[0].overrides.production.postgres.version: is not a known key`,
    ]);
  });
});

describe('the rendered objects are valid', () => {
  it('the sizing fixture validates against the CRD schemas and CEL rules', () => {
    const objects = renderObjects(buildApp(parseFleet(FIXTURE, 'fleet.yaml')));
    expect(schemaCheck(objects, join(__dirname, '..', '..', 'cdk8s.yaml'))).toEqual([]);
  });
});

describe("on Zalando's operator", () => {
  it('resources and parameters go to the postgresql object (spec.resources, spec.postgresql.parameters)', () => {
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'fleets', 'zalando.yaml'), 'utf8').replace(
      '    storage: 10Gi\n',
      '    storage: 10Gi\n    resources: { cpu: "1", memory: 2Gi }\n    postgres: { parameters: { work_mem: 8MB } }\n',
    );
    const objects = rendered(text);
    const pg = [...objects.values()].find((o) => o.kind === 'postgresql' && o.metadata.name.endsWith('commerce'))!;
    expect(pg.spec.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } });
    expect(pg.spec.postgresql).toEqual({ version: '16', parameters: { work_mem: '8MB' } });
    expect(schemaCheck(renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))), join(__dirname, '..', '..', 'cdk8s.yaml'))).toEqual([]);
  });
});
